"""Two `district serve` processes on one PostgreSQL database, workers syncing through both
at once: no change lost, none applied twice, every worker's counters and cursors exact.

Eight workers share one case, so each must receive every other's follow-ups: a cursor
handed out past a change another process had not yet committed would lose it for
good. Each worker writes, then syncs over HTTPS through one server or the other
(alternating), in its own thread, all at the same time; then a few quiet rounds.
"""

from __future__ import annotations

import ssl
import threading
from datetime import date
from pathlib import Path

import httpx
import pytest

from fieldkit.district.backend import DATABASE_ENV
from fieldkit.district.store import DistrictStore
from fieldkit.model import FollowUpKind
from fieldkit.replica import changelog
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import worker_side
from tests.conftest import PASSPHRASE
from tests.e2e.conftest import Server, free_port
from tests.pg import Cluster, pg_cluster  # noqa: F401
from tests.world import UNIT, Fieldkit, credentials, use_fast_kdf

WORKERS = 8
ROUNDS = 4
PER_ROUND = 2


def post(server: Server, path: str, data: bytes, cert: Path) -> bytes:
    pinned = ssl.create_default_context(cafile=str(cert))
    answer = httpx.post(server.url + path, content=data, verify=pinned, timeout=120)
    assert answer.status_code == 200, (answer.status_code, answer.text[:200])
    return answer.content


def test_two_servers_on_one_database_lose_nothing_and_apply_nothing_twice(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pg_cluster: Cluster,  # noqa: F811
) -> None:
    use_fast_kdf(monkeypatch)
    monkeypatch.delenv(DATABASE_ENV, raising=False)
    fk = Fieldkit()
    dsn = pg_cluster.create_database()
    home = tmp_path / "district"
    servers = [Server(home, free_port(), log=tmp_path / f"server-{i}.log") for i in range(2)]
    fk.json(home, "district", "init", "--name", "District", "--url", servers[0].url,
            "--self-signed", "--database", dsn)  # fmt: skip
    cert = home / "tls-cert.pem"
    codes = [
        fk.json(home, "district", "worker", "add", "--name", f"Intervenant {i}", "--unit", UNIT)
        for i in range(WORKERS)
    ]
    reference = fk.json(home, "district", "case", "add", "--name", "Personne", "--unit", UNIT)[
        "reference"
    ]
    for added in codes:
        fk.ok(home, "district", "case", "assign", reference, added["id"])

    for server in servers:
        server.start()
    try:
        homes = [tmp_path / f"w{i}" for i in range(WORKERS)]
        for i, added in enumerate(codes):
            with WorkerStore.create(homes[i], PASSPHRASE) as worker:
                code = worker_side.enrolment_from(added["enrolment_code"], server=servers[0].url)
                request = worker_side.enrol_request(worker, code)
                worker_side.enrol_complete(worker, post(servers[i % 2], "/v1/enrol", request, cert))

        written: dict[int, list[str]] = {i: [] for i in range(WORKERS)}
        errors: list[BaseException] = []
        start = threading.Barrier(WORKERS)

        def sync(worker: WorkerStore, server: Server) -> None:
            bundle, _, _ = worker_side.build_request(worker)
            worker_side.apply_reply(worker, post(server, "/v1/sync", bundle, cert))

        def run(i: int) -> None:
            try:
                with WorkerStore.open(homes[i], credentials()) as worker:
                    sync(worker, servers[i % 2])  # receives the case
                    case_id = worker.list_cases()[0].id
                    start.wait()
                    for r in range(ROUNDS):
                        for n in range(PER_ROUND):
                            followup = worker.add_followup(
                                case_id,
                                kind=FollowUpKind.PHONE_CALL,
                                summary=f"w{i} r{r} n{n}",
                                occurred_on=date.today(),
                                today=date.today(),
                            )
                            written[i].append(followup.id)
                        sync(worker, servers[(i + r) % 2])
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert errors == []

        # Quiet rounds, through both servers: everyone catches up with everyone.
        for r in range(2):
            for i in range(WORKERS):
                with WorkerStore.open(homes[i], credentials()) as worker:
                    sync(worker, servers[(i + r + 1) % 2])
    finally:
        for server in servers:
            server.stop()

    every = sorted(f for ids in written.values() for f in ids)
    assert len(every) == len(set(every)) == WORKERS * ROUNDS * PER_ROUND
    with DistrictStore.open(home, credentials()) as district:
        case, history = district.case(reference)
        assert sorted(f.id for f in history) == every  # none lost
        applied = 0
        for event in district.audit_events():
            if event.action == "sync":
                applied += int(event.detail.split("applied=")[1].split()[0])
        assert applied == len(every)  # none applied twice
        for i in range(WORKERS):
            with WorkerStore.open(homes[i], credentials()) as worker:
                record = district.worker_by_replica(worker.replica_id)
                assert record is not None
                # 1 first sync + ROUNDS + 2 quiet rounds, each counted once, in order.
                assert record.counter_in == 1 + ROUNDS + 2
                assert record.acked_seq == changelog.max_seq(worker.conn, worker.replica_id)
                assert worker_side.queued(worker) == 0
                held = sorted(f.id for f in worker.list_followups(case.id))
                assert held == every, f"worker {i} misses {set(every) - set(held)}"
    for i in range(2):
        assert "sync client=" in (tmp_path / f"server-{i}.log").read_text()
