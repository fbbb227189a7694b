"""Assemble a case summary once, as plain data, for the three renderers.

Everything a summary shows is decided here (what is included, in which order, which
name stands for which worker); the renderers in text.py, markdown.py and pdf.py only
lay it out and translate the labels of enums and headings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fieldkit.dates import show_day, show_moment
from fieldkit.display import short_id
from fieldkit.i18n import t, t_n
from fieldkit.model import (
    WITHDRAWAL_FIELD,
    Amendment,
    Attendance,
    Case,
    CaseOutlook,
    CaseStatus,
    ConcernLevel,
    Conflict,
    Decision,
    FollowUp,
    FollowUpKind,
    Goal,
    KnownWorker,
    MeasureState,
    Participation,
    Priority,
    ReferralDomain,
    ReferralSource,
)
from fieldkit.names import Names
from fieldkit.replica.clock import parse_hlc
from fieldkit.rules import overdue


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AmendmentMark(_Data):
    """Who made one amendment (a display name) and on which day."""

    by: str
    on: date | None = None


class HistoryEntry(_Data):
    """One follow-up as the summary shows it: its latest text, after amendments."""

    id: str
    occurred_on: date
    kind: FollowUpKind
    recorded_by: str  # a display name
    summary: str
    partners: list[str] = Field(default_factory=list)
    referral_to: ReferralDomain | None = None
    next_steps: str | None = None
    next_contact: date | None = None
    concern_level: ConcernLevel | None = None
    attendance: Attendance | None = None
    for_cell: bool = False  # addressed to the cell by its author
    amendments: int = 0
    last_amended_on: date | None = None
    amended_by: list[AmendmentMark] = Field(default_factory=list)
    # A withdrawn follow-up stays in the history, struck, with why and when.
    withdrawn_reason: str | None = None
    withdrawn_on: date | None = None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_reason is not None

    @property
    def is_concern(self) -> bool:
        return self.kind == FollowUpKind.CONCERN or self.concern_level is not None


class ConflictEntry(_Data):
    """An open conflict on a case field: the value kept and the concurrent one."""

    id: str
    field: str
    kept_value: str
    other_value: str
    kept_by: str
    other_by: str


class MeasureEntry(_Data):
    """A measure of the group as a summary shows it: who set its state, by name."""

    number: int
    text: str
    state: MeasureState
    changed_on: date | None = None
    changed_by: str | None = None  # a display name


class DecisionEntry(_Data):
    """A decision of the Prevention Group on the case, with its measures (issue 17)."""

    meeting_date: date
    measures: list[MeasureEntry] = Field(default_factory=list)
    referent: str | None = None
    next_review: date | None = None
    status: CaseStatus | None = None
    reason: str | None = None
    note_for_team: str | None = None


class CaseSummary(_Data):
    reference: str
    display_name: str
    unit: str
    lead: str | None = None
    co_workers: list[str] = Field(default_factory=list)
    status: CaseStatus
    priority: Priority
    referral_date: date | None = None
    referral_source: str | None = None
    referral_detail: str | None = None
    reason: str | None = None
    status_reason: str | None = None
    situation: str | None = None
    goals: list[Goal] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)
    # What the team wrote for the cell: the person's participation and the situation note.
    participation: Participation | None = None
    cell_note: str | None = None
    next_review: date | None = None
    next_review_overdue: bool = False
    next_contact: date | None = None  # the planned contact, as `agenda` counts it
    next_contact_overdue: bool = False
    concern_level: ConcernLevel | None = None  # the case's concern now
    # Newest first; limited to `since` when given.
    history: list[HistoryEntry] = Field(default_factory=list)
    # The concerns among `history`, newest first.
    concerns: list[HistoryEntry] = Field(default_factory=list)
    conflicts: list[ConflictEntry] = Field(default_factory=list)
    # « Décisions de la cellule »: the group's decisions, oldest first (issue 17).
    decisions: list[DecisionEntry] = Field(default_factory=list)
    since: date | None = None
    followups_total: int = 0
    printed_by: str
    printed_at: datetime


def assemble(
    case: Case,
    followups: list[FollowUp],
    conflicts: list[Conflict],
    *,
    printed_by: str,
    printed_at: datetime,
    since: date | None = None,
    worker_names: Iterable[KnownWorker] | Mapping[str, str] | None = None,
    outlook: CaseOutlook | None = None,
    decisions: list[Decision] | None = None,
) -> CaseSummary:
    """The summary of `case` as printed by `printed_by` at `printed_at`.

    `worker_names` gives workers' names (and revocations); without an entry, the name
    the case record holds for an assignee is used, then a neutral label, never the id
    (fieldkit/names.py). `since` limits the history and the concerns to follow-ups on
    or after that day. `outlook` is what the store says is ahead (the planned contact
    and the concern level, as `agenda` and `case show` count them); without it the
    summary shows no next contact. `decisions` are the group's decisions on the case.
    """
    names = Names(worker_names or {}).with_case(case)
    today = printed_at.date()

    current = [fu.current() for fu in followups if fu.case_id == case.id]
    originals = {fu.id: fu for fu in followups}
    tz = printed_at.tzinfo
    entries = [_entry(fu, originals[fu.id].amendments, names, tz) for fu in current]
    # Newest first; the id breaks ties so that the order never depends on input order.
    entries.sort(key=lambda e: (e.occurred_on, originals[e.id].hlc, e.id), reverse=True)
    shown = [e for e in entries if since is None or e.occurred_on >= since]

    ahead = outlook or CaseOutlook(
        next_review=case.next_review,
        review_overdue=case.status != CaseStatus.CLOSED and overdue(case.next_review, today),
    )
    lead = case.lead
    return CaseSummary(
        reference=case.reference,
        display_name=case.display_name,
        unit=case.unit,
        lead=names.of(lead.id) if lead else None,
        co_workers=[names.of(a.id) for a in case.assignees if not a.lead],
        status=case.status,
        priority=case.priority,
        referral_date=case.referral_date,
        referral_source=case.referral_source,
        referral_detail=case.referral_detail,
        reason=case.reason,
        status_reason=case.status_reason,
        situation=case.situation or None,
        goals=[goal.model_copy() for goal in case.goals],
        related=list(case.related),
        participation=case.participation,
        cell_note=case.cell_note or None,
        next_review=case.next_review,
        next_review_overdue=ahead.review_overdue,
        next_contact=ahead.next_contact,
        next_contact_overdue=ahead.contact_overdue,
        concern_level=ahead.concern_level,
        history=shown,
        concerns=[e for e in shown if e.is_concern and not e.withdrawn],
        conflicts=[
            _conflict(c, names)
            for c in sorted(conflicts, key=lambda c: (c.field, c.id))
            if c.case_id == case.id and not c.resolved
        ],
        decisions=decision_entries(decisions or [], names),
        since=since,
        followups_total=len(entries),
        printed_by=printed_by,
        printed_at=printed_at,
    )


def decision_entries(decisions: list[Decision], names: Names) -> list[DecisionEntry]:
    """The group's decisions as summaries and `case show` show them, oldest first."""
    ordered = sorted(decisions, key=lambda d: (d.meeting_date, d.hlc, d.id))
    return [
        DecisionEntry(
            meeting_date=d.meeting_date,
            measures=[
                MeasureEntry(
                    number=m.number,
                    text=m.text,
                    state=m.state,
                    changed_on=m.changed_on,
                    changed_by=_setter(m.changed_by, names),
                )
                for m in sorted(d.measures, key=lambda m: m.number)
            ],
            referent=d.referent,
            next_review=d.next_review,
            status=d.status,
            reason=d.reason,
            note_for_team=d.note_for_team,
        )
        for d in ordered
    ]


