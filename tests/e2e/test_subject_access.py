"""The person's right of access (GDPR art. 15, issue 19), through the real CLI.

At the district, `district case export CASE --subject-access` opens the team's sealed
texts with the printed recovery sheet and writes everything the district holds: the
case's fields, every follow-up as first written and as amended, the group's decisions,
and who accessed the file and when; owner-only, marked on every page, audited, told to
the team. On a device, `case summary CASE --format pdf --full` gives the same from what
the device holds. `followup add` reminds, once per device, that the person can read
what is written.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from fieldkit.cli import app
from fieldkit.district import decisions
from fieldkit.errors import NOT_FOUND, USAGE
from fieldkit.replica import changelog, meta
from tests.conftest import PASSPHRASE
from tests.recovery_sheets import sheet_lines
from tests.world import Fieldkit, World, cli_world, file_sync, use_fast_kdf

fk = Fieldkit()

# One marker per team text (sealed at the district) and per district text.
SUMMARY = "Marqueur-résumé-41a : entretien au collège avec la mère"
AMENDED = "Marqueur-rectifié-41b : entretien au collège, la mère et la sœur"
STEPS = "Marqueur-suite-41c : rappeler la mission locale"
PARTNER = "Marqueur-partenaire-41d"
OTHER = "Marqueur-collègue-41e : appel au père, rendez-vous pris"
SITUATION = "Marqueur-situation-41f : scolarité reprise en septembre"
NOTE = "Marqueur-décision-41g : associer la mère aux entretiens"
TEAM_TEXTS = (SUMMARY, AMENDED, STEPS, PARTNER, OTHER, SITUATION)
MARKING_FR = "Droit d'accès — article 15 du RGPD"

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext not installed (poppler-utils)"
)


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fast_kdf(monkeypatch)


def _written(world: World) -> World:
    """A records a follow-up (then amends it) and the situation, B a follow-up; both
    sync; the district shows the case once and the group decides."""
    added = fk.json(
        world.homes["a"],
        "followup",
        "add",
        world.reference,
        "--kind",
        "interview",
        "--summary",
        SUMMARY,
        "--next-steps",
        STEPS,
        "--partner",
        PARTNER,
    )
    fk.ok(world.homes["a"], "followup", "amend", added["id"], "--summary", AMENDED)
    fk.ok(world.homes["a"], "case", "update", world.reference, "--situation", SITUATION)
    file_sync(fk, world, "a", "written")
    fk.ok(
        world.homes["b"],
        "followup",
        "add",
        world.reference,
        "--kind",
        "phone-call",
        "--summary",
        OTHER,
    )
    file_sync(fk, world, "b", "written")
    file_sync(fk, world, "a", "again")
    fk.ok(world.district_home, "district", "case", "show", world.reference)
    with world.open_district() as district:
        decisions.record(
            district.conn,
            world.reference,
            meeting_id=None,
            meeting_date=date(2026, 11, 20),
            measures=["Consultation au CMP"],
            referent="Maison des adolescents",
            next_review=date.today() + timedelta(days=30),
            status=None,
            reason=None,
            note_for_team=NOTE,
        )
    file_sync(fk, world, "a", "decided")
    return world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return _written(cli_world(tmp_path))


def _sheet(tmp_path: Path) -> Path:
    """The district's sheet as a text file: its lines as typed from the paper."""
    [pdf] = list(Path.cwd().glob("recovery-sheet-*-1-*.pdf"))
    typed = tmp_path / "typed-sheet.txt"
    typed.write_text("\n".join(sheet_lines(pdf)) + "\n")
    return typed


def _export(world: World, *args: str):
    return fk.run(
        world.district_home,
        "district",
        "case",
        "export",
        world.reference,
        "--subject-access",
        *args,
    )


def _pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]


def _case_events(world: World) -> list:
    with world.open_district() as district:
        return [e for e in district.audit_events() if e.object_id == world.case_id]


