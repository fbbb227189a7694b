"""`fieldkit district report`: the figures per unit for a small district built by hand, the
annex only on request, and the export rules, through the real CLI."""

from __future__ import annotations

import io
import json
import shutil
import stat
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from fieldkit.cli import app
from fieldkit.district.report import CaseFlag, build_report
from fieldkit.district.store import DistrictStore
from fieldkit.errors import ERROR, NOT_FOUND
from fieldkit.model import Change
from fieldkit.replica import cases as case_store
from fieldkit.replica import merge
from fieldkit.replica.clock import format_hlc, wall_clock_ms
from fieldkit.store.access import Credentials
from fieldkit.store.db import transaction
from fieldkit.summary.report_render import render_report_text
from tests.conftest import BACKENDS, PASSPHRASE, cli_env
from tests.pg import clone_district

# The template below is built once per backend (its own parameter), not per test.
DISTRICT_BACKENDS = ("sqlcipher",)

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext not installed (poppler-utils)"
)

TODAY = date.today()
FREE_TEXT = "Confidences très personnelles"
PEOPLE = {
    "nord-1": "Émilie Lefèvre",
    "nord-2": "Théo Martin",
    "nord-closed": "Inès Garnier",
    "sud-1": "Zoé Petit",
    "sud-2": "Yanis Roche",
}
WORKERS = ("Claire Dubois", "Mehdi Benali", "Agathe Léon")


@dataclass
class District:
    home: Path
    references: dict[str, str]  # key of PEOPLE -> case reference


class _Writer:
    """Follow-ups and case edits of a worker replica, applied as sync applies them."""

    def __init__(self, store: DistrictStore, origin: str, author: str) -> None:
        self.store, self.origin, self.author, self.seq = store, origin, author, 0

    def change(
        self,
        case_id: str,
        entity: str,
        entity_id: str,
        op: str,
        fields: dict,
        base: dict[str, str | None] | None = None,
    ) -> None:
        self.seq += 1
        change = Change(
            id=f"{self.origin}:{self.seq}",
            origin=self.origin,
            seq=self.seq,
            hlc=format_hlc(wall_clock_ms(), self.seq),
            entity=entity,
            entity_id=entity_id,
            case_id=case_id,
            op=op,
            fields=fields,
            base=base or {},
            author=self.author,
        )
        with transaction(self.store.conn):
            merge.apply(self.store.conn, change)

    def followup(self, case_id: str, days_ago: int, level: str | None = None) -> None:
        fields = {
            "occurred_on": (TODAY - timedelta(days=days_ago)).isoformat(),
            "recorded_by": self.author,
            "kind": "concern" if level else "interview",
            "summary": FREE_TEXT,
        }
        if level:
            fields["concern_level"] = level
        self.change(case_id, "followup", f"{self.origin}-{self.seq + 1}", "add", fields)


@pytest.fixture(scope="module", params=BACKENDS)
def template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> District:
    """Two units with cases and a third with a worker only.

    UT Nord: nord-1 (review overdue; follow-ups 2 and 60 days ago, a high concern 5 days
    ago), nord-2 (last seen 45 days ago), nord-closed (closed; a follow-up yesterday).
    UT Sud: sud-1 (never seen; one open conflict), sud-2 (review overdue; a high concern
    10 days ago and a follow-up 40 days ago). UT Est: a worker, no case.
    """
    home = tmp_path_factory.mktemp("district")
    database = None
    if request.param == "postgresql":
        database = request.getfixturevalue("pg_cluster").create_database()
    with DistrictStore.create(home, PASSPHRASE, "Métropole Sud", None, database=database) as store:
        claire, _ = store.add_worker(WORKERS[0], "UT Nord")
        mehdi, _ = store.add_worker(WORKERS[1], "UT Sud")
        store.add_worker(WORKERS[2], "UT Est")
        overdue = TODAY - timedelta(days=3)
        units = {"nord": ("UT Nord", claire.id), "sud": ("UT Sud", mehdi.id)}
        cases = {}
        for key, name in PEOPLE.items():
            unit, worker = units[key.split("-")[0]]
            review = overdue if key in ("nord-1", "sud-2") else TODAY + timedelta(days=20)
            cases[key] = store.add_case(name=name, unit=unit, next_review=review)
            store.assign(cases[key].reference, worker, lead=True)

        nord = _Writer(store, "w-nord", claire.id)
        nord.followup(cases["nord-1"].id, 2)
        nord.followup(cases["nord-1"].id, 5, level="high")
        nord.followup(cases["nord-1"].id, 60)
        nord.followup(cases["nord-2"].id, 45)
        nord.followup(cases["nord-closed"].id, 1, level="high")
        store.close_case(cases["nord-closed"].reference, "Fin de prise en charge")

        sud = _Writer(store, "w-sud", mehdi.id)
        sud.followup(cases["sud-2"].id, 10, level="high")
        sud.followup(cases["sud-2"].id, 40)
        # Two edits of the same field built on the district's value: one conflict.
        sud_1 = cases["sud-1"].id
        base = {"situation": case_store.field_version(store.conn, sud_1, "situation").change_id}
        for writer in (sud, _Writer(store, "w-sud-bis", mehdi.id)):
            fields = {"situation": f"Situation vue par {writer.origin}"}
            writer.change(sud_1, "case", sud_1, "update", fields, base)
        assert len(store.conflicts()) == 1
    return District(home, {key: case.reference for key, case in cases.items()})


