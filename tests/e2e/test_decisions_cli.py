"""Through the real CLI, by file sync, on both district backends (issue 17): the group's
decision recorded at the district (`district meeting decide`) reaches both workers'
`case show`, `agenda` and summaries under « Décisions de la cellule »; a worker sets
measure 1 to « en cours » with `case measure`, and the district sees it in `district
case show` and the cell summary."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from fieldkit import errors
from fieldkit.cli import app
from fieldkit.district import decisions
from fieldkit.model import CaseStatus
from tests.conftest import PASSPHRASE
from tests.world import Fieldkit, World, cli_world, file_sync, use_fast_kdf

MEETING_DAY = date(2026, 11, 20)
MEASURES = ["Consultation au CMP", "Reprise de la scolarité [lien](http://x)"]
NOTE = "Associer la mère aux entretiens.\nPrévoir un interprète."


@pytest.fixture
def world(district_backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    use_fast_kdf(monkeypatch)
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    return cli_world(tmp_path, Fieldkit(), sessions=True)


def record_decision(world: World, review: date, **overrides) -> None:
    """What `district meeting decide` does, through the same API."""
    values = {
        "meeting_id": None,
        "meeting_date": MEETING_DAY,
        "measures": MEASURES,
        "referent": "Maison des adolescents",
        "next_review": review,
        "status": None,
        "reason": None,
        "note_for_team": NOTE,
    }
    values.update(overrides)
    with world.open_district() as district:
        decisions.record(district.conn, world.reference, **values)


def decide_by_cli(fk: Fieldkit, world: World, review: date) -> None:
    """`district meeting new` then `district meeting decide`, the note typed on stdin."""
    meeting = fk.json(world.district_home, "district", "meeting", "new", "2026-11-20")
    args = ["district", "meeting", "decide", meeting["reference"], world.reference]
    for text in MEASURES:
        args += ["--measure", text]
    args += ["--referent", "Maison des adolescents", "--next-review", review.isoformat()]
    args += ["--note-for-team", "-"]
    result = fk.runner.invoke(
        app,
        ["--home", str(world.district_home), *args],
        input=NOTE + "\n",
        env={"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_SESSION": None},
    )
    assert result.exit_code == 0, (result.stdout, result.stderr)


def run(fk: Fieldkit, world: World, who: str, *args: str) -> str:
    """A worker's command as a person reads it (in French, see the fixture)."""
    return fk.ok(world.homes[who], *args, session=world.sessions[who]).stdout


def test_a_decision_reaches_both_workers_and_a_measure_state_comes_back(world: World) -> None:
    fk = Fieldkit()
    review = date.today() + timedelta(days=9)
    decide_by_cli(fk, world, review)
    for who in ("a", "b"):
        file_sync(fk, world, who, "decided")

    for who in ("a", "b"):
        shown = fk.json(
            world.homes[who], "case", "show", world.reference, session=world.sessions[who]
        )
        [decision] = shown["decisions"]
        assert decision["meeting_date"] == "2026-11-20"
        assert [(m["number"], m["text"], m["state"]) for m in decision["measures"]] == [
            (1, MEASURES[0], "planned"),
            (2, MEASURES[1], "planned"),
        ]
        assert decision["referent"] == "Maison des adolescents"
        assert decision["note_for_team"] == NOTE
        assert shown["next_review"] == review.isoformat()

        screen = run(fk, world, who, "case", "show", world.reference)
        assert "Décisions de la cellule" in screen and "Réunion du 20/11/2026" in screen
        assert "1. Consultation au CMP — Prévue" in screen
        assert "Référent de parcours" in screen and "Maison des adolescents" in screen

        agenda = fk.json(world.homes[who], "agenda", "--days", "30", session=world.sessions[who])
        reviews = [i for i in agenda if i["what"] == "review" and i["reference"] == world.reference]
        assert [i["due"] for i in reviews] == [review.isoformat()]

        md = run(fk, world, who, "case", "summary", world.reference, "--format", "md")
        assert "## Décisions de la cellule" in md
        assert "### Réunion du 20/11/2026" in md
        assert "- 1. Consultation au CMP — Prévue" in md
        # Text from people is data: the link is escaped, not a link.
        assert "\\[lien\\](http://x)" in md
        assert "Prévoir un interprète." in md

    done = fk.json(
        world.homes["a"],
        "case",
        "measure",
        world.reference,
        "1",
        "--state",
        "en cours",
        "--on",
        "2026-11-25",
        session=world.sessions["a"],
    )
    assert done["measure"]["state"] == "under_way" and done["measure"]["number"] == 1
    file_sync(fk, world, "a", "measured")

    at_district = fk.json(world.district_home, "district", "case", "show", world.reference)
    [decision] = at_district["decisions"]
    first = decision["measures"][0]
    assert (first["state"], first["changed_on"], first["changed_by"]) == (
        "under_way",
        "2026-11-25",
        world.worker_ids["a"],
    )
    assert decision["measures"][1]["state"] == "planned"

    screen = fk.ok(world.district_home, "district", "case", "show", world.reference).stdout
    assert "Décisions de la cellule" in screen
    assert "1. Consultation au CMP — En cours depuis le 25/11/2026 (Léa Martin)" in screen
    cell = fk.ok(
        world.district_home, "district", "case", "summary", world.reference, "--format", "md"
    ).stdout
    assert "## Décisions de la cellule" in cell
    assert "- 1. Consultation au CMP — En cours depuis le 25/11/2026 (Léa Martin)" in cell
    assert "- 2. Reprise de la scolarité \\[lien\\](http://x) — Prévue" in cell

    # The other member of the team sees the new state at its next sync.
    file_sync(fk, world, "b", "after")
    shown = fk.json(world.homes["b"], "case", "show", world.reference, session=world.sessions["b"])
    assert shown["decisions"][0]["measures"][0]["state"] == "under_way"


