"""The common world of the sync tests: a district, two enrolled workers, a case assigned to both.

Built the way a user builds it, by one of two public routes:

- `cli_world(tmp_path)` drives `fieldkit` through typer's CliRunner (district init,
  worker add, enrol by file on both sides, case add, assign, a first sync by file);
- `api_world(tmp_path)` does the same through the library (`DistrictStore`,
  `WorkerStore`, `fieldkit.sync.worker_side`, `fieldkit.district.exchange`).

Both return a `World`: the homes, the ids and the fingerprints, with every store
closed, so that a test (or a district server started on the district home) can open
them. `Fieldkit` runs the CLI in one home; `file_sync` and `api_sync` do one round
trip of the file protocol. Key derivation uses the real Argon2id parameters unless
the test calls `use_fast_kdf(monkeypatch)` first (the KDF is not what these tests test).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from fieldkit.cli import app
from fieldkit.crypto import keyfile
from fieldkit.district.exchange import Outcome, handle
from fieldkit.district.store import DistrictStore
from fieldkit.replica import meta
from fieldkit.store.access import Credentials
from fieldkit.store.db import transaction
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import worker_side
from fieldkit.sync.bundle import BundleHeader, encode_bundle
from fieldkit.sync.enrolment import decode_code
from fieldkit.sync.payload import SyncRequest, encode
from fieldkit.sync.worker_side import SyncResult
from tests.conftest import PASSPHRASE

DISTRICT_NAME = "District de test"
UNIT = "UT Nord"
WORKERS = {"a": "Léa Martin", "b": "Karim Benali"}
CASE_NAME = "Amélie Durand"
FAST_KDF = {"algorithm": "argon2id", "memory_kib": 8192, "iterations": 1, "lanes": 1}


def use_fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stores created from now on in this test use the cheapest Argon2id a key file accepts."""
    monkeypatch.setattr(keyfile, "KDF_PARAMS", dict(FAST_KDF))


def credentials() -> Credentials:
    return Credentials(prompt=lambda: PASSPHRASE)


@dataclass
class World:
    """Where everything is; every store closed."""

    root: Path
    district_home: Path
    district_fingerprint: str
    homes: dict[str, Path]  # worker key ("a", "b") -> its home
    worker_ids: dict[str, str]  # worker key -> the district's worker id
    fingerprints: dict[str, str]  # worker key -> the worker's key fingerprint
    case_id: str = ""
    reference: str = ""
    sessions: dict[str, str] = field(default_factory=dict)  # worker key -> FIELDKIT_SESSION

    def open_district(self) -> DistrictStore:
        return DistrictStore.open(self.district_home, credentials())

    def open_worker(self, who: str) -> WorkerStore:
        return WorkerStore.open(self.homes[who], credentials())


class Fieldkit:
    """`fieldkit --home HOME ...` in process, with the passphrase in the environment."""

    def __init__(self, runner: CliRunner | None = None) -> None:
        self.runner = runner or CliRunner()

    def run(self, home: Path, *args: str, session: str | None = None) -> Result:
        env: dict[str, str | None] = {"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_SESSION": None}
        if session is not None:
            env = {"FIELDKIT_PASSPHRASE": None, "FIELDKIT_SESSION": session}
        return self.runner.invoke(app, ["--home", str(home), *args], env=env)

    def ok(self, home: Path, *args: str, session: str | None = None) -> Result:
        result = self.run(home, *args, session=session)
        assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
        return result

    def json(self, home: Path, *args: str, session: str | None = None) -> Any:
        return json.loads(self.ok(home, *args, "--json", session=session).stdout)

    def unlock(self, home: Path) -> str:
        return self.json(home, "unlock")["session"]


def file_sync(fk: Fieldkit, world: World, who: str, tag: str) -> tuple[dict, dict]:
    """One round trip by file: worker bundle -> `district sync-file` -> worker applies the reply.

    Returns the district's and the worker's `--json` reports.
    """
    home = world.homes[who]
    outgoing = world.root / f"{who}-{tag}.fkb"
    reply = world.root / f"{who}-{tag}-reply.fkb"
    session = world.sessions.get(who)
    fk.json(home, "sync", "--to-file", str(outgoing), session=session)
    at_district = fk.json(world.district_home, "district", "sync-file", str(outgoing), str(reply))
    at_worker = fk.json(home, "sync", "--from-file", str(reply), session=session)
    return at_district, at_worker


