"""The end-to-end server tests with the district on PostgreSQL.

The server tests of tests/e2e/test_server.py and tests/e2e/test_kill.py (a real
`district serve` subprocess over pinned HTTPS, workers through the CLI, kill -9 of the
client and of the server mid-sync) run on both backends (`district_backend`,
tests/conftest.py): on PostgreSQL `district init` puts the district in a new database of
the throw-away cluster (FIELDKIT_DISTRICT_DATABASE, inherited by the server subprocess).
This module checks that the district of those runs is indeed on PostgreSQL.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Net

DISTRICT_BACKENDS = ("postgresql",)
pytestmark = pytest.mark.usefixtures("district_backend")


def test_the_district_of_these_tests_is_on_postgresql(net: Net) -> None:
    assert (net.district_home / "district-database.json").exists()
    assert not (net.district_home / "district.db").exists()
    assert net.district("worker", "list")  # the server's district, read from PostgreSQL
