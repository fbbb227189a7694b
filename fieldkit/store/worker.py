"""A worker's encrypted store, open: the facade the worker commands use.

Each job has its module, which this facade calls: opening is fieldkit/store/access.py
(and passphrase.py for unlock and passphrase change), the audit trail trail.py, reads
reading.py, writes writing.py (with the rules of fieldkit/rules.py), conflict
settlement resolving.py; received changes apply through fieldkit/replica/merge.py.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fieldkit.model import (
    AgendaItem,
    Attendance,
    Case,
    CaseOutlook,
    CaseStatus,
    Change,
    ConcernLevel,
    Conflict,
    Decision,
    FollowUp,
    FollowUpKind,
    GoalState,
    KnownWorker,
    Measure,
    MeasureState,
    PendingChange,
    RefusedChange,
    StoreStatus,
)
from fieldkit.replica import cases, merge, meta
from fieldkit.store import access, pending, reading, resolving, team, writing
from fieldkit.store.access import Credentials
from fieldkit.store.base import ReplicaStore
from fieldkit.store.db import Connection, connect, db_path, migrate, transaction
from fieldkit.store.reading import FollowUpFilter, SummaryData
from fieldkit.store.schema import WORKER_MIGRATIONS
from fieldkit.store.session import check_ttl, end_sessions, start_session
from fieldkit.store.trail import AuditTrail

KIND = "worker"

# The store the interactive session holds open, by its home (WorkerStore.hold).
_HELD: dict[Path, WorkerStore] = {}


def _held_key(home: Path) -> Path:
    return home.expanduser().absolute()


class WorkerStore(ReplicaStore):
    """An open worker store. Use as a context manager, or call close()."""

    KIND = KIND

    def __init__(
        self,
        home: Path,
        conn: Connection,
        store_id: str,
        data_key: bytes,
        session_expires: int | None,
    ):
        self.home = home
        self.conn = conn
        self.store_id = store_id
        self.session_expires = session_expires
        self._data_key = data_key  # kept in memory only, to start a session
        self.trail = AuditTrail(home, conn, store_id, lambda: self.author)

    # Opening

    @classmethod
    def create(cls, home: Path, passphrase: str) -> WorkerStore:
        # Here, not at the top: creating a store (and its identity keys) is rare, and every
        # command that opens the store would pay for these imports (issue 7).
        from fieldkit.store.lifecycle import create_store

        conn, store_id, data_key = create_store(
            home, KIND, passphrase, WORKER_MIGRATIONS, replica_prefix="w", actor=lambda r: r
        )
        return cls(home, conn, store_id, data_key, None)

    @classmethod
    def open(cls, home: Path, credentials: Credentials) -> WorkerStore:
        """Open with the session if one is live, else with the passphrase.

        Inside the interactive session (fieldkit/commands/session.py) the store it holds
        open is given instead: each command pays for its own work only.
        """
        held = _HELD.get(_held_key(home))
        if held is not None:
            return held
        unlocked = access.data_key(home, KIND, credentials)
        return cls.from_key(
            home, unlocked.keyfile.store_id, unlocked.data_key, unlocked.session_expires
        )

    @classmethod
    def from_key(
        cls, home: Path, store_id: str, data_key: bytes, session_expires: int | None
    ) -> WorkerStore:
        # The full integrity check runs when the passphrase was typed, once per session.
        conn = connect(db_path(home, KIND), data_key, full_check=session_expires is None)
        migrate(conn, WORKER_MIGRATIONS)
        store = cls(home, conn, store_id, data_key, session_expires)
        # On a full disk the unlock is recorded later and the store still opens for reading.
        unlock = pending.Event(store.author, "unlock", "store", store_id)
        store.trail.record([] if session_expires is not None else [unlock])
        return store

    def close(self) -> None:
        self.trail.close()
        if _HELD.get(_held_key(self.home)) is self:
            return  # held open for the interactive session: `release` closes it
        self.conn.close()

    def hold(self) -> None:
        """Keep this store open for every command of this process until `release`."""
        _HELD[_held_key(self.home)] = self

    def release(self) -> None:
        """Stop holding the store open, and close it; its data key is forgotten."""
        if _HELD.get(_held_key(self.home)) is self:
            del _HELD[_held_key(self.home)]
        self._data_key = b""
        self.close()

    def glance(self) -> tuple[str | None, int, int, str | None]:
        """What a status line shows, cheaply: (worker name, changes waiting to sync, open
        conflicts, last sync as ISO text)."""
        return reading.glance(self)

    def cases_version(self) -> tuple[int, int, str | None]:
        """Changes whenever the cases on the device change (added, removed, a field set)."""
        return reading.cases_version(self)

    # Identity

    @property
    def worker_id(self) -> str | None:
        return meta.get(self.conn, "worker_id")

    @property
    def author(self) -> str:
        """Who writes: the district's worker id once enrolled, the replica id before."""
        return self.worker_id or self.replica_id

    @property
    def audit_actor(self) -> str:
        return self.author

    # Sessions

    def start_session(self, ttl_seconds: int) -> tuple[str, int]:
        check_ttl(ttl_seconds)
        self.trail.event("session-start", "store", self.store_id)
        return start_session(self.home, self.store_id, self._data_key, ttl_seconds)

    def end_sessions(self) -> int:
        self.trail.event("lock", "store", self.store_id)
        return end_sessions(self.home, self.store_id)

    # Reading (fieldkit/store/reading.py); team texts opened with the case keys

    def conflicts(self, include_resolved: bool = False) -> list[Conflict]:
        return team.open_conflicts(self, super().conflicts(include_resolved))

    def conflict(self, ref: str) -> Conflict:
        return team.open_conflicts(self, [super().conflict(ref)])[0]

    def case_conflicts(self, case_id: str) -> list[Conflict]:
        return team.open_conflicts(self, super().case_conflicts(case_id))

    def status(self) -> StoreStatus:
        return reading.status(self)

    def list_cases(self, status: CaseStatus | None = None, search: str | None = None) -> list[Case]:
        return reading.list_cases(self, status, search)

    def get_case(self, ref: str, limit: int | None = None) -> tuple[Case, list[FollowUp]]:
        return reading.get_case(self, ref, limit)

    def summary_data(self, ref: str, today: date | None = None) -> SummaryData:
        return reading.summary_data(self, ref, today)

    def list_followups(
        self, case_ref: str | None = None, wanted: FollowUpFilter | None = None
    ) -> list[FollowUp]:
        return reading.list_followups(self, case_ref, wanted)

    def pending_changes(self) -> list[PendingChange]:
        return reading.pending_changes(self)

    def get_followup(self, ref: str) -> FollowUp:
        return reading.get_followup(self, ref)

    def case_reference(self, case_id: str) -> str:
        return cases.reference_of(self.conn, case_id) or case_id

    def worker_names(self, case_id: str) -> dict[str, str]:
        return reading.worker_names(self, case_id)

    def known_workers(self) -> list[KnownWorker]:
        return reading.known_workers(self)

    def refused_changes(self, include_decided: bool = False) -> list[RefusedChange]:
        return reading.refused_changes(self, include_decided)

    def decisions(self, case_id: str) -> list[Decision]:
        return reading.case_decisions(self, case_id)

    def agenda(self, days: int, today: date) -> list[AgendaItem]:
        return reading.agenda(self, days, today)

    def outlook(self, case: Case, today: date) -> CaseOutlook:
        return reading.outlook(self, case, today)

    def overdue_cases(self, today: date) -> dict[str, set[str]]:
        return reading.overdue_cases(self, today)

    # Writing (fieldkit/store/writing.py, resolving.py)

    def case_to_write(self, ref: str) -> Case:
        return writing.case_to_write(self, ref)

    def update_case(self, ref: str, **values: Any) -> Change:
        return writing.update_case(self, ref, **values)

    def add_followup(
        self,
        case_ref: str,
        *,
        kind: FollowUpKind,
        summary: str,
        occurred_on: date,
        today: date,
        partners: list[str] | None = None,
        referral_to: str | None = None,
        next_steps: str | None = None,
        next_contact: date | None = None,
        concern_level: ConcernLevel | None = None,
        attendance: Attendance | None = None,
        for_cell: bool = False,
    ) -> FollowUp:
        return writing.add_followup(
            self,
            case_ref,
            kind=kind,
            summary=summary,
            occurred_on=occurred_on,
            today=today,
            partners=partners,
            referral_to=referral_to,
            next_steps=next_steps,
            next_contact=next_contact,
            concern_level=concern_level,
            attendance=attendance,
            for_cell=for_cell,
        )

    def amend_followup(self, ref: str, today: date, **values: Any) -> FollowUp:
        return writing.amend_followup(self, ref, today, **values)

    def followup_to_withdraw(self, ref: str) -> FollowUp:
        return writing.followup_to_withdraw(self, ref)

    def withdraw_followup(self, ref: str, reason: str) -> FollowUp:
        return writing.withdraw_followup(self, ref, reason)

    def set_measure_state(
        self, ref: str, number: int, state: MeasureState, today: date
    ) -> tuple[Change, Measure]:
        return writing.set_measure_state(self, ref, number, state, today)

    def add_goal(self, ref: str, text: str, today: date) -> Change:
        return writing.add_goal(self, ref, text, today)

    def set_goal_state(
        self, ref: str, number: int, state: GoalState, today: date, reason: str | None = None
    ) -> Change:
        return writing.set_goal_state(self, ref, number, state, today, reason)

    def resolve_conflict(
        self, ref: str, keep: str | None = None, text: str | None = None
    ) -> Conflict:
        return resolving.resolve_conflict(self, ref, keep, text)

    # Sync support

    def apply_remote(self, changes: list[Change]) -> merge.Applied:
        """Apply changes received from the district, all or none (one transaction)."""
        with transaction(self.conn):
            return merge.apply_received(self.conn, changes)

    def restamp(self) -> int:
        return writing.restamp(self)

    # Outputs

    def record_export(self, case_id: str, fmt: str) -> None:
        self.record_output(case_id, "export", fmt)

    def first_time(self, what: str) -> bool:
        """Whether `what` (a reminder) is shown on this device for the first time: from
        now on the store's settings remember it was (no personal data, no file beside)."""
        key = f"shown.{what}"
        if meta.get(self.conn, key) is not None:
            return False
        with transaction(self.conn):
            meta.put(self.conn, key, "1")
        return True

    def record_output(self, case_id: str, action: str, detail: str) -> None:
        """Audit a summary shown on a terminal ("view") or sent out of the store ("export").

        `detail` says the format and where it went (e.g. "pdf file"), never the path,
        which may hold a name.
        """
        if action not in ("view", "export"):
            raise ValueError(action)
        event = pending.Event(self.author, action, "case", case_id, detail)
        self.trail.record([event], strict=True)
