"""The interactive working session at a real terminal (pexpect), in French.

Léa types `fieldkit` alone: the passphrase once, then a prompt where she completes a
case's name typed without its accents, sets it as the current case, records follow-ups
without typing CASE (one summary over several lines in the editor), mistypes a command,
gives up a question with Ctrl-C, and sees the background sync against a real district
server change the status line; Ctrl-D ends the session and locks. Afterwards no file
under her store, her $HOME, the temporary directories or /dev/shm holds a word she
typed. The idle lock runs under libfaketime (time sped up), and the same commands run
once in a session and once one by one leave the same content in two stores.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pexpect
import pyte
import pytest

from fieldkit.errors import LOCKED, USAGE
from tests.conftest import PASSPHRASE
from tests.e2e.conftest import Net
from tests.e2e.terminal import screen_text
from tests.world import CASE_NAME, Fieldkit, cli_world, use_fast_kdf

TIMEOUT = 60
SAVE = "\x1b\r"  # Esc then Enter: the editor saves
EDITING = "\x1b[?2004h"  # prompt_toolkit has the terminal (bracketed paste on)
FAKETIME_LIBS = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
)


def pattern(text: str) -> re.Pattern[str]:
    """`text` as the screen shows it: control sequences may fall between its letters."""
    return re.compile(r"(?:\x1b\[[0-?]*[ -/]*[@-~]|\r|\n)*".join(map(re.escape, text)))


class Answering(pexpect.spawn):
    """A terminal that answers prompt_toolkit's cursor position requests, as real ones
    do (without the answer it cannot tell the room below the prompt, and leaves the
    status line out), and keeps the screen a person sees (pyte): prompt_toolkit redraws
    only the cells that changed, so a changed status line is read on the screen."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        rows, columns = kwargs["dimensions"]
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.Stream(self.screen)

    def read_nonblocking(self, size: int = 1, timeout: float | None = -1) -> str:
        data = super().read_nonblocking(size, timeout)
        for _ in range(data.count("\x1b[6n")):
            self.send("\x1b[1;1R")
        self.stream.feed(data)
        return data

    def shown(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)


class Session:
    """`python -m fieldkit --home HOME` (no command) in a pseudo-terminal."""

    def __init__(self, home: Path, tmp: Path, *, env: dict[str, str] | None = None) -> None:
        self.home_dir = tmp / "home-dir"
        self.home_dir.mkdir(exist_ok=True)
        base = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
        base.update(
            FIELDKIT_LANG="fr",
            HOME=str(self.home_dir),
            LANG="C.UTF-8",
            TERM="xterm-256color",
            NO_COLOR="1",
        )
        base.update(env or {})
        self.child = Answering(
            sys.executable,
            ["-m", "fieldkit", "--home", str(home)],
            env=base,
            encoding="utf-8",
            timeout=TIMEOUT,
            dimensions=(40, 160),
        )
        self.raw: list[str] = []

    def expect(self, text: str, timeout: float = TIMEOUT) -> str:
        self.child.expect(pattern(text), timeout=timeout)
        seen = (self.child.before or "") + (self.child.after or "")
        self.raw.append(seen)
        return screen_text(self.child.before or "")

    def prompt(self, case: str | None = None) -> str:
        """Wait for the session's prompt: prompt_toolkit draws it once the terminal is
        in its hands (raw mode), so keys sent now are its keys."""
        return self.expect(f"fieldkit {case}> " if case else "fieldkit> ")

    def shows(self, text: str, timeout: float = TIMEOUT) -> None:
        """Wait until the screen shows `text` (the status line, redrawn in place).
        What is read meanwhile is kept in the transcript, not for `expect`."""
        deadline = time.monotonic() + timeout
        while text not in self.child.shown():
            if time.monotonic() > deadline:
                raise AssertionError(f"not on the screen: {text!r}\n{self.child.shown()}")
            with contextlib.suppress(pexpect.TIMEOUT):
                self.raw.append(self.child.read_nonblocking(65536, timeout=0.2))

    def line(self, text: str) -> None:
        self.child.send(text + "\r")

    def ends(self) -> int:
        self.child.expect(pexpect.EOF)
        self.raw.append(self.child.before or "")
        self.child.close()
        return self.child.exitstatus

    @property
    def screen(self) -> str:
        return screen_text("".join(self.raw))


def unlocked(session: Session) -> None:
    session.expect("Phrase de passe : ")
    session.child.sendline(PASSPHRASE)
    session.expect("Séance fieldkit.")


