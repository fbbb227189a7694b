"""Access control beyond what tests/district/test_authorisation.py already refuses.

A worker's device is trusted with its key, not with its requests: B signs, with its
own genuine key, bundles that ask for or write to a case assigned to A alone, in any
shape hypothesis can think of. A revoked worker gets nothing. An enrolment code works
once and not after its expiry (time injected, no sleeping). A district reply, an
enrolment reply or a wipe notice replayed to another worker is refused.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldkit.district import exchange
from fieldkit.district.exchange import handle
from fieldkit.errors import REFUSED, BundleRejected, FieldkitError, Refused
from fieldkit.model import Change
from fieldkit.replica import meta
from fieldkit.store.db import transaction
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import worker_side
from fieldkit.sync.bundle import open_bundle
from fieldkit.sync.enrolment import decode_code
from fieldkit.sync.payload import SyncReply, SyncRequest, decode
from tests.conftest import PASSPHRASE
from tests.security.conftest import TODAY, note, store_bytes
from tests.security.mutate import SOME
from tests.world import UNIT, api_sync, signed_request


def reply_to(worker: WorkerStore, data: bytes) -> SyncReply:
    district = worker_side.district(worker)
    _, payload = open_bundle(
        data,
        recipient=worker.identity(),
        recipient_id=worker.replica_id,
        sender_key=lambda _: district.keys,
    )
    return decode(SyncReply, payload)


def case_state(district, case_id: str) -> tuple:
    case, history = district.case(case_id)
    rows = district.conn.execute(
        "SELECT id, hlc, fields FROM changes WHERE case_id = ? ORDER BY idx", (case_id,)
    ).fetchall()
    return case, [f.current() for f in history], rows, district.case_conflicts(case_id)


@pytest.fixture
def secret(opened):
    """A follows the secret case and has written on it; B is not assigned to it."""
    world, district, workers = opened
    a, b = workers["a"], workers["b"]
    a.update_case(world.secret_case, situation="Situation confidentielle")
    followup = note(a, world.secret_case, "Note confidentielle")
    api_sync(district, a)
    assert world.secret_case not in district.assigned_cases(world.worker_ids["b"])
    return world, district, a, b, followup


def test_asking_for_a_case_not_assigned_gives_nothing_of_it(secret):
    world, district, _, b, _ = secret
    ask = SyncRequest(holding=[world.secret_case, world.shared_case], resync=True)
    outcome = handle(district, signed_request(b, ask, cursor=0))
    reply = reply_to(b, outcome.reply)
    assert reply.changes, "the shared case is resent whole"
    assert {c.case_id for c in reply.changes} == {world.shared_case}
    assert reply.purge == [world.secret_case]  # what B claims to hold, it must drop
    worker_side.apply_reply(b, outcome.reply)
    assert [c.id for c in b.list_cases()] == [world.shared_case]


# What B may try to write on A's case, signed with B's own key


WORDS = st.text(max_size=30)
FIELDS = st.dictionaries(
    st.sampled_from(
        [
            *("situation", "status", "reference", "display_name", "assignees", "summary"),
            *("kind", "recorded_by", "occurred_on", "case_id", "goals", "next_review", "x"),
        ]
    ),
    st.one_of(st.none(), WORDS, st.integers(), st.lists(WORDS, max_size=2)),
    max_size=4,
)


@st.composite
def intrusions(draw: st.DrawFn, world, b: WorkerStore, a_origin: str, followup: str) -> Change:
    """A change B should not be able to make: on the secret case, or reaching into it."""
    origin = draw(st.sampled_from([b.replica_id, a_origin]))
    seq = draw(st.integers(1, 10**6))
    entity = draw(st.sampled_from(["case", "followup", "conflict", "worker", "assignment"]))
    target = draw(st.sampled_from(["secret", "secret", "shared-into-secret"]))
    case_id = world.secret_case if target == "secret" else world.shared_case
    entity_id = draw(
        st.sampled_from([world.secret_case, followup, uuid.uuid4().hex, world.shared_case])
    )
    if target == "shared-into-secret":
        entity, entity_id = "followup", followup  # amend A's note through B's own case
    fields: dict[str, Any] = draw(FIELDS)
    if entity == "followup" and draw(st.booleans()):
        fields = {
            "occurred_on": TODAY.isoformat(),
            "recorded_by": draw(st.sampled_from([b.author, world.worker_ids["a"]])),
            "kind": "interview",
            "summary": "Écrit par B",
            **fields,
        }
    return Change(
        id=draw(st.sampled_from([f"{origin}:{seq}", f"{a_origin}:{seq}", uuid.uuid4().hex])),
        origin=origin,
        seq=seq,
        hlc=draw(st.sampled_from(["999999999999999-000000", "000000000000001-000000"])),
        entity=entity,
        entity_id=entity_id,
        case_id=case_id,
        op=draw(st.sampled_from(["add", "update", "amend", "open", "close", "resolve", "delete"])),
        fields=fields,
        base={},
        author=draw(st.sampled_from([b.author, world.worker_ids["a"], "district"])),
    )


@SOME
@given(data=st.data())
def test_crafted_changes_signed_by_a_genuine_key_never_touch_a_case_not_assigned(secret, data):
    world, district, a, b, followup = secret
    before = case_state(district, world.secret_case)
    changes = data.draw(
        st.lists(intrusions(world, b, a.replica_id, followup), min_size=1, max_size=4)
    )
    resync = data.draw(st.booleans())
    ask = SyncRequest(changes=changes, holding=[world.shared_case], resync=resync)
    try:
        outcome = handle(district, signed_request(b, ask, cursor=0 if resync else None))
    except FieldkitError as exc:
        assert isinstance(exc, BundleRejected | Refused), exc
    else:
        assert outcome.applied == 0
        assert all(c.case_id != world.secret_case for c in reply_to(b, outcome.reply).changes)
    assert case_state(district, world.secret_case) == before
    assert world.secret_case not in district.assigned_cases(world.worker_ids["b"])


# A revoked worker


def test_a_revoked_worker_gets_nothing_even_when_it_asks_for_everything(secret):
    world, district, _, b, _ = secret
    note(b, world.shared_case, "Note de B avant la révocation")
    district.revoke_worker(world.worker_ids["b"])
    before = store_bytes(world.district_home)
    ask = SyncRequest(holding=[], resync=True)
    outcome = handle(district, signed_request(b, ask, cursor=0))
    assert outcome.kind == "wipe" and outcome.refused_worker
    notice = reply_to(b, outcome.reply)
    assert notice.wipe and notice.changes == [] and notice.purge == []
    assert store_bytes(world.district_home) == before

    # Over HTTP too, through the real app: 403 and the same kind of notice, nothing else.
    import asyncio

    import httpx

    from fieldkit.district.server import create_app

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(district))
        async with httpx.AsyncClient(transport=transport, base_url="http://district") as c:
            return await c.post("/v1/sync", content=signed_request(b, ask, cursor=0))

    answer = asyncio.run(post())
    assert answer.status_code == 403
    assert reply_to(b, answer.content).changes == []
    assert store_bytes(world.district_home) == before


def test_a_handover_import_answers_the_revoked_device_with_no_case_content(secret):
    world, district, a, b, _ = secret
    handed = note(b, world.shared_case, "Note de B remise au district")
    fresh = note(a, world.shared_case, "Texte récent que le voleur ne doit pas lire")
    api_sync(district, a)
    district.revoke_worker(world.worker_ids["b"])
    with transaction(b.conn):
        meta.put(b.conn, "resync_needed", "1")  # a diverged device: asks for everything
    wiped = worker_side.apply_reply(b, handle(district, worker_side.build_request(b)[0]).reply)
    assert wiped.wiped and wiped.handover

    outcome = handle(district, Path(wiped.handover).read_bytes(), accept_revoked=True)
    assert (outcome.applied, outcome.kind, outcome.sent) == (1, "wipe", 0)
    assert {handed, fresh} <= {f.id for f in district.case(world.shared_case)[1]}

    # Whoever holds the revoked device's key opens the reply with the project's own code:
    # the acknowledgement and the wipe notice, no name, no text.
    header, payload = open_bundle(
        outcome.reply,
        recipient=b.identity(),
        recipient_id=b.replica_id,
        sender_key=lambda _: worker_side.district(b).keys,
    )
    reply = decode(SyncReply, payload)
    assert header.kind == "wipe" and reply.wipe
    assert reply.changes == [] and reply.purge == [] and reply.refused == []
    assert header.ack == meta.get_int(b.conn, "seq")  # all of B's work acknowledged
    for secret_text in ("Amélie Durand", "Texte récent", "Note de B", "Signalement"):
        assert secret_text.encode() not in payload
    worker_side.apply_reply(b, outcome.reply)  # and the device takes it as the notice it is
    assert b.list_cases() == []


def test_a_wipe_notice_replayed_to_another_worker_wipes_nothing(secret):
    world, district, a, b, _ = secret
    district.revoke_worker(world.worker_ids["b"])
    notice = handle(district, signed_request(b, SyncRequest())).reply
    before = store_bytes(world.homes["a"])
    with pytest.raises(BundleRejected) as caught:
        worker_side.apply_reply(a, notice)
    assert caught.value.key == "bundle.wrong_recipient"
    assert store_bytes(world.homes["a"]) == before and a.list_cases()


def test_replies_replayed_to_another_worker_are_refused(secret):
    world, district, a, b, _ = secret
    for_a = handle(district, worker_side.build_request(a)[0]).reply
    before = store_bytes(world.homes["b"])
    with pytest.raises(BundleRejected) as caught:
        worker_side.apply_reply(b, for_a)
    assert caught.value.key == "bundle.wrong_recipient"
    assert store_bytes(world.homes["b"]) == before
    worker_side.apply_reply(a, for_a)  # and it is A's to apply


# Enrolment codes


def test_an_enrolment_reply_replayed_to_another_new_device_is_refused(opened, tmp_path):
    world, district, _ = opened
    _, code = district.add_worker("Inès Garnier", UNIT)
    with WorkerStore.create(tmp_path / "d", PASSPHRASE) as d:
        worker_side.enrol_request(d, decode_code(code))
        before = store_bytes(tmp_path / "d")
        with pytest.raises(BundleRejected):
            worker_side.enrol_complete(d, world.enrol_reply_c)  # C's reply, not D's
        assert store_bytes(tmp_path / "d") == before and d.worker_id is None


def test_an_enrolment_code_works_once(opened, tmp_path):
    world, district, _ = opened
    assert handle(district, world.enrol_request_c).kind == "enrol-reply"
    before = store_bytes(world.district_home)
    # The same request again, and the same code from another device.
    with pytest.raises(Refused) as again:
        handle(district, world.enrol_request_c)
    assert again.value.key == "enrol.code_used"
    with WorkerStore.create(tmp_path / "thief", PASSPHRASE) as thief:
        stolen = worker_side.enrol_request(thief, decode_code(world.code_c))
    with pytest.raises(Refused) as used:
        handle(district, stolen)
    assert used.value.key == "enrol.code_used" and used.value.exit_code == REFUSED
    assert store_bytes(world.district_home) == before


class _Clock:
    """Stands for the `time` module in the code that checks expiry: the wall clock, moved."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def time(self) -> float:
        return time.time() + self.offset


