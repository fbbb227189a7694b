"""What the district reads of a case: its records opened with no key (DESIGN §9).

The district holds no case key, so every sealed team text reads as empty here, its field
named in `unreadable` (fieldkit/replica/sealing.py). `district case show`, `district case
summary` and the report's cases read a case through this module only, so that no sealed
value ever reaches a screen, a file or a JSON document of the district.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from fieldkit.crypto.casekeys import is_sealed
from fieldkit.district import cases as district_cases
from fieldkit.model import (
    Attendance,
    Case,
    CaseOutlook,
    CaseStatus,
    ConcernLevel,
    Conflict,
    Decision,
    FollowUp,
    FollowUpKind,
    KnownWorker,
    ReferralDomain,
    WorkerStatus,
)
from fieldkit.names import Names
from fieldkit.replica import cases as stored_cases
from fieldkit.replica import decisions, followups
from fieldkit.replica.clock import parse_hlc
from fieldkit.replica.sealing import (
    TEAM_CASE_FIELDS,
    TEAM_FOLLOWUP_FIELDS,
    open_case,
    open_conflict,
    open_followup,
)
from fieldkit.rules import overdue
from fieldkit.store import audit
from fieldkit.store.db import transaction

if TYPE_CHECKING:
    from fieldkit.district.store import DistrictStore

NO_KEYS: dict = {}  # the district's keyring: it never holds a case key


class CellEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    """One follow-up as the cell reads it: its metadata, and its texts only when the team
    addressed it to the group."""

    id: str
    occurred_on: date
    kind: FollowUpKind
    recorded_by: str  # a display name
    attendance: Attendance | None = None
    referral_to: ReferralDomain | None = None
    concern_level: ConcernLevel | None = None
    next_contact: date | None = None
    for_cell: bool = False
    # The texts of a follow-up addressed to the group, as amended; None for a team note.
    summary: str | None = None
    partners: list[str] = Field(default_factory=list)
    next_steps: str | None = None
    amendments: int = 0
    last_amended_on: date | None = None
    withdrawn: bool = False
    withdrawn_on: date | None = None
    withdrawn_reason: str | None = None  # only for a follow-up addressed to the group

    @property
    def team_note(self) -> bool:
        """Its text is the team's: the cell does not see it."""
        return self.summary is None

    @property
    def is_concern(self) -> bool:
        return self.kind == FollowUpKind.CONCERN or self.concern_level is not None


@dataclass
class CellData:
    """Everything the cell's summary of one case needs, read with no key."""

    case: Case
    followups: list[FollowUp]
    worker_names: list[KnownWorker]
    printed_by: str
    outlook: CaseOutlook
    decisions: list[Decision] = field(default_factory=list)  # the group's (issue 17)


def opened(case: Case, history: list[FollowUp]) -> tuple[Case, list[FollowUp]]:
    """The case and its follow-ups as the district reads them. Reading them again keeps
    what an earlier reading could not open (`unreadable`)."""
    return _keep_unreadable(case, open_case(case, NO_KEYS)), [
        _keep_unreadable(fu, open_followup(fu, NO_KEYS)) for fu in history
    ]


def _keep_unreadable(before: Any, after: Any) -> Any:
    after.unreadable = sorted(set(before.unreadable) | set(after.unreadable))
    return after


def cell_data(store: DistrictStore, ref: str, today: date) -> CellData:
    """The case `ref` for the cell's summary (not audited here: the caller records a view
    or an export once it knows where the document goes, `record_output`)."""
    case_id = district_cases.resolve(store.conn, ref)
    case, history = opened(
        stored_cases.load(store.conn, case_id), followups.for_case(store.conn, case_id)
    )
    return CellData(
        case=case,
        followups=history,
        worker_names=known_workers(store),
        printed_by=store.name or "district",
        outlook=outlook(store, case, today),
        decisions=decisions.for_case(store.conn, case_id),
    )