def files_holding(marker: bytes, roots: list[Path], since: float) -> list[str]:
    """Files under `roots` (written since `since` for the shared temporary roots) whose
    bytes contain `marker`."""
    found = []
    for root in roots:
        # os.walk ignores what disappears meanwhile (other tests share /tmp).
        for directory, _, names in os.walk(root):
            for name in names:
                path = Path(directory) / name
                try:
                    if path.is_symlink() or not path.is_file():
                        continue
                    if root in SHARED_ROOTS and path.stat().st_mtime < since:
                        continue
                    if marker in path.read_bytes():
                        found.append(str(path))
                except OSError:
                    continue
    return found


SHARED_ROOTS = [Path(tempfile.gettempdir()), Path("/dev/shm"), Path("/var/tmp")]


def test_a_french_working_session_from_the_passphrase_to_ctrl_d(net: Net, tmp_path: Path):
    started = time.time()
    reference = net.new_case("Hélène Dupré", "a", "b")
    net.new_case("Zoé Martin", "a")
    net.sync("a")
    net.sync("b")
    net.json("a", "config", "set", "auto_sync", "on")
    home = net.homes["a"]

    s = Session(home, tmp_path)
    unlocked(s)
    s.prompt()
    s.shows("Léa Martin · aucun dossier courant · 0 modification à synchroniser")

    # A case found by its name without accents, then set as the current case.
    s.child.send("dossier hele")
    s.shows("Hélène Dupré")  # suggested as she types
    s.child.send("\t")
    s.shows(f"fieldkit> dossier {reference}")
    s.child.send("\r")
    s.expect(f"Dossier courant : {reference} (Hélène Dupré)")
    s.prompt(reference)

    # A follow-up without CASE, its summary typed over two lines in the editor.
    s.line("suivi ajouter -k entretien")
    s.expect("La personne est-elle venue au rendez-vous")
    s.line("1")
    s.expect("Échap puis Entrée pour enregistrer")
    s.child.expect_exact(EDITING)
    s.child.send("Première ligne MARQUEURSEANCE\rDeuxième ligne du compte rendu")
    s.child.send(SAVE)
    s.expect("enregistré")
    # auto_sync is on: the write is sent by the session's background sync, and the
    # status line says so.
    s.shows(f"dossier {reference} · 0 modification à synchroniser")
    s.shows("en ligne")

    # A wrong command: one line, and the session goes on.
    s.line("suivii ajouter")
    s.expect("fieldkit: Commande inconnue")
    s.expect("(aide COMMANDE montre son aide)")
    s.prompt(reference)

    # Ctrl-C at a question of a command: the command stops, the session stays.
    s.line("suivi ajouter")
    s.expect("Numéro (1–8) ou mot")
    s.child.sendcontrol("c")
    s.expect("rien n'a été enregistré")
    s.prompt(reference)
    # Ctrl-C at the prompt drops the line being typed.
    s.child.send("suivi ajouter -k appel")
    s.child.sendcontrol("c")
    s.prompt(reference)

    # Karim changes the case's situation; Léa changes it too in the session: her
    # background sync brings the conflict, and the status line announces it.
    b = net.homes["b"]
    net.fk.ok(b, "case", "update", reference, "--situation", "Situation selon Karim.")
    net.sync("b")
    s.line("dossier modifier --situation 'Situation selon Léa, MARQUEURDEUX.'")
    s.shows("1 nouveau conflit : conflits")

    # The follow-up reached the district, and through it Karim, who is on the team.
    assert len(net.district("case", "show", reference)["followups"]) == 1
    net.sync("b")
    karim = net.json("b", "followup", "list", reference)
    assert [f["summary"] for f in karim] == [
        "Première ligne MARQUEURSEANCE\nDeuxième ligne du compte rendu"
    ]

    # `suivi liste` lists them, in the session's French words.
    s.line("suivi liste")
    s.expect("Deuxième ligne du compte rendu")
    s.prompt(reference)

    s.child.sendcontrol("d")
    s.expect("Séance terminée : le coffre est verrouillé.")
    assert s.ends() == 0
    screen = s.screen
    assert not re.search(r"\b(Usage|Error|Aborted|Traceback)\b", screen), screen[-2000:]

    roots = [home, s.home_dir, *SHARED_ROOTS]
    for marker in (b"MARQUEURSEANCE", b"MARQUEURDEUX"):
        assert files_holding(marker, roots, started) == []
        assert files_holding(marker.decode().encode("utf-16-le"), [home], started) == []


