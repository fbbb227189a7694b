"""Sync throughput: one bundle of 50,000 changes from a worker to the district, end to end.

The worker's 50,000 follow-ups (its own changes, not yet sent) are encoded, signed,
encrypted and POSTed over loopback HTTP to a real `fieldkit district serve
--insecure-http` subprocess, which verifies, decrypts, checks and applies them in
one transaction and answers; the worker verifies, decrypts and applies the answer.
Baseline, same run: inserting the same 50,000 follow-up rows into a plain SQLite
table (no encryption, no index) in one transaction. Target: <= 3x the baseline.
Peak RSS is reported for the worker (this process, beyond what it held before the
sync) and for the server process.

    python -m benchmarks.sync_throughput [CHANGES]
"""

from __future__ import annotations

import os
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PASSPHRASE = "benchmark passphrase only"
FAST_KDF = {"algorithm": "argon2id", "memory_kib": 8192, "iterations": 1, "lanes": 1}
CHANGES = 50_000
TARGET = 3.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _world(
    root: Path, url: str, changes: int, sealed: bool = False
) -> tuple[Path, Path, list[tuple]]:
    """A district, one enrolled worker with one assigned case and `changes` unsent follow-ups
    (with `sealed`, their team texts sealed under a case key the worker holds, as
    `followup add` writes them since issue 16)."""
    from benchmarks.scale import _followup_rows
    from fieldkit.crypto import keyfile
    from fieldkit.district.exchange import handle
    from fieldkit.district.store import DistrictStore
    from fieldkit.replica import meta
    from fieldkit.store.db import transaction
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync import worker_side
    from fieldkit.sync.enrolment import decode_code

    keyfile.KDF_PARAMS = dict(FAST_KDF)
    district_home, worker_home = root / "district", root / "worker"
    with DistrictStore.create(district_home, PASSPHRASE, "District de mesure", url) as district:
        added, code = district.add_worker("Agent de mesure", "UT Nord")
        case = district.add_case(name="Personne mesurée", unit="UT Nord", reason="Mesure")
        district.assign(case.id, added.id, lead=True)
        with WorkerStore.create(worker_home, PASSPHRASE) as worker:
            request = worker_side.enrol_request(worker, decode_code(code))
            worker_side.enrol_complete(worker, handle(district, request).reply)
            worker_side.apply_reply(
                worker, handle(district, worker_side.build_request(worker)[0]).reply
            )
            # The worker's own follow-ups, as `followup add` would have logged them.
            conn, origin = worker.conn, worker.replica_id
            first_seq = meta.get_int(conn, "seq") + 1
            rows = [
                (
                    followup,
                    (
                        f"{origin}:{first_seq + change[2] - 1}",
                        origin,
                        first_seq + change[2] - 1,
                        *change[3:],
                    ),
                )
                for followup, change in _followup_rows([case.id], changes, added.id, None)
            ]
            if sealed:
                rows = _sealed_rows(worker, case.id, rows)
            with transaction(conn):
                _insert(conn, rows)
                meta.put(conn, "seq", first_seq + changes - 1)
                meta.put(conn, "hlc", rows[-1][1][3])
    return district_home, worker_home, rows


def _sealed_rows(worker, case_id: str, rows: list[tuple[tuple, tuple]]) -> list[tuple]:
    """The same rows with their team texts sealed, under a key the worker now holds."""
    import json

    from fieldkit.replica.sealing import seal_fields
    from fieldkit.store import team
    from fieldkit.store.db import transaction

    with transaction(worker.conn):
        key = team.writing_key(worker, case_id)
    out = []
    for followup, change in rows:
        fid = followup[0]
        data = seal_fields(key, "followup", fid, json.loads(followup[7]))
        fields = seal_fields(key, "followup", fid, json.loads(change[8]))
        followup = (*followup[:7], json.dumps(data, ensure_ascii=False, sort_keys=True))
        change = (*change[:8], json.dumps(fields, ensure_ascii=False, sort_keys=True), *change[9:])
        out.append((followup, change))
    return out


def _insert(conn, rows: list[tuple[tuple, tuple]]) -> None:
    """The follow-ups and their change-log rows, as `followup add` writes them."""
    conn.executemany(
        "INSERT INTO followups (id, case_id, occurred_on, hlc, kind, next_contact,"
        " concern_level, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [f for f, _ in rows],
    )
    conn.executemany(
        "INSERT INTO changes (id, origin, seq, hlc, entity, entity_id, case_id, op,"
        " fields, base, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [c for _, c in rows],
    )


