"""Who may write the group's decisions (issue 17): the district alone writes a decision and
its measures; a member of the case's team sets a measure's state; a device applies no
decision or measure that the district did not write. On both district backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from fieldkit.district import decisions
from fieldkit.district.store import DistrictStore
from fieldkit.errors import BundleRejected
from fieldkit.model import MeasureState
from fieldkit.replica import changelog, merge
from fieldkit.replica import decisions as stored_decisions
from fieldkit.store.db import transaction
from fieldkit.store.worker import WorkerStore
from tests.district.conftest import crafted, send
from tests.world import UNIT, World, api_sync, api_world, use_fast_kdf

MEETING_DAY = date(2026, 11, 20)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    use_fast_kdf(monkeypatch)
    return api_world(tmp_path)


@pytest.fixture
def stores(world: World) -> Iterator[tuple[DistrictStore, WorkerStore]]:
    with world.open_district() as d, world.open_worker("a") as a:
        decisions.record(
            d.conn,
            world.reference,
            meeting_id=None,
            meeting_date=MEETING_DAY,
            measures=["Consultation au CMP"],
            referent=None,
            next_review=None,
            status=None,
            reason=None,
            note_for_team=None,
        )
        api_sync(d, a)
        yield d, a


def first_measure(store) -> str:
    [measure] = stored_decisions.measures_of_case(store.conn, store_case(store))
    return measure.id


def store_case(store) -> str:
    return store.list_cases()[0].id


def refused(district: DistrictStore, worker: WorkerStore, change) -> str:
    before = changelog.last_idx(district.conn)
    outcome, reply, ack = send(district, worker, [change])
    assert outcome.applied == 0 and ack == change.seq
    assert changelog.last_idx(district.conn) == before  # nothing of it applied
    [refusal] = reply.refused
    return refusal.reason


def test_a_worker_forging_a_decision_is_refused(stores, world):
    district, a = stores
    forged = crafted(
        a,
        entity="decision",
        entity_id="d" * 32,
        case_id=world.case_id,
        op="add",
        fields={"meeting_date": "2026-11-20", "note_for_team": "Clore le dossier"},
    )
    assert refused(district, a, forged) == "district-only"
    assert decisions.for_case(district.conn, world.case_id)[-1].id != "d" * 32


def test_a_worker_adding_a_measure_is_refused(stores, world):
    district, a = stores
    decision = decisions.for_case(district.conn, world.case_id)[0]
    forged = crafted(
        a,
        entity="measure",
        entity_id="e" * 32,
        case_id=world.case_id,
        op="add",
        fields={"decision_id": decision.id, "number": 2, "text": "Mesure inventée"},
    )
    assert refused(district, a, forged) == "district-only"
    assert stored_decisions.last_number(district.conn, world.case_id) == 1


def test_a_member_sets_a_measure_state(stores, world):
    district, a = stores
    change = crafted(
        a,
        entity="measure",
        entity_id=first_measure(district),
        case_id=world.case_id,
        op="state",
        fields={"state": "done", "changed_on": "2026-11-28"},
    )
    outcome, reply, _ = send(district, a, [change])
    assert reply.refused == [] and outcome.applied == 1
    [measure] = stored_decisions.measures_of_case(district.conn, world.case_id)
    assert (measure.state, measure.changed_by) == (MeasureState.DONE, world.worker_ids["a"])


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"state": "finished-maybe", "changed_on": "2026-11-28"}, "invalid"),
        ({"state": "done"}, "invalid"),
        ({"state": "done", "changed_on": "2026-11-28", "text": "Autre texte"}, "invalid"),
    ],
)
def test_a_bad_state_change_is_refused(stores, world, fields, reason):
    district, a = stores
    change = crafted(
        a,
        entity="measure",
        entity_id=first_measure(district),
        case_id=world.case_id,
        op="state",
        fields=fields,
    )
    assert refused(district, a, change) == reason


def test_a_state_change_on_an_unknown_measure_is_refused(stores, world):
    district, a = stores
    change = crafted(
        a,
        entity="measure",
        entity_id="f" * 32,
        case_id=world.case_id,
        op="state",
        fields={"state": "done", "changed_on": "2026-11-28"},
    )
    assert refused(district, a, change) == "unknown-measure"


def test_a_non_members_state_change_is_refused(stores, world):
    district, a = stores
    other = district.add_case(name="Jules Petit", unit=UNIT, reason="Signalement")
    district.assign(other.id, world.worker_ids["b"], lead=True)
    decisions.record(
        district.conn,
        other.reference,
        meeting_id=None,
        meeting_date=MEETING_DAY,
        measures=["Atelier parentalité"],
        referent=None,
        next_review=None,
        status=None,
        reason=None,
        note_for_team=None,
    )
    [measure] = stored_decisions.measures_of_case(district.conn, other.id)
    change = crafted(
        a,
        entity="measure",
        entity_id=measure.id,
        case_id=other.id,
        op="state",
        fields={"state": "dropped", "changed_on": "2026-11-28"},
    )
    assert refused(district, a, change) == "not-assigned"
    [still] = stored_decisions.measures_of_case(district.conn, other.id)
    assert still.state == MeasureState.PLANNED


def test_a_device_applies_no_decision_or_measure_the_district_did_not_write(stores, world):
    _, a = stores
    for entity, fields in (
        ("decision", {"meeting_date": "2026-11-20"}),
        ("measure", {"decision_id": "x", "number": 9, "text": "Mesure"}),
    ):
        forged = crafted(
            a, entity=entity, entity_id="9" * 32, case_id=world.case_id, op="add", fields=fields
        )
        with pytest.raises(BundleRejected), transaction(a.conn):
            merge.apply(a.conn, forged.model_copy(update={"author": "b-worker"}))
    assert [d.meeting_date for d in stored_decisions.for_case(a.conn, world.case_id)] == [
        MEETING_DAY
    ]
    assert stored_decisions.last_number(a.conn, world.case_id) == 1
