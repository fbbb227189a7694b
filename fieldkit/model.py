"""The nouns of fieldkit: cases, follow-ups, workers, changes, conflicts, audit events.

Store rows become these models at the store's edge, bundles carry them and the
renderers take them. `--json` output is `model_dump(mode="json")` of them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# The vocabularies live in fieldkit.enums (cheap to import, for the CLI's help texts);
# they are re-exported here so that there is one vocabulary.
from fieldkit.enums import AgendaReason as AgendaReason
from fieldkit.enums import Attendance as Attendance
from fieldkit.enums import CaseStatus as CaseStatus
from fieldkit.enums import ConcernLevel as ConcernLevel
from fieldkit.enums import FollowUpKind as FollowUpKind
from fieldkit.enums import GoalState as GoalState
from fieldkit.enums import MeasureState as MeasureState
from fieldkit.enums import MeetingKind as MeetingKind
from fieldkit.enums import Participation as Participation
from fieldkit.enums import Priority as Priority
from fieldkit.enums import ReferralDomain as ReferralDomain
from fieldkit.enums import ReferralSource as ReferralSource
from fieldkit.enums import WorkerStatus as WorkerStatus

# A team text as the district and a device without the case key hold it: the sealed value
# (fieldkit/crypto/casekeys.py), which stands where a list or a text would be. Readers open
# it (fieldkit/replica/sealing.py) before they look at the field.
Sealed = str


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid", defer_build=True)


class Goal(_Model):
    """A support-plan goal: its text, its state, the day that state began and, for a
    dropped goal, why. Goals stored before issue 14 have only text and state."""

    text: str
    state: GoalState = GoalState.OPEN
    changed_on: date | None = None
    reason: str | None = None


class Assignee(_Model):
    """A worker assigned to a case, as the case record shows it."""

    id: str
    name: str = ""
    lead: bool = False
    # The member's public identity (PublicIdentity.to_dict) and its fingerprint, so that
    # the team's devices can grant the case keys to it (issue 16). None until enrolled.
    keys: dict[str, str] | None = None
    fingerprint: str | None = None


class KnownWorker(_Model):
    """A worker as a device knows them, to show a name where a record holds an id: the
    case teams' members and the authors on its cases, as the district last sent them."""

    id: str
    name: str
    revoked: bool = False


class Case(_Model):
    id: str
    reference: str
    display_name: str
    birth_year: int | None = None
    unit: str
    referral_date: date | None = None
    # A ReferralSource code (issue 17), or the free text of a case opened before it.
    referral_source: str | None = None
    referral_detail: str | None = None
    reason: str | None = None
    status: CaseStatus = CaseStatus.ACTIVE
    # Why the district last suspended or reopened the case (`district case suspend|reopen`).
    status_reason: str | None = None
    priority: Priority = Priority.NORMAL
    goals: list[Goal] | Sealed = Field(default_factory=list)
    related: list[str] | Sealed = Field(default_factory=list)
    situation: str = ""
    next_review: date | None = None
    assignees: list[Assignee] = Field(default_factory=list)
    closure_reason: str | None = None
    # Written by the team for the cell (issue 16): the point de situation pour la cellule
    # and the person's participation. In clear: the district reads them.
    cell_note: str | None = None
    participation: Participation | None = None
    # The team texts of this case that this replica cannot open (it holds no key for them,
    # or they did not pass their rules once opened): set by the reader, never stored.
    unreadable: list[str] = Field(default_factory=list)

    @property
    def lead(self) -> Assignee | None:
        return next((a for a in self.assignees if a.lead), None)


# Case fields a worker may change; the district owns the others (DESIGN §4).
WORKER_CASE_FIELDS = (
    "situation",
    "next_review",
    "goals",
    "related",
    "cell_note",
    "participation",
)
# Case fields the district sets; they merge like any field but only the district writes them.
DISTRICT_CASE_FIELDS = (
    "reference",
    "display_name",
    "birth_year",
    "unit",
    "referral_date",
    "referral_source",
    "reason",
    "status",
    "priority",
    "assignees",
    "closure_reason",
    # Issue 17: the referral's detail, and why the case was suspended or reopened.
    "referral_detail",
    "status_reason",
)
CASE_FIELDS = DISTRICT_CASE_FIELDS + WORKER_CASE_FIELDS


