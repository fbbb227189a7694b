"""What the district (the cell) sees of a case whose team texts are sealed: `district case
show`, `district case summary` in every format and `district report --with-cases` show
the cell's circle and never a sealed value, a team text, or the key's absence as noise.

The history is written as the workers' devices would send it: changes whose team texts
are sealed under a case key the district never holds (fieldkit/crypto/casekeys.py),
applied at the district as sync applies them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fieldkit.cli import app
from fieldkit.crypto.casekeys import CaseKey, seal_value
from fieldkit.district.store import DistrictStore
from fieldkit.errors import ERROR
from fieldkit.model import Change
from fieldkit.replica import merge
from fieldkit.replica.clock import format_hlc, wall_clock_ms
from fieldkit.store.db import transaction
from tests.conftest import PASSPHRASE, cli_env
from tests.world import use_fast_kdf

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext not installed (poppler-utils)"
)

TODAY = date.today()
# Typed by the team: none of these may reach the district's outputs.
TEAM = {
    "summary": "SECRET-ENTRETIEN-4417",
    "partners": "SECRET-PARTENAIRE-9921",
    "next_steps": "SECRET-SUITE-3382",
    "situation": "SECRET-SITUATION-7730",
    "concern": "SECRET-INQUIETUDE-5561",
    "withdrawn": "SECRET-RETRAIT-2290",
}
# Addressed to the cell: these must reach them.
FOR_CELL = "POUR-LA-CELLULE-8812"
CELL_NOTE = "POINT-CELLULE-6650 : adhère au suivi, rendez-vous tenus."


@dataclass
class District:
    home: Path
    reference: str
    case_id: str


class _Device:
    """A worker device's changes, with its team texts sealed, applied as sync applies them."""

    def __init__(self, store: DistrictStore, author: str, key: CaseKey) -> None:
        self.store, self.author, self.key, self.seq = store, author, key, 0
        self.origin = f"w-{author}"

    def apply(self, entity: str, entity_id: str, op: str, fields: dict[str, Any]) -> None:
        self.seq += 1
        change = Change(
            id=f"{self.origin}:{self.seq}",
            origin=self.origin,
            seq=self.seq,
            hlc=format_hlc(wall_clock_ms(), self.seq),
            entity=entity,
            entity_id=entity_id,
            case_id=self.key.case_id,
            op=op,
            fields=fields,
            author=self.author,
        )
        with transaction(self.store.conn):
            merge.apply(self.store.conn, change)

    def seal(self, entity: str, entity_id: str, name: str, value: Any) -> str:
        return seal_value(self.key, entity, entity_id, name, value)

    def followup(self, fid: str, days_ago: int, summary: str, **fields: Any) -> None:
        sealed = not fields.get("for_cell")
        data = {
            "occurred_on": (TODAY - timedelta(days=days_ago)).isoformat(),
            "recorded_by": self.author,
            "kind": "interview",
            "summary": self.seal("followup", fid, "summary", summary) if sealed else summary,
            **fields,
        }
        for name in ("partners", "next_steps"):
            if sealed and name in data:
                data[name] = self.seal("followup", fid, name, data[name])
        self.apply("followup", fid, "add", data)


