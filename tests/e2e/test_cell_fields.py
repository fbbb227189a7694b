"""The cell's fields, through the real CLI, in French and in English (issue 16): whether an
appointment was kept, missed or excused (`--attendance`, contacts with the person only),
a follow-up addressed to the cell (`--for-cell`; a high concern at a terminal asks), the
situation note for the cell (`case update --cell-note -`) and the person's participation
(`--participation`). Each is shown by `followup show`/`list`, `case show` and the summary,
and reaches the district; a wrong value is one line, exit USAGE, nothing recorded."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from typer.testing import Result

from fieldkit.cli import app
from fieldkit.commands.common import AppState
from fieldkit.errors import OK, USAGE
from fieldkit.rules import TEXT_LIMITS
from tests.e2e.conftest import Cli, refused, snapshot
from tests.world import Fieldkit, cli_world, file_sync, use_fast_kdf

TIMEOUT = 60
SAVE = "\x1b\r"  # Esc then Enter: the editor saves
EDITING = "\x1b[?2004h"  # the editor has the terminal


@pytest.fixture(scope="module")
def cell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    with pytest.MonkeyPatch.context() as patch:
        use_fast_kdf(patch)
        fk = Fieldkit()
        yield Cli(fk, cli_world(tmp_path_factory.mktemp("cell"), fk, sessions=True))


@pytest.fixture(params=["fr", "en"])
def lang(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FIELDKIT_LANG", request.param)
    monkeypatch.setenv("COLUMNS", "200")  # tables on one line each
    return request.param


def given(cell: Cli, *args: str, typed: str = "", terminal: bool = False) -> Result:
    """Worker a's `fieldkit ARGS`, `typed` on its standard input; with `terminal`, its
    streams said to be a terminal (as a person at one)."""
    return cell.fk.runner.invoke(
        app,
        ["--home", str(cell.world.homes["a"]), *args],
        input=typed,
        obj=AppState(stdin_isatty=True, stderr_isatty=True) if terminal else None,
        env={"FIELDKIT_SESSION": cell.world.sessions["a"], "FIELDKIT_PASSPHRASE": None},
    )


def shown(cell: Cli) -> dict[str, dict]:
    ref = cell.world.reference
    return {f["id"]: f for f in cell.json("a", "followup", "list", ref)}


# Attendance


def test_attendance_takes_the_words_of_either_language(cell: Cli):
    recorded = {
        cell.note("a", "entretien", "Entretien au collège", "--attendance", "honoré"): "kept",
        cell.note("a", "appel", "Pas de réponse", "--attendance", "non honoré"): "missed",
        cell.note("a", "visite à domicile", "Porte close", "--attendance", "Absent"): "missed",
        cell.note("a", "contact famille", "Report demandé", "--attendance", "excusée"): "excused",
        cell.note("a", "interview", "Seen at school", "--attendance", "kept"): "kept",
        cell.note("a", "phone-call", "No answer", "--attendance", "MISSED"): "missed",
        cell.note("a", "entretien", "Sans présence notée"): None,
    }
    listed = shown(cell)
    assert {i: listed[i]["attendance"] for i in recorded} == recorded


def test_followup_show_and_list_say_the_attendance_in_words(cell: Cli, lang: str):
    added = cell.note("a", "entretien", "Entretien à la mission locale", "--attendance", "manqué")
    screen = cell.ok("a", "followup", "show", added[:8]).stdout
    word = {
        "fr": ("Présence au rendez-vous", "Rendez-vous non honoré"),
        "en": ("Attendance", "Appointment missed"),
    }[lang]
    assert word[0] in screen and word[1] in screen
    listing = cell.ok("a", "followup", "list", cell.world.reference).stdout
    assert {
        "fr": "Entretien (rendez-vous non honoré)",
        "en": "Interview (appointment missed)",
    }[lang] in listing


@pytest.mark.parametrize("kind", ["inquiétude", "orientation", "réunion partenaire", "revue"])
def test_attendance_on_anything_but_a_contact_is_refused(cell: Cli, lang: str, kind: str):
    home = cell.world.homes["a"]
    before = snapshot(home)
    args = ["followup", "add", cell.world.reference, "--kind", kind, "--summary", "Noté"]
    if kind == "inquiétude":
        args += ["--concern-level", "faible"]
    line = refused(cell.run("a", *args, "--attendance", "honoré"), USAGE)
    assert "--attendance" in line
    assert {"fr": "seul un contact avec la personne", "en": "only a contact with the person"}[
        lang
    ] in line
    assert snapshot(home) == before


def test_an_unknown_attendance_word_lists_the_words_of_the_screen(cell: Cli, lang: str):
    home = cell.world.homes["a"]
    before = snapshot(home)
    args = ["followup", "add", cell.world.reference, "-k", "entretien", "-s", "Vu"]
    line = refused(cell.run("a", *args, "--attendance", "peut-être"), USAGE)
    assert "peut-être" in line
    assert {"fr": "honoré, manqué, excusé", "en": "kept, missed, excused"}[lang] in line
    assert snapshot(home) == before


def test_an_amendment_corrects_the_attendance_and_a_new_kind_drops_it(cell: Cli):
    visit = cell.note("a", "visite à domicile", "Visite prévue", "--attendance", "honoré")
    cell.ok("a", "followup", "amend", visit[:8], "--attendance", "excusé")
    amended = cell.json("a", "followup", "show", visit[:8])
    assert amended["attendance"] == "excused" and amended["amended"]
    assert amended["original"]["attendance"] == "kept"  # the original is kept
    cell.ok("a", "followup", "amend", visit[:8], "--kind", "revue")
    reviewed = cell.json("a", "followup", "show", visit[:8])
    assert (reviewed["kind"], reviewed["attendance"]) == ("case-review", None)


def test_an_amended_attendance_on_a_referral_is_refused(cell: Cli, lang: str):
    referral = cell.note("a", "orientation", "Orientée", "--referral-to", "logement")
    home = cell.world.homes["a"]
    before = snapshot(home)
    line = refused(cell.run("a", "followup", "amend", referral[:8], "--attendance", "kept"), USAGE)
    assert "--attendance" in line
    assert snapshot(home) == before


# Addressed to the cell


def test_a_followup_for_the_cell_is_marked_on_screen(cell: Cli, lang: str):
    addressed = cell.note("a", "appel", "Point avec la mère", "--for-cell")
    kept = cell.note("a", "appel", "Appel de la tante", "--not-for-cell")
    listed = shown(cell)
    assert listed[addressed]["for_cell"] is True and listed[kept]["for_cell"] is False
    mark = {"fr": "pour la cellule", "en": "for the group"}[lang]
    assert mark in cell.ok("a", "followup", "show", addressed[:8]).stdout
    assert mark not in cell.ok("a", "followup", "show", kept[:8]).stdout
    assert f"[{mark}]" in cell.ok("a", "followup", "list", cell.world.reference).stdout


def test_a_script_recording_a_high_concern_is_never_asked(cell: Cli):
    args = ["followup", "add", cell.world.reference, "-k", "inquiétude", "-s", "Propos"]
    result = given(cell, *args, "--concern-level", "élevé")
    assert result.exit_code == OK, result.output
    assert "[o/N]" not in result.stderr and "[y/N]" not in result.stderr
    (concern,) = [f for f in shown(cell).values() if f["summary"] == "Propos"]
    assert concern["for_cell"] is False


QUESTION = {
    "fr": "Adresser ce signalement à la cellule ? [o/N]",
    "en": "Address this concern to the group? [y/N]",
}


@pytest.mark.parametrize(
    ("typed", "addressed"),
    [("o\n", True), ("oui\n", True), ("y\n", True), ("\n", False), ("non\n", False), ("", False)],
    ids=["o", "oui", "y", "enter", "non", "ctrl-d"],
)
def test_a_high_concern_at_a_terminal_asks_whether_it_is_for_the_cell(
    cell: Cli, lang: str, typed: str, addressed: bool
):
    text = f"Propos inquiétants {lang} {typed!r}"
    args = ["followup", "add", cell.world.reference, "-k", "concern", "--concern-level", "high"]
    result = given(cell, *args, "--summary", text, typed=typed, terminal=True)
    assert result.exit_code == OK, result.output
    assert result.stderr.count(QUESTION[lang]) == 1
    (concern,) = [f for f in shown(cell).values() if f["summary"] == text]
    assert concern["for_cell"] is addressed


@pytest.mark.parametrize(
    ("flags", "addressed"),
    [
        (["--concern-level", "élevé", "--for-cell"], True),
        (["--concern-level", "élevé", "--not-for-cell"], False),
        (["--concern-level", "moyen"], False),
    ],
    ids=["for-cell", "not-for-cell", "medium"],
)
def test_a_concern_answered_up_front_or_not_high_is_not_asked(
    cell: Cli, flags: list[str], addressed: bool
):
    text = f"Inquiétude {' '.join(flags)}"
    args = ["followup", "add", cell.world.reference, "-k", "inquiétude", "-s", text, *flags]
    result = given(cell, *args, terminal=True)
    assert result.exit_code == OK, result.output
    assert "[o/N]" not in result.stderr and "[y/N]" not in result.stderr
    (concern,) = [f for f in shown(cell).values() if f["summary"] == text]
    assert concern["for_cell"] is addressed


def spawn(cell: Cli, *args: str) -> pexpect.spawn:
    """Worker a's `fieldkit ARGS` at a real pseudo-terminal, in French."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    env.update(
        FIELDKIT_SESSION=cell.world.sessions["a"],
        FIELDKIT_LANG="fr",
        NO_COLOR="1",
        LANG="C.UTF-8",
        PROMPT_TOOLKIT_NO_CPR="1",
    )
    home = str(cell.world.homes["a"])
    return pexpect.spawn(
        sys.executable,
        ["-m", "fieldkit", "--home", home, *args],
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(40, 200),
    )


