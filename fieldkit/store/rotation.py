"""Rotating a store's data key (`passphrase change`), safe against a kill at any point.

A new passphrase alone (rewrapping the same data key) would leave an old copy of the key
file, with the old passphrase, able to open the store. So the change draws a new data
key and re-encrypts the database under it (SQLCipher `PRAGMA rekey`, which rewrites
every page in one write transaction: in WAL mode the new pages are WAL frames that count
only once the transaction commits, so the database is under one key or the other,
never a mix). The key file cannot be replaced in that same commit, so a *rotation
journal* bridges the two files: `{kind}-key.rotation.json`, written (owner-only,
atomically) before the rekey and removed after the new key file is in place. It holds

- `keyfile`: the new key file (the new data key wrapped under the new passphrase),
- `new_by_old`: the new data key wrapped (AES-256-GCM) under the old data key,
- `old_by_new`: the old data key wrapped under the new data key,

both bound to the store as associated data. From either passphrase (or a session
of the old key) the two data keys follow, so whichever key the database is under, it
opens. Any command that finds a journal first completes the rotation (rekey if it was
not done, install the new key file, end every session, remove the journal), and only
then goes on. Steps and what a kill leaves:

1. journal not yet written: nothing changed, the old passphrase opens;
2. journal written, rekey not committed: both passphrases open; completed at next open;
3. rekey committed, old key file still in place: both passphrases open (the old one
   through the journal); completed at next open;
4. new key file in place, journal not yet removed: the new passphrase opens; the
   next open removes the journal.

Once completed, an old key file, the old passphrase and any old session open nothing
of the store as it is now. (A copy of the *database* taken before the change stays
under the old key: a backup keeps the key it was made with.)
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fieldkit.crypto.keyfile import DATA_KEY_BYTES, KeyFile, rewrap_keyfile, unwrap_key, wrap_key
from fieldkit.errors import StoreError, WrongPassphrase, disk_full, warn
from fieldkit.paths import write_private_file
from fieldkit.replica import meta
from fieldkit.store import audit
from fieldkit.store.db import Connection, checkpoint, connect, db_path, transaction
from fieldkit.store.keys import write_keyfile
from fieldkit.store.session import end_sessions

ROTATION_FORMAT = "fieldkit-rotation"
ROTATION_VERSION = 1

# What else a store keeps under its data key, outside the database (the district's TLS
# key): called as (home, old data key, new data key) once the rekey has committed and
# before the new key file goes in, and again by whichever command completes the change,
# so each must do nothing to what is under the new key already.
Bound = Callable[[Path, bytes, bytes], None]


def journal_path(home: Path, kind: str) -> Path:
    return home / f"{kind}-key.rotation.json"


@dataclass(frozen=True)
class Rotation:
    keyfile: KeyFile  # the new key file
    new_by_old: bytes
    old_by_new: bytes
    id: str = ""  # noted in the database with the audit event, so that it is recorded once

    def aad(self, direction: str) -> bytes:
        store = self.keyfile.aad().decode()
        return f"{ROTATION_FORMAT}/{ROTATION_VERSION}/{direction}/{store}".encode()

    def keys(self, key: bytes) -> tuple[bytes, bytes]:
        """(old data key, new data key) from either of them."""
        for direction, wrapped in (
            ("new-by-old", self.new_by_old),
            ("old-by-new", self.old_by_new),
        ):
            try:
                other = unwrap_key(wrapped, key, self.aad(direction))
            except WrongPassphrase:
                continue
            return (key, other) if direction == "new-by-old" else (other, key)
        raise StoreError("store.keyfile_damaged")

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": ROTATION_FORMAT,
                "version": ROTATION_VERSION,
                "keyfile": json.loads(self.keyfile.to_json()),
                "new_by_old": base64.b64encode(self.new_by_old).decode(),
                "old_by_new": base64.b64encode(self.old_by_new).decode(),
                "id": self.id,
            },
            indent=2,
            sort_keys=True,
        )


def read_rotation(home: Path, kind: str) -> Rotation | None:
    """The journal of a rotation under way, or None (the usual case: one failed stat)."""
    try:
        text = journal_path(home, kind).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError("store.keyfile_damaged") from exc
    try:
        data = json.loads(text)
        if data.get("format") != ROTATION_FORMAT or data.get("version") != ROTATION_VERSION:
            raise ValueError("format")
        keyfile = KeyFile.from_json(json.dumps(data["keyfile"]))
        new_by_old = base64.b64decode(data["new_by_old"], validate=True)
        old_by_new = base64.b64decode(data["old_by_new"], validate=True)
        rotation_id = data["id"]
        if not isinstance(rotation_id, str):
            raise ValueError("id")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StoreError("store.keyfile_damaged") from exc
    if keyfile.kind != kind:
        raise StoreError("store.keyfile_damaged")
    return Rotation(keyfile, new_by_old, old_by_new, rotation_id)


def start(home: Path, keyfile: KeyFile, old_key: bytes, new_passphrase: str) -> Rotation:
    """Draw the new data key and write the journal (step 1 to 2)."""
    new_key = secrets.token_bytes(DATA_KEY_BYTES)
    draft = Rotation(rewrap_keyfile(keyfile, new_key, new_passphrase), b"", b"")
    rotation = Rotation(
        draft.keyfile,
        new_by_old=wrap_key(new_key, old_key, draft.aad("new-by-old")),
        old_by_new=wrap_key(old_key, new_key, draft.aad("old-by-new")),
        id=secrets.token_hex(8),
    )
    write_private_file(journal_path(home, keyfile.kind), rotation.to_json().encode())
    return rotation


def _audit_once(conn: Connection, rotation: Rotation) -> None:
    """The `passphrase-change` event, under the old key just before the rekey: once per
    rotation, however many times a kill makes a later command start this step again."""
    if meta.get(conn, "rotation") == rotation.id:
        return
    from fieldkit.store.worker import KIND as WORKER_KIND

    with transaction(conn):
        kind = rotation.keyfile.kind
        # A worker's store names its worker (or replica, before enrolment); a district
        # records as "district", as its other events do.
        actor = meta.get(conn, "worker_id") or (
            kind if kind != WORKER_KIND else meta.get(conn, "replica_id") or kind
        )
        audit.record(conn, actor, "passphrase-change", "store", rotation.keyfile.store_id)
        meta.put(conn, "rotation", rotation.id)


def current_key(home: Path, rotation: Rotation, key: bytes) -> bytes:
    """Which of the two data keys the database is under now."""
    old_key, new_key = rotation.keys(key)
    try:
        connect(db_path(home, rotation.keyfile.kind), new_key, full_check=False).close()
    except StoreError as exc:
        if disk_full(exc):
            raise
        return old_key
    return new_key


def finish(
    home: Path,
    rotation: Rotation,
    key: bytes,
    *,
    resumed: bool = False,
    bound: Sequence[Bound] = (),
) -> tuple[bytes, int]:
    """Complete the rotation from either data key; returns (new data key, sessions ended).

    `resumed`: found by a later command (a rotation interrupted), which says so.
    `bound`: what else follows the data key (see `Bound`).
    """
    kind = rotation.keyfile.kind
    old_key, new_key = rotation.keys(key)
    path = db_path(home, kind)
    try:
        conn = connect(path, new_key, full_check=False)
    except StoreError as exc:
        if disk_full(exc):
            raise
        conn = connect(path, old_key, full_check=False)
        try:
            _audit_once(conn, rotation)
            checkpoint(conn)
            conn.execute(f"PRAGMA rekey = \"x'{new_key.hex()}'\"").fetchall()
        except BaseException:
            # SQLCipher rolled the rekey back: the database is whole under the old key.
            conn.close()
            if not resumed:  # the change itself failed (a full disk): undo it, say so
                journal_path(home, kind).unlink(missing_ok=True)
            raise
    try:
        checkpoint(conn)  # the pages under the new key into the database file, WAL emptied
    finally:
        conn.close()
    for follow in bound:
        follow(home, old_key, new_key)
    write_keyfile(home, rotation.keyfile)
    ended = end_sessions(home, rotation.keyfile.store_id)  # sealed under the old data key
    journal = journal_path(home, kind)
    journal.unlink(missing_ok=True)
    dir_fd = os.open(home, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    if resumed:
        warn("passphrase.change_completed")
    return new_key, ended
