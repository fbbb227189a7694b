"""What a worker reads from the store: status, cases, follow-ups, the agenda, summaries.

A read that shows a person's text (a case, follow-ups, refused changes) is audited as a
view; a summary is audited by its caller once it knows where it goes (`record_output`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from fieldkit.choices import fold
from fieldkit.model import (
    WITHDRAWAL_FIELD,
    AgendaItem,
    Case,
    CaseOutlook,
    CaseStatus,
    Change,
    Conflict,
    Decision,
    FollowUp,
    FollowUpKind,
    KnownWorker,
    PendingChange,
    RefusedChange,
    StoreStatus,
)
from fieldkit.replica import cases, changelog, conflicts, decisions, followups, meta
from fieldkit.replica.clock import parse_hlc
from fieldkit.rules import overdue
from fieldkit.store import known_workers as district_names
from fieldkit.store import refusals, team

if TYPE_CHECKING:
    from fieldkit.store.worker import WorkerStore


@dataclass
class SummaryData:
    """What a case summary is assembled from (see fieldkit/summary/assemble.py)."""

    case: Case
    followups: list[FollowUp]
    conflicts: list[Conflict]
    worker_names: list[KnownWorker]  # the workers this store knows (known_workers below)
    printed_by: str  # this worker's name, or its id when the store has no name
    outlook: CaseOutlook  # what is ahead, as `agenda` counts it
    # The Prevention Group's decisions on the case, oldest first (issue 17).
    decisions: list[Decision] = field(default_factory=list)


def case_decisions(store: WorkerStore, case_id: str) -> list[Decision]:
    """The group's decisions on a case this device holds, oldest first, with the measures'
    states as the team last set them."""
    return decisions.for_case(store.conn, case_id)


def unsynced(store: WorkerStore) -> int:
    """The changes of this device's work the district has not acknowledged yet."""
    c = store.conn
    return changelog.count_of_origin_above(
        c, store.replica_id, meta.get_int(c, "acked_seq"), work_only=True
    )


def status(store: WorkerStore) -> StoreStatus:
    c = store.conn
    last_sync = meta.get(c, "last_sync")
    return StoreStatus(
        path=str(store.home),
        kind=store.KIND,
        worker_id=store.worker_id,
        worker_name=meta.get(c, "worker_name"),
        fingerprint=store.identity().public.fingerprint,
        enrolled=store.worker_id is not None,
        district=meta.get(c, "district_name"),
        cases=cases.count(c),
        followups=followups.count(c),
        unsynced_changes=unsynced(store),
        open_conflicts=len(conflicts.listing(c)),
        last_sync=datetime.fromisoformat(last_sync) if last_sync else None,
        session_expires=(
            datetime.fromtimestamp(store.session_expires, UTC) if store.session_expires else None
        ),
    )


def glance(store: WorkerStore) -> tuple[str | None, int, int, str | None]:
    """(worker name, changes waiting to sync, open conflicts, last sync): the status
    line of the interactive session, a few indexed reads after each command."""
    c = store.conn
    pending = unsynced(store)
    return meta.get(c, "worker_name"), pending, conflicts.open_count(c), meta.get(c, "last_sync")


def cases_version(store: WorkerStore) -> tuple[int, int, str | None]:
    """Changes whenever the cases on the device change (the session's completion keeps
    their names until it does)."""
    return cases.version(store.conn)


def list_cases(
    store: WorkerStore, status: CaseStatus | None = None, search: str | None = None
) -> list[Case]:
    """The cases on this device (with a status; whose name or reference holds `search`)."""
    wanted = status.value if status else None
    if search is not None and search.strip():
        found = cases.search(store.conn, search, wanted)
    else:
        found = cases.list_cases(store.conn, wanted)
    return [team.open_case(store, case) for case in found]


