"""The sync exchange through the library: acknowledgements, cursors, purge, digest and resync.

Real stores in tmp_path (cheap key derivation), the district's `handle` and the
worker's `build_request` / `apply_reply`, with the bytes a file or the server would carry.
Every test runs with the district on each backend, its SQLCipher file and PostgreSQL
(`district_backend`, tests/conftest.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from fieldkit.crypto.casekeys import is_sealed
from fieldkit.district.exchange import handle
from fieldkit.district.store import DistrictStore
from fieldkit.errors import REFUSED, BundleRejected, Refused
from fieldkit.model import FollowUpKind
from fieldkit.replica import changelog, meta, sealing
from fieldkit.store import team
from fieldkit.store.access import Credentials, data_key
from fieldkit.store.db import transaction
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import worker_side
from fieldkit.sync.bundle import read_header
from fieldkit.sync.payload import SyncRequest, decode
from tests.conftest import PASSPHRASE
from tests.helpers import decrypt_sqlcipher_pages, decrypt_sqlcipher_wal
from tests.world import UNIT, World, api_sync, api_world, use_fast_kdf

TODAY = date.today()
pytestmark = pytest.mark.usefixtures("district_backend")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    use_fast_kdf(monkeypatch)
    return api_world(tmp_path)


@pytest.fixture
def stores(world: World) -> Iterator[tuple[DistrictStore, WorkerStore, WorkerStore]]:
    with world.open_district() as d, world.open_worker("a") as a, world.open_worker("b") as b:
        yield d, a, b


def note(worker: WorkerStore, case: str, text: str, **extra) -> str:
    return worker.add_followup(
        case,
        kind=extra.pop("kind", FollowUpKind.INTERVIEW),
        summary=text,
        occurred_on=TODAY,
        today=TODAY,
        **extra,
    ).id


def raw_store_bytes(home: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The whole worker store decrypted page by page (free pages too), and its WAL."""
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
    key = data_key(home, "worker", Credentials()).data_key
    monkeypatch.delenv("FIELDKIT_PASSPHRASE")
    raw = decrypt_sqlcipher_pages(home / "worker.db", key)
    wal = home / "worker.db-wal"
    if wal.exists():
        raw += decrypt_sqlcipher_wal(wal, key)
    return raw


# Acknowledgements and cursors


def test_the_district_acknowledges_what_it_applied_and_the_worker_stops_resending(stores, world):
    district, a, _ = stores
    first, second = note(a, world.case_id, "Un"), note(a, world.case_id, "Deux")
    assert worker_side.queued(a) == 2  # the work: the grant of the case key to B is left out
    outgoing, count, more = worker_side.build_request(a)
    assert (count, more) == (2, False)
    assert read_header(outgoing).changes == 3  # the bundle carries that grant too
    outcome = handle(district, outgoing)
    assert outcome.applied == 2
    ack = read_header(outcome.reply).ack
    assert ack == meta.get_int(a.conn, "seq")  # every local change of A so far
    worker_side.apply_reply(a, outcome.reply)
    assert worker_side.queued(a) == 0
    again, count, _ = worker_side.build_request(a)
    assert count == 0
    assert {f.id for f in district.case(world.case_id)[1]} >= {first, second}
    assert handle(district, again).applied == 0


def test_a_lost_reply_only_means_resending_and_nothing_is_applied_twice(stores, world):
    district, a, b = stores
    note(a, world.case_id, "Une note")
    lost = handle(district, worker_side.build_request(a)[0])  # the reply never reaches A
    assert lost.applied == 1
    outcome, result = api_sync(district, a)
    assert (outcome.received, outcome.applied) == (1, 0)  # resent, recognised, acknowledged
    assert worker_side.queued(a) == 0 and result.received == 0
    _, at_b = api_sync(district, b)
    assert at_b.received == 1
    assert len(b.list_followups(world.case_id)) == 1


def test_replies_carry_only_what_is_new_for_the_worker(stores, world):
    district, a, b = stores
    note(a, world.case_id, "De A")
    api_sync(district, a)
    _, first = api_sync(district, b)
    _, second = api_sync(district, b)
    assert (first.received, second.received) == (1, 0)
    _, own = api_sync(district, a)
    assert own.received == 0  # A's own change is not sent back to it


def test_an_older_reply_is_refused_after_a_newer_one(stores):
    district, a, _ = stores
    older = handle(district, worker_side.build_request(a)[0]).reply
    newer = handle(district, worker_side.build_request(a)[0]).reply
    worker_side.apply_reply(a, newer)
    with pytest.raises(BundleRejected):
        worker_side.apply_reply(a, older)