def known_workers(store: DistrictStore) -> list[KnownWorker]:
    return [
        KnownWorker(
            id=r.worker.id, name=r.worker.name, revoked=r.worker.status == WorkerStatus.REVOKED
        )
        for r in store.workers()
    ]


def outlook(store: DistrictStore, case: Case, today: date) -> CaseOutlook:
    """The case's review, planned contact and concern now, as `agenda` counts them (the
    same queries, fieldkit/replica/followups.py)."""
    is_open = case.status != CaseStatus.CLOSED
    planned = followups.planned_contact(store.conn, case.id)
    contact = date.fromisoformat(planned[1]) if planned else None
    return CaseOutlook(
        next_review=case.next_review,
        review_overdue=is_open and overdue(case.next_review, today),
        next_contact=contact,
        contact_followup=planned[0] if planned else None,
        contact_overdue=overdue(contact, today),
        concern_level=followups.current_concern(store.conn, case.id),
    )


def record_output(store: DistrictStore, case_id: str, action: str, detail: str) -> None:
    """Audit the cell's summary shown on a terminal ("view") or sent out ("export");
    `detail` says the format and the kind of destination, never the path."""
    if action not in ("view", "export"):
        raise ValueError(action)
    with transaction(store.conn):
        audit.record(store.conn, "district", action, "case", case_id, f"cell summary {detail}")


def opened_conflicts(conflicts: list[Conflict]) -> list[tuple[Conflict, bool]]:
    """Each conflict as the district reads it, and whether both its values were readable."""
    return [open_conflict(conflict, NO_KEYS) for conflict in conflicts]


def cell_text(value: str | None) -> str | None:
    """A text the cell may read: in clear and not empty (a sealed value never is one)."""
    if value is None or is_sealed(value) or not value.strip():
        return None
    return value


def hidden_case_texts(case: Case) -> int:
    """How many team texts of the case hold something (or cannot be opened here)."""
    return sum(
        1
        for name in TEAM_CASE_FIELDS
        if name in case.unreadable or getattr(case, name) not in ("", [])
    )


def cell_entry(fu: FollowUp, names: Names, tz: tzinfo | None = None) -> CellEntry:
    """`fu` (read with no key) as the cell reads it: its texts only when addressed to it."""
    withdrawal = fu.withdrawal()
    corrections = [a for a in fu.amendments if a is not withdrawal]
    days = [d for d in (_hlc_day(a.hlc, tz) for a in corrections) if d is not None]
    now = fu.current()
    readable = (
        fu.for_cell
        and not fu.unreadable
        and not any(is_sealed(getattr(now, name)) for name in TEAM_FOLLOWUP_FIELDS)
    )
    entry = CellEntry(
        id=fu.id,
        occurred_on=now.occurred_on,
        kind=now.kind,
        recorded_by=names.of(fu.recorded_by),
        attendance=now.attendance,
        referral_to=now.referral_to,
        concern_level=now.concern_level,
        next_contact=now.next_contact,
        for_cell=fu.for_cell,
        amendments=len(corrections),
        last_amended_on=max(days, default=None),
        # A withdrawal is known by its amendment: its reason may be a sealed team text.
        withdrawn=withdrawal is not None,
        withdrawn_on=_hlc_day(withdrawal.hlc, tz) if withdrawal else None,
    )
    if readable:
        entry.summary = now.summary
        entry.partners = list(now.partners)
        entry.next_steps = now.next_steps or None
        entry.withdrawn_reason = now.withdrawn_reason
    return entry


def _hlc_day(hlc: str, tz: tzinfo | None = None) -> date | None:
    """The day of a hybrid logical clock value in `tz`; None when it is not well formed."""
    try:
        wall_ms, _counter = parse_hlc(hlc)
        return datetime.fromtimestamp(wall_ms / 1000, tz=UTC).astimezone(tz).date()
    except (ValueError, OverflowError, OSError):
        return None
