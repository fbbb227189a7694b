"""The cell's view of a case, assembled once for `district case summary` and the report.

The district and the prevention group read the cell's circle of a case (DESIGN §9): what
the district wrote, the follow-ups' metadata (date, kind, author, attendance, referral
domain, concern level, next contact), and what the team addressed to them (the case's
`cell_note` and `participation`, the `--for-cell` follow-ups). Every other text is the
team's: it is never copied into this document, sealed or not (a text written before
sealing began is still the team's), and the document says how many such notes it leaves
out. The renderers are in cell_render.py; they lay out what is decided here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from fieldkit.display import short_id
from fieldkit.district.cellview import CellEntry, cell_entry, cell_text, hidden_case_texts
from fieldkit.district.cellview import opened as read_for_cell
from fieldkit.i18n import t, t_n
from fieldkit.model import (
    Case,
    CaseOutlook,
    CaseStatus,
    ConcernLevel,
    Decision,
    FollowUp,
    KnownWorker,
    Participation,
    Priority,
)
from fieldkit.names import Names
from fieldkit.rules import overdue
from fieldkit.summary.assemble import DecisionEntry, day, decision_entries, status_words
from fieldkit.summary.assemble import history_note as _history_note


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CellSummary(_Data):
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
    closure_reason: str | None = None
    next_review: date | None = None
    next_review_overdue: bool = False
    next_contact: date | None = None
    next_contact_overdue: bool = False
    concern_level: ConcernLevel | None = None
    # The group's decisions and the team's states of their measures (issue 17), after what
    # the district recorded and before what the team addressed to the group.
    decisions: list[DecisionEntry] = Field(default_factory=list)
    participation: Participation | None = None
    cell_note: str | None = None
    # Newest first; limited to `since` when given.
    history: list[CellEntry] = Field(default_factory=list)
    concerns: list[CellEntry] = Field(default_factory=list)
    since: date | None = None
    followups_total: int = 0
    # The team's notes this document leaves out: the case's team texts that hold something
    # (or cannot be opened here) and each follow-up shown whose text is the team's.
    notes_hidden: int = 0
    printed_by: str
    printed_at: datetime


def assemble_cell(
    case: Case,
    followups: list[FollowUp],
    *,
    printed_by: str,
    printed_at: datetime,
    since: date | None = None,
    worker_names: Iterable[KnownWorker] | Mapping[str, str] | None = None,
    outlook: CaseOutlook | None = None,
    decisions: list[Decision] | None = None,
) -> CellSummary:
    """The cell's summary of `case`, as printed by `printed_by` at `printed_at`.

    The models are read with no key at all (the district holds none), so that a sealed
    value can only ever read as empty here; `worker_names`, `since` and `outlook` are as
    for the worker's summary (fieldkit/summary/assemble.py).
    """
    case, opened = read_for_cell(case, [fu for fu in followups if fu.case_id == case.id])
    names = Names(worker_names or {}).with_case(case)
    tz = printed_at.tzinfo
    entries = sorted(
        ((cell_entry(fu, names, tz), fu.hlc) for fu in opened),
        key=lambda pair: (pair[0].occurred_on, pair[1], pair[0].id),
        reverse=True,
    )
    history = [e for e, _ in entries]
    shown = [e for e in history if since is None or e.occurred_on >= since]
    ahead = outlook or CaseOutlook(
        next_review=case.next_review,
        review_overdue=case.status != CaseStatus.CLOSED
        and overdue(case.next_review, printed_at.date()),
    )
    lead = case.lead
    return CellSummary(
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
        closure_reason=case.closure_reason,
        next_review=case.next_review,
        next_review_overdue=ahead.review_overdue,
        next_contact=ahead.next_contact,
        next_contact_overdue=ahead.contact_overdue,
        concern_level=ahead.concern_level,
        decisions=decision_entries(decisions or [], names),
        participation=case.participation,
        cell_note=cell_text(case.cell_note),
        history=shown,
        concerns=[e for e in shown if e.is_concern and not e.withdrawn],
        since=since,
        followups_total=len(history),
        notes_hidden=hidden_case_texts(case) + sum(1 for e in shown if e.team_note),
        printed_by=printed_by,
        printed_at=printed_at,
    )


# The words of the cell's summary, shared by the three renderers.


def value_word(prefix: str, value: object) -> str:
    """The words for an attendance or a participation, or a dash."""
    if value is None:
        return t("summary.none")
    return t(f"{prefix}.{getattr(value, 'value', value)}")


def title_line(summary: CellSummary) -> str:
    return f"{t('cell.title')} — {summary.reference}"


def cell_facts(summary: CellSummary) -> list[tuple[str, str]]:
    """(label, value) of the case as the district recorded it, in the order shown."""
    none = t("summary.none")
    review = day(summary.next_review)
    if summary.next_review_overdue:
        review = t("summary.overdue", date=review)
    contact = day(summary.next_contact)
    if summary.next_contact_overdue:
        contact = t("summary.overdue", date=contact)
    concern = t(f"concern.{summary.concern_level}") if summary.concern_level else none
    facts = [
        (t("summary.reference"), summary.reference),
        (t("summary.name"), summary.display_name),
        (t("summary.unit"), summary.unit),
        (t("summary.lead"), summary.lead or none),
        (t("summary.co_workers"), ", ".join(summary.co_workers) or none),
        (t("summary.status"), status_words(summary.status, summary.status_reason)),
        (t("summary.priority"), t(f"priority.{summary.priority}")),
        (t("summary.next_review"), review),
        (t("summary.next_contact"), contact),
        (t("summary.current_concern"), concern),
    ]
    if summary.closure_reason:
        facts.append((t("field.closure_reason"), summary.closure_reason))
    return facts


def participation_fact(summary: CellSummary) -> tuple[str, str]:
    return (t("field.participation"), value_word("participation", summary.participation))


def hidden_line(summary: CellSummary) -> str | None:
    """« N notes de l'équipe ne sont pas montrées… », or None when none is left out."""
    if not summary.notes_hidden:
        return None
    return t_n("cell.notes_hidden", summary.notes_hidden)