def ends(child: pexpect.spawn) -> tuple[int, str]:
    child.expect(pexpect.EOF)
    rest = child.before
    child.close()
    return child.exitstatus, rest


def test_ctrl_c_at_the_question_means_no_and_the_concern_is_recorded(cell: Cli):
    text = "Propos inquiétants, Ctrl-C à la question"
    args = ["followup", "add", cell.world.reference, "-k", "inquiétude", "-s", text]
    child = spawn(cell, *args, "--concern-level", "élevé")
    child.expect_exact(QUESTION["fr"])
    # The question is on screen a moment before Python waits on the terminal; a SIGINT
    # in between is noted but wakes no read (CPython's readline), which no person's
    # Ctrl-C is fast enough to hit.
    time.sleep(0.5)
    child.sendintr()
    status, rest = ends(child)
    assert status == OK and "Traceback" not in rest and "Aborted" not in rest
    (concern,) = [f for f in shown(cell).values() if f["summary"] == text]
    assert (concern["concern_level"], concern["for_cell"]) == ("high", False)


# The situation note for the cell and the participation


def test_the_cell_note_is_read_from_standard_input(cell: Cli):
    note = "Adhère au projet d'accompagnement.\nRendez-vous tenus ce mois-ci."
    result = given(cell, "case", "update", cell.world.reference, "--cell-note", "-", typed=note)
    assert result.exit_code == OK, result.output
    assert cell.case("a")["cell_note"] == note


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("acceptée", "accepted"),
        ("Proposee", "proposed"),
        ("refusé", "declined"),
        ("retiré", "withdrawn"),
        ("declined", "declined"),
        ("accepted", "accepted"),
    ],
)
def test_the_participation_takes_the_words_of_either_language(cell: Cli, typed: str, code: str):
    cell.ok("a", "case", "update", cell.world.reference, "--participation", typed)
    assert cell.case("a")["participation"] == code


