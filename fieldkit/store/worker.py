"""A worker's encrypted store: opening it, and every read and write the worker commands make.

Each write is one transaction that appends its change to the change log, applies it
through the same merge code that applies the district's changes, and records an
audit event. Reads that show a case or a follow-up are audited as views.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldkit import rules
from fieldkit.errors import InvalidValue, UsageError, disk_full, warn
from fieldkit.model import (
    AMENDABLE_FOLLOWUP_FIELDS,
    WORKER_CASE_FIELDS,
    AgendaItem,
    Case,
    CaseStatus,
    Change,
    ConcernLevel,
    Conflict,
    FollowUp,
    FollowUpKind,
    Goal,
    RefusedChange,
    StoreStatus,
)
from fieldkit.replica import cases, changelog, clock, conflicts, followups, merge, meta
from fieldkit.store import access, audit, pending, refusals
from fieldkit.store.access import Credentials
from fieldkit.store.base import ReplicaStore
from fieldkit.store.db import Connection, connect, db_path, migrate, transaction
from fieldkit.store.keys import (
    check_passphrase,
    read_keyfile,
)
from fieldkit.store.schema import WORKER_MIGRATIONS
from fieldkit.store.session import check_ttl, end_sessions, start_session

if TYPE_CHECKING:
    pass

KIND = "worker"


@dataclass
class SummaryData:
    """What a case summary is assembled from (see fieldkit/summary/assemble.py)."""

    case: Case
    followups: list[FollowUp]
    conflicts: list[Conflict]
    worker_names: dict[str, str]  # worker id -> name, for those this store knows
    printed_by: str  # this worker's name, or its id when the store has no name


class WorkerStore(ReplicaStore):
    """An open worker store. Use as a context manager, or call close()."""

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
        self._deferred: list[pending.Event] = []  # audit events no file would take yet

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
        """Open with the session if one is live, else with the passphrase."""
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
        store._record([] if session_expires is not None else [unlock])
        return store

    def close(self) -> None:
        if self._deferred:
            self._record([])  # a last try; what still fails is reported, never dropped silently
            if self._deferred:
                warn("audit.not_recorded", urgent=True, count=len(self._deferred))
        self.conn.close()

    def _record(self, events: list[pending.Event], *, strict: bool = False) -> None:
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
                earlier = [
                    pending.Event(self.author, "unlock-failed", "store", self.store_id, "", when)
                    for when in failed
                ]
                with transaction(self.conn):
                    for e in [*earlier, *waiting, *self._deferred, *events]:
                        actor, oid = e.actor or self.author, e.object_id or self.store_id
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

    # Identity

    @property
    def worker_id(self) -> str | None:
        return meta.get(self.conn, "worker_id")

    @property
    def author(self) -> str:
        """Who writes: the district's worker id once enrolled, the replica id before."""
        return self.worker_id or self.replica_id

    # Sessions and passphrase

    def start_session(self, ttl_seconds: int) -> tuple[str, int]:
        check_ttl(ttl_seconds)
        self._record([pending.Event(self.author, "session-start", "store", self.store_id)])
        return start_session(self.home, self.store_id, self._data_key, ttl_seconds)

    def end_sessions(self) -> int:
        self._record([pending.Event(self.author, "lock", "store", self.store_id)])
        return end_sessions(self.home, self.store_id)

    def status(self) -> StoreStatus:
        c = self.conn
        acked = meta.get_int(c, "acked_seq")
        last_sync = meta.get(c, "last_sync")
        return StoreStatus(
            path=str(self.home),
            kind=KIND,
            worker_id=self.worker_id,
            worker_name=meta.get(c, "worker_name"),
            fingerprint=self.identity().public.fingerprint,
            enrolled=self.worker_id is not None,
            district=meta.get(c, "district_name"),
            cases=cases.count(c),
            followups=followups.count(c),
            unsynced_changes=changelog.count_of_origin_above(c, self.replica_id, acked),
            open_conflicts=len(conflicts.listing(c)),
            last_sync=datetime.fromisoformat(last_sync) if last_sync else None,
            session_expires=(
                datetime.fromtimestamp(self.session_expires, UTC) if self.session_expires else None
            ),
        )

    # Reading

    def list_cases(self, status: CaseStatus | None = None) -> list[Case]:
        return cases.list_cases(self.conn, status.value if status else None)

    def get_case(self, ref: str, limit: int | None = None) -> tuple[Case, list[FollowUp]]:
        """A case and its follow-ups, newest first: the `limit` latest, or all of them."""
        case_id = cases.resolve_id(self.conn, ref)
        case = cases.load(self.conn, case_id)
        history = followups.for_case(self.conn, case_id, limit=limit)
        self._audit("view", "case", case_id)
        return case, history

    def summary_data(self, ref: str) -> SummaryData:
        """Everything a summary of case `ref` needs, loaded in one place.

        Not audited here: the caller records a view or an export once it knows where
        the summary goes (`record_output`).
        """
        case_id = cases.resolve_id(self.conn, ref)
        name = meta.get(self.conn, "worker_name")
        worker_id = self.worker_id
        return SummaryData(
            case=cases.load(self.conn, case_id),
            followups=followups.for_case(self.conn, case_id),
            conflicts=conflicts.listing(self.conn, case_id=case_id),
            worker_names={worker_id: name} if worker_id and name else {},
            printed_by=name or self.author,
        )

    def list_followups(self, case_ref: str | None = None) -> list[FollowUp]:
        """Follow-ups with their text: a view of content, so audited like `get_case`."""
        if case_ref is None:
            items = followups.all_followups(self.conn)
            self._audit("view", "followups", "", f"count={len(items)}")
            return items
        case_id = cases.resolve_id(self.conn, case_ref)
        items = followups.for_case(self.conn, case_id)
        self._audit("view", "case", case_id, "followups")
        return items

    def get_followup(self, ref: str) -> FollowUp:
        item = followups.get(self.conn, followups.resolve_id(self.conn, ref))
        self._audit("view", "followup", item.id)
        return item

    def worker_names(self, case_id: str) -> dict[str, str]:
        """Worker id -> name for the workers of a case this device knows, itself included."""
        names = {a.id: a.name for a in cases.load(self.conn, case_id).assignees if a.name}
        own = meta.get(self.conn, "worker_name")
        if own and self.worker_id:
            names[self.worker_id] = own
        return names

    def refused_changes(self, include_decided: bool = False) -> list[RefusedChange]:
        """This device's copies of the changes the district refused (audited: they hold text)."""
        items = refusals.listing(self.conn, include_decided=include_decided)
        self._audit("view", "refusals", "", f"count={len(items)}")
        return items

    def agenda(self, days: int, today: date) -> list[AgendaItem]:
        until = (today + timedelta(days=days)).isoformat()
        items: list[AgendaItem] = []
        names: dict[str, Case] = {}

        def case_of(case_id: str) -> Case:
            if case_id not in names:
                names[case_id] = cases.load(self.conn, case_id)
            return names[case_id]

        for case_id, due in cases.due_reviews(self.conn, until):
            items.append(self._agenda_item(case_of(case_id), due, "review", today))
        for case_id, followup_id, due in followups.pending_contacts(self.conn, until):
            item = self._agenda_item(case_of(case_id), due, "contact", today)
            item.followup_id = followup_id
            items.append(item)
        items.sort(key=lambda i: (not i.overdue, i.due, i.reference, i.what))
        return items

    @staticmethod
    def _agenda_item(case: Case, due: str, what: str, today: date) -> AgendaItem:
        when = date.fromisoformat(due)
        return AgendaItem(
            due=when,
            what=what,
            case_id=case.id,
            reference=case.reference,
            display_name=case.display_name,
            overdue=when < today,
        )

    # Writing

    def update_case(self, ref: str, **values: Any) -> Change:
        """Change worker-owned case fields (situation, next review, goals, related persons)."""
        case_id = cases.resolve_id(self.conn, ref)
        case = cases.load(self.conn, case_id)
        if case.status == CaseStatus.CLOSED:
            raise UsageError("case.closed", ref=case.reference)
        fields: dict[str, Any] = {}
        for name, value in values.items():
            if value is None:
                continue
            if name not in WORKER_CASE_FIELDS:
                raise InvalidValue("case.field_not_editable", field=name)
            fields[name] = _json_value(name, value)
        if not fields:
            raise UsageError("case.nothing_to_update")
        rules.check_texts(fields)
        return self._write_case_fields(case_id, fields, "update")

    def _write_case_fields(self, case_id: str, fields: dict[str, Any], action: str) -> Change:
        with transaction(self.conn):
            base = {}
            for name in fields:
                version = cases.field_version(self.conn, case_id, name)
                base[name] = version.change_id if version else None
            change = self._new_change("case", case_id, case_id, "update", fields, base)
            merge.apply(self.conn, change)
            audit.record(self.conn, self.author, action, "case", case_id, ",".join(sorted(fields)))
        return change

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
    ) -> FollowUp:
        case_id = cases.resolve_id(self.conn, case_ref)
        case = cases.load(self.conn, case_id)
        if case.status == CaseStatus.CLOSED:
            raise UsageError("case.closed", ref=case.reference)
        followup = FollowUp(
            id=uuid.uuid4().hex,
            case_id=case_id,
            occurred_on=occurred_on,
            recorded_by=self.author,
            kind=kind,
            summary=summary.strip(),
            partners=[p.strip() for p in partners or [] if p.strip()],
            referral_to=referral_to,
            next_steps=(next_steps or "").strip() or None,
            next_contact=next_contact,
            concern_level=concern_level,
        )
        rules.check_followup(followup, today)
        fields = followup.model_dump(mode="json", exclude={"id", "case_id", "hlc", "amendments"})
        with transaction(self.conn):
            change = self._new_change("followup", followup.id, case_id, "add", fields)
            merge.apply(self.conn, change)
            audit.record(
                self.conn, self.author, "followup-add", "followup", followup.id, kind.value
            )
        return followups.get(self.conn, followup.id)

    def amend_followup(self, ref: str, today: date, **values: Any) -> FollowUp:
        followup_id = followups.resolve_id(self.conn, ref)
        original = followups.get(self.conn, followup_id)
        rules.check_amendment_author(original, self.author)
        case = cases.load(self.conn, original.case_id)
        if case.status == CaseStatus.CLOSED:
            raise UsageError("case.closed", ref=case.reference)
        current = original.current()
        fields: dict[str, Any] = {}
        for name, value in values.items():
            if value is None:
                continue
            if name not in AMENDABLE_FOLLOWUP_FIELDS:
                raise InvalidValue("followup.field_not_amendable", field=name)
            fields[name] = _json_value(name, value)
        fields = {k: v for k, v in fields.items() if _json_value(k, getattr(current, k)) != v}
        if not fields:
            raise UsageError("followup.nothing_to_amend")
        rules.check_followup(FollowUp.model_validate({**current.model_dump(), **fields}), today)
        with transaction(self.conn):
            change = self._new_change("followup", followup_id, original.case_id, "amend", fields)
            merge.apply(self.conn, change)
            detail = ",".join(sorted(fields))
            audit.record(self.conn, self.author, "followup-amend", "followup", followup_id, detail)
        return followups.get(self.conn, followup_id)

    def resolve_conflict(
        self, ref: str, keep: str | None = None, text: str | None = None
    ) -> Conflict:
        """Settle a conflict by keeping mine or theirs, or with a new text; the choice syncs.

        The resolve change names the write shown as kept (`kept`), so that every replica
        keeps showing the two values the conflict was settled on.
        """
        if (keep is None) == (text is None):
            raise UsageError("conflict.keep_or_text")
        conflict = conflicts.get(self.conn, ref)
        if conflict.resolved:
            raise UsageError("conflict.already_resolved", ref=conflict.id[:8])
        mine_is_loser = conflict.loser_author == self.author
        if keep == "mine":
            value = conflict.loser_value if mine_is_loser else conflict.winner_value
        elif keep == "theirs":
            value = conflict.winner_value if mine_is_loser else conflict.loser_value
        elif keep is not None:
            raise InvalidValue("conflict.bad_keep", field="--keep", value=keep)
        else:
            if conflict.field in ("goals", "related"):
                raise InvalidValue("conflict.text_not_for_lists", field=conflict.field)
            value = _json_value(conflict.field, _parse_field_text(conflict.field, text or ""))
        with transaction(self.conn):
            current = cases.field_version(self.conn, conflict.case_id, conflict.field)
            if current is None or current.value != value:
                base = {conflict.field: current.change_id if current else None}
                change = self._new_change(
                    "case",
                    conflict.case_id,
                    conflict.case_id,
                    "update",
                    {conflict.field: value},
                    base,
                )
                merge.apply(self.conn, change)
            settled = {"field": conflict.field, "kept": conflict.winner_change}
            resolve = self._new_change(
                "conflict", conflict.id, conflict.case_id, "resolve", settled
            )
            merge.apply(self.conn, resolve)
            audit.record(self.conn, self.author, "conflict-resolve", "case", conflict.case_id)
        return conflicts.get(self.conn, conflict.id)

    # Sync support

    def apply_remote(self, changes: list[Change]) -> merge.Applied:
        """Apply changes received from the district, all or none (one transaction)."""
        with transaction(self.conn):
            return merge.apply_received(self.conn, changes)

    def record_export(self, case_id: str, fmt: str) -> None:
        self.record_output(case_id, "export", fmt)

    def record_output(self, case_id: str, action: str, detail: str) -> None:
        """Audit a summary shown on a terminal ("view") or sent out of the store ("export").

        `detail` says the format and where it went (e.g. "pdf file"), never the path,
        which may hold a name.
        """
        if action not in ("view", "export"):
            raise ValueError(action)
        self._record([pending.Event(self.author, action, "case", case_id, detail)], strict=True)

    def restamp(self) -> int:
        """Stamp again the queued changes a wrong clock dated ahead, once it is right again
        (see `merge.restamp`); inside the caller's transaction. Returns how many."""
        acked = meta.get_int(self.conn, "acked_seq")
        return merge.restamp(self.conn, self.replica_id, acked, clock.wall_clock_ms())

    # Internals

    def _new_change(
        self,
        entity: str,
        entity_id: str,
        case_id: str,
        op: str,
        fields: dict[str, Any],
        base: dict[str, str | None] | None = None,
    ) -> Change:
        self.restamp()
        return changelog.new_local(
            self.conn,
            origin=self.replica_id,
            author=self.author,
            entity=entity,
            entity_id=entity_id,
            case_id=case_id,
            op=op,
            fields=fields,
            base=base,
        )

    def _audit(self, action: str, object_type: str, object_id: str, detail: str = "") -> None:
        """A view or an export: recorded now, or later on a full disk (see `_record`)."""
        self._record([pending.Event(self.author, action, object_type, object_id, detail)])


