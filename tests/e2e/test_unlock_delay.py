"""The wait after failed unlocks at the real CLI: each command is its own process, and
the second failure waits a second, read off the journal the first one left; at a
terminal, a line says when the next attempt is possible."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pexpect

from fieldkit.errors import LOCKED, OK
from fieldkit.store.access import note_failed_unlock, noted_failures
from tests.conftest import PASSPHRASE

WRONG = "pas la bonne phrase du tout"


def fieldkit(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    return subprocess.run(
        [sys.executable, "-m", "fieldkit", "--home", str(home), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_the_second_failure_in_a_new_process_waits_a_second(tmp_path: Path):
    home = tmp_path / "w"
    assert fieldkit(home, "init", FIELDKIT_PASSPHRASE=PASSPHRASE).returncode == OK
    first = fieldkit(home, "status", FIELDKIT_PASSPHRASE=WRONG)
    assert first.returncode == LOCKED
    [noted] = noted_failures(home)
    second = fieldkit(home, "status", FIELDKIT_PASSPHRASE=WRONG)
    ended = time.time()
    assert second.returncode == LOCKED
    # The second attempt came no sooner than 1 s after the first failure was noted.
    later = noted_failures(home)[-1]
    assert (later - noted).total_seconds() >= 1.0
    assert ended - noted.timestamp() >= 1.0
    assert "Nouvel essai" not in second.stderr and "Next attempt" not in second.stderr
    # The right passphrase waits its turn too (2 s), then opens and ends the waits.
    started = time.monotonic()
    opened = fieldkit(home, "status", "--json", FIELDKIT_PASSPHRASE=PASSPHRASE)
    assert opened.returncode == OK, opened.stderr
    assert time.monotonic() - started >= 2 - (time.time() - later.timestamp())
    assert noted_failures(home) == []


def _waiting_at_a_terminal(home: Path) -> pexpect.spawn:
    """`status` at a French terminal after three failed unlocks: it waits 4 s, longer
    than the start of a process on a loaded machine, counting down."""
    assert fieldkit(home, "init", FIELDKIT_PASSPHRASE=PASSPHRASE).returncode == OK
    assert fieldkit(home, "status", FIELDKIT_PASSPHRASE=WRONG).returncode == LOCKED
    # Two more failures noted as a failed unlock notes them.
    note_failed_unlock(home)
    note_failed_unlock(home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    env.update(FIELDKIT_LANG="fr", NO_COLOR="1", LANG="C.UTF-8")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "fieldkit", "--home", str(home), "status"],
        env=env,
        encoding="utf-8",
        timeout=60,
    )
    child.expect(r"Nouvel essai possible dans [1-4] s")
    return child


def test_at_a_terminal_a_line_says_when_the_next_attempt_is_possible(tmp_path: Path):
    home = tmp_path / "w"
    child = _waiting_at_a_terminal(home)
    child.expect_exact("Phrase de passe")
    child.sendline(WRONG)
    child.expect_exact("phrase de passe incorrecte")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == LOCKED
    assert len(noted_failures(home)) == 4


def test_keys_typed_during_the_wait_are_neither_shown_nor_taken(tmp_path: Path):
    """A person who types the passphrase again while the wait counts down sees nothing
    of it on the screen, and it is not taken as the answer to the next question."""
    child = _waiting_at_a_terminal(tmp_path / "w")
    child.sendline("MARQUEURTAPE pendant l'attente")
    child.expect_exact("Phrase de passe")
    assert "MARQUEURTAPE" not in child.before
    child.sendline(PASSPHRASE)  # the keys typed during the wait were dropped
    child.expect(pexpect.EOF)
    child.close()
    assert "MARQUEURTAPE" not in child.before
    assert child.exitstatus == OK
