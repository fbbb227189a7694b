"""Two server processes' transactions on one PostgreSQL district, interleaved on purpose.

Each `DistrictStore.open` is its own connection, as a second `district serve` process
would be. One sync is held inside its transaction, before it writes anything, while
another worker's sync arrives on the other connection. The second must wait for the
first (the district-wide write lock): otherwise the two interleave, and the second can
hand its worker a cursor past a change the first has not committed yet, which that
worker would then never receive.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest

from fieldkit.district.exchange import Outcome, handle
from fieldkit.model import FollowUpKind
from fieldkit.replica import changelog
from fieldkit.sync import worker_side
from tests.world import api_sync, api_world, use_fast_kdf

DISTRICT_BACKENDS = ("postgresql",)
TODAY = date.today()


def test_a_sync_waits_for_another_process_sync_and_misses_none_of_its_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, district_backend: str
) -> None:
    use_fast_kdf(monkeypatch)
    world = api_world(tmp_path)
    inside, go = threading.Event(), threading.Event()
    held_thread: list[int] = []
    real_observe = changelog.observe

    def held_open(conn, changes):
        # The first statement of the sync's transaction, before it writes any row.
        if threading.get_ident() in held_thread:
            inside.set()
            assert go.wait(30)
        return real_observe(conn, changes)

    monkeypatch.setattr(changelog, "observe", held_open)
    with (
        world.open_district() as first,
        world.open_district() as second,
        world.open_worker("a") as a,
        world.open_worker("b") as b,
    ):
        from_a = a.add_followup(
            world.case_id, kind=FollowUpKind.INTERVIEW, summary="A", occurred_on=TODAY, today=TODAY
        )
        from_b = b.add_followup(
            world.case_id, kind=FollowUpKind.INTERVIEW, summary="B", occurred_on=TODAY, today=TODAY
        )
        bundle_a, _, _ = worker_side.build_request(a)
        bundle_b, _, _ = worker_side.build_request(b)
        outcomes: dict[str, Outcome] = {}

        def sync_a() -> None:
            held_thread.append(threading.get_ident())
            outcomes["a"] = handle(first, bundle_a)

        def sync_b() -> None:
            outcomes["b"] = handle(second, bundle_b)

        holder = threading.Thread(target=sync_a)
        holder.start()
        assert inside.wait(30)
        waiter = threading.Thread(target=sync_b)
        waiter.start()
        waiter.join(1.5)
        assert waiter.is_alive(), "the second sync ran while the first held its transaction"
        go.set()
        holder.join(30)
        waiter.join(30)
        assert set(outcomes) == {"a", "b"}
        worker_side.apply_reply(a, outcomes["a"].reply)
        worker_side.apply_reply(b, outcomes["b"].reply)
        # One more round each, through either connection: nothing is missing anywhere.
        api_sync(second, a)
        api_sync(first, b)
        for worker in (a, b):
            held = {f.id for f in worker.list_followups(world.case_id)}
            assert {from_a.id, from_b.id} <= held
        for store in (first, second):
            assert {f.id for f in store.case(world.case_id)[1]} >= {from_a.id, from_b.id}
            # Bundles: the world's first sync, the held one, the last round.
            assert store.worker(world.worker_ids["a"]).counter_in == 3
