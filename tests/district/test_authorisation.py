"""What the district accepts from a worker: only its own changes, to the cases assigned to it.

A worker device is trusted with its key, not with its content: these bundles are
signed with a genuine enrolled key but carry changes the district must refuse. Each
refusal is listed in the reply, recorded at the district (never silently dropped),
not applied, and acknowledged so that the device does not resend it forever.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fieldkit.district.exchange import handle
from fieldkit.district.store import DistrictStore
from fieldkit.model import Change, FollowUpKind
from fieldkit.store import changelog, meta
from fieldkit.store.db import transaction
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import client
from fieldkit.sync.bundle import BundleHeader, encode_bundle, open_bundle
from fieldkit.sync.payload import SyncReply, SyncRequest, decode, encode
from tests.world import UNIT, Fieldkit, World, api_sync, api_world, use_fast_kdf

TODAY = date.today()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    use_fast_kdf(monkeypatch)
    return api_world(tmp_path)


@pytest.fixture
def stores(world: World) -> Iterator[tuple[DistrictStore, WorkerStore, WorkerStore]]:
    with world.open_district() as d, world.open_worker("a") as a, world.open_worker("b") as b:
        yield d, a, b


def crafted(worker: WorkerStore, **overrides: Any) -> Change:
    """A change under this worker's next sequence number, never applied on its own device."""
    with transaction(worker.conn):
        change = changelog.new_local(
            worker.conn,
            origin=worker.replica_id,
            author=worker.author,
            entity=overrides.pop("entity", "followup"),
            entity_id=overrides.pop("entity_id", "f" * 32),
            case_id=overrides.pop("case_id"),
            op=overrides.pop("op", "add"),
            fields=overrides.pop("fields", {}),
        )
    return change.model_copy(update=overrides)


def followup_fields(worker: WorkerStore, summary: str, **extra: Any) -> dict[str, Any]:
    return {
        "occurred_on": TODAY.isoformat(),
        "recorded_by": worker.author,
        "kind": "interview",
        "summary": summary,
        "partners": [],
        "referral_to": None,
        "next_steps": None,
        "next_contact": None,
        "concern_level": None,
        **extra,
    }


def send(district: DistrictStore, worker: WorkerStore, changes: list[Change]):
    """A bundle signed and encrypted with the worker's real keys; returns (outcome, reply, ack)."""
    d = client.district(worker)
    identity = worker.identity()
    with transaction(worker.conn):
        counter = meta.next_counter(worker.conn, "counter_out")
    cursor = meta.get_int(worker.conn, "cursor")
    header = BundleHeader(
        kind="sync",
        sender=worker.replica_id,
        recipient=d.id,
        sender_key=identity.public.fingerprint_hex,
        recipient_key=d.keys.fingerprint_hex,
        counter=counter,
        ack=cursor,
        cursor=cursor,
        changes=len(changes),
    )
    payload = SyncRequest(changes=changes, holding=[c.id for c in worker.list_cases()])
    outcome = handle(district, encode_bundle(header, encode(payload), identity, d.keys))
    reply_header, raw = open_bundle(
        outcome.reply,
        recipient=identity,
        recipient_id=worker.replica_id,
        sender_key=lambda sender: d.keys,
    )
    return outcome, decode(SyncReply, raw), reply_header.ack


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
    assert (recorded["change"], recorded["reason"]) == (change.id, reason)
    assert recorded["worker"] == worker.worker_id
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
        change = crafted(
            a, entity="case", entity_id=world.case_id, case_id=world.case_id, op="update",
            fields=fields,
        )  # fmt: skip
        assert_refused(district, a, change, "district-field")


def test_a_change_claiming_another_origin_is_refused(stores, world):
    district, a, b = stores
    change = crafted(a, case_id=world.case_id, fields=followup_fields(a, "Au nom de B"))
    forged = change.model_copy(update={"origin": b.replica_id, "id": f"{b.replica_id}:1"})
    before = district_state(district)
    outcome, reply, _ = send(district, a, [forged])
    assert [(r.change_id, r.reason) for r in reply.refused] == [(forged.id, "origin")]
    assert district.refusals()[-1]["reason"] == "origin"
    assert district_state(district) == before
    # A's own sequence is untouched by it: its later genuine work still goes through.
    assert_refused_then_accepted = crafted(
        a, entity_id="e" * 32, case_id=world.case_id, fields=followup_fields(a, "Vrai")
    )
    outcome, reply, ack = send(district, a, [change.model_copy(update={"entity_id": "d" * 32}),
                                             assert_refused_then_accepted])  # fmt: skip
    assert reply.refused == [] and outcome.applied == 2
    assert ack == assert_refused_then_accepted.seq


