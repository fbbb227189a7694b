"""Server load: N workers (default 200) with 50 changes each sync concurrently.

One `fieldkit district serve --insecure-http` subprocess on 127.0.0.1 (plain HTTP
on loopback: TLS would measure the handshake, not the server's sync work). The
throwaway stores are built fast through the library (the same steps as
tests/world.py's `api_world`, one case per worker) with the cheapest Argon2id a key
file accepts; the KDF is not what is measured. Each worker's outgoing bundle is built beforehand,
then all N POST /v1/sync at once (one thread each, released together); the
replies are applied afterwards and checked. Reports errors (must be 0), p50/p95
latency of the round trips and changes per second. Bounded: every request times
out after 120 s, the whole run stops by itself.

    python -m benchmarks.load_server [N] [CHANGES]

PostgreSQL (docs/postgresql.md): `--postgresql [DSN]` keeps the district on PostgreSQL
(a throw-away cluster, as the tests start one, when no DSN is given) and runs the load
once per count in `--processes` (default 1,2,4) of `district serve` processes on one
database, worker n sending to process n mod P. Each run starts from a new database.

    python -m benchmarks.load_server 200 50 --postgresql --processes 1,2,4
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

PASSPHRASE = "benchmark passphrase only"
FAST_KDF = {"algorithm": "argon2id", "memory_kib": 8192, "iterations": 1, "lanes": 1}
REQUEST_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _build(
    root: Path, url: str, workers: int, changes: int, database: str | None = None
) -> tuple[Path, list[Path], list[str]]:
    from fieldkit.crypto import keyfile
    from fieldkit.district.exchange import handle
    from fieldkit.district.store import DistrictStore
    from fieldkit.enums import FollowUpKind
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync import worker_side
    from fieldkit.sync.enrolment import decode_code

    keyfile.KDF_PARAMS = dict(FAST_KDF)
    district_home = root / "district"
    homes: list[Path] = []
    references: list[str] = []
    today = date.today()
    with DistrictStore.create(
        district_home, PASSPHRASE, "District de charge", url, database=database
    ) as district:
        for n in range(workers):
            added, code = district.add_worker(f"Agent {n}", "UT Nord")
            case = district.add_case(name=f"Personne {n}", unit="UT Nord", reason="Charge")
            district.assign(case.id, added.id, lead=True)
            references.append(case.reference)
            home = root / f"w{n:04d}"
            with WorkerStore.create(home, PASSPHRASE) as worker:
                request = worker_side.enrol_request(worker, decode_code(code))
                worker_side.enrol_complete(worker, handle(district, request).reply)
                worker_side.apply_reply(
                    worker, handle(district, worker_side.build_request(worker)[0]).reply
                )
                for i in range(changes):
                    worker.add_followup(
                        case.reference,
                        kind=FollowUpKind("phone-call"),
                        summary=f"Appel {n}.{i}",
                        occurred_on=today,
                        today=today,
                    )
            homes.append(home)
    return district_home, homes, references


def run(
    workers: int = 200, changes: int = 50, database: str | None = None, processes: int = 1
) -> dict[str, float]:
    import httpx

    from fieldkit.district.store import DistrictStore
    from fieldkit.store.access import Credentials
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync import worker_side

    os.environ["FIELDKIT_PASSPHRASE"] = PASSPHRASE
    credentials = Credentials()
    with tempfile.TemporaryDirectory(prefix="fieldkit-load-") as tmp:
        root = Path(tmp)
        ports = [_free_port() for _ in range(processes)]
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        url = urls[0]
        started = time.monotonic()
        district_home, homes, references = _build(root, url, workers, changes, database)
        print(f"built {workers} worker stores in {time.monotonic() - started:.1f} s", flush=True)

        stores = [WorkerStore.open(home, credentials) for home in homes]
        requests = []
        for store in stores:
            data, count, more = worker_side.build_request(store)
            assert count == changes and not more
            requests.append(data)

        servers = [
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "fieldkit", "--home", str(district_home), "district"),
                    *("serve", "--port", str(port), "--insecure-http"),
                    # N workers at once from one address (a real district's come from many).
                    *("--max-per-address", str(max(1000, workers * 2))),
                    *("--max-connections", str(max(1000, workers * 2))),
                    *("--log-file", str(root / f"access-{port}.log")),
                ],
                env=dict(os.environ),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for port in ports
        ]
        try:
            for server, server_url in zip(servers, urls, strict=True):
                deadline = time.monotonic() + 30
                while True:
                    try:
                        if httpx.get(server_url + "/v1/health", timeout=1).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("server did not start")
                    time.sleep(0.1)

            gate = threading.Barrier(workers)
            latencies: list[float] = [0.0] * workers
            spans: list[tuple[float, float]] = []
            replies: list[bytes | None] = [None] * workers
            errors: list[str] = []

            def one(n: int) -> None:
                with httpx.Client(timeout=REQUEST_TIMEOUT) as http:
                    gate.wait(timeout=60)
                    t0 = time.perf_counter()
                    try:
                        answer = http.post(
                            urls[n % processes] + "/v1/sync",
                            content=requests[n],
                            headers={"content-type": "application/vnd.fieldkit.bundle"},
                        )
                    except httpx.HTTPError as exc:
                        errors.append(f"{n}: {type(exc).__name__}")
                        return
                    t1 = time.perf_counter()
                    latencies[n] = t1 - t0
                    spans.append((t0, t1))
                    if answer.status_code != 200:
                        errors.append(f"{n}: HTTP {answer.status_code}")
                    else:
                        replies[n] = answer.content

            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(one, range(workers)))
            # From the first request sent to the last answer received (clients are set up
            # before the barrier, so their start-up cost is not counted).
            wall = max(e for _, e in spans) - min(s for s, _ in spans) if spans else 0.0

            for n, store in enumerate(stores):
                if replies[n] is not None:
                    try:
                        worker_side.apply_reply(store, replies[n])
                        if worker_side.queued(store) != 0:
                            errors.append(f"{n}: changes still queued")
                    except Exception as exc:  # counted and reported
                        errors.append(f"{n}: apply {type(exc).__name__}")
                store.close()
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()

        with DistrictStore.open(district_home, credentials) as district:
            ids = [f.id for reference in references for f in district.case(reference)[1]]
        expected = workers * changes
        if len(ids) != expected or len(set(ids)) != expected:
            errors.append(f"district holds {len(ids)} follow-ups ({len(set(ids))} distinct)")

    done = [latency for latency in latencies if latency > 0]
    quantiles = (
        statistics.quantiles(done, n=100, method="inclusive") if len(done) >= 2 else [0.0] * 99
    )
    figures = {
        "backend": "postgresql" if database else "sqlcipher",
        "processes": processes,
        "workers": workers,
        "changes_per_worker": changes,
        "errors": len(errors),
        "p50_ms": statistics.median(done) * 1000 if done else 0.0,
        "p95_ms": quantiles[94] * 1000,
        "max_ms": max(done, default=0.0) * 1000,
        "wall_s": wall,
        "changes_per_s": expected / wall if wall else 0.0,
    }
    for error in errors[:10]:
        print("error:", error)
    print(
        f"{workers} workers x {changes} changes, concurrent, plain HTTP on loopback,"
        f" {figures['backend']}, {processes} server process(es): "
        f"errors {figures['errors']}, p50 {figures['p50_ms']:.0f} ms, "
        f"p95 {figures['p95_ms']:.0f} ms, max {figures['max_ms']:.0f} ms, "
        f"wall {wall:.2f} s, {figures['changes_per_s']:.0f} changes/s"
    )
    return figures


def run_postgresql(
    workers: int, changes: int, dsn: str | None, counts: list[int]
) -> list[dict[str, float]]:
    """The load against PostgreSQL with 1, 2, 4... server processes, a new database each."""
    import psycopg

    cluster = None
    if dsn is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.pg import start_cluster

        cluster, reason = start_cluster()
        if cluster is None:
            raise SystemExit(reason)
    results = []
    try:
        for count in counts:
            if cluster is not None:
                database = cluster.create_database()
            else:
                assert dsn is not None
                database = dsn
                with psycopg.connect(dsn, autocommit=True) as conn:
                    # A given database must be empty: each run creates a new district in it.
                    conn.execute("DROP SCHEMA public CASCADE")
                    conn.execute("CREATE SCHEMA public")
            results.append(run(workers, changes, database, count))
    finally:
        if cluster is not None:
            cluster.stop()
    print("PostgreSQL, server processes: throughput and p95")
    for figures in results:
        print(
            f"  {figures['processes']} process(es): {figures['changes_per_s']:.0f} changes/s,"
            f" p95 {figures['p95_ms']:.0f} ms, errors {figures['errors']}"
        )
    return results


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    dsn: str | None = None
    postgresql = False
    counts = [1, 2, 4]
    if "--processes" in args:
        at = args.index("--processes")
        counts = [int(c) for c in args[at + 1].split(",")]
        del args[at : at + 2]
    if "--postgresql" in args:
        at = args.index("--postgresql")
        postgresql = True
        if at + 1 < len(args) and args[at + 1].startswith("postgres"):
            dsn = args.pop(at + 1)
        del args[at]
    workers = int(args[0]) if args else 200
    changes = int(args[1]) if len(args) > 1 else 50
    if postgresql:
        results = run_postgresql(workers, changes, dsn, counts)
        if any(figures["errors"] for figures in results):
            raise SystemExit(1)
        return
    figures = run(workers, changes)
    if figures["errors"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