def test_case_show_says_the_participation_and_the_cell_note(cell: Cli, lang: str):
    cell.ok("a", "case", "update", cell.world.reference, "--participation", "acceptée")
    given(cell, "case", "update", cell.world.reference, "--cell-note", "-", typed="Point tenu.")
    screen = cell.ok("a", "case", "show", cell.world.reference).stdout
    words = {
        "fr": ("Adhésion", "Acceptée", "Point de situation pour la cellule"),
        "en": ("Participation", "Accepted", "Situation note for the group"),
    }[lang]
    assert all(word in screen for word in words) and "Point tenu." in screen


def test_a_wrong_participation_or_a_too_long_note_is_refused(cell: Cli, lang: str):
    home = cell.world.homes["a"]
    before = snapshot(home)
    ref = cell.world.reference
    line = refused(cell.run("a", "case", "update", ref, "--participation", "ravie"), USAGE)
    assert "--participation" in line and "ravie" in line
    assert {
        "fr": "proposée, acceptée, refusée, retirée",
        "en": "proposed, accepted, declined, withdrawn",
    }[lang] in line
    long = "x" * (TEXT_LIMITS["cell_note"] + 1)
    line = refused(given(cell, "case", "update", ref, "--cell-note", "-", typed=long), USAGE)
    assert "--cell-note" in line and long not in line
    assert snapshot(home) == before


