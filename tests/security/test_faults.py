"""Faults: a full disk, a damaged store file, a clock years off, bundles twice, late or
out of order. For each: no recorded work lost, one clear message, and convergence once
the fault is gone.

kill -9 of the client and of the server mid-sync is tests/e2e/test_kill.py.

The full disk is real where the machine allows it (a small tmpfs mounted as the
worker's disk: root only) and injected everywhere: `os.fdopen`, which every file the
tool writes goes through (key files, sessions, bundles, exports), hands out files
whose writes fail with ENOSPC. The clock is shifted where the HLC reads it: the
`HybridClock` that `fieldkit.replica.changelog` builds for every change.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.cli import app
from fieldkit.district.exchange import handle
from fieldkit.district.store import DistrictStore
from fieldkit.errors import ERROR, LOCKED, BundleRejected, ClockSkew, take_warnings
from fieldkit.i18n import t
from fieldkit.replica import changelog
from fieldkit.replica.clock import HybridClock, wall_clock_ms
from fieldkit.store import access, audit, pending
from fieldkit.store.access import FAILED_UNLOCKS
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import worker_side
from tests.conftest import PASSPHRASE
from tests.security.conftest import (
    Sandbox,
    copy_sandbox,
    note,
    store_bytes,
    tally,
    tree_bytes,
)
from tests.security.mutate import FUZZ
from tests.world import UNIT, Fieldkit, api_sync, credentials

DISK_FULL = "disk is full"
YEAR_MS = 365 * 24 * 3600 * 1000


def one_line(result, code: int) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fieldkit: "), result.stderr
    return lines[0]


def followup_ids(fk: Fieldkit, home: Path, session: str | None = None) -> set[str]:
    return {f["id"] for f in fk.json(home, "followup", "list", session=session)}


def district_followups(fk: Fieldkit, world: Sandbox, case: str) -> Counter[str]:
    shown = fk.json(world.district_home, "district", "case", "show", case)["followups"]
    return Counter(f["id"] for f in shown)


def round_trip(fk: Fieldkit, world: Sandbox, who: str, tag: str, session: str | None = None):
    out, back = world.root / f"{who}-{tag}.fkb", world.root / f"{who}-{tag}-reply.fkb"
    fk.json(world.homes[who], "sync", "--to-file", str(out), session=session)
    fk.json(world.district_home, "district", "sync-file", str(out), str(back))
    return fk.json(world.homes[who], "sync", "--from-file", str(back), session=session)


# Full disk, injected at the write layer


class _FullFile:
    """A file object whose writes fail as on a full disk; everything else is the real file."""

    def __init__(self, handle, faults: list[str]) -> None:
        self._handle, self._faults = handle, faults

    def write(self, data) -> int:
        self._faults.append(getattr(self._handle, "name", "?"))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._handle.close()

    def __getattr__(self, name: str):
        return getattr(self._handle, name)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch):
    """`with full_disk():` makes every write through os.fdopen fail with ENOSPC."""
    faults: list[str] = []
    real = os.fdopen

    def failing(fd, mode="r", *args, **kwargs):
        handle = real(fd, mode, *args, **kwargs)
        return _FullFile(handle, faults) if any(c in mode for c in "wa+") else handle

    @contextmanager
    def on() -> Iterator[list[str]]:
        with monkeypatch.context() as patch:
            patch.setattr(os, "fdopen", failing)
            yield faults

    return on


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_a_bundle_written_to_a_full_stick_loses_nothing(sandbox, fk, full_disk, tmp_path):
    world = sandbox
    home = world.homes["a"]
    stick = tmp_path / "stick"
    stick.mkdir()
    queued = fk.json(home, "status")["unsynced_changes"]
    assert queued == 1
    with full_disk() as faults:
        line = one_line(fk.run(home, "sync", "--to-file", str(stick / "a.fkb")), ERROR)
    assert DISK_FULL in line and faults
    tally("ENOSPC injected at the write layer", len(faults))
    assert list(stick.iterdir()) == []  # no partial bundle, no temporary file
    assert fk.json(home, "status")["unsynced_changes"] == queued

    # Room again: the same work goes through, once.
    reply = stick / "reply.fkb"
    fk.json(home, "sync", "--to-file", str(stick / "a.fkb"))
    done = fk.json(world.district_home, "district", "sync-file", str(stick / "a.fkb"), str(reply))
    assert done["applied"] == 1
    fk.json(home, "sync", "--from-file", str(reply))
    assert fk.json(home, "status")["unsynced_changes"] == 0
    assert set(district_followups(fk, world, world.shared_case)) == followup_ids(fk, home)


def test_a_district_reply_that_cannot_be_written_is_made_again_next_time(
    sandbox, fk, full_disk, tmp_path
):
    world = sandbox
    home = world.homes["a"]
    bundle, reply = tmp_path / "a.fkb", tmp_path / "reply.fkb"
    fk.json(home, "sync", "--to-file", str(bundle))
    with full_disk() as faults:
        args = ("district", "sync-file", str(bundle), str(reply))
        assert DISK_FULL in one_line(fk.run(world.district_home, *args), ERROR)
    assert faults and not reply.exists() and leftovers(tmp_path) == []
    tally("ENOSPC injected at the write layer", len(faults))
    # The district kept what it applied; the worker never heard back, so it sends again.
    assert fk.json(home, "status")["unsynced_changes"] == 1
    again = round_trip(fk, world, "a", "again")
    assert again["status"] == "ok"
    assert fk.json(home, "status")["unsynced_changes"] == 0
    counts = district_followups(fk, world, world.shared_case)
    assert set(counts) == followup_ids(fk, home) and max(counts.values()) == 1


def test_a_passphrase_change_on_a_full_disk_keeps_the_old_passphrase(sandbox, fk, full_disk):
    home = sandbox.homes["a"]
    key_file = home / "worker-key.json"
    before = key_file.read_bytes()
    new = "une toute nouvelle phrase de passe"
    env = {"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_NEW_PASSPHRASE": new}
    from fieldkit.cli import app

    with full_disk() as faults:
        result = fk.runner.invoke(app, ["--home", str(home), "passphrase", "change"], env=env)
    assert DISK_FULL in one_line(result, ERROR) and faults
    tally("ENOSPC injected at the write layer", len(faults))
    assert key_file.read_bytes() == before and leftovers(home) == []
    assert followup_ids(fk, home)  # the old passphrase still opens everything


def test_an_unlock_or_an_export_on_a_full_disk_leaves_nothing_behind(
    sandbox, fk, full_disk, tmp_path
):
    home = sandbox.homes["a"]
    reference = fk.json(home, "case", "list")[0]["reference"]
    target = tmp_path / "summary.md"
    with full_disk() as faults:
        assert DISK_FULL in one_line(fk.run(home, "unlock"), ERROR)
        args = ("case", "summary", reference, "--format", "md", "-o", str(target))
        assert "No space left" in one_line(fk.run(home, *args), ERROR)  # the export says it its way
    assert len(faults) >= 2
    tally("ENOSPC injected at the write layer", len(faults))
    assert not target.exists() and list(tmp_path.iterdir()) == [sandbox.root]
    assert not list(home.rglob("sessions/*/*.json"))
    fk.ok(home, *args)  # room again: the export works
    assert target.exists()


# Full disk, for real: a small tmpfs


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root; the injected ENOSPC tests above run")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m,mode=0700", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"tmpfs mount refused here ({mounted.stderr.strip()[:80]}); ENOSPC injected")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def fill(disk: Path, leave: int) -> Path:
    """Fill the disk to the last block, then give back `leave` bytes."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for chunk in (1 << 20, 1 << 12):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        os.ftruncate(fd, max(0, os.fstat(fd).st_size - leave))
    finally:
        os.close(fd)
    return filler