def _setter(author: str | None, names: Names) -> str | None:
    if author is None:
        return None
    return t("decision.by_district") if author == "district" else names.of(author)


def _entry(
    fu: FollowUp, amendments: list[Amendment], names: Names, tz: tzinfo | None
) -> HistoryEntry:
    withdrawal = next((a for a in amendments if WITHDRAWAL_FIELD in a.fields), None)
    amendments = [a for a in amendments if a is not withdrawal]
    days = [d for d in (hlc_day(a.hlc, tz) for a in amendments) if d is not None]
    return HistoryEntry(
        id=fu.id,
        occurred_on=fu.occurred_on,
        kind=fu.kind,
        recorded_by=names.of(fu.recorded_by),
        summary=fu.summary,
        partners=list(fu.partners),
        referral_to=fu.referral_to,
        next_steps=fu.next_steps or None,
        next_contact=fu.next_contact,
        concern_level=fu.concern_level,
        attendance=fu.attendance,
        for_cell=fu.for_cell,
        amendments=len(amendments),
        last_amended_on=max(days, default=None),
        amended_by=[
            AmendmentMark(by=names.of(a.author), on=hlc_day(a.hlc, tz)) for a in amendments
        ],
        withdrawn_reason=fu.withdrawn_reason,
        withdrawn_on=hlc_day(withdrawal.hlc, tz) if withdrawal else None,
    )


def _conflict(conflict: Conflict, names: Names) -> ConflictEntry:
    return ConflictEntry(
        id=conflict.id,
        field=conflict.field,
        kept_value=format_value(conflict.field, conflict.winner_value),
        other_value=format_value(conflict.field, conflict.loser_value),
        kept_by=names.of(conflict.winner_author) if conflict.winner_author else "",
        other_by=names.of(conflict.loser_author) if conflict.loser_author else "",
    )


