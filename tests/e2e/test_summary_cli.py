"""`fieldkit case summary` through the real CLI: a worker's store holding a case with a long,
accented history, printed to the terminal, to Markdown on stdout and to a PDF file."""

from __future__ import annotations

import json
import re
import shutil
import socket
import stat
import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fieldkit.cli import app
from fieldkit.commands.common import AppState
from fieldkit.errors import ERROR, NOT_FOUND, USAGE
from fieldkit.replica import meta
from fieldkit.replica.clock import format_hlc, wall_clock_ms
from fieldkit.store.db import transaction
from fieldkit.store.worker import WorkerStore
from fieldkit.summary.assemble import CaseSummary
from fieldkit.summary.markdown import render_markdown
from tests.conftest import PASSPHRASE, cli_env
from tests.helpers import district_change, next_district_seq, open_case

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
    reason="pdftotext/pdfinfo not installed (Debian package poppler-utils)",
)

REFERENCE = "CO-2026-0042"
PERSON = "Émilie Lefèvre-Nguyễn"
WORKER_ID = "wk-claire"
WORKER_NAME = "Claire Dubois"
COUNT = 220
MARKING_EN = "CONFIDENTIAL — restricted distribution"
MARKING_FR = "CONFIDENTIEL — diffusion restreinte"
MARKER = re.compile(r"Compte rendu n° (\d{4})\.")


# Each follow-up once in the history, and concerns (every 25th) once more under Concerns.
EVERY_FOLLOWUP = {n: 2 if n % 25 == 0 else 1 for n in range(1, COUNT + 1)}


def _printed_numbers(text: str) -> dict[int, int]:
    return dict(Counter(int(n) for n in MARKER.findall(text)))


@dataclass
class World:
    home: Path
    case_id: str
    days: dict[int, date]  # follow-up number -> the day it happened