def test_a_really_full_disk_saves_nothing_loses_nothing_and_sync_converges(
    small_disk, template, fk
):
    world = copy_sandbox(template, small_disk / "world")
    home = world.homes["a"]
    recorded = followup_ids(fk, home)
    refused = 0
    # A genuine reply waiting to be applied when the disk fills up.
    out, reply = world.root / "a.fkb", world.root / "reply.fkb"
    fk.json(home, "sync", "--to-file", str(out))
    fk.json(world.district_home, "district", "sync-file", str(out), str(reply))
    for leave in (0, 8 << 10, 32 << 10, 128 << 10, 512 << 10):
        filler = fill(small_disk, leave)
        add = ("followup", "add", world.shared_case, "--kind", "interview")
        result = fk.run(home, *add, "--summary", f"Note avec {leave} octets libres", "--json")
        if result.exit_code == 0:
            recorded.add(json.loads(result.stdout)["id"])
        else:
            assert DISK_FULL in one_line(result, ERROR)
            refused += 1
        if leave == 0:
            assert DISK_FULL in one_line(fk.run(home, "sync", "--from-file", str(reply)), ERROR)
        filler.unlink()
        assert followup_ids(fk, home) == recorded  # nothing saved is lost, nothing half-saved
    assert refused >= 1, "the full disk should have refused at least one write"
    tally("tmpfs filled up", 5)
    tally("writes refused by the really full disk", refused + 1)
    fk.ok(home, "sync", "--from-file", str(reply))  # the reply refused above still applies
    round_trip(fk, world, "a", "after")
    assert set(district_followups(fk, world, world.shared_case)) == recorded
    assert fk.json(home, "status")["unsynced_changes"] == 0


