"""kill -9 at random moments, the client and (separately) the server, then convergence.

A real server subprocess (HTTPS, pinned self-signed certificate) and real
`fieldkit sync` subprocesses. The client is killed mid-sync several times; the
server is killed several times while two workers sync in a loop, then restarted.
Afterwards, syncing until quiet, the district and every worker hold the same
follow-ups, each exactly once, none lost. The seed is fixed for reproducibility. The
sync tests run with the district on each backend (SQLCipher, PostgreSQL). A passphrase
change, the worker's and the district's on its file, is killed at random moments too.
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

import pytest

from fieldkit.errors import OFFLINE
from tests.conftest import PASSPHRASE
from tests.e2e.conftest import Net
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
    # The summaries are the team's (sealed at the district): counted where they are read.
    held = net.json("a", "followup", "list", reference)
    summaries = Counter(f["summary"] for f in held)
    assert max(summaries.values()) == 1, "a follow-up applied twice under two ids"
    for who in WORKERS:
        held = [f["id"] for f in net.json(who, "followup", "list", reference)]
        assert len(held) == len(set(held)) and set(held) == recorded, who


@pytest.mark.usefixtures("district_backend")  # on SQLCipher and on PostgreSQL
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


@pytest.mark.usefixtures("district_backend")  # on SQLCipher and on PostgreSQL
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


# passphrase change killed at random points


PASSPHRASES = [f"phrase de passe numéro {n} du coffre" for n in range(20)]


def _opens_with(home: Path, passphrase: str) -> set[str] | None:
    """The follow-up ids, when `passphrase` opens the store (completing any rotation)."""
    from fieldkit.errors import WrongPassphrase
    from fieldkit.store.access import Credentials
    from fieldkit.store.worker import WorkerStore

    try:
        with WorkerStore.open(home, Credentials(prompt=lambda: passphrase)) as store:
            assert store.verify_audit()[1] is None
            return {f.id for f in store.list_followups()}
    except WrongPassphrase:
        return None


def test_a_passphrase_change_killed_anywhere_leaves_a_store_that_opens_whole(
    tmp_path: Path, monkeypatch
) -> None:
    from datetime import date

    from fieldkit.model import FollowUpKind
    from fieldkit.store.access import Credentials
    from fieldkit.store.passphrase import change_passphrase
    from fieldkit.store.worker import WorkerStore
    from tests.helpers import open_case
    from tests.world import use_fast_kdf

    use_fast_kdf(monkeypatch)
    home = tmp_path / "worker"
    recorded: set[str] = set()
    with WorkerStore.create(home, PASSPHRASES[0]) as store:
        case = open_case(store).case_id
        for n in range(100):  # a few MiB, so that the rekey takes a while
            recorded.add(
                store.add_followup(
                    case,
                    kind=FollowUpKind.INTERVIEW,
                    summary=f"Entretien {n} " + "x" * 12000,
                    occurred_on=date.today(),
                    today=date.today(),
                ).id
            )

    def audit_actions(passphrase: str) -> list[str]:
        with WorkerStore.open(home, Credentials(prompt=lambda: passphrase)) as store:
            return [e.action for e in store.audit_events()]

    _kill_passphrase_changes(
        home,
        "worker",
        lambda old, new: change_passphrase(home, Credentials(prompt=lambda: old), new),
        lambda passphrase: _opens_with(home, passphrase),
        recorded,
        audit_actions,
    )


def _district_opens_with(home: Path, passphrase: str) -> set[str] | None:
    """The case ids, when `passphrase` opens the district (completing any rotation), its
    TLS key loading under the data key it opens with."""
    from fieldkit.crypto.tls import key_password
    from fieldkit.district import tls
    from fieldkit.district.store import DistrictStore
    from fieldkit.errors import WrongPassphrase
    from fieldkit.store.access import Credentials

    try:
        with DistrictStore.open(home, Credentials(prompt=lambda: passphrase)) as store:
            assert store.verify_audit()[1] is None
            password = key_password(store.data_key).decode()
            tls.server_context(home / tls.CERT_NAME, home / tls.KEY_NAME, password)
            return {c.id for c in store.list_cases()}
    except WrongPassphrase:
        return None


def test_a_district_passphrase_change_killed_anywhere_leaves_a_district_that_opens_whole(
    tmp_path: Path, monkeypatch
) -> None:
    """The same kills on the district's SQLCipher file, whose TLS key follows the data key."""
    from fieldkit.district import tls
    from fieldkit.district.passphrase import change_passphrase
    from fieldkit.district.store import DistrictStore
    from fieldkit.store.access import Credentials
    from tests.world import UNIT, use_fast_kdf

    use_fast_kdf(monkeypatch)
    monkeypatch.delenv("FIELDKIT_DISTRICT_DATABASE", raising=False)
    home = tmp_path / "district"
    recorded: set[str] = set()
    with DistrictStore.create(home, PASSPHRASES[0], "District tué", None) as store:
        store.add_unit(UNIT)
        tls.make_self_signed(home, store.name, ["127.0.0.1"], store.data_key)
        for n in range(100):  # a few MiB, so that the rekey takes a while
            case = store.add_case(name=f"Personne {n}", unit=UNIT, situation="x" * 12000)
            recorded.add(case.id)

    def audit_actions(passphrase: str) -> list[str]:
        with DistrictStore.open(home, Credentials(prompt=lambda: passphrase)) as store:
            return [e.action for e in store.audit_events()]

    _kill_passphrase_changes(
        home,
        "district",
        lambda old, new: change_passphrase(home, Credentials(prompt=lambda: old), new),
        lambda passphrase: _district_opens_with(home, passphrase),
        recorded,
        audit_actions,
    )


