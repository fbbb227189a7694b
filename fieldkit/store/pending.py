"""Audit events that could not be written yet, kept beside the store until they can.

Opening and reading must work on a full disk (a worker is never locked out of their
cases), but each open with the passphrase and each view is an audit event, and SQLite
cannot commit one when the disk refuses to grow its files. Such an event is then
written here, in `audit-pending.log`, and moved into the audit trail (with its own
time) by the next command that can write, before that command's own events.

So that this works on a disk that is already full, the file is a *reserve*: made at
RESERVE_BYTES of zero bytes while there is room, and events are written over those
bytes in place (no new block is needed, on the usual file systems that overwrite in
place; a copy-on-write one may still refuse). One event per line, a JSON array
`[at, actor, action, object_type, object_id, detail]`: identifiers, never content.
When the reserve is missing or full, the event stays in the process's memory and is
tried again at each later audit write and at close; the caller warns on stderr, so
an event is never lost silently.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

PENDING_AUDIT = "audit-pending.log"
RESERVE_BYTES = 16 * 1024  # about 150 events


@dataclass(frozen=True)
class Event:
    actor: str
    action: str
    object_type: str
    object_id: str
    detail: str = ""
    at: datetime | None = None

    def stamped(self) -> Event:
        if self.at is not None:
            return self
        return Event(**{**self.__dict__, "at": datetime.now(UTC)})


def _path(home: Path) -> Path:
    return home / PENDING_AUDIT


def read(home: Path) -> list[Event]:
    """The events waiting in the reserve, oldest first; damaged lines are skipped."""
    try:
        raw = _path(home).read_bytes()
    except OSError:
        return []
    events = []
    for line in raw.split(b"\0", 1)[0].splitlines():
        try:
            at, actor, action, otype, oid, detail = json.loads(line)
            events.append(Event(actor, action, otype, oid, detail, datetime.fromisoformat(at)))
        except (ValueError, TypeError):
            continue
    return events


def append(home: Path, events: list[Event]) -> bool:
    """Write `events` into the reserve's free bytes; False when they do not fit there."""
    lines = b"".join(
        json.dumps(
            [
                e.stamped().at.isoformat(timespec="seconds"),  # type: ignore[union-attr]
                e.actor,
                e.action,
                e.object_type,
                e.object_id,
                e.detail,
            ],
            ensure_ascii=True,
        ).encode()
        + b"\n"
        for e in events
    )
    try:
        fd = os.open(_path(home), os.O_RDWR)
    except OSError:
        return False
    try:
        size = os.fstat(fd).st_size
        used = os.pread(fd, size, 0).find(b"\0")
        if used < 0 or used + len(lines) > size:
            return False
        os.pwrite(fd, lines, used)  # over bytes already on disk: nothing to allocate
        os.fsync(fd)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def clear(home: Path) -> None:
    """Empty the reserve (its events are in the audit trail), and make it while there is room.

    Called after the commit that recorded them: zeroed in place. A failure here leaves
    the events to be recorded twice, never lost.
    """
    try:
        fd = os.open(_path(home), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return
    try:
        size = os.fstat(fd).st_size
        if size >= RESERVE_BYTES and os.pread(fd, 1, 0) == b"\0":
            return  # whole and empty: nothing to write
        os.pwrite(fd, b"\0" * max(size, RESERVE_BYTES), 0)
        os.fsync(fd)
    except OSError:
        pass  # made smaller than RESERVE_BYTES on a full disk: what it holds still counts
    finally:
        os.close(fd)
