"""Which fields are the case team's, sealing them as they are written, and opening them
as they are read (issue 16, DESIGN §9).

The team texts of a case are `situation`, `related` and `goals`; those of a follow-up
(and of its amendments) are `summary`, `partners`, `next_steps` and `withdrawn_reason`,
unless it was addressed to the cell (`for_cell`). Everything else is the cell's circle
and stays in clear: what the district wrote, the follow-ups' metadata, the `--for-cell`
follow-ups, the case's `cell_note` and `participation`.

A replica keeps sealed values as they came: the change log, the tables, the conflicts.
Readers open them with the keys they hold (a `Keyring`); the district holds none, so
that every team text reads as unreadable there. A value that opens is checked again with
the rules of its field (the writing device checked it before sealing), so that a
crafted value reads as unreadable rather than as text that breaks a screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from fieldkit import rules
from fieldkit.crypto.casekeys import (
    CaseKey,
    Unopenable,
    is_sealed,
    open_value,
    seal_value,
    sealed_kid,
)
from fieldkit.errors import InvalidValue
from fieldkit.model import Case, Conflict, FollowUp, Goal

TEAM_CASE_FIELDS = ("situation", "related", "goals")
TEAM_FOLLOWUP_FIELDS = ("summary", "partners", "next_steps", "withdrawn_reason")

Keyring = Mapping[str, CaseKey]  # key id -> key, for one case or several

_SHAPES: dict[str, TypeAdapter] = {
    "situation": TypeAdapter(str),
    "related": TypeAdapter(list[str]),
    "goals": TypeAdapter(list[Goal]),
    "summary": TypeAdapter(str),
    "partners": TypeAdapter(list[str]),
    "next_steps": TypeAdapter(str | None),
    "withdrawn_reason": TypeAdapter(str | None),
}
# What a field reads as when it cannot be opened: empty, with its name in `unreadable`.
_EMPTY: dict[str, Any] = {
    "situation": "",
    "related": [],
    "goals": [],
    "summary": "",
    "partners": [],
    "next_steps": None,
    "withdrawn_reason": None,
}


def team_fields(entity: str, for_cell: bool = False) -> tuple[str, ...]:
    """The fields of this entity that are sealed (none of a follow-up for the cell)."""
    if entity == "case":
        return TEAM_CASE_FIELDS
    if entity == "followup" and not for_cell:
        return TEAM_FOLLOWUP_FIELDS
    return ()


def seal_fields(
    key: CaseKey, entity: str, entity_id: str, fields: dict[str, Any], for_cell: bool = False
) -> dict[str, Any]:
    """`fields` with each team text sealed under `key` (None and sealed values as they are)."""
    sealed = dict(fields)
    for name in team_fields(entity, for_cell):
        value = sealed.get(name)
        if name in sealed and value is not None and not is_sealed(value):
            sealed[name] = seal_value(key, entity, entity_id, name, value)
    return sealed


def clear_team_texts(entity: str, fields: dict[str, Any], for_cell: bool = False) -> list[str]:
    """The team texts in `fields` that are not sealed (written before sealing began)."""
    return [
        name
        for name in team_fields(entity, for_cell)
        if fields.get(name) is not None and not is_sealed(fields[name])
    ]


def open_field(
    keys: Keyring, case_id: str, entity: str, entity_id: str, name: str, value: Any
) -> tuple[Any, bool]:
    """(the value in clear, True), or (the field's empty value, False) when it does not
    open here or does not keep its field's rules once opened. A value in clear (written
    before sealing began) comes back as it is."""
    if not is_sealed(value):
        return value, True
    try:
        key = keys.get(sealed_kid(value))
        if key is None or key.case_id != case_id:
            return _EMPTY.get(name), False
        opened = open_value(key, entity, entity_id, name, value)
        shape = _SHAPES.get(name)
        if shape is not None:
            opened = shape.validate_python(opened)
            opened = shape.dump_python(opened, mode="json")
        _check_rules(name, opened)
    except (Unopenable, ValidationError, InvalidValue, ValueError):
        return _EMPTY.get(name), False
    return opened, True


def _check_rules(name: str, value: Any) -> None:
    if isinstance(value, str):
        rules.check_text(name, value)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                rules.check_text(name, item)
            elif isinstance(item, dict):
                rules.check_texts({k: v for k, v in item.items() if isinstance(v, str)})


def case_is_sealed(case: Case) -> bool:
    """Whether any of the case's team texts is sealed (else there is nothing to open)."""
    return any(is_sealed(getattr(case, name)) for name in TEAM_CASE_FIELDS)


def open_case(case: Case, keys: Keyring) -> Case:
    """The case with its team texts opened (or listed in `unreadable`)."""
    if not case_is_sealed(case):
        # Every team text in clear (none yet, or written before sealing began): each
        # would come back as it is, so the case is returned without a dump and a
        # validation (a case list opens every case on the device).
        return case.model_copy(update={"unreadable": []}) if case.unreadable else case
    data = case.model_dump(mode="json")
    unreadable = []
    for name in TEAM_CASE_FIELDS:
        data[name], ok = open_field(keys, case.id, "case", case.id, name, data[name])
        if not ok:
            unreadable.append(name)
    data["unreadable"] = unreadable
    return Case.model_validate(data)


def open_followup(followup: FollowUp, keys: Keyring) -> FollowUp:
    """The follow-up and its amendments with their team texts opened (or, in
    `unreadable`, the fields of the current reading that could not be)."""
    data = followup.model_dump(mode="json")
    unreadable: set[str] = set()
    if not followup.for_cell:
        for name in TEAM_FOLLOWUP_FIELDS:
            data[name], ok = open_field(
                keys, followup.case_id, "followup", followup.id, name, data[name]
            )
            if not ok:
                unreadable.add(name)
        for amendment in data["amendments"]:
            for name in TEAM_FOLLOWUP_FIELDS:
                if name in amendment["fields"]:
                    amendment["fields"][name], ok = open_field(
                        keys,
                        followup.case_id,
                        "followup",
                        followup.id,
                        name,
                        amendment["fields"][name],
                    )
                    if ok:
                        unreadable.discard(name)
                    else:
                        unreadable.add(name)
    data["unreadable"] = sorted(unreadable)
    return FollowUp.model_validate(data)


def open_conflict(conflict: Conflict, keys: Keyring) -> tuple[Conflict, bool]:
    """The conflict with both values opened; False when either stays sealed here."""
    if conflict.field not in TEAM_CASE_FIELDS:
        return conflict, True
    cid, name = conflict.case_id, conflict.field
    winner, ok1 = open_field(keys, cid, "case", cid, name, conflict.winner_value)
    loser, ok2 = open_field(keys, cid, "case", cid, name, conflict.loser_value)
    return conflict.model_copy(update={"winner_value": winner, "loser_value": loser}), ok1 and ok2


def sealed_count(case: Case, followups: list[FollowUp]) -> int:
    """How many team notes of a case a reader could not open: its unreadable case texts
    and each follow-up with at least one."""
    return len(case.unreadable) + sum(1 for f in followups if f.unreadable)