@pytest.fixture
def district(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> District:
    use_fast_kdf(monkeypatch)
    home = tmp_path / "district"
    with DistrictStore.create(home, PASSPHRASE, "District Nord", None) as store:
        worker, _ = store.add_worker("Léa Martin", "UT Nord")
        case = store.add_case(name="Amélie Durand", unit="UT Nord", reason="Signalement")
        store.assign(case.reference, worker.id, lead=True)
        device = _Device(store, worker.id, CaseKey.new(case.id, 1))
        device.followup(
            "f1" * 16,
            3,
            TEAM["summary"],
            partners=[TEAM["partners"]],
            next_steps=TEAM["next_steps"],
            attendance="kept",
            referral_to="health",
        )
        device.followup("f2" * 16, 2, FOR_CELL, for_cell=True, attendance="missed")
        device.followup("f3" * 16, 1, TEAM["concern"], kind="concern", concern_level="high")
        device.followup("f4" * 16, 5, TEAM["summary"], attendance="excused")
        reason = device.seal("followup", "f4" * 16, "withdrawn_reason", TEAM["withdrawn"])
        device.apply("followup", "f4" * 16, "amend", {"withdrawn_reason": reason})
        situation = device.seal("case", case.id, "situation", TEAM["situation"])
        device.apply(
            "case",
            case.id,
            "update",
            {"situation": situation, "cell_note": CELL_NOTE, "participation": "accepted"},
        )
    return District(home, case.reference, case.id)


def _run(district: District, *args: str, lang: str = "en") -> Any:
    result = CliRunner().invoke(app, list(args), env=cli_env(district.home, FIELDKIT_LANG=lang))
    assert result.exit_code == 0, (args, result.output)
    return result


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _assert_cell_only(text: str, where: str) -> None:
    for marker in TEAM.values():
        assert marker not in text, (where, marker)
    assert "sv1." not in text, where


def test_case_show_json_gives_sealed_fields_empty_and_named(district: District) -> None:
    data = json.loads(
        _run(district, "district", "case", "show", district.reference, "--json").stdout
    )

    _assert_cell_only(json.dumps(data), "json")
    assert data["situation"] == "" and data["unreadable"] == ["situation"]
    assert data["cell_note"] == CELL_NOTE and data["participation"] == "accepted"
    by_id = {f["id"]: f for f in data["followups"]}
    team = by_id["f1" * 16]
    assert team["summary"] == "" and team["partners"] == [] and team["next_steps"] is None
    assert sorted(team["unreadable"]) == ["next_steps", "partners", "summary"]
    assert team["attendance"] == "kept" and team["referral_to"] == "health"
    cell = by_id["f2" * 16]
    assert cell["summary"] == FOR_CELL and cell["for_cell"] and cell["unreadable"] == []
    withdrawn = by_id["f4" * 16]
    assert withdrawn["withdrawn"] is True and withdrawn["withdrawn_reason"] is None
    assert "withdrawn_reason" in withdrawn["unreadable"]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_case_show_names_the_team_notes_it_cannot_read(district: District, lang: str) -> None:
    out = _run(district, "district", "case", "show", district.reference, lang=lang).stdout

    _assert_cell_only(out, "show")
    assert FOR_CELL in out and "POINT-CELLULE-6650" in out
    if lang == "fr":
        assert "note de l'équipe (lisible par l'équipe seulement)" in out
        assert "Rendez-vous honoré" in out and "Rendez-vous non honoré" in out
        assert "Acceptée" in out and "Point de situation pour la cellule" in out
        assert "4 notes de l'équipe ne sont pas montrées : seule l'équipe peut les lire" in out
    else:
        assert "team note (readable by the team only)" in out
        assert "Appointment kept" in out and "Accepted" in out
        assert "4 notes of the case team are not shown" in out


@needs_poppler
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_cell_summary_in_every_format_carries_the_cell_circle_only(
    district: District, tmp_path: Path, lang: str
) -> None:
    texts = {}
    for fmt in ("text", "md", "pdf"):
        target = tmp_path / f"cell-{lang}.{fmt}"
        args = ["district", "case", "summary", district.reference, "-f", fmt, "-o", str(target)]
        _run(district, *args, lang=lang)
        assert target.stat().st_mode & 0o777 == 0o600
        texts[fmt] = _pdf_text(target) if fmt == "pdf" else target.read_text()
    summary = ("district", "case", "summary", district.reference)
    texts["json"] = _run(district, *summary, "--json", lang=lang).stdout
    texts["stdout"] = _run(district, *summary, lang=lang).stdout

    for fmt, text in texts.items():
        _assert_cell_only(text, fmt)
        assert FOR_CELL in text, fmt
        assert "POINT-CELLULE-6650" in text, fmt
    hidden = {
        "fr": "4 notes de l'équipe ne sont pas montrées : seule l'équipe peut les lire",
        "en": "4 notes of the case team are not shown: they are readable only by the team",
    }[lang]
    for fmt in ("text", "md", "stdout"):
        assert hidden in " ".join(texts[fmt].split()), fmt
    assert hidden in " ".join(texts["pdf"].split())
    marking = "CONFIDENTIEL" if lang == "fr" else "CONFIDENTIAL"
    pages = texts["pdf"].split("\f")
    assert all(marking in page for page in pages if page.strip())
    document = json.loads(texts["json"])
    assert document["notes_hidden"] == 4 and document["participation"] == "accepted"
    assert [e["attendance"] for e in document["history"]] == [None, "missed", "kept", "excused"]
    assert [e["summary"] for e in document["history"]] == [None, FOR_CELL, None, None]


def test_cell_summary_is_audited_at_the_district(district: District, tmp_path: Path) -> None:
    target = tmp_path / "cell.md"
    _run(district, "district", "case", "summary", district.reference, "-f", "md", "-o", str(target))

    with DistrictStore.open(district.home, _credentials()) as store:
        events = [e for e in store.audit_events() if e.object_id == district.case_id]
    assert events[-1].action == "export" and events[-1].detail == "cell summary md file"
    assert str(target) not in events[-1].detail


def test_a_pdf_is_not_written_to_a_terminal_and_a_file_is_not_replaced(
    district: District, tmp_path: Path
) -> None:
    target = tmp_path / "taken.pdf"
    target.write_text("déjà là")
    result = CliRunner().invoke(
        app,
        ["district", "case", "summary", district.reference, "-f", "pdf", "-o", str(target)],
        env=cli_env(district.home),
    )
    assert result.exit_code == ERROR and target.read_text() == "déjà là"


@needs_poppler
def test_report_with_cases_uses_the_cell_view(district: District, tmp_path: Path) -> None:
    texts = {}
    for fmt in ("text", "md", "pdf"):
        target = tmp_path / f"report.{fmt}"
        _run(district, "district", "report", "--with-cases", "-f", fmt, "-o", str(target))
        texts[fmt] = _pdf_text(target) if fmt == "pdf" else target.read_text()
    texts["json"] = _run(district, "district", "report", "--with-cases", "--json").stdout

    for fmt, text in texts.items():
        _assert_cell_only(text, fmt)
        assert "POINT-CELLULE-6650" in text and FOR_CELL in text, fmt
    report = json.loads(texts["json"])
    nord = report["units"][0]
    # The withdrawn follow-up's attendance is not counted.
    assert (nord["attendance_kept"], nord["attendance_missed"], nord["attendance_excused"]) == (
        1,
        1,
        0,
    )
    assert nord["participation_accepted"] == 1 and nord["participation_unknown"] == 0
    (line,) = report["cases"]
    assert line["participation"] == "accepted" and line["cell_note"] == CELL_NOTE
    assert line["notes_hidden"] == 4  # the situation and three follow-ups since the meeting
    assert [e["summary"] for e in line["for_cell"]] == [FOR_CELL]


def _credentials():
    from tests.world import credentials

    return credentials()