class Measure(_Model):
    """A mesure d'accompagnement the Prevention Group decided (issue 17): its text, written
    by the district, and its state, which the case team updates. Numbered 1, 2, 3 ... per
    case, in the order of the decisions."""

    id: str
    case_id: str
    decision_id: str
    number: int = Field(ge=1)
    text: str
    state: MeasureState = MeasureState.PLANNED
    changed_on: date | None = None  # the day the team set its state
    changed_by: str | None = None  # who set it (a worker id, or "district")


class Decision(_Model):
    """A decision of the Prevention Group on a case, written by the district and sent to
    the case team (cell circle, DESIGN §9: in clear)."""

    id: str
    case_id: str
    meeting_id: str | None = None
    meeting_date: date
    measures: list[Measure] = Field(default_factory=list)
    referent: str | None = None  # the référent de parcours: a worker or a structure
    next_review: date | None = None
    status: CaseStatus | None = None  # the status it changed the case to, if it did
    reason: str | None = None  # why (a closure's reason, a suspension's)
    note_for_team: str | None = None
    hlc: str = ""


class Amendment(_Model):
    """A correction of a follow-up; the original stays."""

    id: str
    hlc: str
    author: str
    fields: dict[str, Any]


class FollowUp(_Model):
    id: str
    case_id: str
    occurred_on: date
    recorded_by: str
    kind: FollowUpKind
    summary: str
    partners: list[str] | Sealed = Field(default_factory=list)
    referral_to: ReferralDomain | None = None
    next_steps: str | None = None
    next_contact: date | None = None
    concern_level: ConcernLevel | None = None
    # Whether the person came (contacts with the person only); the cell reads it.
    attendance: Attendance | None = None
    # Set by a withdrawal (an amendment carrying only this field): the follow-up was
    # recorded on the wrong case or by mistake. It stays in the history, marked.
    withdrawn_reason: str | None = None
    # Addressed to the cell: its texts are not sealed, the district reads them (issue 16).
    for_cell: bool = False
    hlc: str = ""
    amendments: list[Amendment] = Field(default_factory=list)
    # As on Case: the team texts this replica cannot open, set by the reader.
    unreadable: list[str] = Field(default_factory=list)

    @property
    def amended(self) -> bool:
        return bool(self.amendments)

    @property
    def withdrawn(self) -> bool:
        return self.current().withdrawn_reason is not None

    def withdrawal(self) -> Amendment | None:
        """The amendment that withdrew this follow-up, if one did."""
        return next((a for a in self.amendments if WITHDRAWAL_FIELD in a.fields), None)

    def current(self) -> FollowUp:
        """The follow-up as it reads after its amendments, in HLC order."""
        data = self.model_dump()
        for amendment in sorted(self.amendments, key=lambda a: (a.hlc, a.id)):
            data.update(amendment.fields)
        return FollowUp.model_validate(data)


# The field of a withdrawal: an amendment whose fields are {"withdrawn_reason": text}.
WITHDRAWAL_FIELD = "withdrawn_reason"
# Follow-up fields an amendment may change (a withdrawal is an amendment too).
AMENDABLE_FOLLOWUP_FIELDS = (
    "occurred_on",
    "kind",
    "summary",
    "partners",
    "referral_to",
    "next_steps",
    "next_contact",
    "concern_level",
    "attendance",
    WITHDRAWAL_FIELD,
)


class Worker(_Model):
    id: str
    name: str
    unit: str
    status: WorkerStatus = WorkerStatus.PENDING
    signing_key: str | None = None  # base64 Ed25519 public key
    hpke_key: str | None = None  # base64 ML-KEM-768+X25519 public key
    fingerprint: str | None = None


class Change(_Model):
    """One immutable change, as the change log keeps it and bundles carry it."""

    id: str  # "<origin>:<seq>"
    origin: str
    seq: int
    hlc: str
    entity: str  # case | followup | conflict | assignment
    entity_id: str
    case_id: str
    op: str
    fields: dict[str, Any] = Field(default_factory=dict)
    # For case updates: field -> id of the change the author's value replaced.
    base: dict[str, str | None] = Field(default_factory=dict)
    author: str

    @property
    def priority(self) -> int:
        """Sort key for bundles: high concerns travel first."""
        return 0 if self.fields.get("concern_level") == ConcernLevel.HIGH else 1


