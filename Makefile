# fieldkit — the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench fuzz clean tools catalogues

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The message catalogues: each .po source (fieldkit/locale/LANG/LC_MESSAGES/) compiled to
# the .mo that gettext reads, with Babel. The .mo is a build product (gitignored); the
# wheel's build compiles it too (setup.py).
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard fieldkit/locale/*/LC_MESSAGES/*.po))

catalogues: $(CATALOGUES)

fieldkit/locale/%.mo: fieldkit/locale/%.po | $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@

demo: $(STAMP) catalogues
	$(BIN)/python -m fieldkit.demo

test: $(STAMP) tools catalogues
	$(BIN)/python -m pytest -n 2 tests

# System tools the tests use: poppler-utils (pdftotext, pdfinfo) for the PDF checks,
# PostgreSQL's server binaries (the district tests start a throw-away cluster, tests/pg.py),
# nginx (tests/e2e/test_nginx_front.py runs docs/nginx-district.conf in front of serve), and
# libfaketime (the interactive session's idle lock is tested with time sped up).
tools:
	@command -v pdftotext >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils) >/dev/null \
	      || echo "note: poppler-utils could not be installed; PDF text checks will skip"; \
	  else echo "note: poppler-utils missing and cannot be installed here; PDF text checks will skip"; fi; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null \
	      || echo "note: postgresql could not be installed; PostgreSQL tests will skip"; \
	  else echo "note: PostgreSQL missing and cannot be installed here; PostgreSQL tests will skip"; fi; }
	@ls /usr/lib/*/faketime/libfaketimeMT.so.1 >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime) >/dev/null \
	      || echo "note: faketime could not be installed; the session's idle-lock test will skip"; \
	  else echo "note: faketime missing and cannot be installed here; the session's idle-lock test will skip"; fi; }
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light) >/dev/null \
	      || echo "note: nginx could not be installed; the front-proxy tests will skip"; \
	  else echo "note: nginx missing and cannot be installed here; the front-proxy tests will skip"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check fieldkit tests benchmarks
	$(BIN)/ruff format --check fieldkit tests benchmarks

# taskwarrior (Debian's taskwarrior, binary task) is the session benchmark's baseline
# (benchmarks/session.py); without it those rows say "not measured".
bench: $(STAMP) catalogues
	@command -v task >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq taskwarrior) >/dev/null 2>&1 \
	      || echo "note: taskwarrior could not be installed; the session's taskwarrior rows will say not measured"; \
	  else echo "note: taskwarrior missing and cannot be installed here; the session's taskwarrior rows will say not measured"; fi; }
	$(BIN)/python -m benchmarks

# Coverage-guided fuzzing of the bundle decoder (atheris); not part of `make test`.
FUZZ_RUNS ?= 300000
FUZZ_LOG := $(VENV)/fuzz-bundle.log

fuzz: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[fuzz]'
	@$(BIN)/python fuzz/fuzz_bundle.py -runs=$(FUZZ_RUNS) -print_final_stats=1 >$(FUZZ_LOG) 2>&1 \
	  || { tail -n 40 $(FUZZ_LOG); echo "fuzz_bundle: FAILED (input saved as crash-* here)"; exit 1; }
	@runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_LOG)); \
	  echo "fuzz_bundle: $$runs executions ran clean (log: $(FUZZ_LOG))"

clean:
	rm -rf $(VENV) build *.egg-info $(CATALOGUES)