def test_a_decision_that_closes_the_case_purges_it_from_the_devices(world: World) -> None:
    fk = Fieldkit()
    record_decision(world, date.today(), status=CaseStatus.CLOSED, reason="Objectifs atteints")
    file_sync(fk, world, "a", "closed")
    cases = fk.json(world.homes["a"], "case", "list", session=world.sessions["a"])
    assert world.reference not in [c["reference"] for c in cases]


needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext not installed (poppler-utils)"
)


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@needs_poppler
def test_the_printed_summaries_carry_the_decisions(world: World, tmp_path: Path) -> None:
    fk = Fieldkit()
    record_decision(world, date.today() + timedelta(days=9))
    file_sync(fk, world, "a", "decided")
    team_pdf = tmp_path / "equipe.pdf"
    run(fk, world, "a", "case", "summary", world.reference, "--format", "pdf", "-o", str(team_pdf))
    text = pdf_text(team_pdf)
    assert "Décisions de la cellule" in text and "Réunion du 20/11/2026" in text
    assert "1. Consultation au CMP — Prévue" in text
    assert "Note pour l'équipe" in text
    cell_pdf = tmp_path / "cellule.pdf"
    fk.ok(
        world.district_home,
        "district",
        "case",
        "summary",
        world.reference,
        "--format",
        "pdf",
        "-o",
        str(cell_pdf),
    )
    assert "1. Consultation au CMP — Prévue" in pdf_text(cell_pdf)


def test_case_measure_says_what_is_wrong(world: World) -> None:
    fk = Fieldkit()
    home, session = world.homes["a"], world.sessions["a"]
    none_yet = fk.run(
        home, "case", "measure", world.reference, "1", "--state", "done", session=session
    )
    assert none_yet.exit_code == errors.USAGE
    assert "aucune mesure" in none_yet.stderr
    record_decision(world, date.today())
    file_sync(fk, world, "a", "decided")
    args = ("case", "measure", world.reference)
    beyond = fk.run(home, *args, "3", "--state", "réalisée", session=session)
    assert beyond.exit_code == errors.USAGE and "de 1 à 2" in beyond.stderr
    bad = fk.run(home, *args, "1", "--state", "peut-être", session=session)
    assert bad.exit_code == errors.USAGE and "prévue, en cours, réalisée, abandonnée" in bad.stderr
    same = fk.run(home, *args, "1", "--state", "prévue", session=session)
    assert same.exit_code == errors.USAGE
    said = fk.ok(home, *args, "2", "--state", "abandonnée", session=session).stdout
    assert "Mesure 2" in said and "Abandonnée" in said
    pending = fk.ok(home, "status", "--pending", session=session).stdout
    assert "état d'une mesure de la cellule" in pending


def test_a_measure_text_is_shown_as_data(world: World) -> None:
    fk = Fieldkit()
    record_decision(world, date.today(), measures=["[bold]Mesure[/bold] \u202eabc"])
    file_sync(fk, world, "a", "decided")
    screen = run(fk, world, "a", "case", "show", world.reference)
    assert "[bold]Mesure[/bold]" in screen
    assert "\u202e" not in screen


def test_sync_says_on_which_case_a_decision_arrived_once(world: World) -> None:
    fk = Fieldkit()
    decide_by_cli(fk, world, date.today() + timedelta(days=9))
    _, first = file_sync(fk, world, "a", "decided")
    assert [(d["reference"], d["count"]) for d in first["cell_decisions"]] == [(world.reference, 1)]
    _, again = file_sync(fk, world, "a", "again")
    assert again["cell_decisions"] == []
    # On the screen, in French, with the command that shows the decisions.
    record_decision(world, date.today() + timedelta(days=20))
    home, session = world.homes["b"], world.sessions["b"]
    outgoing, reply = world.root / "b-out.fkb", world.root / "b-in.fkb"
    fk.json(home, "sync", "--to-file", str(outgoing), session=session)
    fk.json(world.district_home, "district", "sync-file", str(outgoing), str(reply))
    screen = fk.ok(home, "sync", "--from-file", str(reply), session=session).stdout
    expected = f"2 nouvelles décisions de la cellule sur {world.reference} : voyez"
    assert expected in " ".join(screen.split())
