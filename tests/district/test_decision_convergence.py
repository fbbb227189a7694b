"""The group's decisions and the team's measure states converge (issue 17): the district
decides again while both workers update the same measure; whatever order they sync in,
the district and both devices end with the same decisions, the same state of each
measure (the latest state change by HLC) and the same state digest. On both backends."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fieldkit.district import decisions
from fieldkit.model import MeasureState
from fieldkit.replica import changelog
from fieldkit.replica import decisions as stored_decisions
from fieldkit.replica.digest import state_digest
from tests.world import World, api_sync, api_world, use_fast_kdf

TODAY = date(2026, 11, 28)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    use_fast_kdf(monkeypatch)
    return api_world(tmp_path)


def decide(district, world: World, meeting: date, measures: list[str], review=None):
    return decisions.record(
        district.conn,
        world.reference,
        meeting_id=None,
        meeting_date=meeting,
        measures=measures,
        referent="Mission locale",
        next_review=review,
        status=None,
        reason=None,
        note_for_team=None,
    )


def seen_by(store, case_id: str) -> tuple:
    return (
        [
            (d.id, [m.id for m in d.measures])
            for d in stored_decisions.for_case(store.conn, case_id)
        ],
        [
            (m.number, m.state, m.changed_by)
            for m in stored_decisions.measures_of_case(store.conn, case_id)
        ],
        state_digest(store.conn, [case_id]),
    )


@pytest.mark.parametrize("order", [("a", "b", "a", "b"), ("b", "a", "b", "a")])
def test_a_new_decision_and_concurrent_measure_states_converge(world: World, order) -> None:
    with (
        world.open_district() as district,
        world.open_worker("a") as a,
        world.open_worker("b") as b,
    ):
        decide(district, world, date(2026, 11, 20), ["Consultation au CMP", "Atelier"])
        api_sync(district, a)
        api_sync(district, b)
        # Concurrently, offline: the district decides again, both workers set measure 1.
        decide(district, world, date(2026, 11, 27), ["Stage"], review=date(2027, 1, 8))
        a.set_measure_state(world.reference, 1, MeasureState.UNDER_WAY, TODAY)
        b.set_measure_state(world.reference, 1, MeasureState.DONE, TODAY)
        b.set_measure_state(world.reference, 2, MeasureState.DROPPED, TODAY)
        workers = {"a": a, "b": b}
        for who in order:
            api_sync(district, workers[who])

        expected = seen_by(district, world.case_id)
        assert seen_by(a, world.case_id) == expected
        assert seen_by(b, world.case_id) == expected
        numbers = [number for number, _, _ in expected[1]]
        assert numbers == [1, 2, 3]
        # Measure 1 holds the latest of the two concurrent states, by (HLC, origin).
        states = [
            c
            for c in changelog.of_case(district.conn, world.case_id, "measure")
            if c.op == "state" and c.entity_id == expected[0][0][1][0]
        ]
        latest = max(states, key=lambda c: (c.hlc, c.origin))
        assert expected[1][0][1] == MeasureState(latest.fields["state"])
        assert expected[1][1][1] == MeasureState.DROPPED
        assert expected[1][2][1] == MeasureState.PLANNED
        assert a.get_case(world.reference)[0].next_review == date(2027, 1, 8)
