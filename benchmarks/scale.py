"""Scale: the read commands stay flat as the stores grow (issue 7).

A worker store with 300 cases and 100,000 follow-ups against one 10x smaller (30 and
10,000), a district store with 5,000 cases and 1,000,000 follow-ups against one 10x
smaller (500 and 100,000): the same density of follow-ups per case, so a command
that reads one case or lists the cases must cost about the same on both. On top of
that, one case of each large store has a long history (10,000 follow-ups) to show
what `case show` and the summary do with it. Every command runs through the real
CLI (a subprocess), median of several runs; peak RSS is the largest resident size
of any of those processes (GNU time's %M). Target: large <= 2x small, RSS < 150 MB.

Stores are built fast (bulk inserts through the stores' own schema, one transaction)
and cached under .bench-cache/, keyed on the schema versions and this file's layout
version, so that a rerun starts at once.

    python -m benchmarks.scale [--runs N]
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

PASSPHRASE = "benchmark passphrase only"
# The cheapest Argon2id a key file accepts: the KDF is not what is measured here.
FAST_KDF = {"algorithm": "argon2id", "memory_kib": 8192, "iterations": 1, "lanes": 1}
LAYOUT = 1  # bump when the generated data changes
CACHE = Path(__file__).resolve().parent.parent / ".bench-cache"
RUNS = 5
LONG_HISTORY = 10_000
RSS_LIMIT_MB = 150
TARGET = 2.0
KINDS = ("interview", "home-visit", "phone-call", "family-contact", "partner-meeting")
DAYS = 3 * 365  # the follow-ups of a store spread over three years up to today


def _followup_rows(case_ids: list[str], total: int, author: str, long_case: str | None):
    """(follow-up row, change row) pairs, spread evenly over the cases, oldest first."""
    today = date.today()
    per_case = {case_id: 0 for case_id in case_ids}
    plan: list[str] = []
    if long_case is not None:
        plan.extend([long_case] * LONG_HISTORY)
    others = [c for c in case_ids if c != long_case]
    remaining = total - len(plan)
    plan.extend(others[i % len(others)] for i in range(remaining))
    for n, case_id in enumerate(plan):
        per_case[case_id] += 1
        occurred = today - timedelta(days=DAYS - (n * DAYS) // len(plan))
        kind = KINDS[n % len(KINDS)] if n % 97 else "concern"
        level = ("low", "medium", "high")[n % 3] if kind == "concern" else None
        contact = (occurred + timedelta(days=14)).isoformat() if n % 5 == 0 else None
        fid = f"{n:032x}"
        hlc = f"{1_700_000_000_000 + n:015d}-000000"
        fields = {
            "occurred_on": occurred.isoformat(),
            "recorded_by": author,
            "kind": kind,
            "summary": f"Suivi n°{n} : entretien avec la personne et point sur le plan d'aide.",
            "partners": ["Mission locale"] if n % 7 == 0 else [],
            "referral_to": None,
            "next_steps": "Rappeler dans deux semaines." if contact else None,
            "next_contact": contact,
            "concern_level": level,
        }
        data = {**fields, "id": fid, "case_id": case_id}
        followup = (
            fid,
            case_id,
            fields["occurred_on"],
            hlc,
            kind,
            contact,
            level,
            json.dumps(data, ensure_ascii=False, sort_keys=True),
        )
        change = (
            f"{author}:{n + 1}",
            author,
            n + 1,
            hlc,
            "followup",
            fid,
            case_id,
            "add",
            json.dumps(fields, ensure_ascii=False, sort_keys=True),
            "{}",
            author,
        )
        yield followup, change


def _bulk_followups(conn, case_ids: list[str], total: int, author: str, long_case: str | None):
    batch_f, batch_c = [], []

    def flush() -> None:
        conn.executemany(
            "INSERT INTO followups (id, case_id, occurred_on, hlc, kind, next_contact,"
            " concern_level, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            batch_f,
        )
        conn.executemany(
            "INSERT INTO changes (id, origin, seq, hlc, entity, entity_id, case_id, op, fields,"
            " base, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch_c,
        )
        batch_f.clear()
        batch_c.clear()

    for followup, change in _followup_rows(case_ids, total, author, long_case):
        batch_f.append(followup)
        batch_c.append(change)
        if len(batch_f) >= 20_000:
            flush()
    flush()


def _case_changes(count: int, origin: str, unit: str = "UT Nord"):
    from fieldkit.model import Change

    today = date.today()
    return [
        Change(
            id=f"{origin}:{i + 1}",
            origin=origin,
            seq=i + 1,
            hlc=f"{1_600_000_000_000 + i:015d}-000000",
            entity="case",
            entity_id=f"case{i:06d}",
            case_id=f"case{i:06d}",
            op="open",
            fields={
                "reference": f"CO-2026-{i + 1:04d}",
                "display_name": f"Personne {i}",
                "unit": unit if i % 4 else "UT Sud",
                "status": "active" if i % 10 else "suspended",
                "priority": "normal",
                "reason": "Signalement de l'établissement scolaire",
                "situation": "Suivi en cours avec la famille.",
                "next_review": (today + timedelta(days=(i % 60) - 10)).isoformat(),
                "goals": [{"text": "Reprendre une formation", "state": "open"}],
                "related": [],
                "assignees": [],
            },
            author="district",
        )
        for i in range(count)
    ]


def build_worker(home: Path, cases: int, followups: int, long_case: bool) -> None:
    from fieldkit.crypto import keyfile
    from fieldkit.store.db import transaction
    from fieldkit.store.worker import WorkerStore

    keyfile.KDF_PARAMS = dict(FAST_KDF)
    with WorkerStore.create(home, PASSPHRASE) as store:
        store.apply_remote(_case_changes(cases, "d-bench"))
        case_ids = [f"case{i:06d}" for i in range(cases)]
        with transaction(store.conn):
            _bulk_followups(
                store.conn,
                case_ids,
                followups,
                store.replica_id,
                case_ids[0] if long_case else None,
            )
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()


def build_district(home: Path, cases: int, followups: int, long_case: bool) -> None:
    from fieldkit.crypto import keyfile
    from fieldkit.district.store import DistrictStore
    from fieldkit.replica import changelog, merge
    from fieldkit.store.db import transaction

    keyfile.KDF_PARAMS = dict(FAST_KDF)
    with DistrictStore.create(home, PASSPHRASE, "District de mesure", None) as store:
        added, _ = store.add_worker("Agent de mesure", "UT Nord")
        conn = store.conn
        with transaction(conn):
            changes = _case_changes(cases, store.replica_id)
            changelog.observe(conn, changes)
            for change in changes:
                merge.apply(conn, change)
            conn.executemany(
                "INSERT INTO assignments (case_id, worker_id, lead, assigned_at)"
                " VALUES (?, ?, 1, '2026-01-01T00:00:00+00:00')",
                [(f"case{i:06d}", added.id) for i in range(cases)],
            )
            case_ids = [f"case{i:06d}" for i in range(cases)]
            _bulk_followups(
                conn, case_ids, followups, "w-bench", case_ids[0] if long_case else None
            )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()


def _cache_key() -> str:
    from fieldkit.district.schema import DISTRICT_MIGRATIONS
    from fieldkit.store.schema import WORKER_MIGRATIONS

    return f"w{len(WORKER_MIGRATIONS)}-d{len(DISTRICT_MIGRATIONS)}-l{LAYOUT}"


def _store(kind: str, cases: int, followups: int, long_case: bool) -> Path:
    home = CACHE / _cache_key() / f"{kind}-{cases}-{followups}{'-long' if long_case else ''}"
    if (home / "ready").exists():
        return home
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    started = time.monotonic()
    (build_worker if kind == "worker" else build_district)(home, cases, followups, long_case)
    (home / "ready").write_text("")
    print(f"  built {home.name} in {time.monotonic() - started:.0f} s", flush=True)
    return home


def _session(home: Path, env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "fieldkit", "--home", str(home), "unlock", "--json"],
        env=dict(env, FIELDKIT_PASSPHRASE=PASSPHRASE),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)["session"]


def _measure(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """(median seconds, peak RSS in MB) of `runs` runs of a command.

    The peak comes from GNU time when it is there: a child forked from this process
    would count this process's own pages (the stores were built here) in its peak.
    """
    times, peak = [], 0.0
    timer = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
    for _ in range(runs):
        with tempfile.NamedTemporaryFile("r") as rss:
            wrapped = [timer, "-f", "%M", "-o", rss.name, *command] if timer else command
            started = time.perf_counter()
            child = subprocess.Popen(
                wrapped, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            _, status, usage = os.wait4(child.pid, 0)
            times.append(time.perf_counter() - started)
            child.returncode = os.waitstatus_to_exitcode(status)
            if child.returncode != 0:
                raise SystemExit(f"{' '.join(command[3:])} failed ({child.returncode})")
            kib = int(rss.read().strip() or 0) if timer else usage.ru_maxrss
        peak = max(peak, kib / 1024)
    return statistics.median(times), peak


def _env(home: Path, session: bool) -> dict[str, str]:
    env = dict(os.environ, FIELDKIT_LANG="fr", COLUMNS="120")
    env.pop("FIELDKIT_SESSION", None)
    env.pop("FIELDKIT_PASSPHRASE", None)
    if session:
        env["FIELDKIT_SESSION"] = _session(home, env)
    else:
        env["FIELDKIT_PASSPHRASE"] = PASSPHRASE
    return env


def run(runs: int = RUNS) -> list[dict]:
    """Rows: name, small and large medians (s), ratio, peak RSS of the large runs (MB)."""
    print("  building or reusing the stores under .bench-cache/ ...", flush=True)
    worker_small = _store("worker", 30, 10_000, False)
    worker_large = _store("worker", 300, 100_000, True)
    district_small = _store("district", 500, 100_000, False)
    district_large = _store("district", 5_000, 1_000_000, True)
    python = sys.executable
    typical = "CO-2026-0002"  # case000001: the typical density of its store
    long = "CO-2026-0001"  # case000000: a long history in the large stores
    worker_commands = [
        ("case list", ["case", "list"]),
        ("agenda", ["agenda", "--days", "30"]),
        ("case show", ["case", "show", typical]),
        ("case summary --format text", ["case", "summary", typical, "--format", "text"]),
    ]
    district_commands = [
        ("district case list", ["district", "case", "list"]),
        ("district case show", ["district", "case", "show", typical]),
        ("district report", ["district", "report", "--format", "text"]),
    ]
    rows = []
    for small, large, commands, session in (
        (worker_small, worker_large, worker_commands, True),
        (district_small, district_large, district_commands, False),
    ):
        small_env, large_env = _env(small, session), _env(large, session)
        fk_small = [python, "-m", "fieldkit", "--home", str(small)]
        fk_large = [python, "-m", "fieldkit", "--home", str(large)]
        for name, args in commands:
            small_time, large_time, rss = _pair(
                ([*fk_small, *args], small_env), ([*fk_large, *args], large_env), runs
            )
            rows.append(_row(name, small_time, large_time, rss))
            if typical in args:
                # The case with a long history, against the typical case of the same store.
                long_args = [long if a == typical else a for a in args]
                typical_time, long_time, rss = _pair(
                    ([*fk_large, *args], large_env), ([*fk_large, *long_args], large_env), runs
                )
                rows.append(_row(f"{name} (long history)", typical_time, long_time, rss))
    return rows


def _pair(first: tuple, second: tuple, runs: int) -> tuple[float, float, float]:
    """Medians of two commands run in turn (so that a change of load hits both alike),
    and the peak RSS of the second."""
    times_a, times_b, peak = [], [], 0.0
    for _ in range(runs):
        times_a.append(_measure(*first, 1)[0])
        elapsed, rss = _measure(*second, 1)
        times_b.append(elapsed)
        peak = max(peak, rss)
    return statistics.median(times_a), statistics.median(times_b), peak


def _row(name: str, small: float, large: float, rss: float) -> dict:
    return {"name": name, "small": small, "large": large, "ratio": large / small, "rss": rss}


def report(rows: list[dict]) -> None:
    print(
        f"{'command':42} {'small ms':>9} {'large ms':>9} {'ratio':>6} {'target':>6}"
        f" {'RSS MB':>7}  ok"
    )
    for row in rows:
        ok = row["ratio"] <= TARGET and row["rss"] < RSS_LIMIT_MB
        print(
            f"{row['name']:42} {row['small'] * 1000:9.0f} {row['large'] * 1000:9.0f}"
            f" {row['ratio']:6.2f} {TARGET:6.1f} {row['rss']:7.0f}  {'ok' if ok else 'NO'}"
        )
    print("(long history: a case with 10,000 follow-ups against a typical case of the same store)")


if __name__ == "__main__":
    count = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else RUNS
    report(run(count))
