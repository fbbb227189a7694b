"""kill -9 at random moments, the client and (separately) the server, then convergence.

A real server subprocess (HTTPS, pinned self-signed certificate) and real
`fieldkit sync` subprocesses. The client is killed mid-sync several times; the
server is killed several times while two workers sync in a loop, then restarted.
Afterwards, syncing until quiet, the district and every worker hold the same
follow-ups, each exactly once, none lost. The seed is fixed for reproducibility.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from fieldkit.errors import OFFLINE
from tests.conftest import PASSPHRASE
from tests.e2e.test_server import Net
from tests.world import WORKERS

SEED = 20260404


def sync_command(home: Path) -> list[str]:
    return [sys.executable, "-m", "fieldkit", "--home", str(home), "sync", "--json"]


def env() -> dict[str, str]:
    environment = dict(os.environ, FIELDKIT_PASSPHRASE=PASSPHRASE)
    environment.pop("FIELDKIT_SESSION", None)
    return environment


def sync_until_quiet(net: Net, rounds: int = 4) -> None:
    for _ in range(rounds):
        moved = 0
        for who in WORKERS:
            report = net.sync(who)
            moved += report["sent"] + report["received"]
        if moved == 0:
            return
    raise AssertionError("still moving changes after several rounds")


def assert_converged(net: Net, reference: str, recorded: set[str]) -> None:
    shown = net.district("case", "show", reference)["followups"]
    counts = Counter(f["id"] for f in shown)
    assert set(counts) == recorded, "lost or unexpected follow-ups at the district"
    assert max(counts.values()) == 1, "a follow-up duplicated at the district"
    summaries = Counter(f["summary"] for f in shown)
    assert max(summaries.values()) == 1, "a follow-up applied twice under two ids"
    for who in WORKERS:
        held = [f["id"] for f in net.json(who, "followup", "list", reference)]
        assert len(held) == len(set(held)) and set(held) == recorded, who


def test_client_killed_mid_sync_loses_and_duplicates_nothing(net: Net) -> None:
    rng = random.Random(SEED)
    reference = net.new_case("Amélie Durand", "a", "b")
    sync_until_quiet(net)
    # How long one whole `fieldkit sync` takes here: the kills land inside that span.
    started = time.monotonic()
    subprocess.run(sync_command(net.homes["a"]), env=env(), capture_output=True, check=True)
    span = time.monotonic() - started
    recorded: set[str] = set()
    killed = 0
    for round_ in range(8):
        for i in range(3):
            recorded.add(net.note("a", reference, f"Note a{round_}.{i}"))
        recorded.add(net.note("b", reference, f"Note b{round_}"))
        client = subprocess.Popen(
            sync_command(net.homes["a"]),
            env=env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.02, span * 0.95))
        if client.poll() is None:
            client.send_signal(signal.SIGKILL)
            killed += 1
        client.wait(timeout=10)
    assert killed >= 3, "the kills should land mid-run most of the time"
    sync_until_quiet(net)
    assert_converged(net, reference, recorded)


def test_server_killed_mid_sync_loses_and_duplicates_nothing(net: Net) -> None:
    rng = random.Random(SEED + 1)
    reference = net.new_case("Amélie Durand", "a", "b")
    sync_until_quiet(net)
    recorded: set[str] = set()
    codes: Counter[int] = Counter()
    for round_ in range(4):
        for who in WORKERS:
            for i in range(3):
                recorded.add(net.note(who, reference, f"Note {who}{round_}.{i}"))
        stop = threading.Event()

        def loop(home: Path, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                done = subprocess.run(
                    sync_command(home), env=env(), capture_output=True, timeout=60
                )
                codes[done.returncode] += 1

        threads = [threading.Thread(target=loop, args=(net.homes[w],)) for w in WORKERS]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.3, 2.0))
        net.server.stop(hard=True)
        time.sleep(rng.uniform(0.0, 0.5))
        net.server.start()
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    # Every sync either got through or said offline: no refusal, no integrity error.
    assert set(codes) <= {0, OFFLINE}, codes
    assert codes[0] and codes[OFFLINE], codes  # syncs went through and some met the kills
    sync_until_quiet(net)
    assert_converged(net, reference, recorded)
