"""The yes/no confirmation (fieldkit/commands/prompts.py), at a real terminal and in-process:
[o/N] in French, [y/N] in English; o, oui, y, yes and n, non, no understood whatever the
case and accents; another answer asks again; Ctrl-C or Ctrl-D means no, nothing done.

And the numbered menus, in-process (at a real terminal: tests/e2e/test_terminal_prompts.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pexpect
import pytest
from typer.testing import CliRunner

from fieldkit import i18n
from fieldkit.cli import app
from fieldkit.commands.common import AppState
from fieldkit.commands.prompts import INTERRUPTED, menu_answer, menu_lines
from fieldkit.enums import ConcernLevel, FollowUpKind
from fieldkit.errors import ERROR, OK, USAGE
from tests.conftest import PASSPHRASE


def _after_today() -> str:
    """A cut-off after every case closed so far, read when it is used: a run that crosses
    midnight must not leave the cases it just closed on the wrong side of it."""
    return (date.today() + timedelta(days=2)).isoformat()


def _fieldkit(home: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "fieldkit", "--home", str(home), "district", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "FIELDKIT_PASSPHRASE": PASSPHRASE},
        timeout=60,
        check=True,
    )
    return result.stdout


def _closed_case(home: Path) -> str:
    added = json.loads(
        _fieldkit(home, "case", "add", "--name", "Personne", "--unit", "UT", "--json")
    )
    _fieldkit(home, "case", "close", added["reference"], "--reason", "Fin")
    return added["reference"]


def _due(home: Path) -> list[str]:
    listed = json.loads(
        _fieldkit(home, "purge", "--closed-before", _after_today(), "--dry-run", "--json")
    )
    return [case["reference"] for case in listed["cases"]]


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("district")
    _fieldkit(home, "init", "--name", "District")
    return home


def _purge_at_terminal(home: Path, language: str) -> pexpect.spawn:
    env = {**os.environ, "FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_LANG": language}
    env["NO_COLOR"] = "1"
    return pexpect.spawn(
        sys.executable,
        [
            "-m",
            "fieldkit",
            "--home",
            str(home),
            "district",
            "purge",
            "--closed-before",
            _after_today(),
        ],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )


def _ends(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


@pytest.mark.parametrize(
    ("answer", "language"),
    [("n", "fr"), ("non", "fr"), ("NON", "fr"), ("", "fr"), ("no", "en"), ("n", "en")],
)
def test_at_a_terminal_no_purges_nothing(district: Path, answer: str, language: str):
    if not _due(district):
        _closed_case(district)
    due = _due(district)
    child = _purge_at_terminal(district, language)
    child.expect_exact("[o/N]" if language == "fr" else "[y/N]")
    child.sendline(answer)
    child.expect_exact("Rien n'a été purgé" if language == "fr" else "Nothing was purged")
    assert _ends(child) == ERROR
    assert _due(district) == due


@pytest.mark.parametrize("key", ["intr", "eof"])
def test_ctrl_c_or_ctrl_d_at_the_question_is_no(district: Path, key: str):
    if not _due(district):
        _closed_case(district)
    due = _due(district)
    child = _purge_at_terminal(district, "fr")
    child.expect_exact("[o/N]")
    child.sendintr() if key == "intr" else child.sendeof()
    child.expect_exact("Rien n'a été purgé")
    assert _ends(child) == ERROR
    assert _due(district) == due


def test_another_answer_asks_again(district: Path):
    if not _due(district):
        _closed_case(district)
    due = _due(district)
    child = _purge_at_terminal(district, "fr")
    child.expect_exact("[o/N]")
    child.sendline("peut-être")
    child.expect_exact("répondez o (oui) ou n (non)")
    child.expect_exact("[o/N]")
    child.sendline("non")
    child.expect_exact("Rien n'a été purgé")
    assert _ends(child) == ERROR
    assert _due(district) == due


@pytest.mark.parametrize(
    ("answer", "language"), [("o", "fr"), ("oui", "fr"), ("Oui", "fr"), ("y", "en"), ("yes", "en")]
)
def test_at_a_terminal_yes_purges(district: Path, answer: str, language: str):
    reference = _closed_case(district)
    child = _purge_at_terminal(district, language)
    child.expect_exact("[o/N]" if language == "fr" else "[y/N]")
    child.sendline(answer)
    assert _ends(child) == OK
    assert reference not in _due(district) and _due(district) == []


@pytest.mark.parametrize(
    ("typed", "purged"),
    [
        ("OUI\n", True),
        (" oui \n", True),
        ("öui\n", True),  # accents ignored
        ("Yes\n", True),
        ("nön\n", False),
        ("No\n", False),
        ("\n", False),
        ("bof\nsi\no\n", True),  # asked again until the answer is known
    ],
)
def test_the_answer_is_read_without_case_or_accents(district: Path, typed: str, purged: bool):
    if not _due(district):
        _closed_case(district)
    result = CliRunner().invoke(
        app,
        ["--home", str(district), "district", "purge", "--closed-before", _after_today()],
        input=typed,
        obj=AppState(stdin_isatty=True, stderr_isatty=True),  # as at a terminal
        env={"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_LANG": "fr"},
    )
    assert result.exit_code == (0 if purged else ERROR), result.output
    assert (_due(district) == []) is purged
    asked = result.stderr.count("[o/N]")
    assert asked == typed.count("\n")  # one question per answer given


# The numbered menus (fieldkit/commands/prompts.py `choose`): the answer is the number of
# a line or a word of either language; anything else is no answer.


@pytest.mark.parametrize(
    ("answer", "meant"),
    [
        ("1", FollowUpKind.INTERVIEW),
        (" 8 ", FollowUpKind.CONCERN),
        ("2", FollowUpKind.HOME_VISIT),
        ("entretien", FollowUpKind.INTERVIEW),
        ("Visite à domicile", FollowUpKind.HOME_VISIT),
        ("inquietude", FollowUpKind.CONCERN),  # without its accent
        ("phone-call", FollowUpKind.PHONE_CALL),  # the English code
        ("call", FollowUpKind.PHONE_CALL),
    ],
)
def test_a_menu_answer_is_a_number_or_a_word_of_either_language(answer: str, meant):
    assert menu_answer(FollowUpKind, answer) is meant


@pytest.mark.parametrize("answer", ["", "   ", "0", "9", "-1", "1.5", "entretient", "²"])
def test_any_other_menu_answer_means_nothing(answer: str):
    assert menu_answer(FollowUpKind, answer) is None


@pytest.mark.parametrize(
    ("language", "lines"),
    [
        ("fr", ["Niveau d'inquiétude", "  1. faible", "  2. moyen", "  3. élevé"]),
        ("en", ["Concern level", "  1. low", "  2. medium", "  3. high"]),
    ],
)
def test_the_menu_lists_the_choices_in_the_language_of_the_screen(
    monkeypatch: pytest.MonkeyPatch, language: str, lines: list[str]
):
    monkeypatch.setenv("FIELDKIT_LANG", language)
    i18n.reset()
    assert menu_lines(ConcernLevel) == lines
    assert len(menu_lines(FollowUpKind)) == 1 + len(FollowUpKind)


def _add_at_a_terminal(home: Path, typed: str, language: str = "fr"):
    """`followup add` with no kind, its runner's streams said to be a terminal."""
    return CliRunner().invoke(
        app,
        ["--home", str(home), "followup", "add", "CO-2026-0001", "--summary", "Vu"],
        input=typed,
        obj=AppState(stdin_isatty=True, stderr_isatty=True),
        env={"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_LANG": language},
    )


