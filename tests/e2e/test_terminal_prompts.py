"""The questions fieldkit asks at a real terminal (a pseudo-terminal, pexpect), in French
and in English: a missing choice is a numbered menu (answered by number or by word, asked
again, three wrong answers end with one line that names no flag); a long text is typed
in the editor inside the terminal (several lines, Esc then Enter saves, Ctrl-C asks
before discarding); `followup amend ID` edits the text as it reads now; `--summary -`
says how to end the input; Ctrl-C or Ctrl-D at any question records nothing, says so in
one line and exits INTERRUPTED, with no traceback and no click "Aborted!".

One world (a district, two enrolled workers with sessions, a case) for the module; each
test counts the follow-ups before and after.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest

from fieldkit.cli import app
from fieldkit.commands.common import AppState
from fieldkit.commands.prompts import INTERRUPTED
from fieldkit.errors import NOT_FOUND, OK, REFUSED, USAGE
from tests.conftest import PASSPHRASE
from tests.world import Fieldkit, World, cli_world, file_sync, use_fast_kdf

# Generous: the machine running the suite may be loaded; a test waits only as long as
# the program needs.
TIMEOUT = 60
# prompt_toolkit's keys: Esc then Enter saves the text; a paste as a terminal marks it.
SAVE = "\x1b\r"
CTRL_C, CTRL_D = "\x03", "\x04"
EDITING = "\x1b[?2004h"  # the editor has the terminal: bracketed paste is on

TEXTS = {
    "fr": {
        "menu": "Numéro (1–8) ou mot",
        "first": "1. entretien",
        "finish": "Échap puis Entrée pour enregistrer, Ctrl-C pour abandonner",
        "discard": "Abandonner ce texte ? [o/N]",
        "yes": "o",
        "nothing": "Interrompu : rien n'a été enregistré.",
        "unknown": "Type de suivi : « {value} » n'est pas un type connu (choisir 1–8)",
        "saved": "Suivi",
        "stdin": "Tapez le texte, puis Ctrl-D sur une ligne vide pour terminer.",
        "unchanged": "Texte inchangé : rien n'a été enregistré.",
        "empty": "Le texte est vide",
        "passphrase": "phrase de passe",
        "attendance": "La personne est-elle venue au rendez-vous",
    },
    "en": {
        "menu": "Number (1–8) or word",
        "first": "1. interview",
        "finish": "Esc then Enter to save, Ctrl-C to give up",
        "discard": "Discard this text? [y/N]",
        "yes": "y",
        "nothing": "Interrupted: nothing was recorded.",
        "unknown": "Kind of follow-up: '{value}' is not a known kind (choose 1–8)",
        "saved": "Follow-up",
        "stdin": "Type the text, then Ctrl-D on an empty line to finish.",
        "unchanged": "Text unchanged: nothing was recorded.",
        "empty": "The text is empty",
        "passphrase": "assphrase",
        "attendance": "Did the person keep the appointment",
    },
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as patch:
        use_fast_kdf(patch)
        yield cli_world(tmp_path_factory.mktemp("prompts"), Fieldkit(), sessions=True)


@dataclass
class Terminal:
    """Worker a's store, driven through `fieldkit` at a pseudo-terminal."""

    world: World
    language: str

    @property
    def texts(self) -> dict[str, str]:
        return TEXTS[self.language]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
        env.update(
            FIELDKIT_SESSION=self.world.sessions["a"],
            FIELDKIT_LANG=self.language,
            NO_COLOR="1",
            LANG="C.UTF-8",
            # pexpect answers no cursor position request; prompt_toolkit need not ask.
            PROMPT_TOOLKIT_NO_CPR="1",
        )
        return env

    def spawn(self, *args: str, home: Path | None = None) -> pexpect.spawn:
        home = home or self.world.homes["a"]
        return pexpect.spawn(
            sys.executable,
            ["-m", "fieldkit", "--home", str(home), *args],
            env=self.env(),
            encoding="utf-8",
            timeout=TIMEOUT,
            dimensions=(40, 200),
        )

    def add(self, *args: str) -> pexpect.spawn:
        return self.spawn("followup", "add", self.world.reference, *args)

    def followups(self) -> list[dict]:
        """`followup list --json` of the case, run outside the terminal."""
        result = Fieldkit().run(
            self.world.homes["a"],
            "followup",
            "list",
            self.world.reference,
            "--json",
            session=self.world.sessions["a"],
        )
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def added(self, before: list[dict]) -> dict:
        """The one follow-up recorded since `before`."""
        known = {f["id"] for f in before}
        new = [f for f in self.followups() if f["id"] not in known]
        assert len(new) == 1, new
        return new[0]