def cli_world(
    tmp_path: Path, fk: Fieldkit | None = None, *, first_sync: bool = True, sessions: bool = False
) -> World:
    """The world through the CLI: enrolment by file, fingerprints checked on both sides.

    With `first_sync`, each worker syncs once so that both hold the case. With
    `sessions`, each worker unlocks a session (commands then skip the key derivation).
    """
    fk = fk or Fieldkit()
    root = tmp_path
    district_home = root / "district"
    created = fk.json(district_home, "district", "init", "--name", DISTRICT_NAME)
    homes = {who: root / who for who in WORKERS}
    worker_ids: dict[str, str] = {}
    fingerprints: dict[str, str] = {}
    for who, name in WORKERS.items():
        identity = root / f"{who}-district.json"  # the district identity file, on the stick
        args = ["--name", name, "--unit", UNIT, "--to-file", str(identity)]
        added = fk.json(district_home, "district", "worker", "add", *args)
        assert added["district_fingerprint"] == created["fingerprint"]
        worker_ids[who] = added["id"]
        init = fk.json(homes[who], "init")
        request, answer = root / f"{who}-enrol.fkb", root / f"{who}-enrol-reply.fkb"
        code, district_file = added["enrolment_code"], added["identity_file"]
        args = ["--district-file", district_file, "--to-file", str(request)]
        asked = fk.json(homes[who], "enrol", code, *args)
        # What the worker reads out and the district compares, and the reverse.
        assert asked["district_fingerprint"] == created["fingerprint"]
        assert asked["fingerprint"] == init["fingerprint"]
        enrolled_at_district = fk.json(
            district_home, "district", "sync-file", str(request), str(answer)
        )
        assert enrolled_at_district["kind"] == "enrol-reply"
        assert enrolled_at_district["worker"] == added["id"]
        assert enrolled_at_district["fingerprint"] == init["fingerprint"]
        done = fk.json(homes[who], "enrol", "--from-file", str(answer))
        assert done["status"] == "enrolled" and done["worker_id"] == added["id"]
        assert done["district_fingerprint"] == created["fingerprint"]
        fingerprints[who] = init["fingerprint"]
    world = World(
        root=root,
        district_home=district_home,
        district_fingerprint=created["fingerprint"],
        homes=homes,
        worker_ids=worker_ids,
        fingerprints=fingerprints,
    )
    case = fk.json(
        district_home,
        "district",
        "case",
        "add",
        "--name",
        CASE_NAME,
        "--unit",
        UNIT,
        "--reason",
        "Signalement de l'établissement scolaire",
    )
    world.case_id, world.reference = case["id"], case["reference"]
    fk.ok(district_home, "district", "case", "assign", world.reference, worker_ids["a"], "--lead")
    fk.ok(district_home, "district", "case", "assign", world.reference, worker_ids["b"])
    if sessions:
        world.sessions = {who: fk.unlock(home) for who, home in homes.items()}
    if first_sync:
        for who in WORKERS:
            _, report = file_sync(fk, world, who, "first")
            assert report["status"] == "ok" and report["received"] >= 1
    return world


def signed_request(worker: WorkerStore, request: SyncRequest, *, cursor: int | None = None):
    """A sync bundle from `worker`, signed with its own genuine key, carrying `request`."""
    district = worker_side.district(worker)
    identity = worker.identity()
    with transaction(worker.conn):
        counter = meta.next_counter(worker.conn, "counter_out")
    at = meta.get_int(worker.conn, "cursor") if cursor is None else cursor
    header = BundleHeader(
        kind="sync",
        sender=worker.replica_id,
        recipient=district.id,
        sender_key=identity.public.fingerprint_hex,
        recipient_key=district.keys.fingerprint_hex,
        counter=counter,
        ack=at,
        cursor=at,
        changes=len(request.changes),
    )
    return encode_bundle(header, encode(request), identity, district.keys)


def api_sync(district: DistrictStore, worker: WorkerStore) -> tuple[Outcome, SyncResult]:
    """One round trip through the library: the same bytes the files would carry."""
    outgoing, _, _ = worker_side.build_request(worker)
    outcome = handle(district, outgoing)
    return outcome, worker_side.apply_reply(worker, outcome.reply)


def enrol_api(district: DistrictStore, worker: WorkerStore, code: str) -> None:
    request = worker_side.enrol_request(worker, decode_code(code))
    outcome = handle(district, request)
    assert outcome.kind == "enrol-reply"
    worker_side.enrol_complete(worker, outcome.reply)


def api_world(
    tmp_path: Path, *, workers: dict[str, str] | None = None, first_sync: bool = True
) -> World:
    """The world through the library API (same steps as `cli_world`, no CLI)."""
    workers = workers or WORKERS
    district_home = tmp_path / "district"
    homes = {who: tmp_path / who for who in workers}
    worker_ids: dict[str, str] = {}
    fingerprints: dict[str, str] = {}
    with DistrictStore.create(district_home, PASSPHRASE, DISTRICT_NAME, None) as district:
        district_fingerprint = district.identity().public.fingerprint
        for who, name in workers.items():
            added, code = district.add_worker(name, UNIT)
            worker_ids[who] = added.id
            with WorkerStore.create(homes[who], PASSPHRASE) as worker:
                enrol_api(district, worker, code)
                fingerprints[who] = worker.identity().public.fingerprint
        case = district.add_case(name=CASE_NAME, unit=UNIT, reason="Signalement")
        first, *others = worker_ids.values()
        district.assign(case.id, first, lead=True)
        for worker_id in others:
            district.assign(case.id, worker_id)
        if first_sync:
            for who in workers:
                with WorkerStore.open(homes[who], credentials()) as worker:
                    api_sync(district, worker)
    return World(
        root=tmp_path,
        district_home=district_home,
        district_fingerprint=district_fingerprint,
        homes=homes,
        worker_ids=worker_ids,
        fingerprints=fingerprints,
        case_id=case.id,
        reference=case.reference,
    )


class ThreadServer:
    """A real district server on loopback, in a thread of the test (`with ThreadServer(...)`)."""

    def __init__(self, store: DistrictStore, port: int) -> None:
        import uvicorn

        from fieldkit.district.server import create_app

        config = uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