def _json_value(name: str, value: Any) -> Any:
    """A field value in the form the change log and merge compare (JSON-ready)."""
    if isinstance(value, date):
        return value.isoformat()
    if name == "goals":
        return [
            Goal.model_validate(g).model_dump(mode="json")
            if not isinstance(g, str)
            else Goal(text=g).model_dump(mode="json")
            for g in value
        ]
    if isinstance(value, list):
        return [str(v) for v in value]
    if hasattr(value, "value"):
        return value.value
    return value


def _parse_field_text(name: str, text: str) -> Any:
    if name == "next_review":
        from fieldkit.dates import parse_day

        return parse_day(text, "--text")
    if not text.strip():
        raise InvalidValue("value.missing", field="--text")
    return text


def change_passphrase(home: Path, old: Credentials, new_passphrase: str, kind: str = KIND) -> int:
    """A new passphrase and a new data key; ends every session. Returns sessions ended.

    The database is re-encrypted under the new data key (fieldkit/store/rotation.py), so
    that an old copy of the key file with the old passphrase no longer opens the store;
    a kill at any point leaves a store that opens with the old or the new passphrase,
    and the next command completes the change.
    """
    from fieldkit.store import rotation

    check_passphrase(new_passphrase)
    # The passphrase, never a session; a change a kill interrupted is completed first.
    data_key = access.passphrase_key(home, read_keyfile(home, kind), old)
    data_key = access.complete_rotation(home, kind, data_key)
    keyfile = read_keyfile(home, kind)
    connect(db_path(home, kind), data_key).close()  # the full check, before any change
    under_way = rotation.start(home, keyfile, data_key, new_passphrase)
    return rotation.finish(home, under_way, data_key)[1]


def unlock(home: Path, credentials: Credentials, ttl_seconds: int) -> tuple[str, int]:
    """Open the store with the passphrase (never a session) and start a session.

    Returns (token, expiry as epoch seconds).
    """
    keyfile = read_keyfile(home, KIND)
    data_key = access.passphrase_key(home, keyfile, credentials)
    with WorkerStore.from_key(home, keyfile.store_id, data_key, None) as store:
        return store.start_session(ttl_seconds)