@pytest.fixture(params=["fr", "en"])
def term(world: World, request: pytest.FixtureRequest) -> Terminal:
    return Terminal(world, request.param)


@pytest.fixture
def fr(world: World) -> Terminal:
    return Terminal(world, "fr")


def ends(child: pexpect.spawn) -> tuple[int, str]:
    """The exit status and what the program wrote after the last expectation."""
    child.expect(pexpect.EOF)
    rest = child.before
    child.close()
    return child.exitstatus, rest


def editor(child: pexpect.spawn, finish: str) -> None:
    """Wait for the editor: its line saying how to finish, then the terminal in its
    hands (it turns bracketed paste on once the terminal is raw; keys sent earlier would
    reach the terminal's own line editing, where Ctrl-C is a signal)."""
    child.expect_exact(finish)
    child.expect_exact(EDITING)


def type_text(child: pexpect.spawn, *lines: str) -> None:
    """Lines typed in the editor, one Enter between them (a new line, not the end)."""
    child.send("\r".join(lines))


def saved(child: pexpect.spawn) -> None:
    child.send(SAVE)


def came(child: pexpect.spawn, term: Terminal, answer: str = "1") -> None:
    """The question a contact typed at the terminal asks before its text: did the
    person come? (1. kept, 2. missed, 3. excused)"""
    child.expect_exact(term.texts["attendance"])
    child.expect_exact("3. ")
    child.sendline(answer)


def test_a_missing_kind_is_a_numbered_menu_answered_by_number(term: Terminal):
    before = term.followups()
    child = term.add()
    child.expect_exact(term.texts["first"])
    child.expect_exact(term.texts["menu"])
    child.sendline("3")
    came(child, term, "1")
    editor(child, term.texts["finish"])
    type_text(child, "Appel de la mère", "rendez-vous pris")
    saved(child)
    status, _ = ends(child)
    assert status == OK
    item = term.added(before)
    assert (item["kind"], item["attendance"]) == ("phone-call", "kept")
    assert item["summary"] == "Appel de la mère\nrendez-vous pris"  # the new line is kept


def test_the_menu_takes_a_french_word_after_asking_again_for_a_wrong_one(fr: Terminal):
    before = fr.followups()
    child = fr.add()
    child.expect_exact(fr.texts["menu"])
    child.sendline("entretient")
    child.expect_exact(fr.texts["unknown"].format(value="entretient"))
    child.expect_exact(fr.texts["menu"])
    child.sendline("Inquiétude")
    child.expect_exact("Niveau d'inquiétude")  # a concern asks its level, as a menu too
    child.expect_exact("3. élevé")
    child.expect_exact("Numéro (1–3) ou mot")
    child.sendline("eleve")  # without its accents
    editor(child, fr.texts["finish"])
    type_text(child, "Propos inquiétants en classe")
    saved(child)
    child.expect_exact("Adresser ce signalement à la cellule ? [o/N]")  # a high concern asks
    child.sendline("o")
    assert ends(child)[0] == OK
    item = fr.added(before)
    assert (item["kind"], item["concern_level"], item["for_cell"]) == ("concern", "high", True)


def test_three_wrong_answers_end_with_a_line_that_names_no_flag(term: Terminal):
    before = term.followups()
    child = term.add()
    for answer in ("entretient", "9", "0"):
        child.expect_exact(term.texts["menu"])
        child.sendline(answer)
    status, rest = ends(child)
    assert status == USAGE
    assert term.texts["unknown"].format(value="0") in rest
    assert "--kind" not in rest and "Traceback" not in rest
    assert term.followups() == before  # nothing recorded


@pytest.mark.parametrize("key", [CTRL_C, CTRL_D], ids=["ctrl-c", "ctrl-d"])
def test_ctrl_c_or_ctrl_d_at_the_menu_records_nothing(term: Terminal, key: str):
    before = term.followups()
    child = term.add()
    child.expect_exact(term.texts["menu"])
    child.send(key)
    child.expect_exact(term.texts["nothing"])
    status, rest = ends(child)
    assert status == INTERRUPTED
    assert "Aborted" not in child.before and "Traceback" not in rest
    assert term.followups() == before


def test_a_contact_typed_at_the_terminal_asks_whether_the_person_came(fr: Terminal):
    before = fr.followups()
    child = fr.add("--kind", "visite")
    child.expect_exact(fr.texts["attendance"])
    child.expect_exact("1. honoré")
    child.expect_exact("2. manqué")
    child.sendline("venu")  # not a word of the list: asked again
    child.expect_exact("Présence : « venu » n'est pas une réponse connue (choisir 1–3)")
    child.sendline("manque")  # without its accent
    editor(child, fr.texts["finish"])
    type_text(child, "Personne absente au domicile, avis de passage laissé")
    saved(child)
    assert ends(child)[0] == OK
    item = fr.added(before)
    assert (item["kind"], item["attendance"]) == ("home-visit", "missed")


