"""A worker's first day at a real terminal, typed as she would type it, in French and
in English.

Léa opens a bash at a pseudo-terminal (tests/e2e/terminal.py) and, through the real
`fieldkit` against a real district server on 127.0.0.1: creates her store, enrols with
the code the district handed her, syncs, opens a working session, records a follow-up
whose kind she picks from the numbered menu (a misspelt kind is asked again) and whose
summary she types over several lines in the editor, gives up a text with Ctrl-C after
first refusing to, corrects a follow-up in the editor, finds a case by a name typed
without accents, withdraws a follow-up, adds goals and marks one done, and prints the
summary to PDF.

Everything the screen showed is then judged as a whole: in French, no word of the
English screens (Usage, Options, Error, Aborted, Missing, Invalid, required, default),
no worker id (wk-…) and no 32-hex id; in English, the same ids rule and the English
texts. `--json` is never typed: it is the one place ids belong.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE
from tests.e2e.daywork import DayWorld
from tests.e2e.terminal import Terminal
from tests.world import use_fast_kdf

ENGLISH_WORDS = re.compile(r"\b(Usage|Options|Error|Aborted|Missing|Invalid|required|default)\b")
WORKER_ID = re.compile(r"\bwk-[0-9a-z]{4,}")
LONG_ID = re.compile(r"\b[0-9a-f]{32}\b")
ESC_ENTER = "\x1b\r"

# What the screen says at each step, in each language.
SAYS = {
    "fr": {
        "passphrase": "hrase de passe : ",
        "menu": "Type de suivi",
        "answer": "Numéro (1–8) ou mot",
        "unknown": "« entretient » n'est pas un type connu (choisir 1–8)",
        "typo": "entretient",
        "editor": "Échap puis Entrée pour enregistrer",
        "discard": "Abandonner ce texte ?",
        "yes": "o",
        "nothing": "rien n'a été enregistré",
        "added": "enregistré",
        "found": "Hélène Petit",
        "search": "helene",
        "withdrawn": "retiré",
        "kind_call": "appel",
        "reason_prompt": "Pourquoi le suivi est-il retiré",
        "goal_prompt": "Objectif",
        "came": "La personne est-elle venue",
    },
    "en": {
        "passphrase": "assphrase: ",
        "menu": "Kind of follow-up",
        "answer": "Number (1–8) or word",
        "unknown": "'interveiw' is not a known kind (choose 1–8)",
        "typo": "interveiw",
        "editor": "Esc then Enter to save",
        "discard": "Discard this text?",
        "yes": "y",
        "nothing": "nothing was recorded",
        "added": "recorded",
        "found": "Hélène Petit",
        "search": "helene",
        "withdrawn": "withdrawn",
        "kind_call": "phone-call",
        "reason_prompt": "Why is the follow-up withdrawn",
        "goal_prompt": "Goal",
        "came": "Did the person keep",
    },
}


@pytest.fixture
def day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    use_fast_kdf(monkeypatch)
    world = DayWorld(tmp_path, request.param)
    env = dict(world.env, ENROL_CODE=world.code, ENROL_SERVER=world.net.server.url)
    terminal = Terminal(env, str(tmp_path))
    try:
        yield world, terminal, request.param
    finally:
        terminal.close()
        world.stop()


def give_passphrase(terminal: Terminal, says: dict[str, str], times: int = 1) -> None:
    for _ in range(times):
        terminal.expect(says["passphrase"])
        terminal.answer(PASSPHRASE)


def ok(terminal: Terminal) -> None:
    """The command that just ended at the prompt succeeded."""
    assert terminal.exit_code() == 0, terminal.transcript()[-2000:]


@pytest.mark.parametrize("day", ["fr", "en"], indirect=True)
def test_a_workers_first_day_at_the_terminal(day) -> None:
    world, term, language = day
    says = SAYS[language]

    # The first day: the store, the enrolment, the cases.
    term.type("fieldkit init")
    give_passphrase(term, says, times=2)
    term.wait_prompt()
    ok(term)
    for line in ('fieldkit enrol "$ENROL_CODE" --server "$ENROL_SERVER"', "fieldkit sync"):
        term.type(line)
        give_passphrase(term, says)
        term.wait_prompt()
        ok(term)

    # A working session: the passphrase once.
    term.type('eval "$(fieldkit unlock)"')
    give_passphrase(term, says)
    term.wait_prompt()
    ok(term)
    session = dict(world.env, FIELDKIT_SESSION=term.run("echo $FIELDKIT_SESSION").split()[-1])

    # A follow-up: the kind from the menu (a typo first), the summary in the editor.
    term.type(f"fieldkit followup add {world.durand}")
    term.expect(says["menu"])
    term.expect(says["answer"])
    term.answer(says["typo"])
    term.expect(says["unknown"])
    term.expect(says["answer"])
    term.answer("1")
    term.expect(says["came"])  # a contact: did the person come? (1. kept)
    term.answer("1")
    term.expect(says["editor"])
    term.send("Entretien au local de l'UT.\rReprise de formation évoquée.")
    term.send(ESC_ENTER)
    term.wait_prompt()
    ok(term)
    (first,) = world.json("followup", "list", world.durand, env=session)
    assert (first["kind"], first["attendance"]) == ("interview", "kept")
    assert first["summary"] == "Entretien au local de l'UT.\nReprise de formation évoquée."

    # Ctrl-C in the editor, refused: the text is still there and is saved.
    term.type(f"fieldkit followup add {world.durand} --kind appel")
    term.expect(says["came"])
    term.answer("1")
    term.expect(says["editor"])
    term.send("Appel de la mère")
    term.ctrl("c")
    term.expect(says["discard"])
    term.answer("n")
    term.send(" : rendez-vous confirmé.")
    term.send(ESC_ENTER)
    term.wait_prompt()
    ok(term)
    summaries = [f["summary"] for f in world.json("followup", "list", world.durand, env=session)]
    assert "Appel de la mère : rendez-vous confirmé." in summaries

    # Ctrl-C in the editor, confirmed: nothing recorded.
    term.type(f"fieldkit followup add {world.petit} --kind visite")
    term.expect(says["came"])
    term.answer("2")
    term.expect(says["editor"])
    term.send("Texte commencé puis abandonné")
    term.ctrl("c")
    term.expect(says["discard"])
    term.answer(says["yes"])
    term.expect(says["nothing"])
    term.wait_prompt()
    assert world.json("followup", "list", world.petit, env=session) == []

    # An amendment, edited in place: the current text is in the editor.
    call = world.last_followup(session)
    term.type(f"fieldkit followup amend {call}")
    term.expect(says["editor"])
    term.send(" Prochain rendez-vous lundi.")
    term.send(ESC_ENTER)
    term.wait_prompt()
    ok(term)
    amended = world.json("followup", "show", call, env=session)
    assert amended["summary"] == (
        "Appel de la mère : rendez-vous confirmé. Prochain rendez-vous lundi."
    )

    # A case found by a name typed without accents.
    shown = term.run(f"fieldkit case list --search {says['search']}")
    ok(term)
    assert says["found"] in shown and "Amélie Durand" not in shown
    term.run(
        f"fieldkit followup add {says['search']} --kind entretien --summary - <<'FIN'\n"
        "Entretien avec Hélène et sa mère.\nFIN"
    )
    ok(term)

    # A withdrawal: the reason typed in the editor; the follow-up stays, struck.
    wrong = world.last_followup(session)
    term.type(f"fieldkit followup withdraw {wrong}")
    term.expect(says["reason_prompt"])
    term.expect(says["editor"])
    term.send("Saisi sur le mauvais dossier.")
    term.send(ESC_ENTER)
    term.wait_prompt()
    ok(term)
    listed = term.run(f"fieldkit followup list {world.petit}")
    assert says["withdrawn"] in listed

    # Goals: two added (typed in the editor), the first one done.
    for goal in ("Reprendre une formation", "Renouer avec le club de sport"):
        term.type("fieldkit case goal add durand")
        term.expect(says["goal_prompt"])
        term.expect(says["editor"])
        term.send(goal)
        term.send(ESC_ENTER)
        term.wait_prompt()
        ok(term)
    term.run("fieldkit case goal done durand 1")
    ok(term)
    goals = world.json("case", "show", world.durand, env=session)["goals"]
    assert [g["state"] for g in goals] == ["achieved", "open"]

    # The summary to PDF, then the end of the day.
    pdf = Path(world.home.parent) / "durand.pdf"
    term.run(f"fieldkit case summary durand --format pdf -o {pdf}")
    ok(term)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Reprise de formation" in text
    term.run("fieldkit lock")
    ok(term)

    screen = term.transcript()
    assert not WORKER_ID.search(screen), WORKER_ID.search(screen)
    assert not LONG_ID.search(screen), LONG_ID.search(screen)
    if language == "fr":
        english = ENGLISH_WORDS.search(screen)
        assert english is None, screen[max(0, english.start() - 300) : english.end() + 100]