def test_an_author_spoofing_another_worker_is_refused(stores, world):
    district, a, _ = stores
    b_id = world.worker_ids["b"]
    spoofed = crafted(a, case_id=world.case_id, fields=followup_fields(a, "Signé B"), author=b_id)
    assert_refused(district, a, spoofed, "author")
    recorded_by = crafted(
        a, entity_id="c" * 32, case_id=world.case_id,
        fields=followup_fields(a, "Écrit par B", recorded_by=b_id),
    )  # fmt: skip
    assert_refused(district, a, recorded_by, "author")


def test_an_amendment_cannot_rewrite_who_recorded_a_followup(stores, world):
    district, a, b = stores
    original = b.add_followup(
        world.case_id, kind=FollowUpKind.INTERVIEW, summary="Noté par B",
        occurred_on=TODAY, today=TODAY,
    )  # fmt: skip
    api_sync(district, b)
    api_sync(district, a)
    for fields, reason in (
        ({"recorded_by": world.worker_ids["a"]}, "not-amendable"),
        ({"case_id": "0" * 32}, "not-amendable"),
        ({"kind": "concern"}, "not-amendable"),
        ({"concern_level": "extreme"}, "invalid"),
    ):
        change = crafted(a, entity_id=original.id, case_id=world.case_id, op="amend", fields=fields)
        assert_refused(district, a, change, reason)
    _, history = district.case(world.case_id)
    assert [(f.recorded_by, f.current().recorded_by) for f in history] == [
        (world.worker_ids["b"], world.worker_ids["b"])
    ]


def test_malformed_values_are_refused_not_stored(stores, world):
    district, a, _ = stores
    bad_case = crafted(
        a, entity="case", entity_id=world.case_id, case_id=world.case_id, op="update",
        fields={"situation": {"not": "text"}},
    )  # fmt: skip
    bad_date = crafted(
        a, entity="case", entity_id=world.case_id, case_id=world.case_id, op="update",
        fields={"next_review": "bientôt"},
    )  # fmt: skip
    bad_followup = crafted(
        a, entity_id="b" * 32, case_id=world.case_id,
        fields=followup_fields(a, "Type inconnu", kind="rumour"),
    )  # fmt: skip
    for change in (bad_case, bad_date, bad_followup):
        assert_refused(district, a, change, "invalid")
    # The district's listings still work.
    assert [c.id for c in district.list_cases()] == [world.case_id]


def test_allowed_and_refused_changes_in_one_bundle(stores, world):
    district, a, _ = stores
    other = district.add_case(name="Autre personne", unit=UNIT)
    good = crafted(a, entity_id="1" * 32, case_id=world.case_id,
                   fields=followup_fields(a, "Accepté"))  # fmt: skip
    bad = crafted(a, entity_id="2" * 32, case_id=other.id, fields=followup_fields(a, "Refusé"))
    also_good = crafted(
        a, entity="case", entity_id=world.case_id, case_id=world.case_id, op="update",
        fields={"situation": "Situation à jour"},
    )  # fmt: skip
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


def test_high_concerns_are_flagged_in_the_district_listing(world, monkeypatch):
    with world.open_worker("b") as b, world.open_district() as district:
        b.add_followup(
            world.case_id, kind=FollowUpKind.CONCERN, concern_level="high",
            summary="Propos inquiétants", occurred_on=TODAY, today=TODAY,
        )  # fmt: skip
        b.add_followup(
            world.case_id, kind=FollowUpKind.CONCERN, concern_level="low",
            summary="Absent au rendez-vous", occurred_on=TODAY, today=TODAY,
        )  # fmt: skip
        api_sync(district, b)
        quiet = district.add_case(name="Sans alerte", unit=UNIT)
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", "")
    listed = Fieldkit().json(world.district_home, "district", "case", "list")
    assert {c["id"]: c["high_concerns"] for c in listed} == {world.case_id: 1, quiet.id: 0}
