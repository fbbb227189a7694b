"""The world of the security campaign, built once and copied for each test.

`template` builds, through the library a user's commands call, a district with three
workers: A and B enrolled, a case shared by both and a case assigned to A alone;
C created at the district, with its store and its signed enrolment request, not yet
enrolled. It also keeps genuine bytes to mutate: A's outgoing bundle (one unsynced
follow-up), the district's reply to it, C's enrolment request and the district's
enrolment reply (made on throw-away copies, so that none of them was ever received).
`sandbox` copies all of it into the test's own directory.

Stores use the cheapest Argon2id a key file accepts; key files record it, so every
later open (CLI included) is fast too.

With FIELDKIT_SECURITY_FIGURES=FILE in the environment, the tests append what they
tried to FILE (one "what<TAB>count" line each): the figures of docs/security.md.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pytest

from fieldkit.crypto import keyfile
from fieldkit.district.exchange import handle
from fieldkit.district.store import DistrictStore
from fieldkit.model import FollowUpKind
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import worker_side
from fieldkit.sync.enrolment import decode_code
from tests.conftest import PASSPHRASE
from tests.world import FAST_KDF, UNIT, Fieldkit, api_sync, credentials, enrol_api

TODAY = date.today()
FIGURES_ENV = "FIELDKIT_SECURITY_FIGURES"
WORKER_NAMES = {"a": "Léa Martin", "b": "Karim Benali", "c": "Chloé Petit"}


@dataclass
class Sandbox:
    """Where everything is, and the genuine bytes kept to be mutated. Every store closed."""

    root: Path
    district_home: Path
    homes: dict[str, Path]
    worker_ids: dict[str, str]
    shared_case: str
    secret_case: str  # assigned to A only
    bundle_a: bytes  # A -> district, one unsynced follow-up, never received
    reply_a: bytes  # district -> A, answer to bundle_a, never applied
    enrol_request_c: bytes
    enrol_reply_c: bytes
    code_c: str
    files: dict[str, Path] = field(default_factory=dict)

    def open_district(self) -> DistrictStore:
        return DistrictStore.open(self.district_home, credentials())

    def open_worker(self, who: str) -> WorkerStore:
        return WorkerStore.open(self.homes[who], credentials())

    def moved(self, root: Path) -> Sandbox:
        return replace(
            self,
            root=root,
            district_home=root / self.district_home.name,
            homes={who: root / home.name for who, home in self.homes.items()},
            files={},
        )


def tally(what: str, count: int = 1) -> None:
    """Count something tried (bad input, injected fault) when figures are asked for."""
    path = os.environ.get(FIGURES_ENV)
    if path and count:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{what}\t{count}\n")


def note(worker: WorkerStore, case: str, text: str) -> str:
    followup = worker.add_followup(
        case, kind=FollowUpKind.INTERVIEW, summary=text, occurred_on=TODAY, today=TODAY
    )
    return followup.id


def _build(root: Path) -> Sandbox:
    district_home = root / "district"
    homes = {who: root / who for who in WORKER_NAMES}
    worker_ids: dict[str, str] = {}
    with DistrictStore.create(district_home, PASSPHRASE, "District de test", None) as district:
        codes = {}
        for who, name in WORKER_NAMES.items():
            added, codes[who] = district.add_worker(name, UNIT)
            worker_ids[who] = added.id
        for who in ("a", "b"):
            with WorkerStore.create(homes[who], PASSPHRASE) as worker:
                enrol_api(district, worker, codes[who])
        shared = district.add_case(name="Amélie Durand", unit=UNIT, reason="Signalement")
        district.assign(shared.id, worker_ids["a"], lead=True)
        district.assign(shared.id, worker_ids["b"])
        secret = district.add_case(name="Bastien Roux", unit=UNIT, reason="Signalement")
        district.assign(secret.id, worker_ids["a"], lead=True)
        for who in ("a", "b"):
            with WorkerStore.open(homes[who], credentials()) as worker:
                api_sync(district, worker)
        with WorkerStore.create(homes["c"], PASSPHRASE) as worker:
            enrol_request_c = worker_side.enrol_request(worker, decode_code(codes["c"]))
        with WorkerStore.open(homes["a"], credentials()) as worker:
            note(worker, shared.id, "Entretien au local, rendez-vous fixé")
            bundle_a, _, _ = worker_side.build_request(worker)
    # The answers come from copies of the district, so the district itself never saw them.
    scratch = root / "scratch"
    shutil.copytree(district_home, scratch)
    with DistrictStore.open(scratch, credentials()) as copy:
        reply_a = handle(copy, bundle_a).reply
        enrol_reply_c = handle(copy, enrol_request_c).reply
    shutil.rmtree(scratch)
    return Sandbox(
        root=root,
        district_home=district_home,
        homes=homes,
        worker_ids=worker_ids,
        shared_case=shared.id,
        secret_case=secret.id,
        bundle_a=bundle_a,
        reply_a=reply_a,
        enrol_request_c=enrol_request_c,
        enrol_reply_c=enrol_reply_c,
        code_c=codes["c"],
    )


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keyfile, "KDF_PARAMS", dict(FAST_KDF))
        return _build(tmp_path_factory.mktemp("security-template"))


def copy_sandbox(template: Sandbox, root: Path) -> Sandbox:
    root.mkdir(parents=True, exist_ok=True)
    for home in (template.district_home, *template.homes.values()):
        shutil.copytree(home, root / home.name)
    return template.moved(root)


@pytest.fixture
def sandbox(template: Sandbox, tmp_path: Path) -> Sandbox:
    return copy_sandbox(template, tmp_path / "world")


@pytest.fixture
def fk() -> Fieldkit:
    return Fieldkit()


def store_bytes(home: Path) -> dict[str, bytes]:
    """The database, its WAL and the key file of a home, byte for byte.

    The shared-memory index is left out: SQLite rewrites it on every read.
    """
    return {
        p.name: p.read_bytes()
        for p in sorted(home.iterdir())
        if p.is_file() and not p.name.endswith("-shm")
    }


def tree_bytes(home: Path) -> dict[str, bytes]:
    """Every file under a home (closed stores: no WAL or index is left behind).

    An empty lock file (`sync-lock`, which `fieldkit sync` holds while it runs) carries
    nothing and is left out.
    """
    files = (p for p in sorted(home.rglob("*")) if p.is_file())
    return {
        str(p.relative_to(home)): p.read_bytes()
        for p in files
        if not (p.name.endswith("lock") and p.stat().st_size == 0)
    }


@pytest.fixture
def opened(sandbox: Sandbox) -> Iterator[tuple[Sandbox, DistrictStore, dict[str, WorkerStore]]]:
    with (
        sandbox.open_district() as district,
        sandbox.open_worker("a") as a,
        sandbox.open_worker("b") as b,
        sandbox.open_worker("c") as c,
    ):
        yield sandbox, district, {"a": a, "b": b, "c": c}