class Conflict(_Model):
    id: str
    case_id: str
    field: str
    winner_change: str
    loser_change: str
    winner_value: Any = None
    loser_value: Any = None
    winner_author: str = ""
    loser_author: str = ""
    resolved: bool = False
    resolved_by: str | None = None  # the author of the resolution (its resolve change)
    resolved_at: datetime | None = None  # the time of its HLC, the same on every replica


class RefusedChange(_Model):
    """A worker's change the district refused, kept whole until a coordinator decides.

    The district lists them (`district refusals`); the device that sent one keeps its own
    copy, even after the case leaves it, until the decision comes back (issue 12 §3).
    """

    id: str  # the district's refusal number; on a device, the change id
    change_id: str  # "<origin>:<seq>", as the refusal was recorded
    change: Change
    reason: str  # a refusal reason code (fieldkit/district/exchange.py, `_refusal_reason`)
    at: datetime
    worker_id: str = ""
    case_reference: str = ""
    # At the district: the case is in the intermediate archive. Its reference (and id) are
    # then not shown: a listing never names an archived case (district/archive.py).
    archived: bool = False
    status: str = "pending"  # pending | accepted | dismissed
    decided_at: datetime | None = None
    decision_reason: str | None = None

    @property
    def case_id(self) -> str:
        return self.change.case_id


class AuditEvent(_Model):
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str = ""
    object_id: str = ""
    detail: str = ""
    prev_hash: str
    hash: str


class AgendaItem(_Model):
    due: date
    what: str  # review | contact
    case_id: str
    reference: str
    display_name: str
    overdue: bool
    followup_id: str | None = None


class PendingChange(_Model):
    """One change of this device the district has not acknowledged yet."""

    id: str  # "<origin>:<seq>"
    case_id: str
    reference: str
    entity: str  # case | followup | conflict
    op: str  # update | add | amend | resolve
    # followup-add | amendment | withdrawal | case-update | conflict-resolve | measure-state
    # | other
    what: str
    fields: list[str] = Field(default_factory=list)
    kind: FollowUpKind | None = None  # the kind of an added follow-up
    written_at: datetime | None = None  # from the change's HLC


class CaseOutlook(_Model):
    """What is ahead on a case, as `agenda` counts it, for `case show` and the summary."""

    next_review: date | None = None
    review_overdue: bool = False
    next_contact: date | None = None  # the planned contact not yet made
    contact_followup: str | None = None  # the follow-up that planned it
    contact_overdue: bool = False
    concern_level: ConcernLevel | None = None  # from the latest follow-up that gave one


class StoreStatus(_Model):
    path: str
    kind: str
    worker_id: str | None = None
    worker_name: str | None = None
    fingerprint: str
    enrolled: bool = False
    district: str | None = None
    cases: int = 0
    followups: int = 0
    unsynced_changes: int = 0
    open_conflicts: int = 0
    last_sync: datetime | None = None
    session_expires: datetime | None = None


# The prevention group's meetings (issue 17; fieldkit/district/meetings.py).


class Meeting(_Model):
    """A session of the cell. `status` is "open" until `meeting close`, "closed" after,
    open again after `meeting amend`."""

    id: str
    reference: str  # R-2026-03: the meeting's year and its number in that year
    meeting_date: date
    kind: MeetingKind = MeetingKind.PLENARY
    title: str | None = None
    no_contact_days: int = 42
    status: str = "open"  # open | closed
    closed_sha256: str | None = None  # the hash of the minutes as last closed
    amendments: int = 0

    @property
    def closed(self) -> bool:
        return self.status == "closed"


class MeetingReason(_Model):
    """One reason a case is on the agenda: its code, and the date or count it rests on."""

    code: AgendaReason
    day: date | None = None  # the review date, the day of the concern or change
    days: int | None = None  # days without contact (None with no contact ever)


class MeetingItem(_Model):
    """A case on a meeting's agenda, with why; `removed` ones are kept, not shown."""

    case_id: str
    reference: str
    initials: str
    unit: str = ""
    status: CaseStatus = CaseStatus.ACTIVE
    reasons: list[MeetingReason] = Field(default_factory=list)
    manual: str | None = None  # added | removed | None (proposed from the data)


class Attendee(_Model):
    id: str
    name: str
    institution: str
    charter_signed: date | None = None

    @property
    def charter_missing(self) -> bool:
        return self.charter_signed is None


class MeetingEvent(_Model):
    """A closing (with the hash of the minutes as closed) or an amendment (with its reason)."""

    what: str  # close | amend
    at: datetime
    sha256: str | None = None
    reason: str | None = None
