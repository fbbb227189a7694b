"""The bundle limits never strand a worker's changes (issue 7): a batch too large for the
bundle size limit is split, and a revoked device hands over everything it has, in as
many numbered files as that takes, before it wipes."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

import pytest

from fieldkit.district.exchange import handle
from fieldkit.model import ConcernLevel, FollowUpKind
from fieldkit.replica import changelog, grants, meta
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import bundle, worker_side
from fieldkit.sync.bundle import read_header
from fieldkit.sync.payload import SyncRequest, decode, encode_sync_request
from tests.world import World, api_sync, api_world, use_fast_kdf

TODAY = date.today()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    use_fast_kdf(monkeypatch)
    return api_world(tmp_path)


def notes(worker: WorkerStore, case: str, count: int) -> set[str]:
    return {
        worker.add_followup(
            case,
            kind=FollowUpKind.INTERVIEW,
            summary=f"Note {n}",
            occurred_on=TODAY,
            today=TODAY,
        ).id
        for n in range(count)
    }


def test_a_batch_over_the_size_limit_is_split_and_everything_gets_through(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    with world.open_district() as district, world.open_worker("a") as a:
        # Random text does not compress: 12 of these cannot share one small bundle.
        sent = {
            a.add_followup(
                world.case_id,
                kind=FollowUpKind.INTERVIEW,
                summary=secrets.token_hex(400),
                occurred_on=TODAY,
                today=TODAY,
            ).id
            for _ in range(12)
        }
        monkeypatch.setattr(bundle, "MAX_BUNDLE_BYTES", 6_000)
        data, count, more = worker_side.build_request(a)
        assert 0 < count < 12 and more
        # The first bundle also carries a's grant of the case key to b (its seq 1): a
        # change in the bundle, not counted as work.
        assert len(data) <= 6_000 and read_header(data).changes == count + 1
        rounds = 0
        while worker_side.queued(a):
            rounds += 1
            assert rounds < 20
            api_sync(district, a)
        assert sent <= {f.id for f in district.case(world.case_id)[1]}


def test_a_revoked_device_hands_over_everything_in_numbered_files(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(worker_side, "MAX_SEND", 3)
    with world.open_worker("a") as a:
        written = notes(a, world.case_id, 7)
        # The first note made the case key and granted it to b, the other member: that
        # grant is a change of a's too, and is handed over with the notes (8 changes).
        log = changelog.of_origin_above(a.conn, a.replica_id, 0)
        assert sorted(c.entity for c in log) == ["followup"] * 7 + ["grant"]
        (grant,) = [c for c in log if c.entity == "grant"]
        assert grant.fields["grantee"] == world.worker_ids["b"]
    with world.open_district() as district:
        district.revoke_worker(world.worker_ids["a"])
        with world.open_worker("a") as a:
            outcome = handle(district, worker_side.build_request(a)[0])
            result = worker_side.apply_reply(a, outcome.reply)
            assert result.wiped
            assert not a.list_cases()  # wiped, after sealing
        files = result.handover_files
        assert len(files) == 3 and result.handover == files[0]
        assert [read_header(Path(f).read_bytes()).changes for f in files] == [3, 3, 2]
        for path in files:  # a coordinator imports them in order
            handle(district, Path(path).read_bytes(), accept_revoked=True)
        assert written <= {f.id for f in district.case(world.case_id)[1]}
        granted = grants.granted(district.conn, world.case_id)
        assert (grant.fields["kid"], world.worker_ids["b"], grant.fields["grantee_key"]) in granted


def test_the_outgoing_changes_written_as_text_decode_to_the_models(world: World):
    """The bundle's payload is written from the change log's text; the district decodes
    exactly the changes, in exactly the order, that the models would have given."""
    with world.open_worker("a") as a:
        first = a.add_followup(
            world.case_id,
            kind=FollowUpKind.INTERVIEW,
            summary='Entretien « difficile » — "citation" \\ ligne\nsuivante ✓',
            occurred_on=TODAY,
            today=TODAY,
            partners=["Mission locale", "CMP"],
        )
        a.add_followup(
            world.case_id,
            kind=FollowUpKind.CONCERN,
            summary="Inquiétude",
            occurred_on=TODAY,
            today=TODAY,
            concern_level=ConcernLevel.HIGH,
        )
        a.amend_followup(first.id, TODAY, summary="Entretien rectifié")
        a.update_case(world.case_id, situation="Situation revue", goals=["Reprendre l'école"])
        acked = meta.get_int(a.conn, "acked_seq")
        models = changelog.of_origin_above(a.conn, a.replica_id, acked)
        models.sort(key=lambda c: (c.priority, c.seq))
        texts = changelog.outgoing_json(a.conn, a.replica_id, acked)
        holding = [world.case_id]

        expected = SyncRequest(changes=models, holding=holding, resync=True)
        written = decode(SyncRequest, encode_sync_request([t for _, t in texts], holding, True))
        assert written == expected
        assert [seq for seq, _ in texts] == [c.seq for c in models]
        assert written.changes[0].fields["concern_level"] == "high"  # high concerns first
