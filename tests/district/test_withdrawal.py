"""What the district accepts of a withdrawal (issue 14): only the author's, carrying its
reason alone, once; bundles that forge any other are refused, recorded, and change nothing.
A withdrawn follow-up leaves the report's activity; goals with their new fields are valid."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from fieldkit.crypto.casekeys import is_sealed
from fieldkit.district.store import DistrictStore
from fieldkit.model import WITHDRAWAL_FIELD, Change, FollowUpKind, Goal, GoalState
from fieldkit.replica import followups, sealing
from fieldkit.store import team
from fieldkit.store.worker import WorkerStore
from tests.district.conftest import TODAY, case_update, crafted, send
from tests.world import World, api_sync, api_world, use_fast_kdf


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    use_fast_kdf(monkeypatch)
    return api_world(tmp_path)


@pytest.fixture
def stores(world: World) -> Iterator[tuple[DistrictStore, WorkerStore, WorkerStore]]:
    with world.open_district() as d, world.open_worker("a") as a, world.open_worker("b") as b:
        yield d, a, b


def _recorded_by_b(district: DistrictStore, a: WorkerStore, b: WorkerStore, case_id: str):
    original = b.add_followup(
        case_id,
        kind=FollowUpKind.INTERVIEW,
        summary="Noté par B",
        occurred_on=TODAY,
        today=TODAY,
        next_contact=TODAY + timedelta(days=3),
    )
    api_sync(district, b)
    api_sync(district, a)
    return original


def _withdrawal(worker: WorkerStore, original, case_id: str, fields: dict) -> Change:
    return crafted(worker, entity_id=original.id, case_id=case_id, op="amend", fields=fields)


def _refused(district: DistrictStore, worker: WorkerStore, change: Change, reason: str) -> None:
    outcome, reply, _ = send(district, worker, [change])
    assert [(r.change_id, r.reason) for r in reply.refused] == [(change.id, reason)]
    assert (outcome.applied, outcome.refused) == (0, 1)
    assert district.refusals()[-1].reason == reason


def test_a_forged_withdrawal_of_a_colleagues_followup_is_refused(stores, world):
    district, a, b = stores
    original = _recorded_by_b(district, a, b, world.case_id)
    forged = _withdrawal(a, original, world.case_id, {WITHDRAWAL_FIELD: "Pas le mien"})
    _refused(district, a, forged, "not-author")
    _, history = district.case(world.case_id)
    assert [f.withdrawn for f in history] == [False]


def test_a_withdrawal_carries_its_reason_alone_and_comes_once(stores, world):
    district, a, b = stores
    original = _recorded_by_b(district, a, b, world.case_id)
    mixed = {WITHDRAWAL_FIELD: "Erreur", "summary": "Réécrit"}
    _refused(district, b, _withdrawal(b, original, world.case_id, mixed), "invalid")
    empty = {WITHDRAWAL_FIELD: "  "}
    reason = "rule:followup.withdraw_reason_empty:withdrawn_reason"
    _refused(district, b, _withdrawal(b, original, world.case_id, empty), reason)
    b.withdraw_followup(original.id, "Mauvais dossier")
    outcome, _ = api_sync(district, b)
    assert outcome.refused == 0
    _, history = district.case(world.case_id)
    # That it was withdrawn is the cell's; its reason is a team text, sealed at the
    # district, that B's keys open (DESIGN §9).
    assert [f.withdrawn for f in history] == [True]
    (sealed,) = [f.current().withdrawn_reason for f in history]
    assert is_sealed(sealed)
    opened = [sealing.open_followup(f, team.keyring(b, world.case_id)) for f in history]
    assert [f.current().withdrawn_reason for f in opened] == ["Mauvais dossier"]
    again = _withdrawal(b, original, world.case_id, {"summary": "Corrigé après retrait"})
    _refused(district, b, again, "withdrawn")
    undo = _withdrawal(b, original, world.case_id, {WITHDRAWAL_FIELD: None})
    _refused(district, b, undo, "withdrawn")


def test_a_withdrawn_followup_leaves_the_agenda_and_the_activity(stores, world):
    district, a, b = stores
    original = _recorded_by_b(district, a, b, world.case_id)
    since = TODAY.isoformat()
    assert followups.activity(district.conn, since)[world.case_id][1] == 1
    due = (TODAY + timedelta(days=7)).isoformat()
    assert [row[1] for row in followups.pending_contacts(b.conn, due)] == [original.id]
    b.withdraw_followup(original.id, "Saisi par erreur")
    api_sync(district, b)
    api_sync(district, a)
    assert world.case_id not in followups.activity(district.conn, since)
    for store in (a, b):
        assert followups.pending_contacts(store.conn, due) == []


def test_goals_with_their_state_and_day_are_accepted_and_old_goals_still_read(stores, world):
    district, a, _ = stores
    goals = [
        {"text": "Ancien objectif", "state": "open"},  # as stored before issue 14
        Goal(text="Stage", state=GoalState.DROPPED, changed_on=TODAY, reason="Refus").model_dump(
            mode="json", exclude_none=True
        ),
    ]
    outcome, reply, _ = send(district, a, [case_update(a, world.case_id, goals=goals)])
    assert reply.refused == [] and outcome.applied == 1
    case, _ = district.case(world.case_id)
    assert [(g.text, g.state, g.changed_on, g.reason) for g in case.goals] == [
        ("Ancien objectif", GoalState.OPEN, None, None),
        ("Stage", GoalState.DROPPED, TODAY, "Refus"),
    ]