def test_the_cell_note_at_a_terminal_is_edited_from_its_current_text(cell: Cli):
    ref = cell.world.reference
    given(cell, "case", "update", ref, "--cell-note", "-", typed="Premier point.")
    child = spawn(cell, "case", "update", ref, "--cell-note", "-")
    child.expect_exact("Point de situation pour la cellule")
    child.expect_exact(EDITING)
    child.expect_exact("Premier point.")  # the note as it reads now
    child.send(" Deuxième point.")
    child.send(SAVE)
    assert ends(child)[0] == OK
    assert cell.case("a")["cell_note"] == "Premier point. Deuxième point."


# The summary and the district


def test_the_summary_shows_the_cell_fields(cell: Cli, lang: str):
    ref = cell.world.reference
    cell.ok("a", "case", "update", ref, "--participation", "proposée")
    note = "Note pour la réunion.\nSeconde ligne."
    given(cell, "case", "update", ref, "--cell-note", "-", typed=note)
    cell.note("a", "entretien", "Entretien du résumé", "--attendance", "excusé", "--for-cell")
    text = cell.ok("a", "case", "summary", ref, "--format", "md", "-o", "-").stdout
    words = {
        "fr": (
            "Adhésion : Proposée",
            "## Point de situation pour la cellule",
            "Rendez-vous excusé",
        ),
        "en": ("Participation: Proposed", "## Situation note for the group", "Appointment excused"),
    }[lang]
    assert all(word in text for word in words), text
    assert "Note pour la réunion." in text
    assert {"fr": "**Adressé à la cellule**", "en": "**Addressed to the group**"}[lang] in text
    screen = cell.ok("a", "case", "summary", ref).stdout
    lines = [line.strip(" │") for line in screen.splitlines()]
    assert "Note pour la réunion." in lines and "Seconde ligne." in lines  # its own lines
    assert "réunion.\\nSeconde" not in screen
    assert {"fr": "Adressé à la cellule", "en": "Addressed to the group"}[lang] in screen


def test_the_district_receives_the_cell_fields(cell: Cli, tmp_path: Path):
    ref = cell.world.reference
    cell.ok("a", "case", "update", ref, "--participation", "acceptée")
    given(cell, "case", "update", ref, "--cell-note", "-", typed="Pour la cellule du mois.")
    kept = cell.note("a", "entretien", "Entretien honoré", "--attendance", "honoré")
    addressed = cell.note("a", "appel", "Appel pour la cellule", "--for-cell")
    _, report = file_sync(cell.fk, cell.world, "a", f"cell-{tmp_path.name}")
    assert report["status"] == "ok" and not report.get("refused"), report
    district = cell.district_case()
    assert (district["participation"], district["cell_note"]) == (
        "accepted",
        "Pour la cellule du mois.",
    )
    followups = {f["id"]: f for f in district["followups"]}
    assert followups[kept]["attendance"] == "kept"
    assert followups[addressed]["for_cell"] is True
    assert json.dumps(district)  # the district's JSON stays JSON


def test_a_cell_note_with_control_characters_is_shown_written_out(cell: Cli):
    ref = cell.world.reference
    hostile = "Avant \x1b[2J effacement \u202e inversé"
    given(cell, "case", "update", ref, "--cell-note", "-", typed=hostile)
    assert cell.case("a")["cell_note"] == hostile  # stored as typed: it is data
    for args in (
        ["case", "show", ref],
        ["case", "summary", ref],
        ["case", "summary", ref, "-f", "md", "-o", "-"],
    ):
        screen = cell.ok("a", *args).stdout
        assert "\x1b" not in screen and "\u202e" not in screen, args
        assert "effacement" in screen and "inversé" in screen