def test_a_session_opened_with_the_shells_session_ends_it_at_ctrl_d(net: Net, tmp_path: Path):
    reference = net.new_case("Hélène Dupré", "a")
    net.sync("a")
    token = net.fk.unlock(net.homes["a"])
    s = Session(net.homes["a"], tmp_path, env={"FIELDKIT_SESSION": token})
    s.expect("Séance fieldkit.")  # no passphrase asked: the shell's session opened it
    s.prompt()
    s.line(f"ouvrir {reference}")
    s.prompt(reference)
    s.line("dossier voir")
    s.expect("Hélène Dupré")
    s.prompt(reference)
    s.line("quitter")
    s.expect("Séance terminée")
    assert s.ends() == 0
    after = net.fk.run(net.homes["a"], "status", session=token)
    assert after.exit_code == LOCKED


def test_tab_completes_commands_options_and_french_values(net: Net, tmp_path: Path):
    net.new_case("Hélène Dupré", "a")
    net.sync("a")
    s = Session(net.homes["a"], tmp_path)
    unlocked(s)
    s.prompt()
    # As a person types: the suggestions show as she types, then she presses Tab.
    s.child.send("suivi ajou")
    s.shows("ajouter")
    s.child.send("\t")
    s.shows("fieldkit> suivi ajouter")
    s.child.send(" --ki")
    s.shows("--kind")
    s.child.send("\t")
    s.shows("fieldkit> suivi ajouter --kind")
    s.child.send(" visi")
    s.shows("visite à domicile")
    s.child.send("\t")
    s.shows("fieldkit> suivi ajouter --kind 'visite à domicile'")
    s.child.sendcontrol("c")
    s.prompt()
    s.line("session")
    s.expect("ne s'utilise pas dans la séance")
    s.prompt()
    s.line("quitter")
    assert s.ends() == 0


def faketime_lib() -> str | None:
    return next((lib for lib in FAKETIME_LIBS if Path(lib).exists()), None)


@pytest.mark.skipif(faketime_lib() is None, reason="libfaketime (Debian's faketime) missing")
def test_the_idle_session_locks_clears_the_screen_and_asks_the_passphrase(net: Net, tmp_path: Path):
    reference = net.new_case("Hélène Dupré", "a")
    net.sync("a")
    net.json("a", "config", "set", "session_idle_lock", "2m")
    # Time runs 60 times faster in the session's process: 2 minutes idle take 2 s.
    lib = faketime_lib()
    assert lib is not None
    s = Session(net.homes["a"], tmp_path, env={"LD_PRELOAD": lib, "FAKETIME": "+0 x60"})
    unlocked(s)
    s.prompt()
    s.line(f"dossier {reference}")
    s.prompt(reference)
    s.line("dossier voir")
    s.expect("Hélène Dupré")
    s.prompt(reference)
    before_lock = len("".join(s.raw))
    s.expect("Séance verrouillée après 2 minutes d'inactivité.", timeout=30)
    s.expect("Phrase de passe pour reprendre : ")
    after = "".join(s.raw)[before_lock:]
    assert "\x1b[2J" in after and "\x1b[3J" in after  # screen and scrollback cleared
    s.child.sendline("pas la bonne phrase de passe du tout")
    s.expect("phrase de passe incorrecte")
    s.expect("Phrase de passe pour reprendre : ")
    s.child.sendline(PASSPHRASE)
    s.expect("Déverrouillé. La séance continue.")
    s.prompt(reference)  # the current case is still set: a reference, no content
    s.line("dossiers")
    s.expect("Hélène Dupré")
    s.line("quitter")
    assert s.ends() == 0


# The same list of commands, typed in a session and run one by one.
COMMANDS = [
    "followup add {ref} --kind interview --date 2026-11-30 --attendance kept "
    "--summary 'Entretien au collège.'",
    "followup add {ref} -k appel -d 2026-12-01 -s 'Appel à la mère.' --next-contact 2026-12-10",
    "case update {ref} --situation 'Reprise de la scolarité.'",
    "case goal add {ref} 'Retour en classe à temps plein'",
]


CASE_FIELDS = ("display_name", "status", "priority", "situation", "next_review", "goals")
FOLLOWUP_FIELDS = (
    "kind",
    "occurred_on",
    "summary",
    "attendance",
    "next_contact",
    "next_steps",
    "partners",
    "referral_to",
    "concern_level",
    "amended",
    "withdrawn",
)


def comparable(fk: Fieldkit, home: Path, reference: str, session: str) -> dict:
    """What the worker wrote on the case, as `case show --json` shows it: its fields and
    its follow-ups' (ids, times, keys and authors differ from one world to the other)."""
    shown = fk.json(home, "case", "show", reference, session=session)
    goals = [{k: v for k, v in g.items() if k in ("text", "state")} for g in shown["goals"]]
    case = {k: shown.get(k) for k in CASE_FIELDS} | {"goals": goals}
    followups = [{k: f.get(k) for k in FOLLOWUP_FIELDS} for f in shown["followups"]]
    return {"case": case, "followups": followups}