def test_an_enrolment_code_is_refused_after_its_expiry(opened, monkeypatch):
    world, district, _ = opened
    expires = decode_code(world.code_c).expires
    before = store_bytes(world.district_home)
    monkeypatch.setattr(exchange, "time", _Clock(expires - time.time() + 1))
    with pytest.raises(Refused) as late:
        handle(district, world.enrol_request_c)
    assert late.value.key == "enrol.code_expired"
    assert store_bytes(world.district_home) == before
    assert district.worker(world.worker_ids["c"]).worker.status.value == "pending"
    # One second before expiry the same request is accepted: expiry is what refused it.
    monkeypatch.setattr(exchange, "time", _Clock(expires - time.time() - 1))
    assert handle(district, world.enrol_request_c).kind == "enrol-reply"


def test_the_cli_refuses_an_expired_code_on_both_sides(sandbox, fk, monkeypatch, tmp_path):
    world = sandbox
    expires = decode_code(world.code_c).expires
    late = expires + 60
    home = tmp_path / "late"
    fk.json(home, "init")
    monkeypatch.setattr(time, "time", lambda: late)
    result = fk.run(home, "enrol", world.code_c, "--to-file", str(tmp_path / "req.fkb"))
    assert result.exit_code == REFUSED and "expired" in result.stderr, result.stderr
    assert not (tmp_path / "req.fkb").exists()
    assert fk.json(home, "status")["enrolled"] is False
    request = tmp_path / "c.fkb"
    request.write_bytes(world.enrol_request_c)
    args = ("district", "sync-file", str(request), str(tmp_path / "reply.fkb"))
    refused = fk.run(world.district_home, *args)
    assert refused.exit_code == REFUSED and "expired" in refused.stderr, refused.stderr
    assert not (tmp_path / "reply.fkb").exists()