def format_value(field: str, value: Any) -> str:
    """A case field's value as one line of text, in the current language."""
    if value is None or value == "" or value == []:
        return t("summary.none")
    if field == "status":
        return t(f"status.{value}")
    if field == "priority":
        return t(f"priority.{value}")
    if field == "participation":
        return t(f"participation.{value}")
    if field in ("referral_date", "next_review"):
        day = _as_date(value)
        return show_day(day) if day else str(value)
    if isinstance(value, dict):
        return _format_item(value)
    if isinstance(value, Iterable) and not isinstance(value, str):
        return "; ".join(_format_item(item) for item in value)
    return str(value)


def _format_item(item: Any) -> str:
    if isinstance(item, Goal):
        item = item.model_dump(mode="json")
    if isinstance(item, dict):
        if "text" in item:  # a support-plan goal
            state = item.get("state") or "open"
            return f"{item['text']} ({t(f'goal.{state}')})"
        if "id" in item:  # an assignee
            return str(item.get("name") or item["id"])
        return ", ".join(f"{k}={v}" for k, v in sorted(item.items()))
    return str(item)


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def hlc_day(hlc: str, tz: tzinfo | None = None) -> date | None:
    """The day, in `tz` (local time by default), of a hybrid logical clock value.

    None when the value is not a well-formed HLC: the summary then shows no date.
    """
    try:
        wall_ms, _counter = parse_hlc(hlc)
        return datetime.fromtimestamp(wall_ms / 1000, tz=UTC).astimezone(tz).date()
    except (ValueError, OverflowError, OSError):
        return None


# The words of a summary, shared by the three renderers so that they say the same
# things the same way; each renderer only lays them out.


def day(value: date | None) -> str:
    """A date in the current language's usual form, or a dash."""
    return show_day(value, t("summary.none"))


def labelled(label: str, value: str) -> str:
    """`label: value`, with the current language's punctuation."""
    return t("summary.label", label=label, value=value)


def printed_line(summary: CaseSummary) -> str:
    at = show_moment(summary.printed_at, local=False)
    return t("summary.printed", by=summary.printed_by, at=at)


def case_facts(summary: CaseSummary) -> list[tuple[str, str]]:
    """(label, value) of the case itself, in the order they are shown."""
    none = t("summary.none")
    review = day(summary.next_review)
    if summary.next_review_overdue:
        review = t("summary.overdue", date=review)
    contact = day(summary.next_contact)
    if summary.next_contact_overdue:
        contact = t("summary.overdue", date=contact)
    concern = t(f"concern.{summary.concern_level}") if summary.concern_level else none
    consent = t(f"participation.{summary.participation}") if summary.participation else none
    return [
        (t("summary.reference"), summary.reference),
        (t("summary.name"), summary.display_name),
        (t("summary.unit"), summary.unit),
        (t("summary.lead"), summary.lead or none),
        (t("summary.co_workers"), ", ".join(summary.co_workers) or none),
        (t("summary.status"), status_words(summary.status, summary.status_reason)),
        (t("summary.priority"), t(f"priority.{summary.priority}")),
        (t("field.participation"), consent),
        (t("summary.next_review"), review),
        (t("summary.next_contact"), contact),
        (t("summary.current_concern"), concern),
    ]


def status_words(status: CaseStatus, reason: str | None) -> str:
    """A case's status in words, with why the district suspended or reopened it."""
    words = t(f"status.{status}")
    return t("summary.status_reason", status=words, reason=reason) if reason else words


def referral_source_words(source: str | None, detail: str | None) -> str | None:
    """Who referred the person, in words: the source of the managed list (issue 17), or
    the free text of a case opened before it, then the detail; None when neither is known."""
    words = None
    if source:
        key = f"referral_source.{source}"
        words = t(key) if source in _REFERRAL_SOURCES else source
    if detail:
        return t("summary.referral_detail", source=words, detail=detail) if words else detail
    return words


_REFERRAL_SOURCES = frozenset(s.value for s in ReferralSource)


def referral_facts(summary: CaseSummary | Any) -> list[tuple[str, str]]:
    none = t("summary.none")
    source = referral_source_words(summary.referral_source, summary.referral_detail)
    return [
        (t("summary.referral_date"), day(summary.referral_date)),
        (t("summary.referral_source"), source or none),
        (t("summary.reason"), summary.reason or none),
    ]


def history_note(
    summary: CaseSummary | Any, count: str = "summary.count", since: str = "summary.since"
) -> str:
    """What the history holds: all follow-ups, or those since a day, in the words of the
    messages `count` and `since` (the cell's summary has its own)."""
    if summary.since is None:
        return t_n(count, summary.followups_total)
    return t(
        since,
        date=day(summary.since),
        shown=len(summary.history),
        total=summary.followups_total,
    )