def _kill_passphrase_changes(home, kind, change_passphrase, opens_with, recorded, audit_actions):
    """12 passphrase changes of the store in `home`, each killed at a random moment: it
    always opens, whole, with the old or the new passphrase, and the next open completes
    a half-done change; one `passphrase-change` event per change that took effect."""
    from fieldkit.crypto.keyfile import unlock_keyfile
    from fieldkit.store.keys import read_keyfile
    from fieldkit.store.rotation import current_key, journal_path, read_rotation

    rng = random.Random(SEED)

    def change(old: str, new: str) -> int:
        """The change in a forked process (the real code, the cheap Argon2id of these
        tests, no interpreter start-up): a pid to kill."""
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 1
            try:
                change_passphrase(old, new)
                code = 0
            finally:
                os._exit(code)
        return pid

    def wait(pid: int) -> int:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

    def running(pid: int) -> bool:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)

    # One whole change first, watched: when its journal appears and goes (the rekey lies
    # in between). Most kills are drawn around that window, the others anywhere.
    journal = journal_path(home, kind)
    started, window = time.monotonic(), []
    calibration = change(PASSPHRASES[0], PASSPHRASES[1])
    while running(calibration):
        if journal.exists() != (len(window) % 2 == 1):
            window.append(time.monotonic() - started)
        time.sleep(0.0005)
    span = time.monotonic() - started
    assert len(window) == 2, window
    current, outcomes = 1, Counter()
    for n in range(2, 14):
        old, new = PASSPHRASES[current], PASSPHRASES[n]
        pid = change(old, new)
        if n % 3:
            time.sleep(rng.uniform(window[0] - 0.02, window[1] + 0.01))
        else:
            time.sleep(rng.uniform(0.0, span))
        os.kill(pid, signal.SIGKILL)  # a no-op on a child already done, not yet reaped
        code = wait(pid)
        half_done = journal.exists()
        if half_done:  # where the kill landed: before or after the rekey's commit
            under_way = read_rotation(home, kind)
            keyfile = read_keyfile(home, kind)
            if keyfile == under_way.keyfile:
                rekeyed = True  # killed after the new key file went in, before the journal went
            else:
                old_key = unlock_keyfile(keyfile, old)
                rekeyed = current_key(home, under_way, old_key) != old_key
            outcomes["of which the rekey had committed" if rekeyed else "of which not"] += 1
        # Whatever the moment, the store opens with the old or the new passphrase and
        # holds every record; that open completes a half-done change.
        held = opens_with(new)
        if held is None:
            held = opens_with(old)
            assert held is not None, f"round {n}: neither passphrase opens the store"
            assert not half_done, "a started change must be completed by the next open"
            outcomes["killed before it began"] += 1
        else:
            current = n
            outcomes["completed by the next open" if half_done else f"exit {code}"] += 1
            assert opens_with(old) is None, "the old passphrase still opens"
        assert held == recorded, f"round {n}: records lost"
        assert not journal.exists()
    assert outcomes["completed by the next open"] >= 1, outcomes
    actions = audit_actions(PASSPHRASES[current])
    changed = sum(v for k, v in outcomes.items() if not k.startswith(("killed", "of which")))
    assert actions.count("passphrase-change") == 1 + changed  # once each, none missing
