"""The prevention group's meeting report: figures per territorial unit, assembled once.

The figures count the unit's active cases (suspended and closed cases are left out) and
carry no personal detail: no name, no free text, only units and counts. The per-case
annex (reference, name, lead, last follow-up, flags) is built only when asked for, from
the cell's view of each case (fieldkit/district/cellview.py): what the team addressed to
the group, never a team note.
The renderers are in fieldkit/summary/report_render.py.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from fieldkit.district import anonymised, meetings, retention
from fieldkit.district.cellview import (
    CellEntry,
    cell_entry,
    cell_text,
    hidden_case_texts,
    known_workers,
    opened,
)
from fieldkit.errors import NotFound
from fieldkit.model import Case, CaseStatus, FollowUp, Participation
from fieldkit.names import Names
from fieldkit.replica import followups
from fieldkit.rules import overdue
from fieldkit.store import audit
from fieldkit.store.db import Connection, transaction

if TYPE_CHECKING:
    from fieldkit.district.store import DistrictStore

DEFAULT_SINCE_DAYS = 30
DEFAULT_NOT_SEEN_DAYS = 30


class CaseFlag(StrEnum):
    REVIEW_OVERDUE = "review-overdue"
    HIGH_CONCERN = "high-concern"
    NOT_SEEN = "not-seen"
    CONFLICT = "conflict"
    # Past the active base: no contact from the person for the period (issue 19).
    PAST_ACTIVE_PERIOD = "past-active-period"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UnitFigures(_Data):
    """The counts of one unit (or of all units, as the total)."""

    unit: str
    active_cases: int = 0
    followups_since: int = 0  # follow-ups on or after `since`
    reviews_overdue: int = 0  # next review before the day of the report
    high_concerns: int = 0  # follow-ups with a high concern level, on or after `since`
    not_seen: int = 0  # no follow-up in the last `not_seen_days` days
    conflicts_waiting: int = 0  # open conflicts
    # Appointments among the follow-ups since `since` (withdrawn ones left out), by their
    # attendance; and the active cases by the person's participation (libre adhésion).
    attendance_kept: int = 0
    attendance_missed: int = 0
    attendance_excused: int = 0
    participation_proposed: int = 0
    participation_accepted: int = 0
    participation_declined: int = 0
    participation_withdrawn: int = 0
    participation_unknown: int = 0

    def add(self, other: UnitFigures) -> None:
        for name in type(self).model_fields:
            if name != "unit":
                setattr(self, name, getattr(self, name) + getattr(other, name))


class CaseLine(_Data):
    """One active case in the annex."""

    reference: str
    display_name: str
    unit: str
    lead: str | None = None
    last_followup: date | None = None
    flags: list[CaseFlag] = Field(default_factory=list)
    # The cell's view of the case (fieldkit/district/cellview.py), since `since`: what the
    # team addressed to the group, the appointments' attendance, and how many of the
    # team's notes are not shown.
    participation: Participation | None = None
    cell_note: str | None = None
    attendance_kept: int = 0
    attendance_missed: int = 0
    attendance_excused: int = 0
    for_cell: list[CellEntry] = Field(default_factory=list)
    notes_hidden: int = 0


class RetentionFigures(_Data):
    """What the next `district retention apply` does (issue 19), and the open cases past
    the active base; counts only."""

    to_archive: int = 0
    to_end: int = 0
    held: int = 0  # closed cases held back: refused changes on them wait for a decision
    end: str = "delete"
    flagged: int = 0
    active_years: int = 2
    in_archive: int = 0


class CountRow(_Data):
    """One anonymised count (fieldkit/district/anonymised.py): no personal data."""

    unit: str
    year: int
    kind: str
    outcome: str
    count: int


class DistrictReport(_Data):
    district: str
    printed_by: str
    printed_at: datetime
    since: date
    not_seen_days: int
    unit: str | None = None  # the unit asked for; None for every unit
    units: list[UnitFigures] = Field(default_factory=list)
    total: UnitFigures
    # The per-case annex: None unless asked for (it names people).
    cases: list[CaseLine] | None = None
    # The next meeting of the cell on or after the report's day: (reference, date, cases on
    # its agenda as last proposed); None when none is planned (fieldkit/district/meetings.py).
    next_meeting: tuple[str, date, int] | None = None
    # Retention (issue 19): the counts due at the next apply, and the anonymised counts.
    retention: RetentionFigures = Field(default_factory=RetentionFigures)
    statistics: list[CountRow] = Field(default_factory=list)


def build_report(
    store: DistrictStore,
    *,
    printed_at: datetime,
    since: date | None = None,
    not_seen_days: int = DEFAULT_NOT_SEEN_DAYS,
    unit: str | None = None,
    with_cases: bool = False,
) -> DistrictReport:
    """The report as of `printed_at`'s day; `since` defaults to 30 days before it."""
    today = printed_at.date()
    since = since or today - timedelta(days=DEFAULT_SINCE_DAYS)
    seen_from = today - timedelta(days=not_seen_days)

    every_case = store.list_cases()
    units = sorted(
        {c.unit for c in every_case if c.unit} | {r.worker.unit for r in store.workers()},
        key=str.casefold,
    )
    if unit is not None:
        units = [_known_unit(unit, units)]
    active = [c for c in every_case if c.status == CaseStatus.ACTIVE and c.unit in units]
    activity = followups.activity(store.conn, since.isoformat())
    conflicts = Counter(c.case_id for c in store.conflicts())

    due = retention.plan(store.conn, today)
    past_active = {item.case_id for item in due.flagged}
    figures = {name: UnitFigures(unit=name) for name in units}
    lines: list[CaseLine] = []
    people = known_workers(store) if with_cases else []
    for case in active:
        last, recent, high = activity.get(case.id, (None, 0, 0))
        last_day = date.fromisoformat(last) if last else None
        flags = _flags(case, today, last_day, seen_from, high, conflicts[case.id])
        if case.id in past_active:
            flags.append(CaseFlag.PAST_ACTIVE_PERIOD)
        unit_figures = figures[case.unit]
        unit_figures.active_cases += 1
        unit_figures.followups_since += recent
        unit_figures.high_concerns += high
        unit_figures.conflicts_waiting += conflicts[case.id]
        unit_figures.reviews_overdue += CaseFlag.REVIEW_OVERDUE in flags
        unit_figures.not_seen += CaseFlag.NOT_SEEN in flags
        name = case.participation.value if case.participation else "unknown"
        field = f"participation_{name}"
        setattr(unit_figures, field, getattr(unit_figures, field) + 1)
        # Only cases seen since `since` have follow-ups to read (the activity query).
        since_then = (
            followups.for_case(store.conn, case.id, since=since.isoformat()) if recent else []
        )
        kept, missed, excused = _attendance(since_then)
        unit_figures.attendance_kept += kept
        unit_figures.attendance_missed += missed
        unit_figures.attendance_excused += excused
        if with_cases:
            lead = case.lead
            seen, history = opened(case, since_then)
            names = Names(people).with_case(seen)
            entries = [cell_entry(fu, names, printed_at.tzinfo) for fu in history]
            lines.append(
                CaseLine(
                    reference=case.reference,
                    display_name=case.display_name,
                    unit=case.unit,
                    lead=(lead.name or lead.id) if lead else None,
                    last_followup=last_day,
                    flags=flags,
                    participation=case.participation,
                    cell_note=cell_text(seen.cell_note),
                    attendance_kept=kept,
                    attendance_missed=missed,
                    attendance_excused=excused,
                    for_cell=[e for e in entries if not e.team_note],
                    notes_hidden=hidden_case_texts(seen) + sum(1 for e in entries if e.team_note),
                )
            )

    total = UnitFigures(unit="")
    for item in figures.values():
        total.add(item)
    lines.sort(key=lambda line: (line.unit.casefold(), line.reference))
    coming = meetings.next_meeting(store.conn, today)
    kept = _retention(store, due, units[0] if unit is not None else None)
    return DistrictReport(
        district=store.name,
        printed_by=store.name or "district",
        printed_at=printed_at,
        since=since,
        not_seen_days=not_seen_days,
        unit=units[0] if unit is not None else None,
        units=list(figures.values()),
        total=total,
        cases=lines if with_cases else None,
        next_meeting=(
            (coming.reference, coming.meeting_date, len(meetings.items(store.conn, coming)))
            if coming is not None
            else None
        ),
        retention=kept[0],
        statistics=kept[1],
    )