def test_high_concerns_travel_first(stores, world):
    district, a, _ = stores
    note(a, world.case_id, "Routine")
    concern = note(a, world.case_id, "Alerte", kind=FollowUpKind.CONCERN, concern_level="high")
    note(a, world.case_id, "Routine encore")
    outgoing, _, _ = worker_side.build_request(a)
    identity = district.identity()
    from fieldkit.sync.bundle import open_bundle

    record = district.worker(world.worker_ids["a"])
    _, payload = open_bundle(
        outgoing,
        recipient=identity,
        recipient_id=district.replica_id,
        sender_key=lambda s: record.public_identity(),
    )
    request = decode(SyncRequest, payload)
    assert request.changes[0].entity_id == concern
    handle(district, outgoing)
    assert district.high_concerns() == {world.case_id: 1}


# Purge


def test_an_unassigned_case_is_purged_after_ack_and_leaves_no_bytes(
    world, monkeypatch: pytest.MonkeyPatch
):
    marker_name = "Personne MARQUEUR-NOM-7731"
    marker_note = "MARQUEUR-NOTE-7731 entretien au local"
    marker_situation = "MARQUEUR-SITUATION-7731"
    marker_cell = "MARQUEUR-CELLULE-7731"
    with world.open_district() as district:
        case = district.add_case(name=marker_name, unit=UNIT, reason="Motif MARQUEUR-MOTIF-7731")
        district.assign(case.id, world.worker_ids["a"], lead=True)
        with world.open_worker("a") as a:
            api_sync(district, a)
            written = note(a, case.id, marker_note)
            a.update_case(case.id, situation=marker_situation, cell_note=marker_cell)
            api_sync(district, a)
            assert worker_side.queued(a) == 0
            case_keys = [k.key for k in team.keyring(a, case.id).values()]
            assert case_keys
            (added,) = changelog.of_case(a.conn, case.id, "followup")
            assert added.entity_id == written
            sealed_note = added.fields["summary"]
            assert is_sealed(sealed_note)
    raw = raw_store_bytes(world.homes["a"], monkeypatch)
    # The helper does see what is held: the fields in clear, and the note's sealed value;
    # the team texts themselves are only ever in the store sealed (DESIGN §9).
    assert marker_cell.encode() in raw and marker_name.encode() in raw
    assert sealed_note.encode() in raw and all(key in raw for key in case_keys)
    assert marker_note.encode() not in raw and marker_situation.encode() not in raw

    with world.open_district() as district:
        district.unassign(case.id, world.worker_ids["a"])
        with world.open_worker("a") as a:
            _, result = api_sync(district, a)
            assert result.purged == 1
            assert [c.id for c in a.list_cases()] == [world.case_id]
            assert all(f.case_id != case.id for f in a.list_followups())
            assert a.conn.execute(
                "SELECT count(*) FROM changes WHERE case_id = ?", (case.id,)
            ).fetchone() == (0,)
            purges = [e for e in a.audit_events() if e.action == "purge"]
            assert [(e.object_type, e.object_id, e.detail) for e in purges] == [
                ("case", case.id, "")
            ]
            assert team.keyring(a, case.id) == {}  # the case's keys went with it
    raw = raw_store_bytes(world.homes["a"], monkeypatch)
    markers = ("MARQUEUR-NOM", "MARQUEUR-NOTE", "MARQUEUR-SITUATION", "MARQUEUR-MOTIF")
    for marker in (*markers, "MARQUEUR-CELLULE", sealed_note):
        assert marker.encode() not in raw, marker
    assert not any(key in raw for key in case_keys)
    assert len(raw) > 0


def test_a_case_with_unacknowledged_work_is_kept_until_the_ack(stores, world):
    district, a, b = stores
    outgoing, _, _ = worker_side.build_request(a)  # A's device writes its bundle...
    late = note(a, world.case_id, "Écrit après le départ du paquet")  # ...then works on
    district.unassign(world.case_id, world.worker_ids["a"])
    result = worker_side.apply_reply(a, handle(district, outgoing).reply)
    assert result.purged == 0  # told to purge, but the note is not acknowledged yet
    assert [f.id for f in a.list_followups(world.case_id)] == [late]

    outcome, result = api_sync(district, a)
    assert result.purged == 1 and a.list_cases() == []
    # The district kept the late note as a refusal (A is no longer assigned): never lost.
    [refusal] = district.refusals()
    assert refusal.reason == "not-assigned" and refusal.worker_id == world.worker_ids["a"]
    assert outcome.refused == 1 and worker_side.queued(a) == 0
    # B still follows the case.
    api_sync(district, b)
    assert [c.id for c in b.list_cases()] == [world.case_id]