def _text(number: int) -> str:
    return (
        "Entretien à domicile avec Émilie ; la mère évoque « l'école » et ses inquiétudes, "
        f"le frère aîné était présent. Compte rendu n° {number:04d}."
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A worker's store, enrolled, holding one case with 220 follow-ups over 15 months."""
    home = tmp_path_factory.mktemp("worker")
    today = date.today()
    with WorkerStore.create(home, PASSPHRASE) as store:
        with transaction(store.conn):  # what enrolment records
            meta.put(store.conn, "worker_id", WORKER_ID)
            meta.put(store.conn, "worker_name", WORKER_NAME)
        opened = open_case(
            store,
            reference=REFERENCE,
            display_name=PERSON,
            next_review=today + timedelta(days=12),
            assignees=[{"id": WORKER_ID, "name": "C. Dubois", "lead": True}],
        )
        seq = next_district_seq(store)
        days = {n: today - timedelta(days=2 * (COUNT - n) + 1) for n in range(1, COUNT + 1)}
        changes = []
        for n, day in days.items():
            fields = {
                "occurred_on": day.isoformat(),
                "recorded_by": WORKER_ID,
                "kind": "concern" if n % 25 == 0 else "home-visit",
                "summary": _text(n),
                "partners": ["CMP Saint-Éloi"] if n % 7 == 0 else [],
            }
            if n % 25 == 0:
                fields["concern_level"] = "high"
            changes.append(
                district_change(
                    seq=seq + n - 1,
                    case_id=opened.case_id,
                    op="add",
                    entity="followup",
                    entity_id=f"fu-{n:04d}",
                    fields=fields,
                    hlc=format_hlc(wall_clock_ms(), n),
                )
            )
        assert store.apply_remote(changes).applied == COUNT
    return World(home, opened.case_id, days)


@pytest.fixture
def world(template: World, tmp_path: Path) -> World:
    """A copy of the store for one test, so that audit trails and files do not mix."""
    home = tmp_path / "home"
    shutil.copytree(template.home, home)
    return World(home, template.case_id, template.days)


def _run(runner: CliRunner, world: World, *args: str, obj: AppState | None = None, **env: str):
    return runner.invoke(app, list(args), env=cli_env(world.home, **env), obj=obj)


# Standard output on a terminal (the runner's is a pipe).
TERMINAL = AppState(stdout_isatty=True)


def _audit(runner: CliRunner, world: World) -> list[dict]:
    result = _run(runner, world, "audit", "show", "--json", "--limit", "0")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _pdf_pages(path: Path) -> tuple[list[str], int]:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = [" ".join(page.split()) for page in text.split("\f")[:-1]]
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    count = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
    return pages, count


@needs_poppler
def test_pdf_export_is_owner_only_marked_on_every_page_and_audited(
    runner: CliRunner, world: World, tmp_path: Path
) -> None:
    target = tmp_path / "synthese.pdf"
    result = _run(runner, world, "case", "summary", REFERENCE, "--format", "pdf", "-o", str(target))

    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "no longer protected by the store" in result.stderr
    pages, count = _pdf_pages(target)
    assert count == len(pages) > 5
    for number, page in enumerate(pages, start=1):
        assert MARKING_EN in page
        assert REFERENCE in page
        assert f"Printed by {WORKER_NAME}" in page
        assert f"page {number}/{count}" in page
    text = " ".join(pages)
    assert PERSON in text
    assert "la mère évoque « l'école » et ses inquiétudes" in text
    assert _printed_numbers(text) == EVERY_FOLLOWUP

    exports = [e for e in _audit(runner, world) if e["action"] == "export"]
    assert [(e["object_id"], e["detail"]) for e in exports] == [(world.case_id, "pdf file")]
    assert exports[0]["actor"] == WORKER_ID
    assert str(target) not in json.dumps(exports)


@needs_poppler
def test_french_pdf_is_marked_in_french(runner: CliRunner, world: World, tmp_path: Path) -> None:
    target = tmp_path / "synthese.pdf"
    result = _run(
        runner,
        world,
        "case",
        "summary",
        REFERENCE,
        "-f",
        "pdf",
        "-o",
        str(target),
        FIELDKIT_LANG="fr",
    )

    assert result.exit_code == 0, result.output
    assert "n'est plus protégé par le coffre" in result.stderr
    pages, count = _pdf_pages(target)
    for number, page in enumerate(pages, start=1):
        assert MARKING_FR in page
        assert f"page {number}/{count}" in page
        assert f"Imprimé par {WORKER_NAME}" in page
    assert "Historique du suivi" in " ".join(pages)


def test_markdown_on_stdout_is_the_assembled_summary(runner: CliRunner, world: World) -> None:
    md = _run(runner, world, "case", "summary", REFERENCE, "--format", "md")
    as_json = _run(runner, world, "case", "summary", REFERENCE, "--json")

    assert md.exit_code == 0, md.output
    assert as_json.exit_code == 0, as_json.output
    summary = CaseSummary.model_validate(json.loads(as_json.stdout))
    assert summary.reference == REFERENCE
    assert summary.display_name == PERSON
    assert summary.printed_by == WORKER_NAME
    assert summary.followups_total == len(summary.history) == COUNT
    assert summary.printed_at.tzinfo is not None

    lines = md.stdout.splitlines()
    assert lines[0] == f"**{MARKING_EN}**"
    assert lines[-1] == f"**{MARKING_EN}**"
    # The same document as rendering the JSON, but for the minute it was printed at.
    expected = render_markdown(summary).splitlines()
    printed = [i for i, line in enumerate(expected) if line.startswith("Printed by")]
    assert len(printed) == 1
    assert lines[: printed[0]] == expected[: printed[0]]
    assert lines[printed[0] + 1 :] == expected[printed[0] + 1 :]
    assert _printed_numbers(md.stdout) == EVERY_FOLLOWUP
    assert "la mère évoque « l'école »" in md.stdout


def test_since_limits_the_history(runner: CliRunner, world: World) -> None:
    since = world.days[201]
    result = _run(
        runner, world, "case", "summary", REFERENCE, "-f", "md", "--since", since.isoformat()
    )

    assert result.exit_code == 0, result.output
    assert _printed_numbers(result.stdout) == {
        n: 2 if n % 25 == 0 else 1 for n in range(201, COUNT + 1)
    }
    assert f"since {since.isoformat()}: 20 of {COUNT}" in result.stdout


def test_output_to_a_pipe_is_an_export_and_a_terminal_view_is_a_view(
    runner: CliRunner, world: World
) -> None:
    piped = _run(runner, world, "case", "summary", REFERENCE, "-f", "md")
    shown = _run(runner, world, "case", "summary", REFERENCE, obj=TERMINAL)

    assert piped.exit_code == shown.exit_code == 0
    assert "no longer protected by the store" in piped.stderr
    assert "no longer protected" not in shown.stderr
    assert MARKING_EN in shown.stdout and REFERENCE in shown.stdout and PERSON in shown.stdout
    events = [
        (e["action"], e["detail"])
        for e in _audit(runner, world)
        if e["object_id"] == world.case_id and e["action"] in ("view", "export")
    ]
    assert events == [("export", "md stdout"), ("view", "text terminal")]


def test_a_pdf_is_not_sent_to_a_terminal(runner: CliRunner, world: World) -> None:
    result = _run(runner, world, "case", "summary", REFERENCE, "-f", "pdf", obj=TERMINAL)

    assert result.exit_code == USAGE
    assert "-o FILE" in result.stderr
    assert not [e for e in _audit(runner, world) if e["action"] in ("view", "export")]


def test_an_existing_file_is_kept_unless_forced(
    runner: CliRunner, world: World, tmp_path: Path
) -> None:
    target = tmp_path / "synthese.md"
    target.write_text("mes notes\n")
    target.chmod(0o644)

    refused = _run(runner, world, "case", "summary", REFERENCE, "-f", "md", "-o", str(target))
    assert refused.exit_code == ERROR
    assert "already exists" in refused.stderr
    assert target.read_text() == "mes notes\n"
    assert not [e for e in _audit(runner, world) if e["action"] == "export"]

    forced = _run(
        runner, world, "case", "summary", REFERENCE, "-f", "md", "-o", str(target), "--force"
    )
    assert forced.exit_code == 0, forced.output
    assert target.read_text().startswith(f"**{MARKING_EN}**")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert forced.stdout == ""


def test_french_markdown(runner: CliRunner, world: World) -> None:
    result = _run(runner, world, "case", "summary", REFERENCE, "-f", "md", FIELDKIT_LANG="fr")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"**{MARKING_FR}**")
    assert f"# Synthèse du suivi — {REFERENCE}" in result.stdout
    assert f"Imprimé par {WORKER_NAME} le " in result.stdout
    assert f"{COUNT} suivis au total." in result.stdout


