"""Which changes of a worker the district accepts: the worker's own, on a case assigned to
it, within the fields a worker writes, keeping every rule of the record (fieldkit/rules.py).

Used when a bundle arrives (fieldkit/district/exchange.py) and when a coordinator asks to
accept a refused change again (fieldkit/district/refusals.py).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from fieldkit import rules
from fieldkit.crypto.casekeys import Grant, is_sealed, well_formed
from fieldkit.district import workers
from fieldkit.errors import InvalidValue, NotFound, UsageError
from fieldkit.model import (
    AMENDABLE_FOLLOWUP_FIELDS,
    WITHDRAWAL_FIELD,
    WORKER_CASE_FIELDS,
    Case,
    Change,
    FollowUp,
)
from fieldkit.replica import cases, changelog, conflicts, decisions, followups, grants
from fieldkit.replica.sealing import team_fields


def refusal_reason(
    conn, change: Change, origin: str, worker_id: str, assigned: set[str]
) -> str | None:
    """Why the district refuses a worker's change, or None when it is allowed."""
    if change.origin != origin or change.id != f"{origin}:{change.seq}":
        return "origin"
    if change.author != worker_id:
        return "author"
    # Ids are stored in clear and looked up: a NUL (which PostgreSQL's text refuses) or
    # another control character is never part of a real one.
    if any(_has_control(value) for value in (change.entity, change.entity_id, change.op)):
        return "invalid"
    if change.case_id not in assigned:
        return "not-assigned"
    if change.entity in ("case", "followup") and not _sealed_where_allowed(change):
        return "invalid"
    if change.entity == grants.ENTITY:
        return _grant_reason(conn, change, worker_id)
    if change.entity == "case":
        if change.op != "update" or change.entity_id != change.case_id:
            return "operation"
        if any(name not in WORKER_CASE_FIELDS for name in change.fields):
            return "district-field"
        if not _valid_case_values(conn, change):
            return "invalid"
    elif change.entity == "followup":
        if change.op == "add":
            if change.fields.get("recorded_by", worker_id) != worker_id:
                return "author"
            known = _followup(conn, change.entity_id) is not None
            if known and not changelog.seen(conn, change.id):
                return "duplicate-id"
            return _followup_rules(change, worker_id)
        elif change.op == "amend":
            original = _followup(conn, change.entity_id)
            if original is None or original.case_id != change.case_id:
                return "unknown-followup"
            if original.recorded_by != worker_id:
                return "not-author"
            # Who recorded it, when it was stored, which case: never rewritten by an amendment.
            if any(name not in AMENDABLE_FOLLOWUP_FIELDS for name in change.fields):
                return "not-amendable"
            # A withdrawn follow-up stays as it was withdrawn; a withdrawal comes alone.
            try:
                rules.check_amendment_fields(original, change.fields)
            except InvalidValue:
                return "invalid"
            except UsageError:
                return "withdrawn"
            return _amendment_rules(original, change)
        else:
            return "operation"
    elif change.entity == decisions.MEASURE:
        return _measure_reason(conn, change)
    elif change.entity == decisions.DECISION:
        return "district-only"
    elif change.entity == "conflict":
        if change.op != "resolve":
            return "operation"
        # Only a conflict the district knows on this case: a resolution sent ahead for a
        # conflict still to come (its id is predictable) would make that one silent.
        known = conflicts.listing(conn, case_id=change.case_id, include_resolved=True)
        if change.entity_id not in {c.id for c in known}:
            return "unknown-conflict"
    else:
        return "operation"
    return None


def _measure_reason(conn, change: Change) -> str | None:
    """A member of the team updates the state of a measure the group decided on its case;
    the district alone writes the measures themselves (issue 17)."""
    if change.op == "add":
        return "district-only"
    if change.op != "state":
        return "operation"
    measure = decisions.measure(conn, change.entity_id)
    if measure is None or measure.case_id != change.case_id:
        return "unknown-measure"
    try:
        decisions.check_state_fields(change.fields)
    except ValueError:
        return "invalid"
    return None