def audit_actions(fk: Fieldkit, home: Path) -> list[str]:
    return [e["action"] for e in fk.json(home, "audit", "show", "--limit", "0")]


def test_a_full_disk_never_locks_a_worker_out_and_the_audit_catches_up(
    small_disk, template, fk, tmp_path, monkeypatch
):
    world = copy_sandbox(template, small_disk / "world")
    home = world.homes["a"]
    runtime = tmp_path / "runtime"  # sessions live in XDG_RUNTIME_DIR, another disk
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    before = audit_actions(fk, home)
    cases = fk.json(home, "case", "list")
    notes = fk.json(home, "followup", "list")

    filler = fill(small_disk, 0)
    reads = [("case", "list", "--json"), ("followup", "list", "--json"), ("status", "--json")]
    for args in reads:
        result = fk.run(home, *args)
        assert result.exit_code == 0, (args, result.stderr)
        warnings = result.stderr.strip().splitlines()
        # One event per read: said in the singular (a count has its plural form).
        assert warnings and all("1 audit event kept aside" in w for w in warnings), warnings
    assert json.loads(fk.run(home, *reads[0]).stdout) == cases
    assert json.loads(fk.run(home, *reads[1]).stdout) == notes
    unlocked = fk.run(home, "unlock", "--json")
    assert unlocked.exit_code == 0, unlocked.stderr
    session = json.loads(unlocked.stdout)["session"]
    assert fk.json(home, "case", "list", session=session) == cases
    tally("commands that read on a really full disk", len(reads) + 3)
    filler.unlink()

    # Room again: the next command records every deferred event first, in order.
    after = audit_actions(fk, home)
    before_full = ["unlock", "unlock", "view"]  # the case list and followup list above
    on_full_disk = ["unlock", "unlock", "view", "unlock"]  # case list, followup list, status
    on_full_disk += ["unlock", "unlock", "view", "unlock", "session-start"]  # again, unlock
    assert after[len(before) :] == [*before_full, *on_full_disk, "unlock"], after[len(before) :]
    assert fk.ok(home, "audit", "verify")
    assert pending.read(home) == []


def test_failed_unlocks_stay_in_their_journal_until_the_audit_trail_holds_them(
    small_disk, template, fk
):
    world = copy_sandbox(template, small_disk / "world")
    home = world.homes["a"]
    wrong = fk.runner.invoke(
        app, ["--home", str(home), "status"], env={"FIELDKIT_PASSPHRASE": "pas la bonne phrase"}
    )
    assert wrong.exit_code == LOCKED
    journal = home / FAILED_UNLOCKS
    noted = journal.read_bytes()
    assert len(noted.splitlines()) == 1

    filler = fill(small_disk, 0)
    assert fk.run(home, "status").exit_code == 0  # the commit fails: the journal stays
    assert journal.read_bytes() == noted
    filler.unlink()

    actions = audit_actions(fk, home)
    assert actions.count("unlock-failed") == 1
    assert not journal.exists()
    assert audit_actions(fk, home).count("unlock-failed") == 1  # moved once, not twice


