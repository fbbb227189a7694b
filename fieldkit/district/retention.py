"""Retention at the district: which closed cases are due for purge, and purging them; the
frameworks' cycle (issue 19): open cases past their active period flagged, closed cases
moved to the intermediate archive (fieldkit/district/archive.py), and archived cases past
their period deleted or anonymised (fieldkit/district/anonymised.py), by `apply`.

A case's closing time is the HLC of the write that set its `status` field to closed
(`case_fields.hlc`): every store has it, on both backends, with no new column. The HLC
never runs behind the district's clock, so a case is never purged before its time.
Audit events stay (ids, never content); refused changes about a purged case go too,
once decided and known to their device (fieldkit/district/refusals.py, `delete_about`).
A closed case with a refused change still waiting for a coordinator's decision is held
back, from the archive and from the end alike: it stays where it is until the decisions
(`district refusals`), so that no refused work is archived out of sight or deleted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from fieldkit.district import anonymised, archive, meetings, refusals, retention_rules
from fieldkit.district import cases as district_cases
from fieldkit.district.retention_rules import CONTACT_KINDS, Rules, add_years, archive_end
from fieldkit.model import CaseStatus
from fieldkit.replica import cases, changelog, conflicts, decisions, followups, grants
from fieldkit.replica.clock import format_hlc, parse_hlc
from fieldkit.store import audit
from fieldkit.store.db import Connection, checkpoint, transaction

PURGE_ACTION = "purge"


@dataclass(frozen=True)
class ClosedCase:
    """A closed case due for purge: ids, its closing date and how many follow-ups it has."""

    case_id: str
    reference: str
    closed_on: date
    followups: int
    pending_refusals: int = 0  # refused changes waiting for a decision: held back

    def as_json(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "closed_on": self.closed_on.isoformat(),
            "followups": self.followups,
        }

    def held_json(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "closed_on": self.closed_on.isoformat(),
            "pending_refusals": self.pending_refusals,
        }


def closed_before(conn: Connection, cutoff: date) -> list[ClosedCase]:
    """Closed cases whose closing time is before `cutoff` (00:00 UTC), oldest first; those
    with refused changes still pending say how many (`purge_closed` holds them back)."""
    start = datetime.combine(cutoff, time.min, tzinfo=UTC)
    bound = format_hlc(int(start.timestamp()) * 1000, 0)
    pending = refusals.pending_by_case(conn)
    return [
        ClosedCase(
            case_id=case_id,
            reference=reference,
            closed_on=_day(hlc),
            followups=followups.count(conn, case_id),
            pending_refusals=pending.get(case_id, 0),
        )
        for case_id, reference, hlc in cases.closed_stamps(conn, bound)
    ]


def purge_closed(
    conn: Connection, cutoff: date, only: set[str] | None = None, *, on_file: bool = True
) -> list[ClosedCase]:
    """Delete every closed case closed before `cutoff` (those of them in `only`, the ids
    a person confirmed, when given), in one transaction; returns what went.

    A case with a refused change still pending is held back (not returned): deleted, the
    refused work would go with it unseen; it goes at the first run after the decisions.
    Selected again under the write lock, so an open case is never touched. On the file,
    the WAL is checkpointed afterwards so that the freed content leaves it too
    (`secure_delete` has zeroed it in the pages); on PostgreSQL the rows' space is
    reclaimed by VACUUM (docs/postgresql.md).
    """
    with transaction(conn):
        due = [item for item in closed_before(conn, cutoff) if not item.pending_refusals]
        if only is not None:
            due = [item for item in due if item.case_id in only]
        purge(conn, due)
    if on_file:
        checkpoint(conn)
    return due


def purge(conn: Connection, due: list[ClosedCase]) -> int:
    """Delete these cases' content everywhere, inside the caller's transaction; audit each.

    Also removes the refused changes about these cases and about cases purged on an
    earlier run (a device that still held one sent them afterwards, or had not yet got
    the decision), those with nothing owed on them. Returns how many earlier ones went.
    """
    for item in due:
        _delete_case(conn, item.case_id)
        detail = f"reference={item.reference} closed={item.closed_on.isoformat()}"
        audit.record(conn, "district", PURGE_ACTION, "case", item.case_id, detail)
    now = {item.case_id for item in due}
    late = 0
    if refusals.any_kept(conn):
        earlier = audit.object_ids(conn, "district", PURGE_ACTION, "case") - now
        late = refusals.delete_about(conn, now, earlier)
    if late:
        audit.record(conn, "district", PURGE_ACTION, "refusals", "", f"count={late}")
    return late


def _delete_case(conn: Connection, case_id: str) -> None:
    # Resolutions are keyed by conflict id alone: those of this case's conflicts, and those
    # that arrived before their conflict did (known only from the change log).
    resolved = conflicts.ids_of_case(conn, case_id)
    resolved.update(changelog.entity_ids_of_case(conn, case_id, "conflict"))
    district_cases.delete_assignments(conn, case_id)
    archive.forget(conn, case_id)
    followups.delete_case(conn, case_id)
    grants.delete_case(conn, case_id)  # who was on its team, and its sealed keys
    decisions.delete_case(conn, case_id)
    meetings.delete_case(conn, case_id)  # its place on the agendas
    changelog.delete_case(conn, case_id)
    cases.purge(conn, case_id, resolved)


def _day(hlc: str) -> date:
    wall_ms, _ = parse_hlc(hlc)
    return datetime.fromtimestamp(wall_ms / 1000, UTC).date()


# The frameworks' cycle (issue 19)

ARCHIVE_ACTION = "archive"  # a closed case moved to the intermediate archive
CHECK_ACTION = "retention-check"  # a dry run: what the next apply would do
APPLY_ACTION = "retention-apply"
ANONYMISE_ACTION = "anonymise"
# The HLC bound above every closing time: every closed case, whenever it closed.
_EVERY = format_hlc(2**47, 0)


@dataclass(frozen=True)
class Moving:
    """A closed case leaving active use for the archive, or the archive for the end."""

    case_id: str
    reference: str
    unit: str
    closed_on: date
    followups: int
    ends_on: date  # the first day it leaves the archive

    def as_json(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "unit": self.unit,
            "closed_on": self.closed_on.isoformat(),
            "followups": self.followups,
            "archive_until": self.ends_on.isoformat(),
        }


@dataclass(frozen=True)
class Flagged:
    """An open case past its active period: no contact from the person for that long."""

    case_id: str
    reference: str
    unit: str
    last_contact: date | None  # the last kept contact from the person; None: never
    counted_from: date  # that contact, or the referral when there was none
    active_until: date

    def as_json(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "unit": self.unit,
            "last_contact": self.last_contact.isoformat() if self.last_contact else None,
            "counted_from": self.counted_from.isoformat(),
            "active_until": self.active_until.isoformat(),
        }


@dataclass(frozen=True)
class Held:
    """A closed case the rules would move, held back: refused changes on it wait for a
    coordinator's decision (`district refusals list`). `stage`: "archive" (it stays in
    active use) or "end" (it stays in the archive)."""

    case_id: str
    reference: str
    unit: str
    closed_on: date
    stage: str
    pending_refusals: int

    def as_json(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "unit": self.unit,
            "closed_on": self.closed_on.isoformat(),
            "stage": self.stage,
            "pending_refusals": self.pending_refusals,
        }


@dataclass
class Plan:
    """What `apply` moves on `today`, and the open cases it flags (it never moves them)."""

    today: date
    rules: Rules
    to_archive: list[Moving]
    to_end: list[Moving]
    flagged: list[Flagged]
    archived: int  # cases in the archive before the run
    held: list[Held] = field(default_factory=list)
    done: bool = False

    def counts(self) -> dict[str, int]:
        return {
            "to_archive": len(self.to_archive),
            "to_end": len(self.to_end),
            "held": len(self.held),
            "flagged": len(self.flagged),
            "archived": self.archived,
        }

    def as_json(self) -> dict[str, object]:
        return {
            "today": self.today.isoformat(),
            "dry_run": not self.done,
            "end": self.rules.end,
            "to_archive": [m.as_json() for m in self.to_archive],
            "to_end": [m.as_json() for m in self.to_end],
            "held": [h.as_json() for h in self.held],
            "flagged": [f.as_json() for f in self.flagged],
            "in_archive_before": self.archived,
        }


def plan(conn: Connection, today: date) -> Plan:
    """What the rules ask on `today` (read only, not audited: the report shows its counts).

    Every closed case leaves active use: the next apply moves it to the archive. It leaves
    the archive on `archive_end` (fieldkit/district/retention_rules.py). An open case is
    flagged once its active period has run from the last contact from the person (a
    contact follow-up with attendance kept, as amended, not withdrawn), or from the
    referral when there was none since (the period never starts before the referral).
    A closed case with refused changes pending is held back from both moves (`Held`).
    """
    rules = retention_rules.read(conn)
    archived = archive.ids(conn)
    pending = refusals.pending_by_case(conn)
    to_archive: list[Moving] = []
    to_end: list[Moving] = []
    held: list[Held] = []
    for case_id, reference, hlc in cases.closed_stamps(conn, _EVERY):
        case = cases.load(conn, case_id)
        closed_on = _day(hlc)
        moving = Moving(
            case_id=case_id,
            reference=reference,
            unit=case.unit,
            closed_on=closed_on,
            followups=followups.count(conn, case_id),
            ends_on=archive_end(rules, closed_on, case.birth_year),
        )
        ending = moving.ends_on <= today
        if pending.get(case_id) and (case_id not in archived or ending):
            stage = "end" if case_id in archived else "archive"
            held.append(Held(case_id, reference, case.unit, closed_on, stage, pending[case_id]))
            continue
        if case_id not in archived:
            to_archive.append(moving)
        if ending:
            to_end.append(moving)
    flagged = []
    for case in cases.list_cases(conn, hidden=archived):
        if case.status == CaseStatus.CLOSED:
            continue
        referral = case.referral_date
        if referral is not None and add_years(referral, rules.active_years) > today:
            continue  # referred within the period: nothing to read (most open cases)
        last = last_contact(conn, case.id)
        counted_from = max((day for day in (last, referral) if day is not None), default=None)
        if counted_from is None:
            continue
        active_until = add_years(counted_from, rules.active_years)
        if active_until <= today:
            flagged.append(
                Flagged(case.id, case.reference, case.unit, last, counted_from, active_until)
            )
    flagged.sort(key=lambda f: (f.counted_from, f.reference))
    return Plan(today, rules, to_archive, to_end, flagged, len(archived), held)


def last_contact(conn: Connection, case_id: str) -> date | None:
    """The day of the last contact from the person on this case, if there was one."""
    days = [
        item.occurred_on
        for item in (f.current() for f in followups.for_case(conn, case_id) if not f.withdrawn)
        if item.kind.value in CONTACT_KINDS
        and item.attendance is not None
        and item.attendance.value == "kept"
    ]
    return max(days, default=None)


def apply(
    conn: Connection,
    today: date,
    *,
    dry_run: bool = False,
    on_file: bool = True,
    only: set[str] | None = None,
) -> Plan:
    """Do what `plan` shows, in one transaction, the plan read again under the write lock:
    two runs at once do the work once, and a second run finds nothing left (idempotent).
    `only`: the case ids a person confirmed; a case closed since is left for the next run.
    Each run is audited, a dry run too; each case moved or ended is audited (ids and
    dates, never content)."""
    with transaction(conn):
        due = plan(conn, today)
        if only is not None:
            due.to_archive = [item for item in due.to_archive if item.case_id in only]
            due.to_end = [item for item in due.to_end if item.case_id in only]
        counts = due.counts()
        detail = " ".join(f"{name}={value}" for name, value in counts.items())
        if dry_run:
            audit.record(conn, "district", CHECK_ACTION, "retention", "", detail)
            return due
        for item in due.to_archive:
            if archive.put(conn, item.case_id, item.closed_on, today):
                audit.record(
                    conn,
                    "district",
                    ARCHIVE_ACTION,
                    "case",
                    item.case_id,
                    f"reference={item.reference} closed={item.closed_on.isoformat()}",
                )
        ending = [
            ClosedCase(item.case_id, item.reference, item.closed_on, item.followups)
            for item in due.to_end
        ]
        if due.rules.end == "anonymise":
            for item in due.to_end:
                counts_of = _counts(conn, item)
                anonymised.add(conn, counts_of)
                audit.record(
                    conn,
                    "district",
                    ANONYMISE_ACTION,
                    "case",
                    item.case_id,
                    f"counts={sum(counts_of.values())}",
                )
        purge(conn, ending)
        detail += f" end={due.rules.end}"
        audit.record(conn, "district", APPLY_ACTION, "retention", "", detail)
        due.done = True
    if on_file and ending:
        checkpoint(conn)
    return due


def _counts(conn: Connection, item: Moving) -> Counter[anonymised.Key]:
    case = cases.load(conn, item.case_id)
    history = followups.for_case(conn, item.case_id)
    decided = decisions.for_case(conn, item.case_id)
    return anonymised.of_case(case, history, decided, item.closed_on.year)