def test_writing_a_summary_never_touches_the_network(
    runner: CliRunner, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a summary tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    result = _run(
        runner, world, "case", "summary", REFERENCE, "-f", "pdf", "-o", str(tmp_path / "s.pdf")
    )

    assert result.exit_code == 0, result.output


def test_unknown_case_writes_nothing(runner: CliRunner, world: World, tmp_path: Path) -> None:
    target = tmp_path / "none.pdf"
    result = _run(runner, world, "case", "summary", "CO-1999-0001", "-f", "pdf", "-o", str(target))

    assert result.exit_code == NOT_FOUND
    assert not target.exists()
    assert not list(tmp_path.glob(".none.pdf.*"))


def test_json_and_format_together_are_refused(runner: CliRunner, world: World) -> None:
    result = _run(runner, world, "case", "summary", REFERENCE, "--json", "-f", "md")

    assert result.exit_code == USAGE
    assert "--json" in result.stderr


def test_the_output_files_name_gives_its_format_when_no_format_is_given(
    runner: CliRunner, world: World, tmp_path: Path
) -> None:
    """`-o dupre.pdf` alone is a PDF (it was the terminal's text in a file named .pdf);
    `-o dupre.md` Markdown; an explicit --format still wins."""
    pdf, md, text = tmp_path / "synthese.pdf", tmp_path / "synthese.md", tmp_path / "forced.pdf"
    for target in (pdf, md):
        done = _run(runner, world, "case", "summary", REFERENCE, "-o", str(target))
        assert done.exit_code == 0, done.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert f"\n# Case summary — {REFERENCE}\n" in md.read_text(encoding="utf-8")
    exports = [e["detail"] for e in _audit(runner, world) if e["action"] == "export"]
    assert exports == ["pdf file", "md file"]
    done = _run(runner, world, "case", "summary", REFERENCE, "--format", "text", "-o", str(text))
    assert done.exit_code == 0, done.output
    assert not text.read_bytes().startswith(b"%PDF-") and PERSON in text.read_text("utf-8")
