"""Convergence, property-based: whatever happens and in whatever order bundles travel,
a final quiet round of syncs leaves every device agreeing with the district.

Hypothesis draws a sequence of operations over a district and 2 or 3 enrolled workers:
the district opens, assigns, unassigns and closes cases; workers record, amend, update
case fields and settle conflicts offline; bundles are written, delivered to the
district and replies applied in any order, some twice, some late. A delivery the
receiver has already passed (replayed or stale) must be refused with BundleRejected and
change nothing. Then every worker syncs twice, some settle the conflicts they see,
offline, and rounds of syncs run until nothing moves. Then:

- each worker holds exactly its open assigned cases, each equal to the district's copy
  (case fields, follow-ups with their amendments, conflicts: ids, values, settled or not);
- every follow-up and amendment a worker wrote is at the district, or recorded there as
  a refusal: no work is lost;
- nothing is left unacknowledged, awaiting purge, or flagged for a resync.

Real stores (SQLCipher, real bundles); the stores are built once per module (key
derivation is the slow part) and copied, closed, for each example. The property runs
with the district on each backend: its SQLCipher file, then PostgreSQL, where the
template district is built on a database and each example gets its own copy of that
database (CREATE DATABASE ... TEMPLATE) beside its copy of the homes. For a longer hunt:
FIELDKIT_CONVERGENCE_EXAMPLES=500 pytest tests/sync/test_convergence.py
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from fieldkit.district.backend import DATABASE_ENV
from fieldkit.district.exchange import handle
from fieldkit.district.store import DistrictStore
from fieldkit.errors import BundleRejected, FieldkitError
from fieldkit.model import ConcernLevel, FollowUpKind
from fieldkit.replica import cases, changelog, conflicts, followups, meta
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import worker_side
from fieldkit.sync.bundle import read_header
from tests.conftest import BACKENDS
from tests.pg import Cluster, clone_district
from tests.world import UNIT, api_sync, api_world, credentials, use_fast_kdf

TODAY = date.today()
MAX_WORKERS = 3
QUIET_ROUNDS = 6  # a quiet state must be reached within this many rounds of syncs
SITUATIONS = ["Stable", "Inquiétant", "En amélioration", "Stable"]  # equal values on purpose
REVIEWS = [(TODAY + timedelta(days=d)).isoformat() for d in (7, 14, 30)]
GOALS = [["Reprendre l'école"], ["Reprendre l'école", "Suivi santé"], []]

_examples = itertools.count()


@pytest.fixture(scope="module", params=BACKENDS)
def cluster(request: pytest.FixtureRequest) -> Cluster | None:
    """The district's backend: None for its SQLCipher file, else the PostgreSQL cluster
    its database is on (the test skips, saying why, when none can start)."""
    return request.getfixturevalue("pg_cluster") if request.param == "postgresql" else None


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, cluster: Cluster | None) -> Path:
    """A district, three enrolled workers, one case assigned to all three and held by each."""
    root = tmp_path_factory.mktemp("template")
    with pytest.MonkeyPatch.context() as patch:
        use_fast_kdf(patch)
        if cluster is not None:
            patch.setenv(DATABASE_ENV, cluster.create_database())
        api_world(root, workers={f"w{i}": f"Intervenant {i}" for i in range(MAX_WORKERS)})
    return root


@dataclass
class Replicas:
    district: DistrictStore
    workers: list[WorkerStore]
    worker_ids: list[str]
    outbox: list[list[bytes]]  # per worker: every bundle it wrote
    inbox: list[list[bytes]]  # per worker: every reply the district wrote for it
    delivered: list[list[bytes]]  # per worker: the bundles the district accepted
    applied: list[list[bytes]]  # per worker: the replies it accepted
    written: dict[str, str] = field(default_factory=dict)  # change id -> follow-up id

    @classmethod
    def of(cls, district: DistrictStore, workers: list[WorkerStore]) -> Replicas:
        """Open stores, nothing exchanged yet."""

        def each() -> list[list[bytes]]:
            return [[] for _ in workers]

        ids = [w.worker_id or "" for w in workers]
        return cls(district, workers, ids, each(), each(), each(), each())


@pytest.fixture
def fresh(template: Path, tmp_path_factory: pytest.TempPathFactory, cluster: Cluster | None):
    """Open a private copy of the template (called once per example)."""
    base = tmp_path_factory.mktemp("examples", numbered=True)

    @contextmanager
    def make(count: int) -> Iterator[Replicas]:
        home = base / f"example-{next(_examples)}"
        shutil.copytree(template, home)
        dsn = None
        if cluster is not None:
            dsn = clone_district(cluster, template / "district", home / "district")
        district = DistrictStore.open(home / "district", credentials())
        workers = [WorkerStore.open(home / f"w{i}", credentials()) for i in range(count)]
        try:
            yield Replicas.of(district, workers)
        finally:
            for store in (district, *workers):
                store.close()
            if cluster is not None and dsn is not None:
                cluster.drop_database(dsn)
            shutil.rmtree(home, ignore_errors=True)

    return make


# Operations: tuples whose integers pick among what exists when they run.

_index = st.integers(0, 9)
_few = st.integers(0, 1)  # updates go to the first held cases, so that writes meet
_ARGUMENTS = {
    "add_case": st.tuples(),
    "assign": st.tuples(_index, _index, st.booleans()),
    "unassign": st.tuples(_index, _index),
    "close": st.tuples(_index),
    "followup": st.tuples(_index, _index, st.booleans()),
    "amend": st.tuples(_index, _index, _index),
    "update": st.tuples(
        _index, _few, st.sampled_from(["situation", "situation", "next_review", "goals"]), _index
    ),
    "resolve": st.tuples(_index, _index, st.sampled_from(["mine", "theirs", "text"])),
    "send": st.tuples(_index),
    "deliver": st.tuples(_index, _index),
    "receive": st.tuples(_index, _index),
    "replay": st.tuples(_index, _index, st.booleans()),
    "sync": st.tuples(_index),
}
# Worker work and bundle traffic are common; the district's decisions rarer.
_WEIGHTS = {
    "followup": 5,
    "update": 8,
    "amend": 3,
    "resolve": 6,
    "send": 4,
    "deliver": 5,
    "receive": 5,
    "replay": 2,
    "sync": 4,
    "assign": 3,
    "add_case": 2,
    "unassign": 1,
    "close": 1,
}
settlements = st.lists(
    st.tuples(st.just("resolve"), _index, _index, st.sampled_from(["mine", "theirs", "text"])),
    max_size=3,
)
operations = st.lists(
    st.sampled_from([kind for kind, weight in _WEIGHTS.items() for _ in range(weight)]).flatmap(
        lambda kind: _ARGUMENTS[kind].map(lambda args: (kind, *args))
    ),
    min_size=15,
    max_size=60,
)


def pick(items: list, index: int):
    return items[index % len(items)] if items else None


def run(r: Replicas, op: tuple) -> None:
    kind, *args = op
    d = r.district
    n = len(r.workers)
    if kind == "add_case":
        d.add_case(name=f"Personne {len(d.list_cases())}", unit=UNIT)
    elif kind in ("assign", "unassign", "close"):
        case = pick(d.list_cases(), args[0])
        with suppress(FieldkitError):  # not assigned, already closed...: the district says no
            if kind == "assign":
                d.assign(case.id, r.worker_ids[args[1] % n], lead=args[2])
            elif kind == "unassign":
                d.unassign(case.id, r.worker_ids[args[1] % n])
            else:
                d.close_case(case.id, "Fin du suivi")
    elif kind in ("followup", "amend", "update", "resolve"):
        worker = r.workers[args[0] % n]
        with suppress(FieldkitError):  # nothing to amend, a conflict already settled...
            worker_op(r, worker, kind, args[1:])
    elif kind == "send":
        i = args[0] % n
        r.outbox[i].append(worker_side.build_request(r.workers[i])[0])
    elif kind == "deliver":
        i = args[0] % n
        if r.outbox[i]:
            deliver(r, i, pick(r.outbox[i], args[1]))
    elif kind == "receive":
        i = args[0] % n
        if r.inbox[i]:
            receive(r, i, pick(r.inbox[i], args[1]))
    elif kind == "replay":  # a bundle or a reply that already went through, once more
        i, to_district = args[0] % n, args[2]
        passed = r.delivered[i] if to_district else r.applied[i]
        if passed:
            (deliver if to_district else receive)(r, i, pick(passed, args[1]))
    elif kind == "sync":  # a round trip at once
        i = args[0] % n
        bundle = worker_side.build_request(r.workers[i])[0]
        r.outbox[i].append(bundle)
        deliver(r, i, bundle)
        receive(r, i, r.inbox[i][-1])


def worker_op(r: Replicas, worker: WorkerStore, kind: str, args: list) -> None:
    held = worker.list_cases()
    if kind == "followup":
        case = pick(held, args[0])
        if case is None:
            return
        high = args[1]
        added = worker.add_followup(
            case.id,
            kind=FollowUpKind.CONCERN if high else FollowUpKind.HOME_VISIT,
            concern_level=ConcernLevel.HIGH if high else None,
            summary=f"Note {len(r.written)}",
            occurred_on=TODAY,
            today=TODAY,
        )
        r.written[last_change(worker)] = added.id
    elif kind == "amend":
        item = pick(worker.list_followups(), args[0])
        if item is None:
            return
        worker.amend_followup(item.id, TODAY, summary=f"{item.current().summary} / rev {args[1]}")
        r.written[last_change(worker)] = item.id
    elif kind == "update":
        case = pick(held, args[0])
        if case is None:
            return
        name, k = args[1], args[2]
        value = {"situation": SITUATIONS, "next_review": REVIEWS, "goals": GOALS}[name]
        worker.update_case(case.id, **{name: value[k % len(value)]})
    elif kind == "resolve":
        conflict = pick(worker.conflicts(), args[0])
        if conflict is None:
            return
        if args[1] == "text":
            worker.resolve_conflict(conflict.id, text="Situation arrêtée en réunion")
        else:
            worker.resolve_conflict(conflict.id, args[1])
        event("a conflict was settled")


def last_change(worker: WorkerStore) -> str:
    return f"{worker.replica_id}:{meta.get_int(worker.conn, 'seq')}"


def district_marks(r: Replicas, i: int) -> tuple:
    conn = r.district.conn
    record = r.district.worker(r.worker_ids[i])
    return (
        changelog.last_idx(conn),
        len(r.district.refusals()),
        record.counter_in,
        record.counter_out,
        record.acked_seq,
    )


def worker_marks(worker: WorkerStore) -> tuple:
    conn = worker.conn
    return (
        changelog.last_idx(conn),
        tuple(
            meta.get(conn, k)
            for k in ("district_counter_in", "acked_seq", "cursor", "resync_needed")
        ),
        tuple(sorted(c.id for c in worker.list_cases())),
        tuple(cases.purge_pending(conn)),
    )


def deliver(r: Replicas, i: int, bundle: bytes) -> None:
    """The district handles a bundle of worker i: refused iff already passed."""
    stale = read_header(bundle).counter <= r.district.worker(r.worker_ids[i]).counter_in
    before = district_marks(r, i)
    try:
        outcome = handle(r.district, bundle)
    except BundleRejected:
        event("a stale bundle was refused")
        assert stale, "a fresh bundle was rejected"
        assert district_marks(r, i) == before
        return
    assert not stale, "a replayed or stale bundle was accepted"
    r.inbox[i].append(outcome.reply)
    r.delivered[i].append(bundle)


def receive(r: Replicas, i: int, reply: bytes) -> None:
    """Worker i applies a reply: the last one applied again is "already applied" and
    changes nothing; an older one is refused; a newer one applies."""
    worker = r.workers[i]
    counter = read_header(reply).counter
    applied = meta.get_int(worker.conn, "district_counter_in")
    stale = counter <= applied
    before = worker_marks(worker)
    try:
        result = worker_side.apply_reply(worker, reply)
    except BundleRejected:
        event("a stale reply was refused")
        assert stale, "a fresh reply was rejected"
        assert counter < applied, "the reply last applied was refused, not recognised"
        assert worker_marks(worker) == before
        return
    if result.status == "already-applied":
        event("a reply applied again was recognised")
        assert counter == applied, "a reply not yet applied was taken as already applied"
        assert worker_marks(worker) == before
        return
    assert not stale, "a replayed or stale reply was accepted"
    r.applied[i].append(reply)


def quiesce(r: Replicas) -> int:
    """Sync every worker, round after round, until a round moves nothing; returns rounds."""
    for rounds in range(1, QUIET_ROUNDS + 1):
        moved = 0
        for worker in r.workers:
            flagged = meta.get(worker.conn, "resync_needed") is not None
            outcome, result = api_sync(r.district, worker)
            moved += outcome.applied + outcome.refused + result.received + result.purged
            moved += int(flagged)
        if not moved:
            return rounds
    raise AssertionError(f"still moving after {QUIET_ROUNDS} rounds of syncs")


def view(store, case_id: str) -> tuple:
    """What must agree between replicas about one case."""
    conn = store.conn
    case = cases.load(conn, case_id)
    notes = [f.model_dump(mode="json") for f in followups.for_case(conn, case_id)]
    notes.sort(key=lambda f: f["id"])
    for note in notes:
        note["amendments"].sort(key=lambda a: a["id"])
    settled = sorted(
        json.dumps(c.model_dump(mode="json"), sort_keys=True)
        for c in conflicts.listing(conn, case_id=case_id, include_resolved=True)
    )
    return case.model_dump(mode="json"), notes, settled


def check_converged(r: Replicas) -> None:
    d = r.district
    for i, worker in enumerate(r.workers):
        expected = {
            case_id
            for case_id in d.assigned_cases(r.worker_ids[i])
            if cases.load(d.conn, case_id).status != "closed"
        }
        held = {c.id for c in worker.list_cases()}
        assert held == expected, f"worker {i} holds {held}, should hold {expected}"
        for case_id in held:
            assert view(worker, case_id) == view(d, case_id), f"worker {i} differs on {case_id}"
        assert worker_side.queued(worker) == 0
        assert cases.purge_pending(worker.conn) == []
        assert meta.get(worker.conn, "resync_needed") is None

    # No work lost: every follow-up and amendment written is at the district or refused there.
    kept = {row[0] for row in d.conn.execute("SELECT id FROM changes")}
    refused = {f"{row[0]}:{row[1]}" for row in d.conn.execute("SELECT origin, seq FROM refusals")}
    for change_id, followup_id in r.written.items():
        assert change_id in kept or change_id in refused, (change_id, followup_id)
        if change_id in kept:
            assert d.conn.execute(
                "SELECT 1 FROM followups WHERE id = ?", (followup_id,)
            ).fetchone(), followup_id


@settings(
    max_examples=int(os.environ.get("FIELDKIT_CONVERGENCE_EXAMPLES", "35")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(count=st.integers(2, MAX_WORKERS), ops=operations, settle=settlements)
@example(
    count=2,
    ops=[
        ("update", 1, 0, "situation", 0),
        ("update", 1, 0, "situation", 1),
        ("update", 0, 0, "situation", 2),
        ("sync", 0),
        ("sync", 1),
        ("sync", 0),
    ],
    settle=[],
)
def test_district_and_workers_converge_whatever_the_order(
    fresh, count: int, ops: list, settle: list
) -> None:
    with fresh(count) as r:
        for op in ops:
            run(r, op)
        # Then everyone syncs (twice: all see the conflicts), and some settle them offline.
        for i in [*range(count), *range(count)]:
            run(r, ("sync", i))
        for op in settle:
            run(r, op)
        rounds = quiesce(r)
        check_converged(r)
        # What the examples covered: pytest --hypothesis-show-statistics
        event(f"quiet after {rounds} rounds")
        event(f"conflicts: {bool(r.district.conflicts(include_resolved=True))}")
        event(f"refusals: {bool(r.district.refusals())}")
