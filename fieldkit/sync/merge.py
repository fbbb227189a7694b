"""Applying a change to a replica: idempotent, with per-field last-writer-wins for cases.

- A change already in the log is skipped (exactly-once effect of at-least-once delivery).
- Follow-ups and amendments are append-only: they never conflict.
- A case field takes the value of the change with the greatest (HLC, origin). When the
  incoming change did not build on the value it meets (its `base` differs), the two are
  concurrent: the losing value is kept as a conflict, identified the same way on every
  replica, so that all replicas list the same conflicts whatever the delivery order.
"""

from __future__ import annotations

import hashlib

from fieldkit.errors import BundleRejected
from fieldkit.model import CASE_FIELDS, Amendment, Change, Conflict, FollowUp
from fieldkit.store import cases, changelog, followups
from fieldkit.store.cases import FieldVersion
from fieldkit.store.db import Connection


def conflict_id(case_id: str, field: str, loser_change: str) -> str:
    return hashlib.sha256(f"{case_id}|{field}|{loser_change}".encode()).hexdigest()[:16]


def apply(conn: Connection, change: Change) -> list[Conflict] | None:
    """Apply one change inside the caller's transaction; None when it was already applied."""
    if changelog.seen(conn, change.id):
        return None
    changelog.insert(conn, change)
    handler = _HANDLERS.get((change.entity, change.op))
    if handler is None:
        raise BundleRejected("change.unknown", entity=change.entity, op=change.op)
    try:
        return handler(conn, change)
    except (ValueError, TypeError, KeyError) as exc:
        raise BundleRejected("change.malformed", id=change.id) from exc


def _case_fields(conn: Connection, change: Change) -> list[Conflict]:
    case_id = change.case_id
    if change.op == "open":
        cases.ensure_case(conn, case_id, str(change.fields.get("reference", case_id)))
    elif not cases.exists(conn, case_id):
        return []  # a case this replica no longer holds; the change stays in the log
    found = []
    for field, value in sorted(change.fields.items()):
        if field not in CASE_FIELDS:
            raise BundleRejected("change.unknown_field", field=field)
        incoming = FieldVersion(value, change.id, change.hlc, change.origin)
        current = cases.field_version(conn, case_id, field)
        if current is None:
            cases.set_field(conn, case_id, field, incoming)
            continue
        newer = (change.hlc, change.origin) > (current.hlc, current.origin)
        concurrent = change.base.get(field) != current.change_id
        if concurrent and value != current.value:
            winner, loser = (incoming, current) if newer else (current, incoming)
            conflict = Conflict(
                id=conflict_id(case_id, field, loser.change_id),
                case_id=case_id,
                field=field,
                winner_change=winner.change_id,
                loser_change=loser.change_id,
                winner_value=winner.value,
                loser_value=loser.value,
                winner_author=_author(conn, winner.change_id),
                loser_author=_author(conn, loser.change_id),
            )
            if cases.add_conflict(conn, conflict):
                found.append(conflict)
        if newer:
            cases.set_field(conn, case_id, field, incoming)
    return found


def _author(conn: Connection, change_id: str) -> str:
    change = changelog.get(conn, change_id)
    return change.author if change else ""


def _followup_add(conn: Connection, change: Change) -> list[Conflict]:
    if not cases.exists(conn, change.case_id):
        return []
    record = dict(change.fields)
    record.update(id=change.entity_id, case_id=change.case_id, hlc=change.hlc)
    record.setdefault("recorded_by", change.author)
    followups.insert(conn, FollowUp.model_validate(record))
    return []


def _followup_amend(conn: Connection, change: Change) -> list[Conflict]:
    if not cases.exists(conn, change.case_id):
        return []
    amendment = Amendment(id=change.id, hlc=change.hlc, author=change.author, fields=change.fields)
    followups.add_amendment(conn, change.entity_id, change.case_id, amendment)
    return []


def _conflict_resolve(conn: Connection, change: Change) -> list[Conflict]:
    cases.mark_resolved(conn, change.entity_id)
    return []


_HANDLERS = {
    ("case", "open"): _case_fields,
    ("case", "update"): _case_fields,
    ("followup", "add"): _followup_add,
    ("followup", "amend"): _followup_amend,
    ("conflict", "resolve"): _conflict_resolve,
}
