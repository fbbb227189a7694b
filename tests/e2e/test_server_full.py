"""The district server's disk fills up mid-sync: 503, nothing applied, nothing lost.

A real uvicorn server in a thread serves a real district store (SQLCipher) whose
database is made full with `PRAGMA max_page_count` (SQLite's own "database or disk is
full", what a full disk gives). The worker's `fieldkit sync` gets 503 with a signed-off
reason, exits 5 with its changes still queued, and `sync --watch` keeps trying until
space is back; then everything arrives once.
"""

from __future__ import annotations

import logging
import threading
from datetime import date
from pathlib import Path

import pytest

from fieldkit.district.store import DistrictStore
from fieldkit.enums import FollowUpKind
from fieldkit.errors import OFFLINE
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import worker_side
from tests.conftest import PASSPHRASE
from tests.e2e.conftest import free_port
from tests.world import (
    UNIT,
    Fieldkit,
    ThreadServer,
    api_sync,
    credentials,
    enrol_api,
    use_fast_kdf,
)

UNLIMITED_PAGES = 1_073_741_823


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    use_fast_kdf(monkeypatch)
    port = free_port()
    district_home, home = tmp_path / "district", tmp_path / "lea"
    url = f"http://127.0.0.1:{port}"
    with DistrictStore.create(district_home, PASSPHRASE, "District plein", url) as district:
        added, code = district.add_worker("Léa Martin", UNIT)
        case = district.add_case(name="Amélie Durand", unit=UNIT, reason="Signalement")
        district.assign(case.id, added.id, lead=True)
        with WorkerStore.create(home, PASSPHRASE) as worker:
            enrol_api(district, worker, code)
            api_sync(district, worker)
    store = DistrictStore.open(district_home, credentials())
    try:
        with ThreadServer(store, port):
            yield store, home, case.reference
    finally:
        store.close()


def fill(store: DistrictStore) -> None:
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}").fetchone()


def free(store: DistrictStore) -> None:
    store.conn.execute(f"PRAGMA max_page_count = {UNLIMITED_PAGES}").fetchone()


def note(home: Path, reference: str, text: str) -> None:
    with WorkerStore.open(home, credentials()) as worker:
        today = date.today()
        worker.add_followup(
            reference,
            kind=FollowUpKind("interview"),
            summary=text * 200,
            occurred_on=today,
            today=today,
        )


def district_followups(store: DistrictStore, reference: str) -> list[str]:
    return [f.id for f in store.case(reference)[1]]


def test_full_disk_at_the_server_is_503_and_the_changes_stay_queued(world, caplog) -> None:
    store, home, reference = world
    note(home, reference, "Entretien avec la famille Durand. ")
    fill(store)
    fk = Fieldkit()

    with caplog.at_level(logging.INFO, logger="fieldkit.server"):
        result = fk.run(home, "sync")
    assert result.exit_code == OFFLINE, (result.stdout, result.stderr)
    assert "HTTP 503" in result.stderr and "1 change" in result.stderr
    assert "Traceback" not in result.stderr
    assert district_followups(store, reference) == []
    assert fk.json(home, "status")["unsynced_changes"] == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "status=503" in logged and "OperationalError" in logged
    assert "Durand" not in logged and "famille" not in logged

    free(store)
    assert fk.json(home, "sync")["sent"] == 1
    assert len(district_followups(store, reference)) == 1
    assert fk.json(home, "status")["unsynced_changes"] == 0


def test_sync_watch_waits_out_a_full_server_disk(world, monkeypatch) -> None:
    from fieldkit.commands import sync as sync_command

    store, home, reference = world
    note(home, reference, "Appel au lycée. ")
    fill(store)
    monkeypatch.setattr(sync_command, "BACKOFF_START", 0.4)
    freed = threading.Timer(1.5, free, args=(store,))
    freed.start()
    try:
        result = Fieldkit().run(home, "sync", "--watch", "--json")
    finally:
        freed.cancel()
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "HTTP 503" in result.stderr  # it said why it was waiting
    assert len(district_followups(store, reference)) == 1
    with WorkerStore.open(home, credentials()) as worker:
        assert worker_side.queued(worker) == 0