def entry_heading(entry: HistoryEntry | Any) -> list[str]:
    """Date, kind and author of a follow-up."""
    return [day(entry.occurred_on), t(f"kind.{entry.kind}"), entry.recorded_by]


def entry_details(entry: HistoryEntry) -> list[tuple[str, str]]:
    """(label, value) shown under a follow-up's text; the reference comes last."""
    details: list[tuple[str, str]] = []
    if entry.referral_to is not None:
        details.append((t("summary.referred_to"), t(f"referral.{entry.referral_to}")))
    if entry.partners:
        details.append((t("summary.partners"), ", ".join(entry.partners)))
    if entry.concern_level is not None:
        details.append((t("summary.concern_level"), t(f"concern.{entry.concern_level}")))
    if entry.attendance is not None:
        details.append((t("field.attendance"), t(f"attendance.{entry.attendance}")))
    if entry.next_steps:
        details.append((t("summary.next_steps"), entry.next_steps))
    if entry.next_contact is not None:
        details.append((t("summary.next_contact"), day(entry.next_contact)))
    details.append((t("summary.id"), short_id(entry.id)))
    return details


def amended_note(entry: HistoryEntry) -> str | None:
    """'Amended 2× (latest …)' for an amended follow-up, else None."""
    if not entry.amendments:
        return None
    if entry.amended_by:
        marks = "; ".join(
            t("summary.amended_by_on", name=mark.by, date=day(mark.on))
            if mark.on
            else t("summary.amended_by", name=mark.by)
            for mark in entry.amended_by
        )
        return t("summary.amended_list", count=entry.amendments, marks=marks)
    if entry.last_amended_on is None:
        return t("summary.amended", count=entry.amendments)
    return t("summary.amended_on", count=entry.amendments, date=day(entry.last_amended_on))


def for_cell_note(entry: HistoryEntry) -> str | None:
    """'Addressed to the group' for a follow-up its author addressed to the cell, else None."""
    return t("field.for_cell") if entry.for_cell else None


def withdrawn_note(entry: HistoryEntry) -> str | None:
    """'Withdrawn on …: reason' for a withdrawn follow-up, else None."""
    if not entry.withdrawn:
        return None
    if entry.withdrawn_on is None:
        return t("summary.withdrawn", reason=entry.withdrawn_reason)
    return t("summary.withdrawn_on", date=day(entry.withdrawn_on), reason=entry.withdrawn_reason)


def goal_state(goal: Goal) -> str:
    """A goal's state, with the day it began ("Achieved on …") and why it was dropped."""
    state = t(f"goal.{goal.state}")
    if goal.changed_on is None:
        return state
    if goal.reason:
        return t(
            "summary.goal_state_reason", state=state, date=day(goal.changed_on), reason=goal.reason
        )
    return t("summary.goal_state_since", state=state, date=day(goal.changed_on))


def concern_level(entry: HistoryEntry) -> str:
    if entry.concern_level is None:
        return t("summary.none")
    return t(f"concern.{entry.concern_level}")


def decision_heading(entry: DecisionEntry) -> str:
    """« Réunion du 20/11/2026 »: the meeting the decision was taken at."""
    return t("decision.meeting_of", date=day(entry.meeting_date))


def decision_facts(entry: DecisionEntry) -> list[tuple[str, str]]:
    """(label, value) of a decision besides its measures and its note for the team."""
    facts: list[tuple[str, str]] = []
    if entry.referent:
        facts.append((t("decision.referent"), entry.referent))
    if entry.next_review is not None:
        facts.append((t("decision.next_review"), day(entry.next_review)))
    if entry.status is not None:
        status = t(f"status.{entry.status}")
        if entry.reason:
            status = t("decision.status_reason", status=status, reason=entry.reason)
        facts.append((t("decision.status"), status))
    return facts


def measure_state(measure: MeasureEntry | Any) -> str:
    """A measure's state in words, with the day and who set it (« En cours depuis le … »)."""
    state = t(f"measure.{measure.state}")
    if measure.changed_on is None:
        return state
    if measure.changed_by:
        return t(
            "decision.state_since_by",
            state=state,
            date=day(measure.changed_on),
            name=measure.changed_by,
        )
    return t("decision.state_since", state=state, date=day(measure.changed_on))


def measure_line(measure: MeasureEntry | Any) -> str:
    """« 1. Consultation au CMP — en cours depuis le … »."""
    return t(
        "decision.measure_line",
        number=measure.number,
        text=measure.text,
        state=measure_state(measure),
    )
