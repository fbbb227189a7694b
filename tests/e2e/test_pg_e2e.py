"""The end-to-end server tests with the district on PostgreSQL.

The same tests as tests/e2e/test_server.py and tests/e2e/test_kill.py (a real
`district serve` subprocess over pinned HTTPS, workers through the CLI, kill -9 of the
client and of the server mid-sync); here `district init` puts the district in a new
PostgreSQL database of the throw-away cluster (FIELDKIT_DISTRICT_DATABASE, inherited by
the server subprocess).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fieldkit.district.backend import DATABASE_ENV
from tests.e2e.test_kill import (  # noqa: F401
    test_client_killed_mid_sync_loses_and_duplicates_nothing,
    test_server_killed_mid_sync_loses_and_duplicates_nothing,
)
from tests.e2e.test_server import (  # noqa: F401
    test_enrol_online_and_sync_both_ways_over_pinned_https,
    test_offline_exit_5_touches_nothing_then_succeeds_when_back,
    test_revoked_worker_is_refused_and_wiped,
    test_wrong_tls_pin_is_refused,
)
from tests.pg import Cluster, pg_cluster  # noqa: F401


@pytest.fixture(autouse=True)
def district_on_postgresql(
    pg_cluster: Cluster,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    dsn = pg_cluster.create_database()
    monkeypatch.setenv(DATABASE_ENV, dsn)
    try:
        yield dsn
    finally:
        pg_cluster.drop_database(dsn)


def test_the_district_of_these_tests_is_on_postgresql(net, district_on_postgresql) -> None:
    assert (net.district_home / "district-database.json").exists()
    assert not (net.district_home / "district.db").exists()
    assert net.district("worker", "list")  # the server's district, read from PostgreSQL