def get_case(store: WorkerStore, ref: str, limit: int | None = None) -> tuple[Case, list[FollowUp]]:
    """A case and its follow-ups, newest first: the `limit` latest, or all of them."""
    case_id = cases.resolve_id(store.conn, ref)
    case = team.open_case(store, cases.load(store.conn, case_id))
    history = team.open_followups(store, followups.for_case(store.conn, case_id, limit=limit))
    store.trail.event("view", "case", case_id)
    return case, history


def summary_data(store: WorkerStore, ref: str, today: date | None = None) -> SummaryData:
    """Everything a summary of case `ref` needs, loaded in one place.

    Not audited here: the caller records a view or an export once it knows where
    the summary goes (`record_output`).
    """
    case_id = cases.resolve_id(store.conn, ref)
    name = meta.get(store.conn, "worker_name")
    case = team.open_case(store, cases.load(store.conn, case_id))
    return SummaryData(
        case=case,
        followups=team.open_followups(store, followups.for_case(store.conn, case_id)),
        conflicts=team.open_conflicts(store, conflicts.listing(store.conn, case_id=case_id)),
        worker_names=known_workers(store),
        printed_by=name or store.author,
        outlook=outlook(store, case, today or date.today()),
        decisions=decisions.for_case(store.conn, case_id),
    )


@dataclass
class FollowUpFilter:
    """Which follow-ups `followup list` shows; each criterion reads the follow-up as it
    reads now (after its amendments). Text is matched accents and case ignored."""

    kind: FollowUpKind | None = None
    since: date | None = None
    until: date | None = None
    search: str | None = None
    recorded_by: str | None = None

    def __call__(self, original: FollowUp) -> bool:
        item = original.current()
        if self.kind is not None and item.kind != self.kind:
            return False
        if self.since is not None and item.occurred_on < self.since:
            return False
        if self.until is not None and item.occurred_on > self.until:
            return False
        if self.recorded_by is not None and item.recorded_by != self.recorded_by:
            return False
        if self.search:
            wanted = fold(self.search)
            texts = (item.summary, item.next_steps or "")
            if not any(wanted in fold(text) for text in texts):
                return False
        return True


def list_followups(
    store: WorkerStore, case_ref: str | None = None, wanted: FollowUpFilter | None = None
) -> list[FollowUp]:
    """Follow-ups with their text: a view of content, so audited like `get_case`."""
    if case_ref is None:
        items = team.open_followups(store, followups.all_followups(store.conn))
        items = [f for f in items if wanted(f)] if wanted else items
        store.trail.event("view", "followups", "", f"count={len(items)}")
        return items
    case_id = cases.resolve_id(store.conn, case_ref)
    items = team.open_followups(store, followups.for_case(store.conn, case_id))
    items = [f for f in items if wanted(f)] if wanted else items
    store.trail.event("view", "case", case_id, "followups")
    return items


def pending_changes(store: WorkerStore) -> list[PendingChange]:
    """This device's changes the district has not acknowledged, oldest first: what the
    next sync sends. Read from the change log alone; nothing is sent or spent."""
    acked = meta.get_int(store.conn, "acked_seq")
    references: dict[str, str] = {}
    items = []
    for change in changelog.of_origin_above(store.conn, store.replica_id, acked):
        if change.entity in changelog.PLUMBING:
            continue
        if change.case_id not in references:
            references[change.case_id] = cases.reference_of(store.conn, change.case_id) or ""
        items.append(_pending(change, references[change.case_id]))
    return items


