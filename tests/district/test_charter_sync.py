"""The charter travels with the sync (issue 17): offered in the reply to a worker that
has not accepted the current text, the device's signed acceptance sent in its next
request and kept by the district; a bad one refused with its reason, never in the way
of the work the same bundle carries. On both district backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldkit.district import charter, workers
from fieldkit.model import FollowUpKind
from fieldkit.replica import meta
from fieldkit.store import charter as device_charter
from fieldkit.store.db import transaction
from tests.district.conftest import TODAY
from tests.world import World, api_sync, api_world, use_fast_kdf

V1 = "Charte, version 1 : je ne divulgue rien.\n"
V2 = V1 + "Version 2 : aucune copie hors de l'appareil.\n"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    use_fast_kdf(monkeypatch)
    return api_world(tmp_path)


def test_offered_accepted_at_sync_and_the_stored_signature_verifies(world):
    with world.open_district() as district, world.open_worker("a") as worker:
        charter.set_charter(district.conn, V1, "v1")
        _, result = api_sync(district, worker)
        assert result.charter["version"] == "v1"
        offer = device_charter.offered(worker.conn)
        assert (offer.version, offer.text) == ("v1", V1)
        device_charter.accept_offer(worker, offer.sha256)
        assert device_charter.pending(worker.conn) is None
        _, result = api_sync(district, worker)
        assert result.charter is None and result.charter_refused == ""
        assert device_charter.offered(worker.conn) is None
        assert device_charter.queued(worker.conn) is None
        assert device_charter.accepted(worker.conn)["version"] == "v1"
        kept = charter.acceptances(district.conn, world.worker_ids["a"])
        assert len(kept) == 1 and kept[0].verify(worker.identity().public)
        public = workers.get(district.conn, world.worker_ids["a"]).public_identity()
        assert kept[0].verify(public)
        assert not charter.worker_states(district.conn)[world.worker_ids["a"]].pending


def test_a_bad_acceptance_is_refused_and_the_work_beside_it_is_taken(world):
    with world.open_district() as district, world.open_worker("a") as worker:
        charter.set_charter(district.conn, V1, "v1")
        api_sync(district, worker)
        good = device_charter.accept_offer(worker, device_charter.offered(worker.conn).sha256)
        forged = good.model_copy(update={"at": "2026-01-01T00:00:00Z"})
        with transaction(worker.conn):
            meta.put(worker.conn, device_charter.ACCEPTANCE, forged.model_dump_json())
        worker.add_followup(
            world.case_id,
            kind=FollowUpKind.INTERVIEW,
            summary="Entretien",
            occurred_on=TODAY,
            today=TODAY,
        )
        outcome, result = api_sync(district, worker)
        assert outcome.applied == 1 and not result.refused
        assert result.charter_refused == "charter.bad_signature"
        assert result.charter["version"] == "v1"  # to accept again
        assert device_charter.queued(worker.conn) is None
        assert device_charter.refused(worker.conn) == "charter.bad_signature"
        assert charter.acceptances(district.conn, world.worker_ids["a"]) == []
        assert charter.worker_states(district.conn)[world.worker_ids["a"]].pending


def test_a_new_version_is_offered_again_and_work_goes_on_while_it_waits(world):
    with world.open_district() as district, world.open_worker("a") as worker:
        charter.set_charter(district.conn, V1, "v1")
        api_sync(district, worker)
        device_charter.accept_offer(worker, device_charter.offered(worker.conn).sha256)
        api_sync(district, worker)
        charter.set_charter(district.conn, V2, "v2")
        worker.add_followup(
            world.case_id,
            kind=FollowUpKind.INTERVIEW,
            summary="Suivi",
            occurred_on=TODAY,
            today=TODAY,
        )
        outcome, result = api_sync(district, worker)
        assert outcome.applied == 1 and result.charter["version"] == "v2"
        assert charter.worker_states(district.conn)[world.worker_ids["a"]].pending
        device_charter.accept_offer(worker, device_charter.offered(worker.conn).sha256)
        api_sync(district, worker)
        state = charter.worker_states(district.conn)[world.worker_ids["a"]]
        assert (state.accepted_version, state.pending) == ("v2", False)
        assert [a.version for a in charter.acceptances(district.conn, world.worker_ids["a"])] == [
            "v1",
            "v2",
        ]
