"""What the district accepts from a worker: only its own changes, to the cases assigned to it.

A worker device is trusted with its key, not with its content: these bundles are
signed with a genuine enrolled key but carry changes the district must refuse. Each
refusal is listed in the reply, recorded at the district (never silently dropped),
not applied, and acknowledged so that the device does not resend it forever.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldkit.district import schema as district_schema
from fieldkit.district.exchange import handle
from fieldkit.district.store import DistrictStore
from fieldkit.errors import BundleRejected
from fieldkit.model import Change, FollowUpKind
from fieldkit.replica import meta
from fieldkit.replica.merge import conflict_id
from fieldkit.store.db import transaction
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import worker_side
from tests.conftest import PASSPHRASE
from tests.district.conftest import TODAY, case_update, crafted, followup_fields, send
from tests.world import (
    UNIT,
    Fieldkit,
    World,
    api_sync,
    api_world,
    credentials,
    use_fast_kdf,
)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    use_fast_kdf(monkeypatch)
    return api_world(tmp_path)


@pytest.fixture
def stores(world: World) -> Iterator[tuple[DistrictStore, WorkerStore, WorkerStore]]:
    with world.open_district() as d, world.open_worker("a") as a, world.open_worker("b") as b:
        yield d, a, b


def district_state(district: DistrictStore) -> list:
    state = []
    for case in district.list_cases():
        _, history = district.case(case.id)
        state.append((case, [f.current() for f in history]))
    return state


def assert_refused(district, worker, change: Change, reason: str) -> None:
    before = district_state(district)
    outcome, reply, ack = send(district, worker, [change])
    assert [(r.change_id, r.reason) for r in reply.refused] == [(change.id, reason)]
    assert (outcome.applied, outcome.refused) == (0, 1)
    assert ack == change.seq  # acknowledged: the device will not send it again
    recorded = district.refusals()[-1]
    assert (recorded.change_id, recorded.reason) == (change.id, reason)
    assert recorded.worker_id == worker.worker_id
    assert district_state(district) == before  # nothing of it applied
    assert district.conn.execute(
        "SELECT count(*) FROM changes WHERE id = ?", (change.id,)
    ).fetchone() == (0,)


def test_a_followup_on_a_case_not_assigned_to_the_worker_is_refused(stores, world):
    district, a, _ = stores
    other = district.add_case(name="Autre personne", unit=UNIT)
    district.assign(other.id, world.worker_ids["b"], lead=True)
    change = crafted(a, case_id=other.id, fields=followup_fields(a, "Pas mon dossier"))
    assert_refused(district, a, change, "not-assigned")


def test_a_change_to_a_district_field_is_refused(stores, world):
    district, a, _ = stores
    for fields in (
        {"status": "closed"},
        {"assignees": [{"id": world.worker_ids["a"], "name": "Léa", "lead": True}]},
        {"priority": "low"},
        {"situation": "Acceptable", "display_name": "Autre nom"},
    ):
        change = case_update(a, world.case_id, **fields)
        assert_refused(district, a, change, "district-field")


def test_a_change_claiming_another_origin_is_refused(stores, world):
    district, a, b = stores
    change = crafted(a, case_id=world.case_id, fields=followup_fields(a, "Au nom de B"))
    forged = change.model_copy(update={"origin": b.replica_id, "id": f"{b.replica_id}:1"})
    before = district_state(district)
    outcome, reply, _ = send(district, a, [forged])
    assert [(r.change_id, r.reason) for r in reply.refused] == [(forged.id, "origin")]
    assert district.refusals()[-1].reason == "origin"
    assert district_state(district) == before
    # A's own sequence is untouched by it: its later genuine work still goes through.
    genuine = crafted(
        a, entity_id="e" * 32, case_id=world.case_id, fields=followup_fields(a, "Vrai")
    )
    resent = change.model_copy(update={"entity_id": "d" * 32})
    outcome, reply, ack = send(district, a, [resent, genuine])
    assert reply.refused == [] and outcome.applied == 2
    assert ack == genuine.seq


def test_an_author_spoofing_another_worker_is_refused(stores, world):
    district, a, _ = stores
    b_id = world.worker_ids["b"]
    spoofed = crafted(a, case_id=world.case_id, fields=followup_fields(a, "Signé B"), author=b_id)
    assert_refused(district, a, spoofed, "author")
    recorded_by = crafted(
        a,
        entity_id="c" * 32,
        case_id=world.case_id,
        fields=followup_fields(a, "Écrit par B", recorded_by=b_id),
    )
    assert_refused(district, a, recorded_by, "author")


def test_an_amendment_cannot_rewrite_who_recorded_a_followup(stores, world):
    district, a, b = stores
    original = b.add_followup(
        world.case_id,
        kind=FollowUpKind.INTERVIEW,
        summary="Noté par B",
        occurred_on=TODAY,
        today=TODAY,
    )
    api_sync(district, b)
    api_sync(district, a)
    # Having learnt B's case key from that reply, A granted it to B's current keys (no
    # grant of it to them existed): a change of A's that the second sync delivers, so
    # that the district acknowledges each crafted change below up to its own seq.
    assert meta.get_int(a.conn, "acked_seq") < meta.get_int(a.conn, "seq")
    api_sync(district, a)
    assert meta.get_int(a.conn, "acked_seq") == meta.get_int(a.conn, "seq")
    for worker, fields, reason in (
        (b, {"recorded_by": world.worker_ids["a"]}, "not-amendable"),
        (b, {"case_id": "0" * 32}, "not-amendable"),
        (b, {"kind": "concern"}, "rule:followup.concern_needs_level:concern_level"),
        (b, {"concern_level": "extreme"}, "invalid"),
        (a, {"summary": "Réécrit par A"}, "not-author"),
    ):
        change = crafted(
            worker, entity_id=original.id, case_id=world.case_id, op="amend", fields=fields
        )
        assert_refused(district, worker, change, reason)
    _, history = district.case(world.case_id)
    assert [(f.recorded_by, f.current().recorded_by) for f in history] == [
        (world.worker_ids["b"], world.worker_ids["b"])
    ]


def test_malformed_values_are_refused_not_stored(stores, world):
    district, a, _ = stores
    bad_case = case_update(a, world.case_id, situation={"not": "text"})
    bad_date = case_update(a, world.case_id, next_review="bientôt")
    bad_followup = crafted(
        a,
        entity_id="b" * 32,
        case_id=world.case_id,
        fields=followup_fields(a, "Type inconnu", kind="rumour"),
    )
    for change in (bad_case, bad_date, bad_followup):
        assert_refused(district, a, change, "invalid")
    # The district's listings still work.
    assert [c.id for c in district.list_cases()] == [world.case_id]


def test_allowed_and_refused_changes_in_one_bundle(stores, world):
    district, a, _ = stores
    other = district.add_case(name="Autre personne", unit=UNIT)
    good = crafted(
        a, entity_id="1" * 32, case_id=world.case_id, fields=followup_fields(a, "Accepté")
    )
    bad = crafted(a, entity_id="2" * 32, case_id=other.id, fields=followup_fields(a, "Refusé"))
    also_good = case_update(a, world.case_id, situation="Situation à jour")
    outcome, reply, ack = send(district, a, [good, bad, also_good])
    assert (outcome.applied, outcome.refused) == (2, 1)
    assert [(r.change_id, r.reason) for r in reply.refused] == [(bad.id, "not-assigned")]
    assert ack == also_good.seq
    case, history = district.case(world.case_id)
    assert case.situation == "Situation à jour"
    assert [f.id for f in history] == [good.entity_id]
    # Sent again (the reply was lost), the refusal is recorded once.
    send(district, a, [good, bad, also_good])
    assert len(district.refusals()) == 1


def test_high_concerns_are_flagged_in_the_district_listing(world):
    with world.open_worker("b") as b, world.open_district() as district:
        b.add_followup(
            world.case_id,
            kind=FollowUpKind.CONCERN,
            concern_level="high",
            summary="Propos inquiétants",
            occurred_on=TODAY,
            today=TODAY,
        )
        b.add_followup(
            world.case_id,
            kind=FollowUpKind.CONCERN,
            concern_level="low",
            summary="Absent au rendez-vous",
            occurred_on=TODAY,
            today=TODAY,
        )
        api_sync(district, b)
        quiet = district.add_case(name="Sans alerte", unit=UNIT)
    listed = Fieldkit().json(world.district_home, "district", "case", "list")
    assert {c["id"]: c["high_concerns"] for c in listed} == {world.case_id: 1, quiet.id: 0}


def test_a_change_forged_under_another_workers_origin_does_not_acknowledge_its_work(stores, world):
    district, a, b = stores
    early, _, _ = worker_side.build_request(b)  # B's bundle leaves before its next note
    note = b.add_followup(
        world.case_id, kind=FollowUpKind.INTERVIEW, summary="Note", occurred_on=TODAY, today=TODAY
    )
    [pending] = worker_side.unsynced(b)
    # A forges a change under B's origin and B's next sequence number.
    forged = crafted(a, case_id=world.case_id, fields=followup_fields(a, "Faux"))
    forged = forged.model_copy(
        update={"origin": b.replica_id, "id": pending.id, "seq": pending.seq}
    )
    _, reply, _ = send(district, a, [forged])
    assert [r.reason for r in reply.refused] == ["origin"]

    worker_side.apply_reply(b, handle(district, early).reply)
    assert worker_side.queued(b) == 1  # B's note is not acknowledged by A's forgery
    api_sync(district, b)
    assert note.id in {f.id for f in district.case(world.case_id)[1]}
    # B's own refusals are B's: a refused change of B's under the same number is recorded too.
    assert [r.worker_id for r in district.refusals()] == [world.worker_ids["a"]]


def test_a_change_with_a_control_character_in_an_id_is_refused_not_stored(stores, world):
    district, a, _ = stores
    fields = followup_fields(a, "Un identifiant piégé")
    change = crafted(a, entity_id="f" * 31 + "\x00", case_id=world.case_id, fields=fields)
    assert_refused(district, a, change, "invalid")


@pytest.mark.sqlcipher_only
def test_a_district_store_of_the_first_schema_keeps_its_refusals(tmp_path, monkeypatch):
    use_fast_kdf(monkeypatch)
    latest = district_schema.DISTRICT_MIGRATIONS
    monkeypatch.setattr(district_schema, "DISTRICT_MIGRATIONS", latest[:1])
    old = DistrictStore.create(tmp_path, PASSPHRASE, "District", None)
    refused = Change(
        id="w-1:1",
        origin="w-1",
        seq=1,
        hlc="001767225600000-000000",
        entity="case",
        entity_id="c" * 32,
        case_id="c" * 32,
        op="update",
        fields={"situation": "Écrit avant la réaffectation"},
        author="wk-1",
    )
    with old, transaction(old.conn):
        old.conn.execute(
            "INSERT INTO refusals (worker_id, origin, seq, reason, change, at)"
            " VALUES ('wk-1', 'w-1', 1, 'not-assigned', ?, '2026-01-01T00:00:00+00:00')",
            (refused.model_dump_json(),),
        )
    monkeypatch.setattr(district_schema, "DISTRICT_MIGRATIONS", latest)
    with DistrictStore.open(tmp_path, credentials()) as migrated:
        assert migrated.conn.execute("PRAGMA user_version").fetchone() == (len(latest),)
        assert [(r.worker_id, r.change_id) for r in migrated.refusals()] == [("wk-1", "w-1:1")]


def test_a_resolution_needs_a_conflict_the_district_knows_on_that_case(stores, world):
    district, a, b = stores
    other = district.add_case(name="Autre personne", unit=UNIT)
    district.assign(other.id, world.worker_ids["b"], lead=True)
    # The conflict B's next write would lose: its id is predictable, its case not A's.
    ahead = conflict_id(other.id, "situation", f"{b.replica_id}:{meta.get_int(b.conn, 'seq') + 1}")
    for case_id in (world.case_id, other.id):
        fields = {"field": "situation"}
        change = crafted(
            a, entity="conflict", entity_id=ahead, case_id=case_id, op="resolve", fields=fields
        )
        reason = "unknown-conflict" if case_id == world.case_id else "not-assigned"
        assert_refused(district, a, change, reason)
    assert district.conn.execute("SELECT count(*) FROM resolved_conflicts").fetchone() == (0,)


def test_a_bundle_handled_twice_at_once_is_applied_once(stores, world, monkeypatch):
    """Two `sync-file` runs given the same bundle: the second read its worker before the
    first committed. The replay check under the write lock still refuses it."""
    district, a, _ = stores
    a.add_followup(
        world.case_id, kind=FollowUpKind.INTERVIEW, summary="Une", occurred_on=TODAY, today=TODAY
    )
    bundle, _, _ = worker_side.build_request(a)
    as_read_before = district.worker_by_replica(a.replica_id)
    handle(district, bundle)
    monkeypatch.setattr(district, "worker_by_replica", lambda replica_id: as_read_before)
    with pytest.raises(BundleRejected):
        handle(district, bundle)
    assert district.worker(world.worker_ids["a"]).counter_out == as_read_before.counter_out + 1
