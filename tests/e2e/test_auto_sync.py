"""auto_sync, the sync lock and the transfer progress, against a real server subprocess.

auto_sync is off by default; turned on, a write starts a detached `fieldkit sync
--auto` that delivers the change without the worker asking, and a write made while
the server is down still succeeds at once, its change kept in the queue. Two syncs
of one store never run together: the second waits, then says so (exit 1), and the
background one simply skips its turn.
"""

from __future__ import annotations

import secrets
import time

from fieldkit.errors import ERROR
from fieldkit.store.access import Credentials
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import transport, worker_side
from tests.e2e.conftest import Net

POLL_SECONDS = 45.0


def eventually(check, what: str, timeout: float = POLL_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.2)


def test_auto_sync_is_off_by_default_and_delivers_a_write_when_on(net: Net) -> None:
    reference = net.new_case("Amélie Durand", "a")
    net.sync("a")
    settings = net.json("a", "config", "show")
    assert (settings["auto_sync"], settings["auto_sync_timeout"]) == (False, 20)

    quiet = net.note("a", reference, "Appel sans synchronisation automatique.")
    assert net.json("a", "status")["unsynced_changes"] == 1

    assert net.json("a", "config", "set", "auto_sync", "on")["auto_sync"] is True
    delivered = net.note("a", reference, "Appel avec synchronisation automatique.")
    # The background sync carries everything queued: the earlier change as well.
    eventually(
        lambda: net.district_followups(reference) == sorted([quiet, delivered]),
        "the district holds both follow-ups",
    )
    eventually(lambda: net.json("a", "status")["unsynced_changes"] == 0, "the queue is empty")


def test_auto_sync_while_offline_keeps_the_write_and_its_queue(net: Net) -> None:
    reference = net.new_case("Amélie Durand", "a")
    net.sync("a")
    net.json("a", "config", "set", "auto_sync", "on")
    net.server.stop()

    started = time.monotonic()
    offline = net.note("a", reference, "Visite pendant une coupure du réseau.")
    assert time.monotonic() - started < 10  # the write does not wait for the network
    assert net.json("a", "status")["unsynced_changes"] == 1

    # Nothing retries by itself (that is `sync --watch`); the next write carries both.
    net.server.start()
    later = net.note("a", reference, "Appel une fois le réseau revenu.")
    eventually(
        lambda: net.district_followups(reference) == sorted([offline, later]),
        "both delivered by the next write's background sync",
    )
    eventually(lambda: net.json("a", "status")["unsynced_changes"] == 0, "the queue is empty")


def test_one_sync_at_a_time_per_store(net: Net, monkeypatch) -> None:
    reference = net.new_case("Amélie Durand", "a")
    net.sync("a")
    waiting = net.note("a", reference, "Note en attente.")
    monkeypatch.setattr(worker_side, "LOCK_WAIT", 0.5)

    with worker_side.sync_lock(net.homes["a"], wait=False):
        busy = net.run("a", "sync")
        assert busy.exit_code == ERROR, (busy.stdout, busy.stderr)
        assert "another sync" in busy.stderr
        skipped = net.run("a", "sync", "--auto")
        assert skipped.exit_code == ERROR
        assert net.district_followups(reference) == []
        assert net.json("a", "status")["unsynced_changes"] == 1

    assert net.sync("a")["sent"] == 1
    assert net.district_followups(reference) == [waiting]


def test_progress_follows_a_large_bundle_to_the_end(net: Net, monkeypatch) -> None:
    reference = net.new_case("Amélie Durand", "a")
    net.sync("a")
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", "trois mots pour tester le coffre")
    # Random text: the payload is compressed, a repeated sentence would shrink to nothing.
    texts = [secrets.token_hex(6000) for _ in range(50)]
    with WorkerStore.open(net.homes["a"], Credentials()) as store:
        for text in texts:
            net_note_direct(store, reference, text)
        seen: list[tuple[int, int]] = []
        result = worker_side.sync_online(
            store, progress=lambda sent, total: seen.append((sent, total))
        )
    assert result.sent == 50
    total = seen[-1][1]
    assert total > 4 * transport.CHUNK  # several chunks, so the bar really moves
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert [sent for sent, _ in seen] == sorted(sent for sent, _ in seen)
    assert len(net.district_followups(reference)) == 50


def net_note_direct(store: WorkerStore, reference: str, summary: str) -> None:
    from datetime import date

    from fieldkit.enums import FollowUpKind

    today = date.today()
    store.add_followup(
        reference, kind=FollowUpKind("interview"), summary=summary, occurred_on=today, today=today
    )
