"""The Prevention Group's decisions at the district (issue 17): `decisions.record` writes a
decision, its numbered measures and the case fields it changes as district-owned changes
in one transaction, audited; they reach the team's devices at their next sync. On both
district backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from fieldkit.district import decisions
from fieldkit.district.store import DistrictStore
from fieldkit.errors import InvalidValue, UsageError
from fieldkit.model import CaseStatus, MeasureState
from fieldkit.replica import changelog
from fieldkit.replica import decisions as stored_decisions
from tests.world import World, api_sync, api_world, use_fast_kdf

MEETING_DAY = date(2026, 11, 20)
REVIEW_DAY = date(2027, 1, 15)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    use_fast_kdf(monkeypatch)
    return api_world(tmp_path)


@pytest.fixture
def district(world: World) -> Iterator[DistrictStore]:
    with world.open_district() as d:
        yield d


def decide(district: DistrictStore, ref: str, **overrides):
    values = {
        "meeting_id": "m1",
        "meeting_date": MEETING_DAY,
        "measures": ["Consultation au CMP", "Reprise de la scolarité"],
        "referent": "Maison des adolescents",
        "next_review": REVIEW_DAY,
        "status": None,
        "reason": None,
        "note_for_team": "Associer la mère aux entretiens.",
    }
    values.update(overrides)
    return decisions.record(district.conn, ref, **values)


def test_a_decision_is_recorded_with_numbered_measures_and_the_next_review(district, world):
    decision = decide(district, world.reference)
    assert decision.case_id == world.case_id and decision.meeting_date == MEETING_DAY
    assert [(m.number, m.text, m.state) for m in decision.measures] == [
        (1, "Consultation au CMP", MeasureState.PLANNED),
        (2, "Reprise de la scolarité", MeasureState.PLANNED),
    ]
    assert decision.referent == "Maison des adolescents"
    assert decision.note_for_team == "Associer la mère aux entretiens."
    case, _ = district.case(world.case_id)
    assert case.next_review == REVIEW_DAY
    assert decisions.for_case(district.conn, world.case_id) == [decision]
    assert decisions.for_meeting(district.conn, "m1") == [decision]
    assert decisions.for_meeting(district.conn, "m2") == []
    events = [e for e in district.audit_events() if e.action == "decide"]
    assert [(e.object_type, e.object_id) for e in events] == [("case", world.case_id)]


def test_measures_are_numbered_after_the_earlier_decisions_ones(district, world):
    decide(district, world.reference)
    later = decide(
        district, world.reference, meeting_id="m2", measures=["Atelier parentalité"], referent=None
    )
    assert [m.number for m in later.measures] == [3]
    found = decisions.for_case(district.conn, world.case_id)
    assert [d.meeting_id for d in found] == ["m1", "m2"]  # oldest first
    assert decisions.for_meeting(district.conn, "m2") == [later]


def test_the_decision_and_its_measures_are_district_changes(district, world):
    decision = decide(district, world.reference)
    changes = changelog.all_of_case(district.conn, world.case_id)
    mine = [c for c in changes if c.entity in ("decision", "measure")]
    assert [(c.entity, c.op, c.author) for c in mine] == [
        ("decision", "add", "district"),
        ("measure", "add", "district"),
        ("measure", "add", "district"),
    ]
    assert mine[0].entity_id == decision.id
    assert mine[0].fields["note_for_team"] == "Associer la mère aux entretiens."  # in clear


def test_a_suspension_changes_the_status_and_keeps_the_reason(district, world):
    decision = decide(district, world.reference, status=CaseStatus.SUSPENDED, reason="Déménagement")
    case, _ = district.case(world.case_id)
    assert case.status == CaseStatus.SUSPENDED
    assert decision.status == CaseStatus.SUSPENDED and decision.reason == "Déménagement"


def test_a_closure_closes_the_case_as_case_close_does(district, world):
    decide(district, world.reference, status=CaseStatus.CLOSED, reason="Objectifs atteints")
    case, _ = district.case(world.case_id)
    assert case.status == CaseStatus.CLOSED and case.closure_reason == "Objectifs atteints"
    assert "case-close" in {e.action for e in district.audit_events()}


def test_a_closure_needs_a_reason_and_writes_nothing_without_one(district, world):
    before = changelog.last_idx(district.conn)
    with pytest.raises(InvalidValue):
        decide(district, world.reference, status=CaseStatus.CLOSED, reason=None)
    assert changelog.last_idx(district.conn) == before


def test_a_closed_case_refuses_a_decision(district, world):
    district.close_case(world.reference, "Fin de prise en charge")
    with pytest.raises(UsageError) as refused:
        decide(district, world.reference)
    assert refused.value.key == "case.closed"


def test_an_empty_decision_or_an_empty_measure_is_refused(district, world):
    with pytest.raises(UsageError):
        decide(
            district,
            world.reference,
            measures=[],
            referent=None,
            next_review=None,
            note_for_team="  ",
        )
    with pytest.raises(InvalidValue):
        decide(district, world.reference, measures=["  "])
    assert decisions.for_case(district.conn, world.case_id) == []


def test_the_team_receives_the_decision_at_its_next_sync(district, world):
    decision = decide(district, world.reference)
    with world.open_worker("a") as a:
        api_sync(district, a)
        held = stored_decisions.for_case(a.conn, world.case_id)
        assert held == [decision]
        assert a.get_case(world.reference)[0].next_review == REVIEW_DAY