@pytest.mark.parametrize("key", [CTRL_C, CTRL_D], ids=["ctrl-c", "ctrl-d"])
def test_ctrl_c_at_the_attendance_question_records_nothing(term: Terminal, key: str):
    before = term.followups()
    child = term.add("--kind", "interview")
    child.expect_exact(term.texts["attendance"])
    child.send(key)
    child.expect_exact(term.texts["nothing"])
    assert ends(child)[0] == INTERRUPTED
    assert term.followups() == before


def test_an_orientation_asks_no_attendance_and_a_given_summary_asks_nothing(fr: Terminal):
    before = fr.followups()
    child = fr.add("--kind", "orientation")
    editor(child, fr.texts["finish"])
    type_text(child, "Orientation vers la mission locale")
    saved(child)
    assert ends(child)[0] == OK
    assert fr.added(before).get("attendance") is None
    before = fr.followups()
    child = fr.add("--kind", "entretien", "--summary", "Entretien bref")
    assert ends(child)[0] == OK  # everything given: no question
    assert fr.added(before).get("attendance") is None


def test_ctrl_c_in_the_editor_refused_keeps_the_text_and_it_is_saved(term: Terminal):
    before = term.followups()
    child = term.add("--kind", "interview")
    came(child, term)
    editor(child, term.texts["finish"])
    type_text(child, "Entretien au collège", "avec la CPE")
    child.send(CTRL_C)
    child.expect_exact(term.texts["discard"])
    child.sendline("n")  # no: back to the text, as it was
    child.expect_exact(EDITING)
    type_text(child, " et le père")
    saved(child)
    assert ends(child)[0] == OK
    assert term.added(before)["summary"] == "Entretien au collège\navec la CPE et le père"


def test_ctrl_c_in_the_editor_confirmed_records_nothing(term: Terminal):
    before = term.followups()
    child = term.add("--kind", "interview")
    came(child, term)
    editor(child, term.texts["finish"])
    type_text(child, "Un texte à abandonner")
    child.send(CTRL_C)
    child.expect_exact(term.texts["discard"])
    child.sendline(term.texts["yes"])
    child.expect_exact(term.texts["nothing"])
    assert ends(child)[0] == INTERRUPTED
    assert term.followups() == before


def test_an_empty_text_is_asked_again(fr: Terminal):
    before = fr.followups()
    child = fr.add("--kind", "appel")
    came(child, fr)
    editor(child, fr.texts["finish"])
    saved(child)
    child.expect_exact(fr.texts["empty"])
    child.expect_exact(EDITING)
    type_text(child, "Appel bref")
    saved(child)
    assert ends(child)[0] == OK
    assert fr.added(before)["summary"] == "Appel bref"


def test_pasted_escape_sequences_are_kept_as_text_and_shown_written_out(fr: Terminal):
    before = fr.followups()
    child = fr.add("--kind", "entretien")
    came(child, fr)
    editor(child, fr.texts["finish"])
    screen = io.StringIO()
    child.logfile_read = screen
    # A paste, as a terminal marks it: the window-title sequence inside is text.
    child.send("Vu \x1b[200~\x1b]0;X\x07 collé\u202e\x1b[201~")
    child.expect_exact("<U+202E>")  # on screen: written out, as every command shows it
    saved(child)
    assert ends(child)[0] == OK
    shown = screen.getvalue()
    assert "\\x1b" in shown and "\\x07" in shown
    assert "\x1b]0;" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert fr.added(before)["summary"] == "Vu \x1b]0;X\x07 collé\u202e"  # kept exactly


def _recorded(term: Terminal, summary: str) -> str:
    before = term.followups()
    result = Fieldkit().run(
        term.world.homes["a"],
        "followup",
        "add",
        term.world.reference,
        "--kind",
        "interview",
        "--summary",
        summary,
        session=term.world.sessions["a"],
    )
    assert result.exit_code == 0, result.output
    return term.added(before)["id"]


def _shown(term: Terminal, followup_id: str) -> dict:
    [item] = [f for f in term.followups() if f["id"] == followup_id]
    return item


