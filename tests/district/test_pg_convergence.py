"""The convergence property (tests/sync/test_convergence.py) with the district on PostgreSQL.

Same test and checks; only the world's making differs: the template district is
built on a PostgreSQL database, and each example gets its own copy of that database
(CREATE DATABASE ... TEMPLATE) beside its copy of the homes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fieldkit.district.backend import DATABASE_ENV
from fieldkit.district.store import DistrictStore
from fieldkit.store.worker import WorkerStore
from tests.pg import Cluster, clone_district
from tests.sync.test_convergence import (  # noqa: F401
    MAX_WORKERS,
    Replicas,
    test_district_and_workers_converge_whatever_the_order,
)
from tests.world import api_world, credentials, use_fast_kdf

DISTRICT_BACKENDS = ("postgresql",)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, pg_cluster: Cluster) -> Path:
    root = tmp_path_factory.mktemp("pg-template")
    with pytest.MonkeyPatch.context() as patch:
        use_fast_kdf(patch)
        patch.setenv(DATABASE_ENV, pg_cluster.create_database())
        api_world(root, workers={f"w{i}": f"Intervenant {i}" for i in range(MAX_WORKERS)})
    return root


@pytest.fixture
def fresh(template: Path, tmp_path_factory: pytest.TempPathFactory, pg_cluster: Cluster):
    base = tmp_path_factory.mktemp("pg-examples", numbered=True)
    examples = iter(range(10**6))

    @contextmanager
    def make(count: int) -> Iterator[Replicas]:
        home = base / f"example-{next(examples)}"
        shutil.copytree(template, home)
        dsn = clone_district(pg_cluster, template / "district", home / "district")
        district = DistrictStore.open(home / "district", credentials())
        workers = [WorkerStore.open(home / f"w{i}", credentials()) for i in range(count)]
        try:
            yield Replicas.of(district, workers)
        finally:
            for store in (district, *workers):
                store.close()
            pg_cluster.drop_database(dsn)
            shutil.rmtree(home, ignore_errors=True)

    return make
