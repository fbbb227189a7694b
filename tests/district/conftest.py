"""The district tests run on both district backends: the SQLCipher file and PostgreSQL.

Every test here (and in the test_pg_* modules that bring in the exchange and
convergence tests) gets `district_backend`, parametrised over the two backends;
on PostgreSQL each test has a new empty database in a throw-away cluster started once
per test process, given to `district init` / `DistrictStore.create` through
FIELDKIT_DISTRICT_DATABASE. A module narrows the backends with `DISTRICT_BACKENDS`, a
test with the `sqlcipher_only` marker. PostgreSQL tests skip, saying why, only when no
server can be started here.
"""

from __future__ import annotations

import pytest

from fieldkit.district.backend import DATABASE_ENV
from tests.pg import Cluster, pg_cluster  # noqa: F401

BACKENDS = ("sqlcipher", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlcipher_only: a test of the SQLCipher file itself")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "district_backend" not in metafunc.fixturenames:
        return
    backends = getattr(metafunc.module, "DISTRICT_BACKENDS", BACKENDS)
    if metafunc.definition.get_closest_marker("sqlcipher_only"):
        backends = ("sqlcipher",)
    metafunc.parametrize("district_backend", backends, indirect=True)


@pytest.fixture(autouse=True)
def district_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """'sqlcipher', or the DSN of this test's own PostgreSQL database."""
    if request.param == "sqlcipher":
        monkeypatch.delenv(DATABASE_ENV, raising=False)
        yield "sqlcipher"
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    dsn = cluster.create_database()
    monkeypatch.setenv(DATABASE_ENV, dsn)
    try:
        yield dsn
    finally:
        cluster.drop_database(dsn)