def test_a_failed_unlock_journal_survives_a_commit_that_fails(sandbox, monkeypatch):
    """Without root (no tmpfs): the commit is made to fail as a full disk makes it fail."""
    home = sandbox.homes["a"]
    access.note_failed_unlock(home)
    journal = home / FAILED_UNLOCKS
    noted = journal.read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(audit, "record", full)
        with WorkerStore.open(home, credentials()) as worker:
            assert worker.list_cases()  # reading works
        assert journal.read_bytes() == noted
        assert [e.action for e in pending.read(home)] == ["unlock"]  # kept aside
        assert take_warnings() == [t("audit.deferred", count=1)]
    with WorkerStore.open(home, credentials()) as worker:
        actions = [e.action for e in worker.audit_events()]
    assert actions[-3:] == ["unlock-failed", "unlock", "unlock"]
    assert not journal.exists() and pending.read(home) == []


# A damaged store file


def damaged_copies(db: Path) -> Iterator[tuple[str, bytes]]:
    raw = db.read_bytes()
    pages = len(raw) // 4096
    for page in range(pages):
        at = page * 4096 + 2000
        yield f"flip page {page}", raw[:at] + bytes([raw[at] ^ 0x10]) + raw[at + 1 :]
    for size in (len(raw) - 1, len(raw) - 4096, len(raw) // 2, 4096, 100):
        yield f"truncated to {size}", raw[:size]


def test_a_damaged_store_says_so_in_one_line_and_is_never_overwritten(sandbox, fk, tmp_path):
    world = sandbox
    home = world.homes["a"]
    db = home / "worker.db"
    pristine = db.read_bytes()
    with WorkerStore.open(home, credentials()) as worker:
        free_pages = worker.conn.execute("PRAGMA freelist_count").fetchone()[0]
    pristine = db.read_bytes()  # the open above records an unlock
    reply = tmp_path / "reply.fkb"
    reply.write_bytes(world.reply_a)
    commands = [
        ("case", "list"),
        ("followup", "add", world.shared_case, "--kind", "interview", "--summary", "Note"),
        ("sync", "--to-file", str(tmp_path / "out.fkb")),
        ("sync", "--from-file", str(reply)),
    ]
    tried = detected = 0
    for label, damaged in damaged_copies(db):
        db.write_bytes(damaged)
        caught = False
        for args in commands:
            tried += 1
            result = fk.run(home, *args)
            if result.exit_code != 0:
                assert "damaged" in one_line(result, ERROR), (label, args)
                assert db.read_bytes() == damaged, (label, args)  # never overwritten
                assert not (tmp_path / "out.fkb").exists()
                caught = True
            (tmp_path / "out.fkb").unlink(missing_ok=True)
        detected += caught
        db.write_bytes(pristine)
        for extra in home.glob("worker.db-*"):
            extra.unlink()
    assert detected >= tried // len(commands) - free_pages, (detected, tried, free_pages)
    tally("store file damaged (byte flipped or truncated)", tried // len(commands))
    tally("commands run on a damaged store", tried)

    # The backup back in place: everything is there and sync converges.
    db.write_bytes(pristine)
    round_trip(fk, world, "a", "restored")
    assert set(district_followups(fk, world, world.shared_case)) == followup_ids(fk, home)


def test_a_damaged_district_store_refuses_in_one_line(sandbox, fk, tmp_path):
    world = sandbox
    db = world.district_home / "district.db"
    bundle, reply = tmp_path / "a.fkb", tmp_path / "reply.fkb"
    bundle.write_bytes(world.bundle_a)
    raw = db.read_bytes()
    db.write_bytes(raw[:8192] + bytes([raw[8192] ^ 0xFF]) + raw[8193:])
    args = ("district", "sync-file", str(bundle), str(reply))
    assert "damaged" in one_line(fk.run(world.district_home, *args), ERROR)
    tally("store file damaged (byte flipped or truncated)")
    assert not reply.exists()
    db.write_bytes(raw)
    assert fk.json(world.district_home, *args)["applied"] == 1


# A clock years off on one side


@contextmanager
def clock_off_by(offset_ms: int) -> Iterator[None]:
    """Every HLC the change log builds reads a wall clock `offset_ms` away from the real one."""
    skewed = functools.partial(HybridClock, now_ms=lambda: wall_clock_ms() + offset_ms)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(changelog, "HybridClock", skewed)
        yield


@pytest.mark.parametrize("offset_years", [8, -8, -60])
def test_a_worker_clock_years_off_loses_nothing_and_converges(opened, offset_years):
    world, district, workers = opened
    a, b = workers["a"], workers["b"]
    case = world.shared_case
    tally("clock set years off (one side)")
    with clock_off_by(offset_years * YEAR_MS):
        a.update_case(case, situation="Situation vue par A")
        notes = {note(a, case, "Note de A, horloge décalée")}
    b.update_case(case, situation="Situation vue par B")
    notes.add(note(b, case, "Note de B"))
    notes |= {f.id for f in a.list_followups(case)}
    for _ in range(2):
        for worker in (a, b):
            api_sync(district, worker)

    values = {s.get_case(case)[0].situation for s in (a, b)}
    _, at_district = district.case(case)
    # Converged: the district relays the situation sealed, and it opens to the same text.
    assert values == {open_at_worker(a, case, district.case(case)[0].situation)}
    assert {f.id for f in at_district} == notes
    for worker in (a, b):
        assert {f.id for f in worker.list_followups(case)} == notes
    # The losing value is kept as a conflict on every side, never silently dropped.
    kept = {
        frozenset((open_at_worker(a, case, c.winner_value), open_at_worker(a, case, c.loser_value)))
        for c in district.case_conflicts(case)
        if c.field == "situation"
    }
    assert frozenset(("Situation vue par A", "Situation vue par B")) in kept
    for worker in (a, b):
        assert any(c.field == "situation" for c in worker.case_conflicts(case))

    # Clock fixed: a later edit by someone who has seen A's changes wins everywhere.
    b.update_case(case, situation="Situation à jour")
    for worker in (b, a):
        api_sync(district, worker)
    assert {s.get_case(case)[0].situation for s in (a, b)} == {"Situation à jour"}
    assert open_at_worker(a, case, district.case(case)[0].situation) == "Situation à jour"


def test_a_district_clock_years_ahead_is_refused_by_the_workers_and_loses_nothing(opened):
    world, district, workers = opened
    a = workers["a"]
    tally("clock set years off (one side)")
    with clock_off_by(8 * YEAR_MS):
        fresh = district.add_case(name="Chloé Vasseur", unit="UT Nord", reason="Signalement")
        district.assign(fresh.id, world.worker_ids["a"], lead=True)
    written = note(a, world.shared_case, "Note de A")
    before = {c.id for c in a.list_cases()}
    # The reply holds changes dated 8 years ahead of A's clock: refused whole, nothing
    # applied on A; A's own note reached the district all the same, and stays A's.
    with pytest.raises(ClockSkew) as skew:
        api_sync(district, a)
    assert "2920 days" in skew.value.message  # 8 years of 365 days, to the nearest day
    assert {c.id for c in a.list_cases()} == before
    assert written in {f.id for f in district.case(world.shared_case)[1]}
    assert written in {f.id for f in a.list_followups()}


@pytest.mark.parametrize("offset_years", [-8])
def test_a_district_clock_years_off_loses_nothing_and_converges(opened, offset_years):
    world, district, workers = opened
    a, b = workers["a"], workers["b"]
    tally("clock set years off (one side)")
    notes = {note(a, world.shared_case, "Note de A")}
    with clock_off_by(offset_years * YEAR_MS):
        fresh = district.add_case(name="Chloé Vasseur", unit="UT Nord", reason="Signalement")
        district.assign(fresh.id, world.worker_ids["b"], lead=True)
        for worker in (a, b):
            api_sync(district, worker)
    notes.add(note(b, fresh.id, "Note de B sur le nouveau dossier"))
    for worker in (b, a, b):
        api_sync(district, worker)
    assert [c.id for c in b.list_cases() if c.id == fresh.id] == [fresh.id]
    held = {f.id for f in a.list_followups()} | {f.id for f in b.list_followups()}
    at_district = {f.id for c in (world.shared_case, fresh.id) for f in district.case(c)[1]}
    assert notes <= held and notes <= at_district
    assert worker_side.queued(a) == worker_side.queued(b) == 0


# Bundles delivered twice, late or out of order


@settings(FUZZ, max_examples=60)
@given(
    schedule=st.lists(
        st.tuples(
            st.sampled_from(["note", "bundle", "deliver", "answer", "district"]),
            st.sampled_from("ab"),
            st.integers(0, 20),
        ),
        min_size=4,
        max_size=24,
    )
)
def test_any_delivery_order_loses_nothing_and_converges(template, tmp_path_factory, schedule):
    world = copy_sandbox(template, tmp_path_factory.mktemp("delivery"))
    refusals = 0
    with (
        DistrictStore.open(world.district_home, credentials()) as district,
        WorkerStore.open(world.homes["a"], credentials()) as a,
        WorkerStore.open(world.homes["b"], credentials()) as b,
    ):
        workers = {"a": a, "b": b}
        recorded = {f.id for f in a.list_followups()}
        bundles: list[tuple[str, bytes]] = [("a", world.bundle_a)]
        replies: list[tuple[str, bytes]] = []
        for action, who, pick in schedule:
            worker = workers[who]
            try:
                if action == "note":
                    recorded.add(note(worker, world.shared_case, f"Note {len(recorded)}"))
                elif action == "bundle":
                    bundles.append((who, worker_side.build_request(worker)[0]))
                elif action == "deliver":  # any bundle made so far, again or late
                    sender, data = bundles[pick % len(bundles)]
                    tally("bundles delivered in a random order (twice, late, out of order)")
                    replies.append((sender, handle(district, data).reply))
                elif action == "answer" and replies:  # any reply, again or late
                    to, data = replies[pick % len(replies)]
                    tally("replies delivered in a random order (twice, late, out of order)")
                    worker_side.apply_reply(workers[to], data)
                elif action == "district":  # the district's own work travels in the replies
                    case = district.add_case(name=f"Personne {pick}", unit=UNIT, reason="Test")
                    district.assign(case.id, world.worker_ids[who], lead=True)
            except BundleRejected as exc:
                assert exc.key in ("bundle.replayed",), exc.key
                refusals += 1
        tally("deliveries refused as replayed or rolled back", refusals)
        # The faults are over: every worker syncs until nothing moves.
        for _ in range(3):
            for worker in (a, b):
                api_sync(district, worker)
        at_district = Counter(f.id for f in district.case(world.shared_case)[1])
        assert set(at_district) == recorded and max(at_district.values()) == 1
        for worker in (a, b):
            held = [f.id for f in worker.list_followups(world.shared_case)]
            assert sorted(held) == sorted(recorded)
            assert worker_side.queued(worker) == 0
        for who, worker in workers.items():
            assigned = set(district.assigned_cases(world.worker_ids[who]))
            assert {c.id for c in worker.list_cases()} == assigned


def test_the_stores_are_compared_byte_for_byte(sandbox):
    """The helpers the fault tests rely on see a one-byte change."""
    home = sandbox.homes["a"]
    before, files = store_bytes(home), tree_bytes(home)
    (home / "worker.db").write_bytes((home / "worker.db").read_bytes()[:-1] + b"\x00")
    assert store_bytes(home) != before and tree_bytes(home) != files


def open_at_worker(worker, case_id: str, value):
    """A case's situation as the district holds it, opened with a team member's keys."""
    from fieldkit.replica.sealing import open_field
    from fieldkit.store import team

    text, readable = open_field(team.keyring(worker, case_id), case_id, "case", case_id,
                                "situation", value)  # fmt: skip
    assert readable
    return text
