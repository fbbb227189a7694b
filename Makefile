# fieldkit — the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench fuzz clean tools

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m fieldkit.demo

test: $(STAMP) tools
	$(BIN)/python -m pytest -n 2 tests

# System tools the tests use: poppler-utils (pdftotext, pdfinfo) for the PDF checks.
tools:
	@command -v pdftotext >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils) >/dev/null; \
	  else echo "note: poppler-utils missing and cannot be installed here; PDF text checks will skip"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check fieldkit tests benchmarks
	$(BIN)/ruff format --check fieldkit tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