@pytest.fixture
def district(template: District, tmp_path: Path, request: pytest.FixtureRequest) -> District:
    home = tmp_path / "district"
    shutil.copytree(template.home, home)
    if (template.home / "district-database.json").exists():
        clone_district(request.getfixturevalue("pg_cluster"), template.home, home)
    return District(home, template.references)


def _run(runner: CliRunner, district: District, *args: str, **env: str):
    return runner.invoke(app, ["district", "report", *args], env=cli_env(district.home, **env))


def _report(runner: CliRunner, district: District, *args: str) -> dict:
    result = _run(runner, district, "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _figures(report: dict) -> dict[str, tuple[int, ...]]:
    keys = (
        "active_cases",
        "followups_since",
        "reviews_overdue",
        "high_concerns",
        "not_seen",
        "conflicts_waiting",
    )
    rows = [*report["units"], dict(report["total"], unit="total")]
    return {row["unit"]: tuple(row[k] for k in keys) for row in rows}


def test_figures_per_unit_for_the_last_thirty_days(runner: CliRunner, district: District) -> None:
    report = _report(runner, district)

    assert report["since"] == (TODAY - timedelta(days=30)).isoformat()
    assert report["not_seen_days"] == 30
    #                  active, since, overdue, high, not seen, conflicts
    assert _figures(report) == {
        "UT Est": (0, 0, 0, 0, 0, 0),
        "UT Nord": (2, 2, 1, 1, 1, 0),
        "UT Sud": (2, 1, 1, 1, 1, 1),
        "total": (4, 3, 2, 2, 2, 1),
    }
    assert report["cases"] is None


def test_since_and_days_move_the_window(runner: CliRunner, district: District) -> None:
    since = (TODAY - timedelta(days=70)).isoformat()
    report = _report(runner, district, "--since", since, "--days", "50")

    assert _figures(report) == {
        "UT Est": (0, 0, 0, 0, 0, 0),
        "UT Nord": (2, 4, 1, 1, 0, 0),
        "UT Sud": (2, 2, 1, 1, 1, 1),
        "total": (4, 6, 2, 2, 1, 1),
    }


def test_one_unit_only(runner: CliRunner, district: District) -> None:
    report = _report(runner, district, "--unit", "ut sud", "--with-cases")

    assert report["unit"] == "UT Sud"
    assert _figures(report) == {"UT Sud": (2, 1, 1, 1, 1, 1), "total": (2, 1, 1, 1, 1, 1)}
    assert [c["display_name"] for c in report["cases"]] == [PEOPLE["sud-1"], PEOPLE["sud-2"]]


def test_an_unknown_unit_is_named_with_the_known_ones(
    runner: CliRunner, district: District
) -> None:
    result = _run(runner, district, "--unit", "UT Ouest")

    assert result.exit_code == NOT_FOUND
    assert "UT Ouest" in result.stderr and "UT Est, UT Nord, UT Sud" in result.stderr


def _every_format(runner: CliRunner, district: District, tmp_path: Path, *args: str) -> dict:
    texts = {}
    for fmt in ("text", "md", "pdf"):
        target = tmp_path / f"report-{fmt}-{len(args)}"
        result = _run(runner, district, "-f", fmt, "-o", str(target), *args)
        assert result.exit_code == 0, result.output
        if fmt == "pdf":
            texts[fmt] = subprocess.run(
                ["pdftotext", "-enc", "UTF-8", str(target), "-"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        else:
            texts[fmt] = target.read_text()
    texts["stdout"] = _run(runner, district, *args).stdout
    texts["json"] = _run(runner, district, "--json", *args).stdout
    return texts


@needs_poppler
def test_no_name_and_no_free_text_without_the_annex(
    runner: CliRunner, district: District, tmp_path: Path
) -> None:
    for fmt, text in _every_format(runner, district, tmp_path).items():
        assert "UT Nord" in text, fmt
        for name in [*PEOPLE.values(), *WORKERS]:
            assert name not in text, (fmt, name)
        assert FREE_TEXT not in text, fmt
        for reference in district.references.values():
            assert reference not in text, (fmt, reference)


@needs_poppler
def test_the_annex_names_the_active_cases(
    runner: CliRunner, district: District, tmp_path: Path
) -> None:
    for fmt, text in _every_format(runner, district, tmp_path, "--with-cases").items():
        for key, name in PEOPLE.items():
            if key == "nord-closed":
                assert name not in text, fmt
            else:
                assert name in text, (fmt, name)
                assert district.references[key] in text, (fmt, key)
        assert WORKERS[0] in text and WORKERS[1] in text, fmt
        assert FREE_TEXT not in text, fmt


def test_annex_flags(district: District) -> None:
    printed_at = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC).replace(hour=12)
    with DistrictStore.open(district.home, Credentials(prompt=lambda: PASSPHRASE)) as store:
        report = build_report(store, printed_at=printed_at, with_cases=True)

    flags = {line.display_name: line.flags for line in report.cases or []}
    assert flags == {
        PEOPLE["nord-1"]: [CaseFlag.REVIEW_OVERDUE, CaseFlag.HIGH_CONCERN],
        PEOPLE["nord-2"]: [CaseFlag.NOT_SEEN],
        PEOPLE["sud-1"]: [CaseFlag.NOT_SEEN, CaseFlag.CONFLICT],
        PEOPLE["sud-2"]: [CaseFlag.REVIEW_OVERDUE, CaseFlag.HIGH_CONCERN],
    }
    last = {line.display_name: line.last_followup for line in report.cases or []}
    assert last[PEOPLE["nord-1"]] == TODAY - timedelta(days=2)
    assert last[PEOPLE["sud-1"]] is None
    assert {line.lead for line in report.cases or []} == {WORKERS[0], WORKERS[1]}


@needs_poppler
def test_a_report_file_is_owner_only_marked_audited_and_never_overwritten(
    runner: CliRunner, district: District, tmp_path: Path
) -> None:
    target = tmp_path / "reunion.pdf"
    first = _run(runner, district, "-f", "pdf", "-o", str(target), "--with-cases")
    again = _run(runner, district, "-f", "pdf", "-o", str(target))

    assert first.exit_code == 0, first.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(target), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = [" ".join(page.split()) for page in text.split("\f")[:-1]]
    for number, page in enumerate(pages, start=1):
        assert page.startswith("CONFIDENTIAL — restricted distribution Report of ")
        assert "Printed by Métropole Sud on " in page
        assert page.endswith(f"CONFIDENTIAL — restricted distribution page {number}/{len(pages)}")
    assert "no longer protected by the store" in first.stderr
    assert again.exit_code == ERROR
    assert "already exists" in again.stderr
    with DistrictStore.open(district.home, Credentials(prompt=lambda: PASSPHRASE)) as store:
        events = [e for e in store.audit_events() if e.object_type == "report"]
    assert [(e.action, e.detail) for e in events] == [("export", "pdf file with-cases")]


def test_french_report(runner: CliRunner, district: District) -> None:
    result = _run(runner, district, "-f", "md", FIELDKIT_LANG="fr")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("**CONFIDENTIEL — diffusion restreinte**")
    assert "# Rapport au groupe de prévention — Métropole Sud" in result.stdout
    assert "| Unité territoriale | Dossiers actifs |" in result.stdout
    assert "| UT Nord | 2 | 2 | 1 | 1 | 1 | 0 |" in result.stdout
    assert "| **Total** | **4** | **3** | **2** | **2** | **2** | **1** |" in result.stdout
    assert "n'est plus protégée par le coffre" in result.stderr


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("width", [50, 80, 100, 140, 200])
def test_terminal_view_fits_any_width(
    district: District, lang: str, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", lang)
    printed_at = datetime.now(UTC)
    with DistrictStore.open(district.home, Credentials(prompt=lambda: PASSPHRASE)) as store:
        report = build_report(store, printed_at=printed_at, with_cases=True)
    console = Console(file=io.StringIO(), width=width, no_color=True)

    render_report_text(report, console)

    lines = console.file.getvalue().splitlines()
    assert max(len(line) for line in lines) <= width
    text = "\n".join(lines)
    assert "UT Nord" in text and "UT Sud" in text and "UT Est" in text
    assert PEOPLE["nord-1"].split()[0] in text