def entry_text(entry: CellEntry) -> str:
    """The follow-up's text for the group, or where the team's note stands."""
    return t("cell.team_note") if entry.summary is None else entry.summary


def entry_marks(entry: CellEntry) -> list[str]:
    """Lines under the text: addressed to the group, withdrawn, amended."""
    marks = []
    if entry.for_cell:
        marks.append(t("cell.for_cell"))
    if entry.withdrawn:
        if entry.withdrawn_reason:
            marks.append(
                t(
                    "summary.withdrawn_on",
                    date=day(entry.withdrawn_on),
                    reason=entry.withdrawn_reason,
                )
                if entry.withdrawn_on
                else t("summary.withdrawn", reason=entry.withdrawn_reason)
            )
        elif entry.withdrawn_on:
            marks.append(t("cell.withdrawn_on", date=day(entry.withdrawn_on)))
        else:
            marks.append(t("cell.withdrawn"))
    if entry.amendments:
        if entry.last_amended_on:
            marks.append(
                t("summary.amended_on", count=entry.amendments, date=day(entry.last_amended_on))
            )
        else:
            marks.append(t("summary.amended", count=entry.amendments))
    return marks


def entry_details(entry: CellEntry) -> list[tuple[str, str]]:
    """(label, value) of the follow-up's metadata (and, for the group, its partners and
    next steps); the short reference comes last."""
    details: list[tuple[str, str]] = []
    if entry.attendance is not None:
        details.append((t("field.attendance"), value_word("attendance", entry.attendance)))
    if entry.referral_to is not None:
        details.append((t("summary.referred_to"), t(f"referral.{entry.referral_to}")))
    if entry.partners:
        details.append((t("summary.partners"), ", ".join(entry.partners)))
    if entry.concern_level is not None:
        details.append((t("summary.concern_level"), t(f"concern.{entry.concern_level}")))
    if entry.next_steps:
        details.append((t("summary.next_steps"), entry.next_steps))
    if entry.next_contact is not None:
        details.append((t("summary.next_contact"), day(entry.next_contact)))
    details.append((t("summary.id"), short_id(entry.id)))
    return details


def history_note(summary: CellSummary) -> str:
    return _history_note(summary, "cell.history_note", "cell.history_since")