@pytest.mark.parametrize("language", ["fr", "en"])
def test_three_wrong_menu_answers_are_a_usage_error_that_names_no_flag(
    tmp_path: Path, language: str
):
    result = _add_at_a_terminal(tmp_path, "entretient\n\n42\n", language)
    assert result.exit_code == USAGE
    *asked, last = result.stderr.strip().splitlines()
    unknown = (
        "Type de suivi : « {} » n'est pas un type connu (choisir 1–8)"
        if language == "fr"
        else "Kind of follow-up: '{}' is not a known kind (choose 1–8)"
    )
    assert last == "fieldkit: " + unknown.format("42")
    assert unknown.format("entretient") in asked and unknown.format("") in asked
    assert "--kind" not in result.stderr
    # Asked three times, the menu shown once; the store was never reached.
    assert result.stderr.count("1–8) ") == 3 and result.stderr.count("  1. ") == 1
    assert not (tmp_path / "worker.db").exists()


def test_the_end_of_input_at_a_menu_says_nothing_was_recorded(tmp_path: Path):
    result = _add_at_a_terminal(tmp_path, "nope\n")  # then nothing more: Ctrl-D
    assert result.exit_code == INTERRUPTED
    assert result.stderr.strip().splitlines()[-1] == "Interrompu : rien n'a été enregistré."
    assert "Aborted" not in result.output


def test_a_typed_control_character_in_a_wrong_answer_is_written_out(tmp_path: Path):
    result = _add_at_a_terminal(tmp_path, "\x1b[2J\n1\n")
    [unknown] = [line for line in result.stderr.splitlines() if line.startswith("Type de suivi :")]
    assert unknown == "Type de suivi : « \\x1b[2J » n'est pas un type connu (choisir 1–8)"