def test_a_closed_case_is_purged_from_every_device(stores, world):
    district, a, b = stores
    note(b, world.case_id, "Dernier entretien")
    district.close_case(world.case_id, "Fin de l'accompagnement")
    _, at_a = api_sync(district, a)
    _, at_b = api_sync(district, b)
    assert (at_a.purged, at_b.purged) == (1, 1)
    assert a.list_cases() == b.list_cases() == []
    assert len(district.case(world.case_id)[1]) == 1  # B's last note reached the district


def test_a_case_reassigned_while_awaiting_purge_comes_back_complete(stores, world):
    district, a, b = stores
    # A keeps working on the case after it was taken away: each bundle leaves work behind.
    outgoing, _, _ = worker_side.build_request(a)
    first = note(a, world.case_id, "Écrit avant de savoir")
    district.unassign(world.case_id, world.worker_ids["a"])
    worker_side.apply_reply(a, handle(district, outgoing).reply)
    from_b = note(b, world.case_id, "Pendant ce temps, B")
    api_sync(district, b)
    outgoing, _, _ = worker_side.build_request(a)
    second = note(a, world.case_id, "Écrit encore")
    worker_side.apply_reply(a, handle(district, outgoing).reply)  # A's cursor is past B's note
    assert [c.id for c in a.list_cases()] == [world.case_id]  # unacknowledged work: kept
    assert from_b not in {f.id for f in a.list_followups()}

    district.assign(world.case_id, world.worker_ids["a"])
    for _ in range(3):
        api_sync(district, a)
    assert [c.id for c in a.list_cases()] == [world.case_id]
    at_district = {f.id for f in district.case(world.case_id)[1]}
    assert {f.id for f in a.list_followups(world.case_id)} == at_district
    assert {from_b, second} <= at_district
    # The note written while unassigned was refused, and kept at the district.
    assert first not in at_district
    assert [r.reason for r in district.refusals()] == ["not-assigned"]
    assert meta.get(a.conn, "resync_needed") is None


def test_changes_for_a_case_purged_in_between_are_not_lost_when_it_comes_back(stores, world):
    district, a, b = stores
    first, second = (
        worker_side.build_request(a)[0],
        worker_side.build_request(a)[0],
    )  # both in flight
    district.unassign(world.case_id, world.worker_ids["a"])
    purging = handle(district, first).reply
    district.assign(world.case_id, world.worker_ids["a"])
    from_b = note(b, world.case_id, "Pendant l'absence de A")
    b.update_case(world.case_id, situation="Vue par B")
    api_sync(district, b)
    late = handle(district, second).reply  # A still held the case when it wrote `second`
    worker_side.apply_reply(a, purging)
    assert a.list_cases() == []
    worker_side.apply_reply(a, late)  # B's changes, for a case A no longer holds
    for _ in range(2):
        api_sync(district, a)
    case, history = district.case(world.case_id)
    assert is_sealed(case.situation)  # the district holds the sealed value; A opens it
    assert a.get_case(world.case_id)[0] == sealing.open_case(case, team.keyring(a, case.id))
    assert a.get_case(world.case_id)[0].situation == "Vue par B"
    assert {f.id for f in a.list_followups(world.case_id)} == {f.id for f in history} == {from_b}
    assert meta.get(a.conn, "resync_needed") is None


# Digest and resync


def test_a_diverged_device_detects_it_and_gets_a_full_resend(stores, world):
    district, a, b = stores
    kept = note(b, world.case_id, "Une note de B")
    api_sync(district, b)
    api_sync(district, a)
    assert [f.id for f in a.list_followups()] == [kept]
    # Damage: A loses a follow-up and its change (as if a row had been lost).
    with transaction(a.conn):
        a.conn.execute("DELETE FROM followups WHERE id = ?", (kept,))
        a.conn.execute("DELETE FROM changes WHERE entity_id = ?", (kept,))
    api_sync(district, a)  # the digests differ: A asks for a full resend next time
    assert meta.get(a.conn, "resync_needed") == "1"
    api_sync(district, a)
    assert [f.id for f in a.list_followups()] == [kept]
    assert meta.get(a.conn, "resync_needed") is None


def test_a_resyncing_device_still_purges_what_it_no_longer_follows(stores, world):
    district, a, _ = stores
    meta.put(a.conn, "resync_needed", "1")
    district.unassign(world.case_id, world.worker_ids["a"])
    _, result = api_sync(district, a)
    assert result.purged == 1 and a.list_cases() == []
    api_sync(district, a)
    assert meta.get(a.conn, "resync_needed") is None


# Conflicts


