"""The sync exchange tests (tests/sync/test_exchange.py) with the district on PostgreSQL.

The same test functions and fixtures, collected here so that this directory's
`district_backend` fixture gives each one a fresh PostgreSQL database; on the
SQLCipher file they run where they live.
"""

from tests.sync.test_exchange import *  # noqa: F403

DISTRICT_BACKENDS = ("postgresql",)
