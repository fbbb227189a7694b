"""What sealing the case team's texts costs (issue 16).

- **Per change**: sealing then opening the team texts of a typical follow-up (summary,
  partners, next steps: `seal_fields`, then `open_followup` as a reading device does),
  against the raw insert of one row into a plain SQLite table (the sync benchmark's
  baseline, 50,000 rows in one transaction, divided by 50,000), same run. Reported.
- **Sync**: `benchmarks/sync_throughput.py` with the follow-ups' team texts sealed; its
  target stays <= 3x the same raw-insert baseline (run by `make bench` beside the
  clear one).
- **`case show`**: the real CLI on a case of 200 follow-ups whose texts are sealed,
  against the same case in clear, same run (each store holds one case; passphrase with
  the cheapest Argon2id, the same in both). Reported, with the ratio.

    python -m benchmarks.sealing [--quick]
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUMMARY = (
    "Entretien au domicile avec la personne et sa mère. Elle dit avoir repris contact avec"
    " la Mission locale et se rendre au lycée trois jours sur quatre ; le père reste absent."
    " Nous avons convenu d'un rendez-vous au CMP et d'un point avec la CPE mardi prochain."
)
FIELDS = {
    "summary": SUMMARY,
    "partners": ["Mission locale", "CMP"],
    "next_steps": "Rappeler la CPE mardi ; rendez-vous CMP le 14.",
}
CASE_SHOW_FOLLOWUPS = 200
BASELINE_ROWS = 50_000


def _per_row_baseline(root: Path) -> float:
    """Seconds per row of a plain SQLite insert of 50,000 follow-up-sized rows."""
    import json

    data = json.dumps({**FIELDS, "kind": "interview", "occurred_on": "2026-01-01"})
    rows = [(f"{n:032x}", "c" * 32, data) for n in range(BASELINE_ROWS)]
    best = float("inf")
    for attempt in range(3):
        conn = sqlite3.connect(root / f"baseline-{attempt}.sqlite", isolation_level=None)
        conn.execute("CREATE TABLE followups (id TEXT PRIMARY KEY, case_id TEXT, data TEXT)")
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO followups VALUES (?, ?, ?)", rows)
        conn.execute("COMMIT")
        best = min(best, time.perf_counter() - started)
        conn.close()
    return best / BASELINE_ROWS


def per_change(runs: int = 2000) -> dict[str, float]:
    """Median seconds to seal, and to open, the team texts of one follow-up."""
    from datetime import date

    from fieldkit.crypto.casekeys import CaseKey
    from fieldkit.model import FollowUp
    from fieldkit.replica.sealing import open_followup, seal_fields

    case_id = "c" * 32
    key = CaseKey.new(case_id, 1)
    ring = {key.kid: key}
    base = {
        "case_id": case_id,
        "occurred_on": date.today().isoformat(),
        "recorded_by": "w-1",
        "kind": "interview",
        "referral_to": None,
        "next_contact": None,
        "concern_level": None,
    }
    seal_times, open_times = [], []
    for n in range(runs):
        fid = f"{n:032x}"
        started = time.perf_counter()
        sealed = seal_fields(key, "followup", fid, dict(FIELDS))
        seal_times.append(time.perf_counter() - started)
        item = FollowUp.model_validate({**base, **sealed, "id": fid})
        started = time.perf_counter()
        opened = open_followup(item, ring)
        open_times.append(time.perf_counter() - started)
        assert opened.summary == SUMMARY and not opened.unreadable
    with tempfile.TemporaryDirectory(prefix="fieldkit-seal-") as tmp:
        row = _per_row_baseline(Path(tmp))
    seal_s, open_s = statistics.median(seal_times), statistics.median(open_times)
    return {
        "seal": seal_s,
        "open": open_s,
        "row": row,
        "ratio": (seal_s + open_s) / row,
    }


def _case_show_world(root: Path, sealed: bool) -> tuple[Path, str]:
    from benchmarks import sync_throughput
    from fieldkit.store.access import Credentials
    from fieldkit.store.worker import WorkerStore

    _, worker_home, _ = sync_throughput._world(
        root, "http://127.0.0.1:9", CASE_SHOW_FOLLOWUPS, sealed
    )
    with WorkerStore.open(worker_home, Credentials()) as store:
        [case] = store.list_cases()
        return worker_home, case.reference


def _session(home: Path) -> str:
    """An unlocked session, as a working day has: the commands skip the key derivation."""
    import json

    done = subprocess.run(
        [sys.executable, "-m", "fieldkit", "--home", str(home), "unlock", "--json"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["session"]


def _show(home: Path, reference: str, session: str) -> float:
    env = {**os.environ, "FIELDKIT_SESSION": session}
    env.pop("FIELDKIT_PASSPHRASE", None)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "fieldkit", "--home", str(home), "case", "show", reference],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"case show failed: {done.stderr[-500:]}")
    return elapsed


def case_show(runs: int = 7) -> dict[str, float]:
    """Median wall clock of `case show` on the sealed case and on the clear one."""
    from benchmarks.sync_throughput import PASSPHRASE

    os.environ["FIELDKIT_PASSPHRASE"] = PASSPHRASE
    os.environ["COLUMNS"] = "200"  # a wide terminal: one line a follow-up
    with tempfile.TemporaryDirectory(prefix="fieldkit-show-") as tmp:
        root = Path(tmp)
        (root / "clear").mkdir()
        (root / "sealed").mkdir()
        clear = (*_case_show_world(root / "clear", sealed=False),)
        sealed = (*_case_show_world(root / "sealed", sealed=True),)
        clear = (*clear, _session(clear[0]))
        sealed = (*sealed, _session(sealed[0]))
        # Check that the sealed case reads in clear on screen.
        out = subprocess.run(
            [sys.executable, "-m", "fieldkit", "--home", str(sealed[0]), "case", "show", sealed[1]],
            env=dict(os.environ),
            capture_output=True,
            text=True,
        ).stdout
        if "entretien avec la personne" not in out:
            raise SystemExit(f"the sealed case does not read on screen: {out[-2000:]}")
        times_clear, times_sealed = [], []
        for _ in range(runs):  # in turn, so that a change of load hits both alike
            times_clear.append(_show(*clear))
            times_sealed.append(_show(*sealed))
    c, s = statistics.median(times_clear), statistics.median(times_sealed)
    return {"clear": c, "sealed": s, "ratio": s / c}


def report(change: dict, show: dict) -> None:
    print(
        f"sealing per change: seal {change['seal'] * 1e6:.0f} us + open"
        f" {change['open'] * 1e6:.0f} us (summary, partners, next steps of one follow-up);"
        f" raw insert {change['row'] * 1e6:.1f} us a row; {change['ratio']:.0f}x the raw insert"
    )
    print(
        f"case show, {CASE_SHOW_FOLLOWUPS} follow-ups: clear {show['clear'] * 1000:.0f} ms,"
        f" sealed {show['sealed'] * 1000:.0f} ms = {show['ratio']:.2f}x"
    )


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    report(per_change(300 if quick else 2000), case_show(3 if quick else 7))