def _baseline(root: Path, rows: list[tuple], attempt: int) -> float:
    path = root / f"baseline-{attempt}.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE followups (id TEXT PRIMARY KEY, case_id TEXT, occurred_on TEXT, hlc TEXT,"
        " kind TEXT, next_contact TEXT, concern_level TEXT, data TEXT)"
    )
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO followups VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def _storage_floor(root: Path, rows: list[tuple[tuple, tuple]], attempt: int) -> float:
    """The least the district must write: the same follow-ups and their change-log rows,
    into a fresh district store (SQLCipher, its schema and indexes, its durable settings),
    in one transaction, with executemany and no other work. Not a target: it shows how
    much of the 3x the encrypted, logged storage alone already takes."""
    import secrets

    from fieldkit.district.schema import DISTRICT_MIGRATIONS
    from fieldkit.store.db import connect, migrate

    home = root / f"floor-{attempt}"
    home.mkdir()
    conn = connect(home / "district.db", secrets.token_bytes(32), create=True)
    migrate(conn, DISTRICT_MIGRATIONS)
    conn.execute("INSERT INTO cases (id, reference) VALUES (?, ?)", (rows[0][0][1], "CO-0"))
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    _insert(conn, rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def _wait_for(url: str, server: subprocess.Popen) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit("server did not start")
        time.sleep(0.1)


def run(changes: int = CHANGES, sealed: bool = False) -> dict[str, float]:
    from fieldkit.store.access import Credentials
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync import worker_side

    os.environ["FIELDKIT_PASSPHRASE"] = PASSPHRASE
    with tempfile.TemporaryDirectory(prefix="fieldkit-sync-") as tmp:
        root = Path(tmp)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        district_home, worker_home, rows = _world(root, url, changes, sealed)
        baseline = min(_baseline(root, [f for f, _ in rows], i) for i in range(3))
        floor = min(_storage_floor(root, rows, i) for i in range(3))
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "fieldkit", "--home", str(district_home), "district"),
                *("serve", "--port", str(port), "--insecure-http"),
                *("--log-file", str(root / "access.log")),
            ],
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(url, server)
            rows.clear()
            with WorkerStore.open(worker_home, Credentials()) as store:
                rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                started = time.perf_counter()
                result = worker_side.sync_online(store)
                elapsed = time.perf_counter() - started
                rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                queued = worker_side.queued(store)
        finally:
            server.terminate()
            _, _, usage = os.wait4(server.pid, 0)
            server.returncode = 0
    if result.sent < changes or queued:  # with sealing, the key's grant is sent too
        raise SystemExit(f"sync incomplete: sent {result.sent}, {queued} still queued")
    return {
        "changes": changes,
        "seconds": elapsed,
        "baseline": baseline,
        "ratio": elapsed / baseline,
        "floor": floor,
        "floor_ratio": floor / baseline,
        "changes_per_s": changes / elapsed,
        "client_rss_mb": rss_after,
        "client_rss_growth_mb": rss_after - rss_before,
        "server_rss_mb": usage.ru_maxrss / 1024,
    }


def report(figures: dict[str, float]) -> None:
    ok = figures["ratio"] <= TARGET
    print(
        f"{figures['changes']:,} changes end to end: {figures['seconds']:.2f} s"
        f" ({figures['changes_per_s']:,.0f} changes/s); baseline plain SQLite insert"
        f" {figures['baseline'] * 1000:.0f} ms; ratio {figures['ratio']:.1f} (target"
        f" {TARGET:.0f}) {'ok' if ok else 'NO'}"
    )
    print(
        f"storage floor (the same rows into the district's encrypted tables, with the change"
        f" log, one transaction): {figures['floor'] * 1000:.0f} ms ="
        f" {figures['floor_ratio']:.1f}x the baseline"
    )
    print(
        f"peak RSS: worker {figures['client_rss_mb']:.0f} MB"
        f" (+{figures['client_rss_growth_mb']:.0f} MB during the sync),"
        f" server {figures['server_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    report(run(int(sys.argv[1]) if len(sys.argv) > 1 else CHANGES))
