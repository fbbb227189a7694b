"""Getting a store's data key: from a live session, else from the passphrase.

The passphrase comes from FIELDKIT_PASSPHRASE, else --passphrase-file, else a
prompt when a person is at a terminal. A wrong passphrase leaves the store's files
untouched; the attempt is noted in a small journal beside the store (a time, no
content) and moved into the audit trail at the next successful unlock; the journal
is emptied only once that commit succeeded.

At the CLI, each failed attempt makes the next one wait longer (1 s, 2 s, 4 s … up to
30 s), across processes: the wait is read off that journal (`unlock_delay`). It slows a
person guessing at the keyboard only; an attacker holding a copy of the key file is
slowed by Argon2id alone (docs/security.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fieldkit.crypto.keyfile import KeyFile, unlock_keyfile
from fieldkit.errors import Locked, WrongPassphrase, warn
from fieldkit.paths import write_private_file
from fieldkit.store.keys import read_keyfile
from fieldkit.store.session import SESSION_ENV, resume_session

if TYPE_CHECKING:
    from fieldkit.store.rotation import Bound

PASSPHRASE_ENV = "FIELDKIT_PASSPHRASE"
FAILED_UNLOCKS = "failed-unlocks.log"
# The wait before an attempt after the k-th failure in a row: 2^(k-1) seconds, at most this.
MAX_UNLOCK_DELAY = 30.0


@dataclass
class Credentials:
    """Where a passphrase may come from, in order after the environment."""

    passphrase_file: Path | None = None
    prompt: Callable[[], str] | None = None  # set only when stdin is a terminal
    # Set by the CLI only: how to wait `seconds` before an attempt after failed ones.
    wait: Callable[[float], None] | None = None

    def has_source(self) -> bool:
        return bool(os.environ.get(PASSPHRASE_ENV) or self.passphrase_file or self.prompt)

    def passphrase(self) -> str | None:
        env = os.environ.get(PASSPHRASE_ENV)
        if env:
            return env
        if self.passphrase_file is not None:
            return read_passphrase_file(self.passphrase_file)
        if self.prompt is not None:
            return self.prompt()
        return None


def read_passphrase_file(path: Path) -> str:
    """The passphrase kept in a file; trailing line breaks are not part of it.

    Refused, as OpenSSH refuses a loose private key, when the file can be read or written
    by its group or by others: the passphrase in it is no longer the owner's secret.
    The mode is read from the open file, so a file swapped in between is judged too.
    """
    try:
        with open(path, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if os.name == "posix" and mode & 0o077:
                raise Locked("passphrase.file_too_open", mode=f"{mode & 0o777:03o}")
            return handle.read().decode("utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError):
        raise Locked("passphrase.file_unreadable") from None


@dataclass
class Unlocked:
    keyfile: KeyFile
    data_key: bytes
    session_expires: int | None  # epoch seconds, when opened through a session


def data_key(
    home: Path, kind: str, credentials: Credentials, bound: Sequence[Bound] = ()
) -> Unlocked:
    """`bound`: what else the store keeps under its data key (fieldkit/store/rotation.py)."""
    keyfile = read_keyfile(home, kind)
    token = os.environ.get(SESSION_ENV)
    if token:
        resumed = resume_session(home, keyfile.store_id, token)
        if resumed is not None:
            key = complete_rotation(home, kind, resumed[0], bound)
            return Unlocked(read_keyfile(home, kind), key, resumed[1])
    key = complete_rotation(home, kind, passphrase_key(home, keyfile, credentials), bound)
    return Unlocked(read_keyfile(home, kind), key, None)


def complete_rotation(home: Path, kind: str, key: bytes, bound: Sequence[Bound] = ()) -> bytes:
    """The data key to open with, once a passphrase change that a kill interrupted is
    completed (fieldkit/store/rotation.py). On a full disk the store opens under the key
    it is under now, and a later command completes the change."""
    from fieldkit.store import rotation

    under_way = rotation.read_rotation(home, kind)
    if under_way is None:
        return key
    try:
        return rotation.finish(home, under_way, key, resumed=True, bound=bound)[0]
    except Exception as exc:
        from fieldkit.errors import disk_full

        if not disk_full(exc):
            raise
        warn("passphrase.change_pending", urgent=True)
        return rotation.current_key(home, under_way, key)


def passphrase_key(home: Path, keyfile: KeyFile, credentials: Credentials) -> bytes:
    """The data key that `keyfile` wraps, from the passphrase; during a passphrase change
    (its journal beside the store) the new passphrase gives the new data key."""
    if credentials.wait is not None and credentials.has_source():
        delay = unlock_delay(noted_failures(home), datetime.now(UTC))
        if delay > 0:
            credentials.wait(delay)
    passphrase = credentials.passphrase()
    if passphrase is None:
        raise Locked("store.locked")
    try:
        return unlock_keyfile(keyfile, passphrase)
    except WrongPassphrase:
        from fieldkit.store.rotation import read_rotation

        under_way = read_rotation(home, keyfile.kind)
        if under_way is not None and under_way.keyfile != keyfile:
            try:
                return unlock_keyfile(under_way.keyfile, passphrase)
            except WrongPassphrase:
                pass
        note_failed_unlock(home)
        raise


def unlock_delay(failures: list[datetime], now: datetime) -> float:
    """Seconds the next attempt waits, after `failures` in a row (the journal's times):
    2^(k-1) s after the k-th, at most MAX_UNLOCK_DELAY, counted from the last one."""
    if not failures:
        return 0.0
    wanted = min(2.0 ** (len(failures) - 1), MAX_UNLOCK_DELAY)
    waited = (now - max(failures)).total_seconds()
    # A clock set back (a failure "in the future") never makes the wait longer than wanted.
    return min(wanted, max(0.0, wanted - waited))


def noted_failures(home: Path) -> list[datetime]:
    """The failed attempts the journal holds (since the last successful unlock)."""
    try:
        raw = (home / FAILED_UNLOCKS).read_bytes()
    except OSError:
        return []
    return _stamps(raw)


def _stamps(raw: bytes) -> list[datetime]:
    stamps = []
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            stamp = datetime.fromisoformat(line.strip())
        except ValueError:
            continue
        stamps.append(stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC))
    return stamps


def note_failed_unlock(home: Path) -> None:
    """Note a failed attempt; on a full disk, in the reserve of fieldkit/store/pending.py."""
    now = datetime.now(UTC)
    try:
        fd = os.open(home / FAILED_UNLOCKS, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as handle:
            # To the microsecond: the next attempt's wait is counted from it.
            handle.write(now.isoformat() + "\n")
        return
    except OSError:
        pass
    from fieldkit.store import pending

    # The actor is left empty: the store that records it later names itself.
    if not pending.append(home, [pending.Event("", "unlock-failed", "store", "", at=now)]):
        warn("audit.failed_unlock_not_noted", urgent=True)


@contextmanager
def failed_unlocks(home: Path) -> Iterator[list[datetime]]:
    """The failed attempts noted since the last unlock, for the caller to record.

    The journal is emptied only when the block ends without an error, so call it around
    the transaction that records them: attempts are never lost to a failed commit (a
    full disk, say). Attempts noted meanwhile by another process are kept.
    """
    path = home / FAILED_UNLOCKS
    try:
        raw = path.read_bytes()
    except OSError:
        raw = b""
    yield _stamps(raw)
    if raw:
        _drop_first_bytes(path, len(raw))


def _drop_first_bytes(path: Path, count: int) -> None:
    try:
        rest = path.read_bytes()[count:]
        if rest:
            write_private_file(path, rest)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass  # left for the next unlock: recorded twice rather than lost