@pytest.mark.usefixtures("district_backend")
def test_subject_access_json_holds_every_team_text_and_the_access_history(
    tmp_path: Path, district_backend: str
):
    world = _written(cli_world(tmp_path / "w"))
    out = tmp_path / "dossier.json"
    done = _export(world, "--sheet-file", str(_sheet(tmp_path)), "-o", str(out), "--json")
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["format"] == "json" and report["unreadable"] == 0
    assert out.stat().st_mode & 0o777 == 0o600
    document = json.loads(out.read_text())
    assert document["holder"] == "district" and document["reference"] == world.reference
    text = json.dumps(document, ensure_ascii=False)
    for marker in (*TEAM_TEXTS, NOTE):
        assert marker in text, marker
    # The rectification keeps the original: both texts, the first as recorded.
    [interview] = [f for f in document["followups"] if f["kind"] == "interview"]
    original = {v["field"]: v["value"] for v in interview["original"]}
    assert original["summary"] == SUMMARY and original["next_steps"] == STEPS
    [amendment] = interview["amendments"]
    assert amendment["by"] == "Léa Martin"
    assert [(c["field"], c["value"]) for c in amendment["changes"]] == [("summary", AMENDED)]
    fields = {v["field"]: v["value"] for v in document["fields"]}
    assert fields["situation"] == SITUATION and fields["display_name"] == "Amélie Durand"
    assert [d["note_for_team"] for d in document["decisions"]] == [NOTE]
    # Who accessed the file and when, from the district's audit, this export included.
    actions = [a["action"] for a in document["accesses"]]
    for action in ("case-add", "case-assign", "view", "recover-subject-access"):
        assert action in actions, action
    assigned = [a["detail"] for a in document["accesses"] if a["action"] == "case-assign"]
    assert assigned == ["Léa Martin", "Karim Benali"]
    [used] = [e for e in _case_events(world) if e.action == "recover-subject-access"]
    assert used.detail.endswith("subject-access json file")
    # Each use of the sheet is told to the team.
    file_sync(fk, world, "b", "told")
    with world.open_worker("b") as b:
        notices = changelog.of_case(b.conn, world.case_id, "notice")
    assert [n.fields["action"] for n in notices] == ["recover-subject-access"]