def test_the_same_commands_in_a_session_and_one_by_one_give_the_same_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    use_fast_kdf(monkeypatch)
    import shlex

    fk = Fieldkit()
    one_by_one = cli_world(tmp_path / "one", fk, sessions=True)
    in_session = cli_world(tmp_path / "two", fk, sessions=True)
    assert one_by_one.reference == in_session.reference
    ref = one_by_one.reference
    for command in COMMANDS:
        fk.ok(
            one_by_one.homes["a"],
            *shlex.split(command.format(ref=ref)),
            session=one_by_one.sessions["a"],
        )

    s = Session(in_session.homes["a"], tmp_path, env={"FIELDKIT_SESSION": in_session.sessions["a"]})
    s.expect("Séance fieldkit.")
    s.prompt()
    for command in COMMANDS:
        s.line(command.format(ref=ref))
        s.prompt()
    s.line("quitter")
    assert s.ends() == 0

    first = comparable(fk, one_by_one.homes["a"], ref, one_by_one.sessions["a"])
    second = comparable(fk, in_session.homes["a"], ref, fk.unlock(in_session.homes["a"]))
    assert first == second
    assert first["case"]["display_name"] == CASE_NAME
    assert first["case"]["situation"] == "Reprise de la scolarité."
    assert [g["text"] for g in first["case"]["goals"]] == ["Retour en classe à temps plein"]
    kinds = sorted((f["kind"], f["summary"]) for f in first["followups"])
    assert kinds == [("interview", "Entretien au collège."), ("phone-call", "Appel à la mère.")]
    for world in (one_by_one, in_session):
        status = fk.json(world.homes["a"], "status", session=fk.unlock(world.homes["a"]))
        assert status["unsynced_changes"] == 4


def test_unlock_at_a_terminal_without_eval_explains_and_asks_nothing(net: Net, tmp_path: Path):
    home = net.homes["a"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    env.update(FIELDKIT_LANG="fr", LANG="C.UTF-8", PROMPT_TOOLKIT_NO_CPR="1")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "fieldkit", "--home", str(home), "unlock"],
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
    )
    child.expect(pexpect.EOF)
    said = screen_text(child.before or "")
    child.close()
    assert child.exitstatus == USAGE
    assert 'eval "$(fieldkit unlock)"' in said and "tapez fieldkit seul" in said
    assert "Phrase de passe" not in said
    sessions = (
        [p for p in (home / "sessions").rglob("*.json")] if (home / "sessions").exists() else []
    )
    assert sessions == []
    # Through eval (stdout a pipe), the same command gives the token as before.
    shell = shutil.which("bash")
    assert shell is not None
    child = pexpect.spawn(
        shell,
        [
            "--norc",
            "-c",
            f'eval "$({sys.executable} -m fieldkit --home {home} unlock)"; '
            f"{sys.executable} -m fieldkit --home {home} status --json",
        ],
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
    )
    child.expect("Phrase de passe : ")
    child.sendline(PASSPHRASE)
    child.expect(pexpect.EOF)
    out = screen_text(child.before or "")
    child.close()
    assert child.exitstatus == 0, out
    assert json.loads(out[out.index("{") :])["session_expires"]


def test_the_session_sees_another_fieldkits_writes_and_waits_its_turn_to_sync(
    net: Net, tmp_path: Path
):
    from fieldkit.sync import worker_side

    reference = net.new_case("Hélène Dupré", "a")
    net.sync("a")
    net.json("a", "config", "set", "auto_sync", "on")
    home = net.homes["a"]
    s = Session(home, tmp_path)
    unlocked(s)
    s.prompt()
    s.line(f"dossier {reference}")
    s.prompt(reference)
    # Another fieldkit, in another terminal, records a follow-up in the same store.
    other = net.note("a", reference, "Noté dans un autre terminal.")
    s.line("suivi liste")
    s.expect("Noté dans un autre terminal.")
    s.prompt(reference)
    # Its short id is offered by Tab for the commands that take a follow-up.
    s.child.send("suivi voir ")
    s.shows(other[:8])
    s.child.send("\t")
    s.shows(f"fieldkit {reference}> suivi voir {other[:8]}")
    s.child.send("\r")
    s.expect("Noté dans un autre terminal.")
    s.prompt(reference)

    # While another sync holds the store's sync lock, the background sync skips its
    # turn: the new follow-up stays queued. Once the lock is free, `synchro` sends it.
    with worker_side.sync_lock(home):
        s.line("suivi ajouter -k appel -s 'Appel pendant une autre synchronisation.'")
        s.prompt(reference)
        time.sleep(1.5)
        assert net.json("a", "status")["unsynced_changes"] >= 1
    s.line("synchro")
    s.expect("Synchronisé : ")
    s.prompt(reference)
    s.shows("0 modification à synchroniser")
    s.shows("en ligne")
    assert net.json("a", "status")["unsynced_changes"] == 0
    s.line("quitter")
    assert s.ends() == 0