def _pending(change: Change, reference: str) -> PendingChange:
    what = {
        ("followup", "add"): "followup-add",
        ("followup", "amend"): "amendment",
        ("case", "update"): "case-update",
        ("conflict", "resolve"): "conflict-resolve",
        ("measure", "state"): "measure-state",
    }.get((change.entity, change.op), "other")
    if what == "amendment" and WITHDRAWAL_FIELD in change.fields:
        what = "withdrawal"
    kind = change.fields.get("kind") if what == "followup-add" else None
    try:
        wall_ms = parse_hlc(change.hlc)[0]
        written = datetime.fromtimestamp(wall_ms / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        written = None
    return PendingChange(
        id=change.id,
        case_id=change.case_id,
        reference=reference,
        entity=change.entity,
        op=change.op,
        what=what,
        fields=sorted(change.fields) if what in ("case-update", "amendment") else [],
        kind=kind,
        written_at=written,
    )


def get_followup(store: WorkerStore, ref: str) -> FollowUp:
    item = followups.get(store.conn, followups.resolve_id(store.conn, ref))
    item = team.open_followup(store, item)
    store.trail.event("view", "followup", item.id)
    return item


def worker_names(store: WorkerStore, case_id: str) -> dict[str, str]:
    """Worker id -> name for the workers of a case this device knows, itself included."""
    names = {a.id: a.name for a in cases.load(store.conn, case_id).assignees if a.name}
    own = meta.get(store.conn, "worker_name")
    if own and store.worker_id:
        names[store.worker_id] = own
    return names


def known_workers(store: WorkerStore) -> list[KnownWorker]:
    """The workers this device knows by name: those the district last named (the teams of
    its cases and their authors, with revocations), and itself. Case records name their
    assignees too: the screens add those (fieldkit/names.py, `Names.with_case`)."""
    known = district_names.load(store.conn)
    own = meta.get(store.conn, "worker_name")
    if own and store.worker_id:
        known = [w for w in known if w.id != store.worker_id]
        known.append(KnownWorker(id=store.worker_id, name=own))
    return known


def refused_changes(store: WorkerStore, include_decided: bool = False) -> list[RefusedChange]:
    """This device's copies of the changes the district refused (audited: they hold text)."""
    items = refusals.listing(store.conn, include_decided=include_decided)
    items = [i.model_copy(update={"change": team.open_change(store, i.change)}) for i in items]
    store.trail.event("view", "refusals", "", f"count={len(items)}")
    return items


def agenda(store: WorkerStore, days: int, today: date) -> list[AgendaItem]:
    until = (today + timedelta(days=days)).isoformat()
    items: list[AgendaItem] = []
    names: dict[str, Case] = {}

    def case_of(case_id: str) -> Case:
        if case_id not in names:
            names[case_id] = cases.load(store.conn, case_id)
        return names[case_id]

    for case_id, due in cases.due_reviews(store.conn, until):
        items.append(_agenda_item(case_of(case_id), due, "review", today))
    for case_id, followup_id, due in followups.pending_contacts(store.conn, until):
        item = _agenda_item(case_of(case_id), due, "contact", today)
        item.followup_id = followup_id
        items.append(item)
    items.sort(key=lambda i: (not i.overdue, i.due, i.reference, i.what))
    return items


def outlook(store: WorkerStore, case: Case, today: date) -> CaseOutlook:
    """What is ahead on `case` on `today`: its review and planned contact as `agenda`
    counts them (the same queries), and its concern level now."""
    is_open = case.status != CaseStatus.CLOSED
    planned = followups.planned_contact(store.conn, case.id)
    contact = date.fromisoformat(planned[1]) if planned else None
    concern = followups.current_concern(store.conn, case.id)
    return CaseOutlook(
        next_review=case.next_review,
        review_overdue=is_open and overdue(case.next_review, today),
        next_contact=contact,
        contact_followup=planned[0] if planned else None,
        contact_overdue=overdue(contact, today),
        concern_level=concern,
    )


def overdue_cases(store: WorkerStore, today: date) -> dict[str, set[str]]:
    """Case id -> what is overdue on it ("review", "contact"): the agenda's overdue items."""
    found: dict[str, set[str]] = {}
    for item in agenda(store, 0, today):
        if item.overdue:
            found.setdefault(item.case_id, set()).add(item.what)
    return found


def _agenda_item(case: Case, due: str, what: str, today: date) -> AgendaItem:
    when = date.fromisoformat(due)
    return AgendaItem(
        due=when,
        what=what,
        case_id=case.id,
        reference=case.reference,
        display_name=case.display_name,
        overdue=overdue(when, today),
    )
