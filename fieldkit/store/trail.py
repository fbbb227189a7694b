"""Recording a worker store's audit events, which a full disk never stops or loses.

Each event is recorded with the failed unlocks noted since the last open and the events
a full disk deferred before it (fieldkit/store/pending.py); the writes record their own
event inside their transaction (fieldkit/store/writing.py), this is for the rest: views,
exports, unlocks, sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fieldkit.errors import disk_full, warn
from fieldkit.store import access, audit, pending
from fieldkit.store.db import Connection, transaction


class AuditTrail:
    def __init__(self, home: Path, conn: Connection, store_id: str, author: Callable[[], str]):
        self.home = home
        self.conn = conn
        self.store_id = store_id
        self._author = author  # read when recording: enrolment changes who writes
        self._deferred: list[pending.Event] = []  # audit events no file would take yet

    def record(self, events: list[pending.Event], *, strict: bool = False) -> None:
        """Record audit events, with the failed unlocks and the events deferred before them.

        On a full disk nothing is committed: the new events go to the reserve beside the
        store (fieldkit/store/pending.py), else stay in memory, and a warning says so.
        `strict` (a summary shown or exported) raises instead: such an output happens
        only once the audit trail holds it.
        """
        events = [e.stamped() for e in events]
        try:
            with access.failed_unlocks(self.home) as failed:
                waiting = pending.read(self.home)
                if not (failed or waiting or self._deferred or events):
                    return
                author = self._author()
                earlier = [
                    pending.Event(author, "unlock-failed", "store", self.store_id, "", when)
                    for when in failed
                ]
                with transaction(self.conn):
                    for e in [*earlier, *waiting, *self._deferred, *events]:
                        actor, oid = e.actor or author, e.object_id or self.store_id
                        audit.record(
                            self.conn, actor, e.action, e.object_type, oid, e.detail, at=e.at
                        )
        except Exception as exc:
            if strict or not disk_full(exc):
                raise
            if events and pending.append(self.home, events):
                warn("audit.deferred", count=len(events))
            elif events:
                self._deferred.extend(events)
                warn("audit.held_in_memory", count=len(events))
            return
        self._deferred = []
        pending.clear(self.home)  # empties what was recorded; makes the reserve while there is room

    def event(self, action: str, object_type: str, object_id: str, detail: str = "") -> None:
        """One event of this store's author: recorded now, or later on a full disk."""
        self.record([pending.Event(self._author(), action, object_type, object_id, detail)])

    def close(self) -> None:
        """A last try for what a full disk deferred; what still fails is reported."""
        if self._deferred:
            self.record([])
            if self._deferred:
                warn("audit.not_recorded", urgent=True, count=len(self._deferred))