def test_fieldkit_alone_outside_a_terminal_prints_the_help_and_session_refuses(
    net: Net, tmp_path: Path
):
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    env.update(FIELDKIT_LANG="fr", FIELDKIT_HOME=str(net.homes["a"]))
    alone = subprocess.run(
        [sys.executable, "-m", "fieldkit"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
    )
    said = alone.stdout + alone.stderr  # the help, as before the session existed
    assert "Séance" not in said
    assert "  session " in said and "  followup " in said
    asked = net.fk.run(net.homes["a"], "session")
    assert asked.exit_code == USAGE
    assert "terminal" in asked.stderr


def test_an_english_session_speaks_english(net: Net, tmp_path: Path):
    reference = net.new_case("Hélène Dupré", "a")
    net.sync("a")
    s = Session(net.homes["a"], tmp_path, env={"FIELDKIT_LANG": "en"})
    s.expect("Passphrase: ")
    s.child.sendline(PASSPHRASE)
    s.expect("fieldkit session.")
    s.prompt()
    s.line("case hele")
    s.expect(f"Current case: {reference} (Hélène Dupré).")
    s.prompt(reference)
    s.line("interview")
    s.expect("To record one: followup add --kind interview")
    s.prompt(reference)
    s.line("followup add --kind phone-call --summary 'Called the school.'")
    s.expect("recorded")
    s.prompt(reference)
    s.line("help")
    s.expect("Everyday commands")
    s.prompt(reference)
    s.line("quit")
    s.expect("Session ended: the store is locked.")
    assert s.ends() == 0
    assert not re.search(r"\b(Séance|dossier courant|Erreur)\b", s.screen)


def test_a_date_of_several_words_needs_no_quotes_in_the_session(net: Net, tmp_path: Path):
    reference = net.new_case("Hélène Dupré", "a")
    net.sync("a")
    s = Session(net.homes["a"], tmp_path)
    unlocked(s)
    s.prompt()
    s.line(f"dossier {reference}")
    s.prompt(reference)
    # As typed at a shell this would leave « prochain » as CASE; the session reads the
    # date's words as one value, and the current case still goes in.
    s.line("suivi ajouter -k appel --summary 'Appel à la mère.' --next-contact mardi prochain")
    s.expect("enregistré")
    s.prompt(reference)
    s.line("suivi ajouter -k entretien --summary 'Au collège.' --date hier " + reference)
    s.expect("enregistré")
    s.prompt(reference)
    s.line("quitter")
    s.expect("Séance terminée")
    # Left unsynced (auto_sync is off): said at the end, kept in the store.
    s.expect("2 modifications attendent la synchronisation : elles restent dans le coffre")
    assert s.ends() == 0

    today = date.today()
    tuesday = today + timedelta(days=(1 - today.weekday() - 1) % 7 + 1)
    listed = net.json("a", "followup", "list", reference)
    by_summary = {f["summary"]: f for f in listed}
    assert by_summary["Appel à la mère."]["next_contact"] == tuesday.isoformat()
    assert by_summary["Au collège."]["occurred_on"] == (today - timedelta(days=1)).isoformat()


def test_a_mistyped_or_missing_subcommand_gets_a_french_line(net: Net, tmp_path: Path):
    net.new_case("Hélène Dupré", "a")
    net.sync("a")
    s = Session(net.homes["a"], tmp_path)
    unlocked(s)
    s.prompt()
    s.line("suivi ajoutr")
    s.expect("« ajoutr » n'est pas une commande de suivi : vouliez-vous dire « ajouter » ?")
    s.expect("(aide suivi les liste)")
    s.prompt()
    s.line("suivi")  # a group alone: its commands, as `aide suivi` shows them
    s.expect("Commandes")
    s.prompt()
    s.line("conflits")  # a group that lists by itself still does
    s.expect("Aucun conflit")
    s.prompt()
    s.line("quitter")
    assert s.ends() == 0
    assert "fieldkit: Utilisation" not in s.screen  # the help as a page, not an error line