def test_amend_opens_the_current_text_and_saves_the_edit(term: Terminal):
    followup_id = _recorded(term, "Visite prévue mardi")
    child = term.spawn("followup", "amend", followup_id[:8])
    editor(child, term.texts["finish"])
    child.expect_exact("Visite prévue mardi")  # the text as it reads now, to correct
    child.send("\x7f" * len("mardi"))  # Backspace over the wrong day
    type_text(child, "jeudi", "(déplacée)")
    saved(child)
    assert ends(child)[0] == OK
    item = _shown(term, followup_id)
    assert item["summary"] == "Visite prévue jeudi\n(déplacée)"
    assert item["original"]["summary"] == "Visite prévue mardi" and item["amended"]


def test_amend_saved_unchanged_records_nothing(fr: Terminal):
    followup_id = _recorded(fr, "Rien à changer")
    child = fr.spawn("followup", "amend", followup_id[:8])
    editor(child, fr.texts["finish"])
    child.expect_exact("Rien à changer")
    saved(child)
    child.expect_exact(fr.texts["unchanged"])
    assert ends(child)[0] == OK
    assert not _shown(fr, followup_id)["amended"]


def test_summary_dash_at_a_terminal_says_how_to_end_the_input(term: Terminal):
    before = term.followups()
    child = term.add("--kind", "interview", "--summary", "-")
    child.expect_exact(term.texts["stdin"])
    child.sendline("Lu sur l'entrée standard")
    child.sendline("seconde ligne")
    child.sendeof()
    assert ends(child)[0] == OK
    assert term.added(before)["summary"] == "Lu sur l'entrée standard\nseconde ligne"


@pytest.mark.parametrize("key", [CTRL_C, CTRL_D], ids=["ctrl-c", "ctrl-d"])
def test_ctrl_c_or_ctrl_d_at_the_passphrase_of_init_creates_nothing(
    term: Terminal, tmp_path: Path, key: str
):
    home = tmp_path / "new"
    child = term.spawn("init", home=home)
    child.expect_exact(term.texts["passphrase"])
    child.send(key)
    child.expect_exact(term.texts["nothing"])
    status, rest = ends(child)
    assert status == INTERRUPTED and "Traceback" not in rest
    assert not home.exists() or not any(home.iterdir())


def test_ctrl_c_at_the_repeated_passphrase_creates_nothing(fr: Terminal, tmp_path: Path):
    home = tmp_path / "new"
    child = fr.spawn("init", home=home)
    child.expect_exact("phrase de passe")
    child.sendline(PASSPHRASE)
    child.expect_exact("phrase de passe")
    child.sendintr()
    child.expect_exact(fr.texts["nothing"])
    assert ends(child)[0] == INTERRUPTED
    assert not home.exists() or not any(home.iterdir())


def test_case_update_with_nothing_given_edits_the_situation(fr: Terminal):
    reference = fr.world.reference
    child = fr.spawn("case", "update", reference)
    editor(child, fr.texts["finish"])
    type_text(child, "Scolarité reprise", "suivi par la CPE")
    saved(child)
    assert ends(child)[0] == OK
    shown = Fieldkit().json(
        fr.world.homes["a"], "case", "show", reference, session=fr.world.sessions["a"]
    )
    assert shown["situation"] == "Scolarité reprise\nsuivi par la CPE"


def test_amend_by_another_worker_is_refused_before_any_text_is_typed(fr: Terminal):
    followup_id = _recorded(fr, "Écrit par Léa")
    fk = Fieldkit()
    file_sync(fk, fr.world, "a", "amend-a")
    file_sync(fk, fr.world, "b", "amend-b")
    result = fk.runner.invoke(
        app,
        ["--home", str(fr.world.homes["b"]), "followup", "amend", followup_id[:8]],
        obj=AppState(stdin_isatty=True, stderr_isatty=True),  # as at a terminal
        env={"FIELDKIT_SESSION": fr.world.sessions["b"], "FIELDKIT_LANG": "fr"},
    )
    # Refused at once: no text asked for (the runner's input is empty: a question
    # would have ended as interrupted).
    assert result.exit_code == REFUSED, result.output
    assert "Compte rendu" not in result.stderr


def test_a_case_that_does_not_exist_is_said_before_any_text_is_typed(fr: Terminal):
    """A mistyped CASE at a terminal: the error comes before the editor opens, so no
    text is typed only to be thrown away."""
    result = Fieldkit().runner.invoke(
        app,
        ["--home", str(fr.world.homes["a"]), "followup", "add", "personne-inconnue"],
        input="1\n",  # the kind, from the menu
        obj=AppState(stdin_isatty=True, stderr_isatty=True),  # as at a terminal
        env={"FIELDKIT_SESSION": fr.world.sessions["a"], "FIELDKIT_LANG": "fr"},
    )
    assert result.exit_code == NOT_FOUND, result.output
    assert "Compte rendu" not in result.stderr
