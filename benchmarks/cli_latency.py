"""CLI latency against a baseline measured in the same run (issue 7's first target).

Baseline: `python -c "import sqlite3"` started the same way. Targets: `fieldkit --help`
<= 3x the baseline, in English and in French (which reads the compiled catalogue);
`case list` and `followup add` (unlocked session, all flags given) <= 4x. Medians of
several runs; prints a table and returns the rows.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 7
PASSPHRASE = "benchmark passphrase only"
LAST: dict[str, float] = {}  # figures of the last run beyond the table (unlock, CPU times)


def _compile_bytecode() -> None:
    """Byte-compile the package as an installation does (pip writes .pyc at install).

    An editable checkout run with PYTHONDONTWRITEBYTECODE recompiles every fieldkit
    module at each start, which is not what a worker's installed fieldkit pays.
    """
    import compileall

    compileall.compile_dir(Path(__file__).resolve().parent.parent / "fieldkit", quiet=1)


def _median(command: list[str], env: dict[str, str], runs: int = RUNS) -> float:
    return _measure(command, env, runs)[0]


def _measure(command: list[str], env: dict[str, str], runs: int = RUNS) -> tuple[float, float]:
    """Median wall-clock time and median CPU time (user + system) of the command.

    On a machine shared with other work the wall clock moves with the load; the CPU time
    the process itself used moves much less, so both are reported.
    """
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times), statistics.median(cpu)


def _store(home: Path, cases: int) -> None:
    """A worker store with `cases` open cases, through the sync-apply function."""
    from fieldkit.model import Change
    from fieldkit.store.access import Credentials
    from fieldkit.store.worker import WorkerStore

    WorkerStore.create(home, PASSPHRASE).close()
    os.environ["FIELDKIT_PASSPHRASE"] = PASSPHRASE
    with WorkerStore.open(home, Credentials()) as store:
        changes = [
            Change(
                id=f"d-bench:{i + 1}",
                origin="d-bench",
                seq=i + 1,
                hlc=f"{1_700_000_000_000 + i:015d}-000000",
                entity="case",
                entity_id=f"case{i:06d}",
                case_id=f"case{i:06d}",
                op="open",
                fields={
                    "reference": f"CO-2026-{i + 1:04d}",
                    "display_name": f"Personne {i}",
                    "unit": "UT Nord",
                    "status": "active",
                    "priority": "normal",
                },
                author="district",
            )
            for i in range(cases)
        ]
        store.apply_remote(changes)


def run() -> list[tuple[str, float, float, float]]:
    python = sys.executable
    _compile_bytecode()
    env = dict(os.environ, FIELDKIT_LANG="en")
    env.pop("FIELDKIT_SESSION", None)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "worker"
        _store(home, 300)
        unlock_times = []
        for _ in range(3):
            started = time.perf_counter()
            unlock = subprocess.run(
                [python, "-m", "fieldkit", "--home", str(home), "unlock", "--json"],
                env=dict(env, FIELDKIT_PASSPHRASE=PASSPHRASE),
                capture_output=True,
                text=True,
                check=True,
            )
            unlock_times.append(time.perf_counter() - started)
        LAST["unlock"] = statistics.median(unlock_times)
        session_env = dict(env, FIELDKIT_SESSION=json.loads(unlock.stdout)["session"])
        session_env.pop("FIELDKIT_PASSPHRASE", None)
        fk = [python, "-m", "fieldkit", "--home", str(home)]
        baseline, LAST["cpu:baseline"] = _measure([python, "-c", "import sqlite3"], env)
        rows = []
        for label, command, target in (
            ("fieldkit --help", [*fk, "--help"], 3.0),
            ("fieldkit --help (French)", [*fk, "--help"], 3.0),
            ("case list (300 cases)", [*fk, "case", "list", "--json"], 4.0),
            (
                "followup add",
                [
                    *fk,
                    "followup",
                    "add",
                    "CO-2026-0001",
                    "--kind",
                    "phone-call",
                    "--summary",
                    "Appel de suivi",
                    "--date",
                    "today",
                ],
                4.0,
            ),
        ):
            # The French row reads the compiled catalogue (fieldkit.mo) at start-up.
            french = label.endswith("(French)")
            value, LAST[f"cpu:{label}"] = _measure(
                command, dict(session_env, FIELDKIT_LANG="fr") if french else session_env
            )
            rows.append((label, value, value / baseline, target))
    print(
        f"baseline python -c 'import sqlite3': {baseline * 1000:.0f} ms "
        f"(CPU {LAST['cpu:baseline'] * 1000:.0f} ms)"
    )
    print(f"unlock (Argon2id, default parameters, once a session): {LAST['unlock'] * 1000:.0f} ms")
    print(f"{'command':28} {'median ms':>10} {'ratio':>7} {'target':>7}  ok  {'CPU ms':>6} ratio")
    for label, value, ratio, target in rows:
        cpu = LAST[f"cpu:{label}"]
        print(
            f"{label:28} {value * 1000:10.0f} {ratio:7.1f} {target:7.1f}  "
            f"{'yes' if ratio <= target else 'NO ':3} {cpu * 1000:6.0f} "
            f"{cpu / LAST['cpu:baseline']:5.1f}"
        )
    return rows


if __name__ == "__main__":
    run()
