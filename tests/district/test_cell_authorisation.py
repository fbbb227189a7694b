"""The district takes the cell's fields from a worker (issue 16): a follow-up's attendance
and whether it is addressed to the cell, the case's situation note for the cell and the
person's participation; and it refuses a bad value with the rule it breaks, as the
worker's own device would (fieldkit/rules.py), leaving nothing of it applied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldkit.district.store import DistrictStore
from fieldkit.model import Attendance, Change, FollowUpKind, Participation
from fieldkit.rules import TEXT_LIMITS
from fieldkit.store.worker import WorkerStore
from tests.district.conftest import TODAY, case_update, crafted, followup_fields, send
from tests.world import World, api_sync, api_world, use_fast_kdf


def assert_refused(district: DistrictStore, worker: WorkerStore, change: Change, reason: str):
    """Refused for `reason`, recorded, acknowledged, and nothing of it applied."""

    def state() -> list:
        return [
            (case, [f.current() for f in district.case(case.id)[1]])
            for case in district.list_cases()
        ]

    before = state()
    outcome, reply, ack = send(district, worker, [change])
    assert [(r.change_id, r.reason) for r in reply.refused] == [(change.id, reason)]
    assert (outcome.applied, outcome.refused, ack) == (0, 1, change.seq)
    assert district.refusals()[-1].reason == reason
    assert state() == before


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    use_fast_kdf(monkeypatch)
    return api_world(tmp_path)


@pytest.fixture
def stores(world: World) -> Iterator[tuple[DistrictStore, WorkerStore]]:
    with world.open_district() as d, world.open_worker("a") as a:
        yield d, a


def test_attendance_and_for_cell_of_a_new_followup_are_accepted(stores, world):
    district, a = stores
    kept = crafted(
        a,
        entity_id="1" * 32,
        case_id=world.case_id,
        fields=followup_fields(a, "Entretien tenu", attendance="kept"),
    )
    addressed = crafted(
        a,
        entity_id="2" * 32,
        case_id=world.case_id,
        fields=followup_fields(
            a, "Propos inquiétants", kind="concern", concern_level="high", for_cell=True
        ),
    )
    outcome, reply, _ = send(district, a, [kept, addressed])
    assert reply.refused == [] and outcome.applied == 2
    _, history = district.case(world.case_id)
    shown = {f.id: f for f in history}
    assert shown["1" * 32].attendance == Attendance.KEPT
    assert not shown["1" * 32].for_cell
    assert shown["2" * 32].for_cell and shown["2" * 32].attendance is None


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (
            {"kind": "concern", "concern_level": "low", "attendance": "missed"},
            "rule:followup.attendance_only_for_contact:attendance",
        ),
        (
            {"kind": "partner-referral", "referral_to": "housing", "attendance": "kept"},
            "rule:followup.attendance_only_for_contact:attendance",
        ),
        ({"attendance": "maybe"}, "invalid"),
        ({"for_cell": "perhaps"}, "invalid"),
    ],
)
def test_a_bad_attendance_on_a_new_followup_is_refused(stores, world, extra, reason):
    district, a = stores
    change = crafted(a, case_id=world.case_id, fields=followup_fields(a, "Noté", **extra))
    assert_refused(district, a, change, reason)


def test_an_amended_attendance_is_accepted_and_one_on_a_concern_is_refused(stores, world):
    district, a = stores
    original = a.add_followup(
        world.case_id,
        kind=FollowUpKind.HOME_VISIT,
        summary="Visite prévue",
        occurred_on=TODAY,
        today=TODAY,
        attendance=Attendance.KEPT,
    )
    api_sync(district, a)
    missed = crafted(
        a, entity_id=original.id, case_id=world.case_id, op="amend", fields={"attendance": "missed"}
    )
    outcome, reply, _ = send(district, a, [missed])
    assert reply.refused == [] and outcome.applied == 1
    _, history = district.case(world.case_id)
    assert history[0].current().attendance == Attendance.MISSED
    for fields, reason in (
        (
            {"kind": "concern", "concern_level": "medium"},
            "rule:followup.attendance_only_for_contact:attendance",
        ),
        ({"attendance": "late"}, "invalid"),
        ({"for_cell": True}, "not-amendable"),
    ):
        change = crafted(a, entity_id=original.id, case_id=world.case_id, op="amend", fields=fields)
        assert_refused(district, a, change, reason)


def test_the_cell_note_and_participation_are_accepted(stores, world):
    district, a = stores
    change = case_update(
        a,
        world.case_id,
        cell_note="Adhère au projet ; rendez-vous tenus.",
        participation="accepted",
    )
    outcome, reply, _ = send(district, a, [change])
    assert reply.refused == [] and outcome.applied == 1
    case, _ = district.case(world.case_id)
    assert case.cell_note == "Adhère au projet ; rendez-vous tenus."
    assert case.participation == Participation.ACCEPTED


@pytest.mark.parametrize(
    "fields",
    [
        {"participation": "enthusiastic"},
        {"participation": "acceptée"},  # a screen word: the wire carries codes
        {"cell_note": "x" * (TEXT_LIMITS["cell_note"] + 1)},
        {"cell_note": ["not", "text"]},
    ],
    ids=["unknown", "french-word", "too-long", "not-text"],
)
def test_a_bad_cell_note_or_participation_is_refused(stores, world, fields):
    district, a = stores
    assert_refused(district, a, case_update(a, world.case_id, **fields), "invalid")