@needs_poppler
def test_subject_access_pdf_is_marked_on_every_page_and_never_overwrites(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    sheet = _sheet(tmp_path)
    pdf = tmp_path / "dossier.pdf"
    # The sheet on standard input, as `--sheet -` reads it from a pipe.
    args = ["district", "case", "export", world.reference, "--subject-access"]
    by_stdin = fk.runner.invoke(
        app,
        ["--home", str(world.district_home), *args, "--sheet", "-", "-o", str(pdf)],
        input=sheet.read_text(),
        env={"FIELDKIT_PASSPHRASE": PASSPHRASE},
    )
    assert by_stdin.exit_code == 0, by_stdin.stderr
    assert "lisible par vous seul" in by_stdin.stderr
    assert pdf.stat().st_mode & 0o777 == 0o600
    pages = _pdf_pages(pdf)
    assert pages and all(MARKING_FR in page for page in pages)
    assert all("CONFIDENTIEL" in page and world.reference in page for page in pages)
    whole = " ".join(pages)
    for marker in (*TEAM_TEXTS, NOTE):
        assert " ".join(marker.split()) in whole, marker
    assert "Tel que saisi" in whole and "Modifié par Léa Martin" in whole
    assert "Qui a consulté le dossier, et quand" in whole
    assert "Karim Benali" in whole
    # An existing file is kept, unless --force.
    before = pdf.read_bytes()
    again = _export(world, "--sheet-file", str(sheet), "-o", str(pdf))
    assert again.exit_code != 0 and pdf.read_bytes() == before
    forced = _export(world, "--sheet-file", str(sheet), "-o", str(pdf), "--force")
    assert forced.exit_code == 0, forced.stderr
    assert pdf.stat().st_mode & 0o777 == 0o600
    uses = [e for e in _case_events(world) if e.action == "recover-subject-access"]
    assert [u.detail.rsplit(" ", 3)[1:] for u in uses] == [["subject-access", "pdf", "file"]] * 2


def test_without_the_sheet_it_says_how_to_give_it(world: World, tmp_path: Path):
    out = tmp_path / "dossier.pdf"
    refused = _export(world, "-o", str(out))
    assert refused.exit_code == USAGE
    [line] = refused.stderr.strip().splitlines()
    assert "recovery sheet" in line and "--sheet-file" in line and "--sheet -" in line
    assert not out.exists()
    assert not [e for e in _case_events(world) if e.action == "recover-subject-access"]
    nothing = fk.run(world.district_home, "district", "case", "export", world.reference)
    assert nothing.exit_code == USAGE and "--subject-access" in nothing.stderr


def test_an_unknown_case_is_not_found(world: World, tmp_path: Path):
    out = tmp_path / "dossier.pdf"
    sheet = str(_sheet(tmp_path))
    args = ["district", "case", "export", "CO-1999-0001", "--subject-access"]
    missing = fk.run(world.district_home, *args, "--sheet-file", sheet, "-o", str(out))
    assert missing.exit_code == NOT_FOUND, missing.stderr
    assert not out.exists()


@needs_poppler
def test_the_workers_full_pdf_holds_what_the_device_holds(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    home = world.homes["a"]
    pdf = tmp_path / "dossier-a.pdf"
    fk.ok(home, "case", "summary", world.reference, "--format", "pdf", "--full", "-o", str(pdf))
    assert pdf.stat().st_mode & 0o777 == 0o600
    pages = _pdf_pages(pdf)
    assert all(MARKING_FR in page for page in pages)
    whole = " ".join(pages)
    for marker in (*TEAM_TEXTS, NOTE):
        assert " ".join(marker.split()) in whole, marker
    assert "Ce que l'appareil de cet intervenant détient" in whole
    assert "D'après le journal des accès de cet appareil" in whole
    events = fk.json(home, "audit", "show", "--limit", "0")
    [export] = [e for e in events if e["detail"] == "subject-access pdf file"]
    assert export["action"] == "export" and export["object_id"] == world.case_id
    # The device's own access history, this export included.
    full = tmp_path / "dossier-a.json"
    args = ["case", "summary", world.reference, "--full", "--json", "-o", str(full)]
    fk.ok(home, *args)
    document = json.loads(full.read_text())
    assert document["holder"] == "device"
    actions = [a["action"] for a in document["accesses"]]
    assert {"followup-add", "followup-amend", "update", "export"} <= set(actions)
    as_text = fk.run(home, "case", "summary", world.reference, "--full")
    assert as_text.exit_code == USAGE and "--format pdf" in as_text.stderr


def test_the_free_text_reminder_shows_once_per_device_in_french(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    world = cli_world(tmp_path)
    args = ["followup", "add", world.reference, "--kind", "interview", "--summary", "Vu."]
    first = fk.run(world.homes["a"], *args, "--json")
    assert first.exit_code == 0, first.stderr
    json.loads(first.stdout)  # --json stays clean: the reminder is on stderr
    assert first.stderr.count("Avant d'écrire : la personne peut lire ce qui est écrit") == 1
    assert "données sensibles" in first.stderr and "pas des opinions" in first.stderr
    second = fk.run(world.homes["a"], *args)
    assert second.exit_code == 0 and "Avant d'écrire" not in second.stderr
    # Another device shows it at its own first use; it is remembered in the store.
    other = fk.run(world.homes["b"], *args)
    assert "Avant d'écrire" in other.stderr
    with world.open_worker("a") as a:
        assert meta.get(a.conn, "shown.free_text_reminder") is not None
    assert not list(world.homes["a"].glob("*reminder*"))
