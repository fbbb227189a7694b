"""Pruning a worker store's audit trail behind a signed checkpoint (issue 19).

Time is injected: the events to keep are stamped in the future (`at=`) and the prune runs
at that future moment (`now=`), so that the store's own first events are the old ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from fieldkit.errors import IntegrityError, InvalidValue
from fieldkit.replica import meta
from fieldkit.store import audit, auditlog
from fieldkit.store.db import transaction
from fieldkit.store.worker import WorkerStore
from tests.conftest import PASSPHRASE
from tests.world import use_fast_kdf

NOW = datetime.now(UTC).replace(microsecond=0)
LATER = NOW + timedelta(days=400)  # the moment the prune runs


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WorkerStore]:
    use_fast_kdf(monkeypatch)
    with WorkerStore.create(tmp_path / "w", PASSPHRASE) as created:
        with transaction(created.conn):
            for n in range(3):  # events of the future, kept by the prune below
                at = NOW + timedelta(days=380 + n)
                audit.record(created.conn, "w-1", "view", "case", f"c{n}", "", at=at)
        yield created


def _old_count(store: WorkerStore, before: date) -> int:
    return auditlog.plan(store.conn, before).count


def test_prune_removes_the_old_events_and_the_trail_verifies_from_the_checkpoint(store):
    before = (NOW + timedelta(days=300)).date()
    old = _old_count(store, before)
    assert old >= 1
    total = len(store.audit_events())

    done = auditlog.prune(store.conn, store.author, before, now=LATER)

    assert done.count == old
    events = store.audit_events()
    assert [e.action for e in events] == ["view", "view", "view", auditlog.PRUNE_ACTION]
    assert events[-1].detail == f"pruned={old}"
    assert len(events) == total - old + 1
    verified = store.check_audit()
    assert verified.ok and verified.count == 4
    checkpoint = verified.checkpoint
    assert checkpoint["pruned"] == old and checkpoint["last_seq"] == old
    assert checkpoint["store"] == store.replica_id and checkpoint["previous"] is None
    assert checkpoint["first_at"] <= checkpoint["last_at"] < before.isoformat()
    assert checkpoint["made_at"] == LATER.isoformat(timespec="seconds")


def test_a_second_prune_chains_its_checkpoint_to_the_first(store):
    first = auditlog.prune(store.conn, store.author, (NOW + timedelta(days=300)).date(), now=LATER)
    second = auditlog.prune(store.conn, store.author, (NOW + timedelta(days=381)).date(), now=LATER)
    assert second.count == 1  # the first future event; the prune event is of LATER
    assert second.checkpoint["pruned"] == first.count + 1
    assert second.checkpoint["previous"] == auditlog._sha256(audit.canonical(first.checkpoint))
    assert second.checkpoint["first_at"] == first.checkpoint["first_at"]
    assert store.check_audit().ok


def test_nothing_before_the_day_prunes_nothing_and_writes_no_checkpoint(store):
    done = auditlog.prune(store.conn, store.author, NOW.date() - timedelta(days=365))
    assert done.count == 0 and done.checkpoint is None
    assert meta.get(store.conn, audit.CHECKPOINT_KEY) is None
    assert store.check_audit().checkpoint is None


def test_when_every_event_is_pruned_the_next_one_chains_on_from_the_checkpoint(store):
    auditlog.prune(store.conn, store.author, (LATER + timedelta(days=1)).date(), now=LATER)
    store.conn.execute("DELETE FROM audit")  # as if the prune event itself were pruned too
    with transaction(store.conn):
        audit.record(store.conn, store.author, "view", "case", "c9")
    verified = store.check_audit()
    assert verified.ok and verified.count == 1


def test_an_event_edited_after_the_checkpoint_breaks_the_trail(store):
    auditlog.prune(store.conn, store.author, (NOW + timedelta(days=300)).date(), now=LATER)
    first_kept = store.audit_events()[0].seq
    store.conn.execute("UPDATE audit SET actor = 'quelqu-un' WHERE seq = ?", (first_kept + 1,))
    assert store.check_audit().broken == first_kept + 1


def test_an_edited_or_removed_checkpoint_fails_verification(store):
    auditlog.prune(store.conn, store.author, (NOW + timedelta(days=300)).date(), now=LATER)
    stored = json.loads(meta.get(store.conn, audit.CHECKPOINT_KEY))
    good = json.dumps(stored)

    stored["checkpoint"]["pruned"] += 1  # hiding how many went
    with transaction(store.conn):
        meta.put(store.conn, audit.CHECKPOINT_KEY, json.dumps(stored))
    assert not store.check_audit().checkpoint_ok
    with pytest.raises(IntegrityError):  # nor is a store with a forged checkpoint pruned
        auditlog.prune(store.conn, store.author, (LATER + timedelta(days=1)).date(), now=LATER)

    with transaction(store.conn):
        meta.put(store.conn, audit.CHECKPOINT_KEY, "{not json")
    with pytest.raises(IntegrityError):
        store.check_audit()

    with transaction(store.conn):
        meta.delete(store.conn, audit.CHECKPOINT_KEY)
    assert store.check_audit().broken is not None  # the chain now starts after seq 1

    with transaction(store.conn):
        meta.put(store.conn, audit.CHECKPOINT_KEY, good)
    assert store.check_audit().ok


def test_a_broken_trail_is_never_pruned(store):
    store.conn.execute("UPDATE audit SET action = 'lock' WHERE seq = 1")
    with pytest.raises(IntegrityError):
        auditlog.prune(store.conn, store.author, (NOW + timedelta(days=300)).date(), now=LATER)
    assert store.audit_events()[0].seq == 1


def test_retention_defaults_to_a_year_and_goes_beyond_only_with_a_reason(store):
    kept = store.audit_retention()
    assert (kept.days, kept.reason, kept.default) == (365, None, True)
    assert store.audit_prune_before(date(2027, 1, 1)) == date(2026, 1, 1)
    with pytest.raises(InvalidValue):
        store.set_audit_retention(730, None)
    with pytest.raises(InvalidValue):
        store.set_audit_retention(1096, "trop")
    with pytest.raises(InvalidValue):
        store.set_audit_retention(90, None)
    kept = store.set_audit_retention(730, "Contentieux en cours")
    assert (kept.days, kept.reason) == (730, "Contentieux en cours")
    assert store.audit_retention() == kept
    assert store.audit_events()[-1].action == auditlog.RETENTION_ACTION
    assert "Contentieux" not in store.audit_events()[-1].detail  # never text in the audit
    assert store.set_audit_retention(200, None).reason is None
