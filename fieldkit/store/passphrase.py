"""What the worker's passphrase does beyond opening the store: unlock for a session, change.

The change is the district's too on its SQLCipher file (fieldkit/district/passphrase.py).

Opening itself (with a session or the passphrase) is fieldkit/store/access.py's; the
key file and the session token are the crypto's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fieldkit.replica import meta
from fieldkit.store import access
from fieldkit.store.access import Credentials
from fieldkit.store.db import Connection, connect, db_path
from fieldkit.store.keys import check_passphrase, read_keyfile
from fieldkit.store.worker import KIND, WorkerStore

if TYPE_CHECKING:
    from fieldkit.store.rotation import Bound

# What the store knows of the person, that their passphrase must not be made of
# (a worker's name and unit once enrolled, and the district's name in both kinds).
OWN_WORDS = ("worker_name", "unit", "district_name")


def own_words(conn: Connection) -> list[str | None]:
    """The store's own words, for `check_passphrase` (a district's store has its name only)."""
    return [meta.get(conn, name) for name in OWN_WORDS]


def change_passphrase(
    home: Path,
    old: Credentials,
    new_passphrase: str,
    kind: str = KIND,
    bound: Sequence[Bound] = (),
) -> int:
    """A new passphrase and a new data key; ends every session. Returns sessions ended.

    The database is re-encrypted under the new data key (fieldkit/store/rotation.py), so
    that an old copy of the key file with the old passphrase no longer opens the store;
    a kill at any point leaves a store that opens with the old or the new passphrase,
    and the next command completes the change. `bound`: what else the store keeps under
    its data key (a district's TLS key), re-encrypted with it.
    """
    from fieldkit.store import rotation

    # The passphrase, never a session; a change a kill interrupted is completed first.
    data_key = access.passphrase_key(home, read_keyfile(home, kind), old)
    data_key = access.complete_rotation(home, kind, data_key, bound)
    keyfile = read_keyfile(home, kind)
    conn = connect(db_path(home, kind), data_key)  # the full check, before any change
    try:
        known = own_words(conn)
    finally:
        conn.close()
    check_passphrase(new_passphrase, known)  # judged against the person's own names too
    under_way = rotation.start(home, keyfile, data_key, new_passphrase)
    return rotation.finish(home, under_way, data_key, bound=bound)[1]


def unlock(home: Path, credentials: Credentials, ttl_seconds: int) -> tuple[str, int]:
    """Open the store with the passphrase (never a session) and start a session.

    Returns (token, expiry as epoch seconds).
    """
    keyfile = read_keyfile(home, KIND)
    data_key = access.passphrase_key(home, keyfile, credentials)
    with WorkerStore.from_key(home, keyfile.store_id, data_key, None) as store:
        return store.start_session(ttl_seconds)