def test_a_worker_who_rewrote_a_field_twice_sees_the_conflicts_the_district_sees(stores, world):
    district, a, b = stores
    b.update_case(world.case_id, situation="B, premier jet")
    b.update_case(world.case_id, situation="B, version revue")
    time.sleep(0.005)  # the clocks are the two devices' own: A's write is later in time
    a.update_case(world.case_id, situation="A, dernière version")
    api_sync(district, a)
    api_sync(district, b)
    api_sync(district, a)

    def ids(conflicts) -> list[str]:
        return sorted(c.id for c in conflicts)

    at_district = ids(district.conflicts())
    assert at_district
    assert ids(a.conflicts()) == at_district
    assert ids(b.conflicts()) == at_district
    situation = district.case(world.case_id)[0].situation
    assert is_sealed(situation)  # sealed at the district: opened with a team member's key
    opened, ok = sealing.open_field(
        team.keyring(a, world.case_id), world.case_id, "case", world.case_id, "situation", situation
    )
    assert ok and opened == "A, dernière version"
    assert a.get_case(world.case_id)[0].situation == "A, dernière version"
    assert a.get_case(world.case_id)[0].situation == b.get_case(world.case_id)[0].situation
    # Settled on one device, settled everywhere.
    for conflict in b.conflicts():
        b.resolve_conflict(conflict.id, "theirs")
    for worker in (b, a, b):
        api_sync(district, worker)
    assert district.conflicts() == a.conflicts() == b.conflicts() == []


# The formats, read back from docs/protocol.md's description with primitives only


def test_the_reply_digest_is_the_one_the_protocol_page_describes(stores, world):
    import hashlib
    import json

    district, a, b = stores
    note(b, world.case_id, "Note")
    b.update_case(world.case_id, situation="Élan retrouvé", goals=["Reprendre l'école"])
    api_sync(district, b)
    reply = handle(district, worker_side.build_request(a)[0]).reply
    worker_side.apply_reply(a, reply)

    h = hashlib.sha256(b"fieldkit-digest-v1\n")
    for case in sorted(a.list_cases(), key=lambda c: c.id):
        h.update(f"case {case.id}\n".encode())
        rows = a.conn.execute(
            "SELECT field, value FROM case_fields WHERE case_id = ? ORDER BY field", (case.id,)
        )
        for name, value in rows:
            text = json.dumps(json.loads(value), ensure_ascii=False, sort_keys=True)
            h.update(f"f {name} {text}\n".encode())
        for item in sorted(a.list_followups(case.id), key=lambda f: f.id):
            h.update(f"u {item.id}\n".encode())
        amendments = sorted(x.id for f in a.list_followups(case.id) for x in f.amendments)
        for amendment in amendments:
            h.update(f"a {amendment}\n".encode())
    assert read_header(reply).digest == h.hexdigest()


def test_enrolment_code_and_request_are_as_the_protocol_page_describes(tmp_path, monkeypatch):
    import base64
    import hashlib
    import hmac
    import json
    import zlib

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    use_fast_kdf(monkeypatch)
    with DistrictStore.create(tmp_path / "d", PASSPHRASE, "District", None) as district:
        worker_record, code = district.add_worker("Léa Martin", UNIT)
        assert code.startswith("FK1-") and "=" not in code
        body = code.removeprefix("FK1-")
        data = json.loads(zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))
        assert set(data) == {
            "district_id",
            "district_name",
            "url",
            "tls_fingerprint",
            "district_keys",
            "worker_id",
            "secret",
            "expires",
        }
        assert data["worker_id"] == worker_record.id and len(data["secret"]) == 32

        with WorkerStore.create(tmp_path / "w", PASSPHRASE) as worker:
            from fieldkit.sync.enrolment import decode_code

            request = worker_side.enrol_request(worker, decode_code(code))
            assert request[:8] == b"FKENROL1"
            length = int.from_bytes(request[8:12], "big")
            raw, signature = request[12 : 12 + length], request[12 + length :]
            assert len(signature) == 64
            fields = json.loads(raw)
            assert raw == json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
            assert set(fields) == {
                "created_ms",
                "district_id",
                "worker_id",
                "replica_id",
                "keys",
                "proof",
            }
            signing = base64.b64decode(fields["keys"]["signing"])
            Ed25519PublicKey.from_public_bytes(signing).verify(signature, request[: 12 + length])
            secret_hash = hashlib.sha256(f"fieldkit-enrol-secret/{data['secret']}".encode())
            fingerprint = worker.identity().public.fingerprint_hex
            message = f"fieldkit-enrol/1/{data['worker_id']}/{worker.replica_id}/{fingerprint}"
            proof = hmac.new(secret_hash.digest(), message.encode(), hashlib.sha256).hexdigest()
            assert fields["proof"] == proof

            outcome = handle(district, request)
            assert read_header(outcome.reply).kind == "enrol-reply"
            assert read_header(outcome.reply).counter == 1
            with pytest.raises(Refused) as again:
                handle(district, request)  # the code is used
            assert again.value.key == "enrol.code_used" and again.value.exit_code == REFUSED
