"""A district command that takes a text typed at a terminal asks the passphrase first,
then the text (a pseudo-terminal, pexpect): a person who types the passphrase first does
not type it into the editor, and a wrong passphrase loses no text typed. A wrong meeting
or case is said before the text is typed too. On both district backends
(tests/district/conftest.py).
"""

from __future__ import annotations

import os
import re
import sys
from datetime import date, timedelta
from pathlib import Path

import pexpect
import pytest

from fieldkit.errors import NOT_FOUND
from tests.conftest import PASSPHRASE
from tests.world import UNIT, Fieldkit, World, cli_world, use_fast_kdf

SAVE = "\x1b\r"  # Esc then Enter saves the editor's text
PASSPHRASE_PROMPT = "Phrase de passe"
FINISH = "Échap puis Entrée pour enregistrer"
fk = Fieldkit()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    use_fast_kdf(monkeypatch)
    return cli_world(tmp_path, fk)


def _spawn(world: World, *args: str) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    env.update(FIELDKIT_LANG="fr", NO_COLOR="1", LANG="C.UTF-8", PROMPT_TOOLKIT_NO_CPR="1")
    home = str(world.district_home)
    return pexpect.spawn(
        sys.executable,
        ["-m", "fieldkit", "--home", home, "district", *args],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )


def _passphrase_then_text(child: pexpect.spawn, label: str, text: str) -> str:
    """The passphrase is asked before the editor shows; then the text is typed. What the
    screen showed, once the command ended, and its exit status."""
    first = child.expect_exact([PASSPHRASE_PROMPT, label, FINISH])
    assert first == 0, child.before
    child.sendline(PASSPHRASE)
    child.expect_exact(label)
    child.expect_exact(FINISH)
    child.send(text)
    child.send(SAVE)
    child.expect(pexpect.EOF)
    shown = child.before or ""
    child.close()
    return shown


def _ended(child: pexpect.spawn) -> tuple[int, str]:
    child.expect(pexpect.EOF)
    shown = child.before or ""
    child.close()
    return child.exitstatus, shown


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("case", "close", "CO-2099-9999"), "aucun dossier CO-2099-9999"),
        (("case", "suspend", "CO-2099-9999"), "aucun dossier CO-2099-9999"),
        (("archive", "open", "CO-2099-9999"), "aucun dossier archivé « CO-2099-9999 »"),
    ],
)
def test_a_wrong_case_is_said_after_the_passphrase_and_before_the_text(
    world: World, args: tuple[str, ...], said: str
):
    child = _spawn(world, *args)
    assert child.expect_exact([PASSPHRASE_PROMPT, FINISH]) == 0
    child.sendline(PASSPHRASE)
    status, shown = _ended(child)
    assert status == NOT_FOUND, shown
    assert said in shown and FINISH not in shown


def test_case_suspend_reopen_and_close_ask_the_passphrase_then_the_reason(world: World):
    child = _spawn(world, "case", "suspend", world.reference)
    shown = _passphrase_then_text(child, "est-il suspendu", "Déménagement de la famille.")
    assert child.exitstatus == 0, shown
    child = _spawn(world, "case", "reopen", world.reference)
    shown = _passphrase_then_text(child, "redevient-il actif", "Retour de la famille.")
    assert child.exitstatus == 0, shown
    child = _spawn(world, "case", "close", world.reference)
    shown = _passphrase_then_text(child, "Pourquoi le dossier est-il clos", "Fin de suivi.")
    assert child.exitstatus == 0, shown
    case = fk.json(world.district_home, "district", "case", "show", world.reference)
    assert (case["status"], case["closure_reason"]) == ("closed", "Fin de suivi.")


def test_meeting_decide_and_amend_ask_the_passphrase_then_the_text(world: World):
    d = world.district_home
    day = (date.today() - timedelta(days=1)).isoformat()
    meeting = fk.json(d, "district", "meeting", "new", day)["reference"]

    child = _spawn(world, "meeting", "decide", meeting, world.reference, "--measure", "Suivi")
    note = "Point dans un mois avec la famille."
    shown = _passphrase_then_text(child, "Note pour l'équipe du dossier (facultative)", note)
    assert child.exitstatus == 0, shown
    assert re.search(r"[Dd]écision", shown), shown

    # A meeting still open cannot be amended: said after the passphrase, before the text.
    child = _spawn(world, "meeting", "amend", meeting)
    assert child.expect_exact([PASSPHRASE_PROMPT, FINISH]) == 0
    child.sendline(PASSPHRASE)
    status, shown = _ended(child)
    assert status != 0 and FINISH not in shown, shown

    fk.ok(d, "district", "meeting", "close", meeting)
    child = _spawn(world, "meeting", "amend", meeting)
    shown = _passphrase_then_text(
        child, "Pourquoi le compte rendu est-il modifié", "Mesure mal recopiée."
    )
    assert child.exitstatus == 0, shown
    amended = fk.json(d, "district", "meeting", "show", meeting)
    assert amended["amendments"] == 1, amended


def test_case_add_asks_the_passphrase_then_the_reason_for_referral(world: World):
    child = _spawn(world, "case", "add", "--name", "Nina Roux", "--unit", UNIT)
    shown = _passphrase_then_text(child, "Motif du signalement", "Signalement du collège.")
    assert child.exitstatus == 0, shown
    [added] = [
        c
        for c in fk.json(world.district_home, "district", "case", "list")
        if c["display_name"] == "Nina Roux"
    ]
    case = fk.json(world.district_home, "district", "case", "show", added["reference"])
    assert case["reason"] == "Signalement du collège."
