"""Applying a change to a replica: idempotent, with per-field last-writer-wins for cases.

- A change already in the log is skipped (exactly-once effect of at-least-once delivery).
- Follow-ups and amendments are append-only: they never conflict.
- A case field takes the value of the change with the greatest (HLC, origin).
- Conflicts: a write to a field *loses* when a later write (by (HLC, origin)) to the same
  field did not build on it (it is not in the later write's chain of `base`s) and holds
  another value. Every losing write is one conflict, identified by the case, the field
  and the losing change. This is a property of the set of changes, not of the order
  they arrived in, so every replica that holds the same changes lists the same conflicts;
  each shows as kept the value the field holds now.
- A change for a case this replica does not hold (a worker's device after a purge) is
  neither applied nor kept: if the case comes back, its full history applies whole.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

from fieldkit.errors import BundleRejected
from fieldkit.model import CASE_FIELDS, Amendment, Change, Conflict, FollowUp
from fieldkit.replica import cases, changelog, conflicts, decisions, followups, grants
from fieldkit.replica.cases import FieldVersion
from fieldkit.replica.clock import MAX_COUNTER, MAX_SKEW_MS, MAX_WALL_MS, HybridClock, format_hlc
from fieldkit.replica.db import Connection


@dataclass
class Applied:
    """What applying a batch of received changes did."""

    applied: int = 0
    skipped: int = 0  # already there, or for a case this replica does not hold
    plumbing: int = 0  # grants of case keys applied: not counted as changes to people
    conflicts: list[Conflict] = dataclasses.field(default_factory=list)


def conflict_id(case_id: str, field: str, loser_change: str) -> str:
    return hashlib.sha256(f"{case_id}|{field}|{loser_change}".encode()).hexdigest()[:16]


def apply(conn: Connection, change: Change) -> list[Conflict] | None:
    """Apply one change inside the caller's transaction.

    Returns the conflicts it created, or None when nothing was applied: the change was
    already there, or it is for a case this replica does not hold.
    """
    if changelog.seen(conn, change.id):
        return None
    if (change.entity, change.op) != ("case", "open") and not cases.exists(conn, change.case_id):
        return None
    changelog.insert(conn, change)
    handler = _HANDLERS.get((change.entity, change.op))
    if handler is None:
        raise BundleRejected("change.unknown", entity=change.entity, op=change.op)
    try:
        return handler(conn, change)
    except (ValueError, TypeError, KeyError) as exc:
        raise BundleRejected("change.malformed", id=change.id) from exc


def apply_received(conn: Connection, changes: list[Change]) -> Applied:
    """Apply changes another replica sent, inside the caller's transaction: the local
    clock moves past all of them first, then each applies as `apply` does."""
    result = Applied()
    changelog.observe(conn, changes)
    for change in changes:
        found = apply(conn, change)
        if found is None:
            result.skipped += 1
        elif change.entity in changelog.PLUMBING:
            result.plumbing += 1
        else:
            result.applied += 1
            result.conflicts.extend(found)
    return result


def restamp(conn: Connection, origin: str, above_seq: int, now_ms: int) -> int:
    """Stamp again this replica's unacknowledged changes that a wrong clock dated ahead.

    A change is re-stamped when its HLC runs more than MAX_SKEW_MS ahead of `now_ms`: the
    clock that stamped it was ahead and has since been put right (a receiver refused it,
    and it stayed queued). The replica's clock restarts from the latest stamp that is not
    in the future, each such change gets a new stamp in seq order, and the cases they touch
    are rebuilt from their change log, so that the merge sees the new order. Returns how
    many changes were re-stamped; inside the caller's transaction.
    """
    limit = format_hlc(min(now_ms + MAX_SKEW_MS, MAX_WALL_MS), MAX_COUNTER)
    future = changelog.of_origin_stamped_after(conn, origin, above_seq, limit)
    persisted = changelog.clock(conn).last
    if not future and persisted <= limit:
        return 0
    hlc = HybridClock(last=changelog.latest_stamp_until(conn, limit), now_ms=lambda: now_ms)
    for change in future:
        changelog.set_stamp(conn, change.id, hlc.tick())
    changelog.save_clock(conn, hlc)
    for case_id in sorted({c.case_id for c in future}):
        rebuild_case(conn, case_id)
    return len(future)


def rebuild_case(conn: Connection, case_id: str) -> None:
    """Derive a case's state again from its change log: fields, conflicts, follow-ups.

    Conflicts are a property of the set of changes, not of their order (see the module's
    docstring), so applying the log again gives what every replica holding it shows.
    """
    history = changelog.all_of_case(conn, case_id)
    pending_purge = case_id in set(cases.purge_pending(conn))
    forget_case(conn, case_id)
    for change in history:
        apply(conn, change)
    if pending_purge:
        cases.mark_purge(conn, case_id)


def replay_case(conn: Connection, case_id: str) -> None:
    """`rebuild_case` for the district: the case's row stays (its assignments refer to
    it) and every change goes back at its own index (the workers' cursors count them)."""
    history = list(changelog.iter_above(conn, 0, [case_id]))
    followups.delete_case(conn, case_id)
    grants.delete_case(conn, case_id)
    decisions.delete_case(conn, case_id)
    cases.delete_fields(conn, case_id)
    changelog.delete_case(conn, case_id)
    for idx, change in history:
        changelog.insert(conn, change, idx)
        handler = _HANDLERS.get((change.entity, change.op))
        if handler is None:
            raise BundleRejected("change.unknown", entity=change.entity, op=change.op)
        handler(conn, change)


def forget_case(conn: Connection, case_id: str) -> None:
    """Remove a case from this replica: its fields, conflicts, follow-ups, decisions and
    change log."""
    followups.delete_case(conn, case_id)
    grants.delete_case(conn, case_id)
    decisions.delete_case(conn, case_id)
    cases.delete(conn, case_id)
    changelog.delete_case(conn, case_id)


def _case_fields(conn: Connection, change: Change) -> list[Conflict]:
    case_id = change.case_id
    if change.op == "open":
        cases.ensure_case(conn, case_id, str(change.fields.get("reference", case_id)))
    found = []
    others: list[Change] | None = None
    for field, value in sorted(change.fields.items()):
        if field not in CASE_FIELDS:
            raise BundleRejected("change.unknown_field", field=field)
        current = cases.field_version(conn, case_id, field)
        newer = current is None or _key(change) > (current.hlc, current.origin)
        if newer:
            version = FieldVersion(value, change.id, change.hlc, change.origin)
            cases.set_field(conn, case_id, field, version)
        if current is None:
            continue  # the first write of this field here: nothing to lose against
        if others is None:
            others = [c for c in changelog.of_case(conn, case_id, "case") if c.id != change.id]
        kept = _kept(conn, field, change if newer else None, current)
        added = []
        for loser in _losers(field, change, others):
            conflict = Conflict(
                id=conflict_id(case_id, field, loser.id),
                case_id=case_id,
                field=field,
                winner_change=kept.change_id,
                loser_change=loser.id,
                winner_value=kept.value,
                loser_value=loser.fields[field],
                winner_author=kept.author,
                loser_author=loser.author,
            )
            if conflicts.add(conn, conflict):
                _settle(conn, conflict.id)  # its resolution may have come first
                added.append(conflict)
        if newer or added:
            # A conflict shows the value the field holds now as the one kept, on every
            # replica alike (it is the latest write of all, whatever the arrival order).
            conflicts.set_winner(conn, case_id, field, kept.change_id, kept.value, kept.author)
        found.extend(added)
    return found


def _key(change: Change) -> tuple[str, str]:
    return (change.hlc, change.origin)


def _losers(field: str, change: Change, others: list[Change]) -> list[Change]:
    """The writes of `field` that lose because of `change`, and `change` if it loses.

    Checking each pair of writes when the second of them arrives finds every loss
    whatever the order of arrival (see the module's docstring).
    """
    writes = {c.id: c for c in others if field in c.fields}
    writes[change.id] = change

    def chain(start: Change) -> set[str]:
        seen: set[str] = set()
        parent = start.base.get(field)
        while parent is not None and parent not in seen:
            seen.add(parent)
            parent = writes[parent].base.get(field) if parent in writes else None
        return seen

    value, built_on = change.fields[field], chain(change)
    losers = []
    beaten = False
    for other in writes.values():
        if other.id == change.id or other.fields[field] == value:
            continue
        if _key(other) < _key(change) and other.id not in built_on:
            losers.append(other)
        elif _key(other) > _key(change) and change.id not in chain(other):
            beaten = True
    if beaten:
        losers.append(change)
    return losers


@dataclass(frozen=True)
class _Kept:
    change_id: str
    value: Any
    author: str


def _kept(conn: Connection, field: str, incoming: Change | None, current: FieldVersion) -> _Kept:
    """The write a field holds after this change: the incoming one, or the current one."""
    if incoming is not None:
        return _Kept(incoming.id, incoming.fields[field], incoming.author)
    writer = changelog.get(conn, current.change_id)
    return _Kept(current.change_id, current.value, writer.author if writer else "")


def _followup_add(conn: Connection, change: Change) -> list[Conflict]:
    record = dict(change.fields)
    record.update(id=change.entity_id, case_id=change.case_id, hlc=change.hlc)
    record.setdefault("recorded_by", change.author)
    followups.insert(conn, FollowUp.model_validate(record))
    return []


def _followup_amend(conn: Connection, change: Change) -> list[Conflict]:
    amendment = Amendment(id=change.id, hlc=change.hlc, author=change.author, fields=change.fields)
    followups.add_amendment(conn, change.entity_id, change.case_id, amendment)
    return []


def _conflict_resolve(conn: Connection, change: Change) -> list[Conflict]:
    kept = change.fields.get("kept")
    resolution = conflicts.Resolution(
        change.author, change.hlc, kept if isinstance(kept, str) else None
    )
    conflicts.record_resolution(conn, change.entity_id, resolution)
    _settle(conn, change.entity_id)
    return []


def _settle(conn: Connection, conflict_id: str) -> None:
    """Settle a conflict as its first resolution says, on the values it was settled on.

    The resolve change names the write its author saw as kept (`kept`); that write,
    from the log, is the kept value every replica shows. A resolution without one (from
    an older version) settles the conflict on the values it shows when it arrives.
    """
    resolution = conflicts.resolution(conn, conflict_id)
    where = conflicts.conflict_field(conn, conflict_id)
    if resolution is None or where is None:
        return
    case_id, field = where
    winner = None
    if resolution.kept_change is not None:
        kept = changelog.get(conn, resolution.kept_change)
        # Only a write of this very field of this case: a resolution cannot show another's.
        mine = kept is not None and kept.entity == "case" and kept.case_id == case_id
        if kept is not None and mine and field in kept.fields:
            winner = (kept.id, kept.fields[field], kept.author)
    conflicts.mark_resolved(conn, conflict_id, resolution, winner)


# What the district tells a case's team about its own acts on the case (a use of the
# recovery key, issue 16): kept in the change log, shown by the team's devices at sync.
NOTICE_ACTIONS = ("recover-grant-team", "recover-subject-access")


def _notice(conn: Connection, change: Change) -> list[Conflict]:
    if change.author != "district" or change.fields.get("action") not in NOTICE_ACTIONS:
        raise ValueError("not a notice")
    return []


_HANDLERS = {
    ("case", "open"): _case_fields,
    ("case", "update"): _case_fields,
    ("followup", "add"): _followup_add,
    ("followup", "amend"): _followup_amend,
    ("conflict", "resolve"): _conflict_resolve,
    (grants.ENTITY, "add"): grants.apply_change,
    ("notice", "add"): _notice,
    # The Prevention Group's decisions (issue 17): only the district's are applied.
    (decisions.DECISION, "add"): decisions.decision_add,
    (decisions.MEASURE, "add"): decisions.measure_add,
    (decisions.MEASURE, "state"): decisions.measure_state,
}
