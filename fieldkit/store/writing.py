"""What a worker writes: case fields, follow-ups and their amendments.

The rules a value must keep are fieldkit/rules.py's. Each write is one transaction that
appends its change to the change log, applies it through the same merge that applies
the district's changes (fieldkit/replica/merge.py), and records an audit event.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

from fieldkit import rules
from fieldkit.errors import InvalidValue, UsageError
from fieldkit.model import (
    AMENDABLE_FOLLOWUP_FIELDS,
    WITHDRAWAL_FIELD,
    WORKER_CASE_FIELDS,
    Attendance,
    Case,
    CaseStatus,
    Change,
    ConcernLevel,
    FollowUp,
    FollowUpKind,
    Goal,
    GoalState,
    Measure,
    MeasureState,
)
from fieldkit.replica import cases, changelog, clock, decisions, followups, merge, meta
from fieldkit.store import audit, team
from fieldkit.store.db import transaction

if TYPE_CHECKING:
    from collections.abc import Callable

    from fieldkit.store.worker import WorkerStore


def case_to_write(store: WorkerStore, ref: str) -> Case:
    """The case `ref` names, once it is known to take new work (it is not closed).
    Records nothing: a command asks it before a person types the text for the case."""
    case = team.open_case(store, cases.load(store.conn, cases.resolve_id(store.conn, ref)))
    if case.status == CaseStatus.CLOSED:
        raise UsageError("case.closed", ref=case.reference)
    return case


def update_case(store: WorkerStore, ref: str, **values: Any) -> Change:
    """Change worker-owned case fields (situation, next review, goals, related persons,
    the situation note for the cell, the person's participation)."""
    case = case_to_write(store, ref)
    case_id = case.id
    fields: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if name not in WORKER_CASE_FIELDS:
            raise InvalidValue("case.field_not_editable", field=name)
        fields[name] = json_value(name, value)
    if not fields:
        raise UsageError("case.nothing_to_update")
    rules.check_texts(fields)
    return _write_case_fields(store, case_id, fields, "update")


def _write_case_fields(
    store: WorkerStore, case_id: str, fields: dict[str, Any], action: str
) -> Change:
    with transaction(store.conn):
        base = {}
        for name in fields:
            version = cases.field_version(store.conn, case_id, name)
            base[name] = version.change_id if version else None
        change = new_change(store, "case", case_id, case_id, "update", fields, base)
        merge.apply(store.conn, change)
        audit.record(store.conn, store.author, action, "case", case_id, ",".join(sorted(fields)))
    return change


def add_followup(
    store: WorkerStore,
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
    attendance: Attendance | None = None,
    for_cell: bool = False,
) -> FollowUp:
    case_id = case_to_write(store, case_ref).id
    followup = FollowUp(
        id=uuid.uuid4().hex,
        case_id=case_id,
        occurred_on=occurred_on,
        recorded_by=store.author,
        kind=kind,
        summary=summary.strip(),
        partners=[p.strip() for p in partners or [] if p.strip()],
        referral_to=referral_to,
        next_steps=(next_steps or "").strip() or None,
        next_contact=next_contact,
        concern_level=concern_level,
        attendance=attendance,
        for_cell=for_cell,
    )
    rules.check_followup(followup, today)
    # A new follow-up is never withdrawn: the field is left out, as bundles always had it.
    exclude = {"id", "case_id", "hlc", "amendments", "unreadable", WITHDRAWAL_FIELD}
    fields = followup.model_dump(mode="json", exclude=exclude)
    # Fields that came with issue 16 travel only when set, so that a follow-up without
    # them reads on a device of an older version as it always did.
    for name, unset in (("attendance", None), ("for_cell", False)):
        if fields.get(name) == unset:
            fields.pop(name, None)
    with transaction(store.conn):
        change = new_change(store, "followup", followup.id, case_id, "add", fields)
        merge.apply(store.conn, change)
        audit.record(store.conn, store.author, "followup-add", "followup", followup.id, kind.value)
    return team.open_followup(store, followups.get(store.conn, followup.id))


def _followup_to_correct(
    store: WorkerStore, ref: str, check_author: Callable[[FollowUp, str], None]
) -> FollowUp:
    """The follow-up `ref` names, once `check_author` allows this worker to correct it
    and its case is still open."""
    original = followups.get(store.conn, followups.resolve_id(store.conn, ref))
    original = team.open_followup(store, original)
    check_author(original, store.author)
    case = cases.load(store.conn, original.case_id)
    if case.status == CaseStatus.CLOSED:
        raise UsageError("case.closed", ref=case.reference)
    return original


def amend_followup(store: WorkerStore, ref: str, today: date, **values: Any) -> FollowUp:
    original = _followup_to_correct(store, ref, rules.check_amendment_author)
    rules.check_amendment_fields(original, {})
    current = original.current()
    fields: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if name not in AMENDABLE_FOLLOWUP_FIELDS or name == WITHDRAWAL_FIELD:
            raise InvalidValue("followup.field_not_amendable", field=name)
        fields[name] = json_value(name, value)
    fields = {k: v for k, v in fields.items() if json_value(k, getattr(current, k)) != v}
    if not fields:
        raise UsageError("followup.nothing_to_amend")
    fields.update(_kind_leftovers(current, fields))
    rules.check_followup(FollowUp.model_validate({**current.model_dump(), **fields}), today)
    return _write_amendment(store, original, fields, "followup-amend")


def _kind_leftovers(current: FollowUp, fields: dict[str, Any]) -> dict[str, Any]:
    """What a new kind empties: a concern level only a concern has, a referral only a
    referral has, an attendance only a contact with the person has (the amendment
    records them as null; the original keeps them)."""
    kind = fields.get("kind")
    if kind is None:
        return {}
    cleared: dict[str, Any] = {}
    if kind != FollowUpKind.CONCERN and current.concern_level and "concern_level" not in fields:
        cleared["concern_level"] = None
    if (
        kind != FollowUpKind.PARTNER_REFERRAL
        and current.referral_to
        and "referral_to" not in fields
    ):
        cleared["referral_to"] = None
    if kind not in rules.CONTACT_KINDS and current.attendance and "attendance" not in fields:
        cleared["attendance"] = None
    return cleared


def followup_to_withdraw(store: WorkerStore, ref: str) -> FollowUp:
    """The follow-up `ref` names, once this worker may withdraw it. Records nothing."""
    return _followup_to_correct(store, ref, rules.check_withdrawal_author)


def withdraw_followup(store: WorkerStore, ref: str, reason: str) -> FollowUp:
    """Withdraw a follow-up recorded on the wrong case or by mistake: an amendment that
    carries only the reason (`withdrawn_reason`), so it syncs like one and the text stays."""
    original = followup_to_withdraw(store, ref)
    fields = {WITHDRAWAL_FIELD: reason.strip()}
    rules.check_amendment_fields(original, fields)
    withdrawn = FollowUp.model_validate({**original.current().model_dump(), **fields})
    rules.check_followup(withdrawn, None)
    return _write_amendment(store, original, fields, "followup-withdraw")


def _write_amendment(
    store: WorkerStore, original: FollowUp, fields: dict[str, Any], action: str
) -> FollowUp:
    with transaction(store.conn):
        change = new_change(store, "followup", original.id, original.case_id, "amend", fields)
        merge.apply(store.conn, change)
        detail = ",".join(sorted(fields))
        audit.record(store.conn, store.author, action, "followup", original.id, detail)
    return team.open_followup(store, followups.get(store.conn, original.id))


def add_goal(store: WorkerStore, ref: str, text: str, today: date) -> Change:
    """Add one support-plan goal, open from `today`; the others are kept as they are."""
    if not text.strip():
        raise InvalidValue("value.missing", field="goal_text")
    case_id, goals = _goals_of(store, ref)
    goals.append(Goal(text=text.strip(), changed_on=today))
    return _write_goals(store, case_id, goals)


def set_goal_state(
    store: WorkerStore,
    ref: str,
    number: int,
    state: GoalState,
    today: date,
    reason: str | None = None,
) -> Change:
    """Mark goal `number` (1-based, as `case show` lists them) achieved or dropped, from
    `today`; a dropped goal keeps why. Only a goal in progress changes state."""
    case_id, goals = _goals_of(store, ref)
    if not goals:
        raise UsageError("goal.none_yet")
    if not 1 <= number <= len(goals):
        raise InvalidValue("goal.no_such", field="N", value=number, last=len(goals))
    goal = goals[number - 1]
    if goal.state != GoalState.OPEN:
        done = goal.state == GoalState.ACHIEVED
        raise UsageError("goal.already_achieved" if done else "goal.already_dropped", number=number)
    if state == GoalState.DROPPED and not (reason or "").strip():
        raise InvalidValue("value.missing", field="reason")
    goal.state, goal.changed_on = state, today
    goal.reason = (reason or "").strip() or None
    return _write_goals(store, case_id, goals)


def _goals_of(store: WorkerStore, ref: str) -> tuple[str, list[Goal]]:
    case_id = cases.resolve_id(store.conn, ref)
    case = team.open_case(store, cases.load(store.conn, case_id))
    if case.status == CaseStatus.CLOSED:
        raise UsageError("case.closed", ref=case.reference)
    if "goals" in case.unreadable:
        raise UsageError("case.team_texts_unreadable", ref=case.reference)
    return case_id, [goal.model_copy() for goal in case.goals]


def _write_goals(store: WorkerStore, case_id: str, goals: list[Goal]) -> Change:
    """The goals list written whole, as any case field merges (last writer, conflicts kept)."""
    fields = {"goals": json_value("goals", goals)}
    rules.check_texts(fields)
    return _write_case_fields(store, case_id, fields, "update")


def restamp(store: WorkerStore) -> int:
    """Stamp again the queued changes a wrong clock dated ahead, once it is right again
    (see `merge.restamp`); inside the caller's transaction. Returns how many."""
    acked = meta.get_int(store.conn, "acked_seq")
    return merge.restamp(store.conn, store.replica_id, acked, clock.wall_clock_ms())


def new_change(
    store: WorkerStore,
    entity: str,
    entity_id: str,
    case_id: str,
    op: str,
    fields: dict[str, Any],
    base: dict[str, str | None] | None = None,
) -> Change:
    """This device's next change (inside the caller's transaction), not yet applied: its
    team texts sealed under the case key (fieldkit/store/team.py)."""
    restamp(store)
    fields = team.seal(store, entity, entity_id, case_id, fields)
    return changelog.new_local(
        store.conn,
        origin=store.replica_id,
        author=store.author,
        entity=entity,
        entity_id=entity_id,
        case_id=case_id,
        op=op,
        fields=fields,
        base=base,
    )


def json_value(name: str, value: Any) -> Any:
    """A field value in the form the change log and merge compare (JSON-ready)."""
    if isinstance(value, date):
        return value.isoformat()
    if name == "goals":
        return [
            # Without the empty fields: a goal written without dates reads as it always did.
            (Goal(text=g) if isinstance(g, str) else Goal.model_validate(g)).model_dump(
                mode="json", exclude_none=True
            )
            for g in value
        ]
    if isinstance(value, list):
        return [str(v) for v in value]
    if hasattr(value, "value"):
        return value.value
    return value


def set_measure_state(
    store: WorkerStore, ref: str, number: int, state: MeasureState, today: date
) -> tuple[Change, Measure]:
    """Set the state of the group's measure `number` on a case (1, 2, 3 ... as `case show`
    lists them), from `today`: a change the district reads (issue 17)."""
    case = case_to_write(store, ref)
    measure = decisions.measure_by_number(store.conn, case.id, number)
    if measure is None:
        last = decisions.last_number(store.conn, case.id)
        if not last:
            raise UsageError("measure.none_yet", ref=case.reference)
        raise InvalidValue("measure.no_such", field="N", value=number, last=last)
    if measure.state == state:
        raise UsageError("measure.already", number=number)
    fields = {"state": state.value, "changed_on": today.isoformat()}
    with transaction(store.conn):
        change = new_change(store, decisions.MEASURE, measure.id, case.id, "state", fields)
        merge.apply(store.conn, change)
        detail = f"measure={number} state={state.value}"
        audit.record(store.conn, store.author, "measure-state", "case", case.id, detail)
    updated = decisions.measure(store.conn, measure.id)
    assert updated is not None
    return change, updated
