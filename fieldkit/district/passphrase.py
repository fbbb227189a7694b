"""Changing the district's passphrase (`district passphrase change`), on either backend.

On the SQLCipher file it is the worker's change (fieldkit/store/passphrase.py): a new
data key, the database re-encrypted under it through the crash-safe rotation journal
(fieldkit/store/rotation.py), and the TLS key re-encrypted with it (district/tls.py).

On PostgreSQL the personal-data columns are sealed under keys derived from the data key
(fieldkit/crypto/columns.py), and re-sealing every row is a migration of its own: the
change rewraps the *same* data key under the new passphrase, in one atomic replacement
of the key file. An old copy of the key file still opens the district with the old
passphrase (docs/security.md, "Leaked passphrase or old key file").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fieldkit.crypto.keyfile import rewrap_keyfile
from fieldkit.district import backend, tls
from fieldkit.district.schema import KIND
from fieldkit.store import audit
from fieldkit.store import passphrase as store_passphrase
from fieldkit.store.access import Credentials
from fieldkit.store.db import transaction
from fieldkit.store.keys import check_passphrase, read_keyfile, write_keyfile

ACTION = "passphrase-change"
# What the district keeps under its data key outside its tables.
BOUND = (tls.follow_data_key,)


@dataclass(frozen=True)
class Changed:
    backend: str  # backend.SQLCIPHER or backend.POSTGRESQL
    new_data_key: bool  # the database re-encrypted under a new data key (the file only)


def change_passphrase(home: Path, old: Credentials, new_passphrase: str) -> Changed:
    """A new passphrase for the district; the old one (and, on the file, an old key file)
    no longer opens it. Audited as `passphrase-change`, without any secret."""
    config = backend.read_config(home)
    if config.backend == backend.SQLCIPHER:
        store_passphrase.change_passphrase(home, old, new_passphrase, KIND, BOUND)
        return Changed(backend.SQLCIPHER, new_data_key=True)
    from fieldkit.district.store import DistrictStore

    with DistrictStore.open(home, old) as store:
        check_passphrase(new_passphrase, store_passphrase.own_words(store.conn))
        keyfile = read_keyfile(home, KIND)
        renewed = rewrap_keyfile(keyfile, store.data_key, new_passphrase)
        # Recorded first, as the file's rotation records it before its rekey: a kill in
        # between leaves an event and the old passphrase, never a change unrecorded.
        with transaction(store.conn):
            audit.record(store.conn, "district", ACTION, "store", keyfile.store_id)
        write_keyfile(home, renewed)
    return Changed(backend.POSTGRESQL, new_data_key=False)