def _sealed_where_allowed(change: Change) -> bool:
    """A sealed value only in a team field, and well formed: what the district can check
    of a text it cannot read. The cell's fields stay in clear."""
    allowed = team_fields(change.entity)
    for name, value in change.fields.items():
        if is_sealed(value) and (name not in allowed or not well_formed(value)):
            return False
    return True


def _grant_reason(conn, change: Change, worker_id: str) -> str | None:
    """A worker grants a case key only to a current member of the case's team (with the
    keys the district holds for it) or to one of the district's recovery keys."""
    if change.op != "add":
        return "operation"
    try:
        grant = Grant.from_fields(change.case_id, change.fields)
    except ValueError:
        return "invalid"
    if change.entity_id != grants.entity_id(grant.kid, grant.grantee):
        return "invalid"
    if grant.granter != worker_id:
        return "author"
    if grant.grantee.startswith("recovery-"):
        known = recovery_fingerprints(conn)
        return None if known.get(grant.grantee) == grant.grantee_key else "grant-not-member"
    from fieldkit.district import cases as district_cases

    if change.case_id not in district_cases.assigned(conn, grant.grantee):
        return "grant-not-member"
    try:
        record = workers.get(conn, grant.grantee)
    except NotFound:
        return "grant-not-member"
    public = record.public_identity()
    if public is None or public.fingerprint_hex != grant.grantee_key:
        return "grant-not-member"
    return None


def recovery_fingerprints(conn) -> dict[str, str]:
    """Grantee id ("recovery-N") -> fingerprint of each of the district's recovery keys."""
    from fieldkit.district import recovery

    return recovery.fingerprints(conn)


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


# Values are checked with the models every replica reads them back with, so that a
# crafted value cannot make the district's (or another worker's) listings fail.


def _valid_case_values(conn, change: Change) -> bool:
    try:
        current = cases.load(conn, change.case_id).model_dump(mode="json")
        Case.model_validate({**current, **change.fields})
        rules.check_texts(change.fields)
    except (ValueError, TypeError, NotFound, InvalidValue):
        return False
    return True


def _followup_rules(change: Change, worker_id: str) -> str | None:
    if not set(change.fields) <= _FOLLOWUP_ADD_FIELDS:
        return "invalid"
    record = {"recorded_by": worker_id, **change.fields}
    try:
        followup = FollowUp.model_validate(
            {**record, "id": change.entity_id, "case_id": change.case_id}
        )
    except (ValueError, TypeError):
        return "invalid"
    return _broken_rule(followup)


def _amendment_rules(original: FollowUp, change: Change) -> str | None:
    try:
        current = original.current()
        amended = FollowUp.model_validate({**current.model_dump(mode="json"), **change.fields})
    except (ValueError, TypeError):
        return "invalid"
    return _broken_rule(amended)


def _broken_rule(followup: FollowUp) -> str | None:
    """The rule a follow-up breaks, as a refusal reason ("rule:<key>:<field>"), or None.

    The same rules as the worker's (fieldkit/rules.py), against the district's calendar.
    """
    today = date.today() + timedelta(days=rules.FUTURE_DATE_SLACK_DAYS)
    try:
        rules.check_followup(followup, today)
    except InvalidValue as broken:
        return f"rule:{broken.key}:{broken.params.get('field', '')}"
    return None


# A follow-up is added whole; it is withdrawn only later, by its own amendment.
_FOLLOWUP_ADD_FIELDS = frozenset(FollowUp.model_fields) - {
    "id",
    "case_id",
    "hlc",
    "amendments",
    "unreadable",
    WITHDRAWAL_FIELD,
}


def _followup(conn, followup_id: str) -> FollowUp | None:
    try:
        return followups.get(conn, followup_id)
    except NotFound:
        return None


def reason_text(reason: str, field_names: dict[str, str] | None = None) -> str:
    """A refusal reason in the person's words; a broken rule says which and where
    (`field_names` maps a field to what the person knows it by, e.g. its flag)."""
    from fieldkit.i18n import t

    if reason.startswith("rule:"):
        _, key, field = [*reason.split(":", 2), "", ""][:3]
        return t(key, field=(field_names or {}).get(field, field))
    text = t(f"refusal.reason.{reason}")
    return reason if text == f"refusal.reason.{reason}" else text
