"""The district's confidentiality charter (issue 17): versions kept with their text, the
current one, each worker's signed acceptances kept whole and verifiable with its key,
and where each worker stands. On both district backends."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fieldkit.crypto.charter import CharterAcceptance, accept, charter_hash
from fieldkit.district import charter, workers
from fieldkit.errors import InvalidValue, Refused
from fieldkit.store import audit
from fieldkit.store.db import transaction
from tests.world import World, api_world, use_fast_kdf

V1 = "# Charte de confidentialité\n\nJe ne divulgue rien des dossiers.\n"
V2 = V1 + "\nJe ne garde aucune copie hors de l'appareil.\n"
MOMENT = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    use_fast_kdf(monkeypatch)
    return api_world(tmp_path, first_sync=False)


def _accept(world: World, who: str, version: str, text: str) -> CharterAcceptance:
    with world.open_worker(who) as worker:
        identity = worker.identity()
    return accept(identity, version, charter_hash(text), world.worker_ids[who], MOMENT)


def _record(district, world: World, who: str, acceptance: CharterAcceptance) -> None:
    public = workers.get(district.conn, world.worker_ids[who]).public_identity()
    with transaction(district.conn):
        charter.record_acceptance(district.conn, world.worker_ids[who], acceptance, public)


def test_versions_are_kept_with_their_text_and_the_last_set_is_current(world):
    with world.open_district() as district:
        assert charter.current(district.conn) is None
        first = charter.set_charter(district.conn, V1, "2026-1")
        assert (first.version, first.sha256, first.text) == ("2026-1", charter_hash(V1), V1)
        second = charter.set_charter(district.conn, V2, "2026-2")
        assert charter.current(district.conn) == second
        assert [c.version for c in charter.versions(district.conn)] == ["2026-1", "2026-2"]
        assert charter.get(district.conn, "2026-1").text == V1
        # The same version with its own text again: current again, nothing new.
        assert charter.set_charter(district.conn, V1, "2026-1") == first
        assert charter.current(district.conn).version == "2026-1"
        actions = [e.action for e in audit.events(district.conn)]
        assert actions.count("charter-set") == 3


def test_a_version_is_never_reused_for_another_text_nor_a_text_under_two_versions(world):
    with world.open_district() as district:
        charter.set_charter(district.conn, V1, "v1")
        with pytest.raises(InvalidValue) as taken:
            charter.set_charter(district.conn, V2, "v1")
        assert taken.value.key == "charter.version_taken"
        with pytest.raises(InvalidValue) as same:
            charter.set_charter(district.conn, V1, "v2")
        assert same.value.key == "charter.same_text"
        for text, key in (("  \n\t\n", "charter.empty"), ("x" * (65 * 1024), "charter.too_long")):
            with pytest.raises(InvalidValue) as bad:
                charter.set_charter(district.conn, text, "v3")
            assert bad.value.key == key
        with pytest.raises(InvalidValue) as version:
            charter.set_charter(district.conn, V2, "v 3/../")
        assert version.value.key == "charter.bad_version"
        assert [c.version for c in charter.versions(district.conn)] == ["v1"]


def test_an_acceptance_is_kept_whole_and_its_signature_verifies_with_the_workers_key(world):
    acceptance = _accept(world, "a", "v1", V1)
    with world.open_worker("a") as worker:
        public = worker.identity().public
    with world.open_district() as district:
        charter.set_charter(district.conn, V1, "v1")
        _record(district, world, "a", acceptance)
        _record(district, world, "a", acceptance)  # received twice: kept once
        kept = charter.acceptances(district.conn, world.worker_ids["a"])
        assert kept == [acceptance]
        assert kept[0].verify(public)
        states = charter.worker_states(district.conn)
        assert states[world.worker_ids["a"]] == charter.CharterState(
            "v1", charter_hash(V1), "2026-12-02T09:30:00Z", False
        )
        assert states[world.worker_ids["b"]].pending
        assert charter.offer_for(district.conn, world.worker_ids["a"]) is None
        assert charter.offer_for(district.conn, world.worker_ids["b"]).version == "v1"
        assert [e.action for e in audit.events(district.conn)].count("charter-accept") == 1


def test_a_new_version_makes_everyone_pending_and_every_acceptance_stays(world):
    with world.open_district() as district:
        charter.set_charter(district.conn, V1, "v1")
        _record(district, world, "a", _accept(world, "a", "v1", V1))
        charter.set_charter(district.conn, V2, "v2")
        state = charter.worker_states(district.conn)[world.worker_ids["a"]]
        assert (state.accepted_version, state.pending) == ("v1", True)
        _record(district, world, "a", _accept(world, "a", "v2", V2))
        state = charter.state_of(district.conn, world.worker_ids["a"])
        assert (state.accepted_version, state.pending) == ("v2", False)
        assert [a.version for a in charter.acceptances(district.conn, world.worker_ids["a"])] == [
            "v1",
            "v2",
        ]


def test_a_bad_acceptance_is_refused_with_its_reason_and_nothing_kept(world):
    with world.open_district() as district:
        charter.set_charter(district.conn, V1, "v1")
        good = _accept(world, "a", "v1", V1)
        forged = good.model_copy(update={"at": "2026-12-02T09:31:00Z"})
        cases = [
            ("a", _accept(world, "b", "v1", V1), "charter.other_worker"),
            ("a", _accept(world, "a", "v1", V2), "charter.unknown_text"),
            ("a", _accept(world, "a", "v9", V1), "charter.unknown_text"),
            ("a", forged, "charter.bad_signature"),
        ]
        # b's own acceptance checked with b's id but signed by a's key.
        signed_by_a = good.model_copy(update={"worker_id": world.worker_ids["b"]})
        cases.append(("b", signed_by_a, "charter.bad_signature"))
        for who, acceptance, key in cases:
            with pytest.raises(Refused) as refused:
                _record(district, world, who, acceptance)
            assert refused.value.key == key
        assert charter.acceptances(district.conn, world.worker_ids["a"]) == []
        assert charter.acceptances(district.conn, world.worker_ids["b"]) == []


def test_a_revoked_worker_is_never_pending_and_no_charter_means_none_is(world):
    with world.open_district() as district:
        assert not any(s.pending for s in charter.worker_states(district.conn).values())
        charter.set_charter(district.conn, V1, "v1")
        workers.revoke(district.conn, world.worker_ids["b"])
        states = charter.worker_states(district.conn)
        assert states[world.worker_ids["a"]].pending
        assert not states[world.worker_ids["b"]].pending


def test_the_commands_bound_is_the_districts():
    from fieldkit.commands.charter import MAX_BYTES

    assert MAX_BYTES == charter.MAX_BYTES