def _retention(
    store: DistrictStore, due: retention.Plan, unit: str | None
) -> tuple[RetentionFigures, list[CountRow]]:
    """The retention counts of the district (or of one unit), read without applying."""

    def ours(items: list) -> int:
        return sum(1 for item in items if unit is None or item.unit == unit)

    figures = RetentionFigures(
        to_archive=ours(due.to_archive),
        to_end=ours(due.to_end),
        held=ours(due.held),
        end=due.rules.end,
        flagged=ours(due.flagged),
        active_years=due.rules.active_years,
        in_archive=due.archived,
    )
    rows = [CountRow(**c.as_json()) for c in anonymised.listing(store.conn, unit)]
    return figures, rows


def record_use(conn: Connection, action: str, detail: str, unit: str | None = None) -> None:
    """Audit a meeting report shown on a terminal ("view") or sent out ("export").

    `detail` says the format, where it went and whether it held the per-case annex
    (e.g. "pdf file with-cases"), never the path.
    """
    if action not in ("view", "export"):
        raise ValueError(action)
    with transaction(conn):
        audit.record(conn, "district", action, "report", unit or "", detail)


def _known_unit(wanted: str, units: list[str]) -> str:
    """The unit as the district spells it; NotFound (listing the units) otherwise."""
    folded = wanted.strip().casefold()
    for name in units:
        if name.casefold() == folded:
            return name
    raise NotFound("report.unknown_unit", unit=wanted, units=", ".join(units) or "—")


def _flags(
    case: Case, today: date, last: date | None, seen_from: date, high: int, conflicts: int
) -> list[CaseFlag]:
    flags = []
    if overdue(case.next_review, today):
        flags.append(CaseFlag.REVIEW_OVERDUE)
    if high:
        flags.append(CaseFlag.HIGH_CONCERN)
    if last is None or last < seen_from:
        flags.append(CaseFlag.NOT_SEEN)
    if conflicts:
        flags.append(CaseFlag.CONFLICT)
    return flags


def _attendance(history: list[FollowUp]) -> tuple[int, int, int]:
    """(kept, missed, excused) among these follow-ups as amended, withdrawn ones left out."""
    counts = Counter(fu.current().attendance for fu in history if fu.withdrawal() is None)
    return counts["kept"], counts["missed"], counts["excused"]
