"""What is on disk: nothing of a follow-up in clear, a file plain SQLite cannot read.

The raw-bytes checks are made meaningful by the decryption helper: the same marker
that is absent from the raw bytes is found in the decrypted pages.
"""

from __future__ import annotations

import sqlite3
import stat
from datetime import date
from pathlib import Path

import pytest

from fieldkit.model import FollowUpKind
from fieldkit.store import access
from fieldkit.store.access import Credentials
from fieldkit.store.db import connect, db_path
from fieldkit.store.worker import WorkerStore
from tests.conftest import PASSPHRASE
from tests.helpers import (
    SQLCIPHER_PAGE_SIZE,
    decrypt_sqlcipher_pages,
    decrypt_sqlcipher_wal,
    open_case,
)

MARKER = "ZQX-marqueur-7f3a Élodie a confié ses craintes"


def data_key_of(home: Path) -> bytes:
    return access.data_key(home, "worker", Credentials(prompt=lambda: PASSPHRASE)).data_key


def encodings(text: str) -> list[bytes]:
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.encode("utf-16-be")]


def files_under(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in home.rglob("*") if p.is_file()}


def assert_no_marker(home: Path) -> None:
    contents = files_under(home)
    assert contents, "no file to search"
    for name, raw in contents.items():
        for needle in [*encodings(MARKER), b"ZQX-marqueur"]:
            assert needle not in raw, f"marker in clear in {name}"


def open_case_id(store: WorkerStore) -> str:
    return store.list_cases()[0].id


def add_marked_followup(store: WorkerStore) -> str:
    case = open_case(store)
    item = store.add_followup(
        case.case_id,
        kind=FollowUpKind.INTERVIEW,
        summary=MARKER,
        occurred_on=date.today(),
        today=date.today(),
        next_steps=MARKER + " (suite)",
    )
    store.update_case(case.case_id, situation=MARKER + " (situation)")
    return item.id


def test_sqlcipher_settings_are_those_the_page_decryptor_assumes(store):
    settings = {row[0] for row in store.conn.execute("PRAGMA cipher_settings")}
    assert "PRAGMA cipher_page_size = 4096;" in settings
    assert "PRAGMA cipher_hmac_algorithm = HMAC_SHA512;" in settings
    assert "PRAGMA cipher_use_hmac = 1;" in settings
    assert "PRAGMA cipher_plaintext_header_size = 0;" in settings
    assert store.conn.execute("PRAGMA cipher_page_size").fetchone()[0] == str(SQLCIPHER_PAGE_SIZE)


def test_the_page_decryptor_finds_the_marker_in_a_live_store(store, home):
    add_marked_followup(store)
    # The cell's note is in clear inside the store's pages; the team's texts are sealed
    # even there, under the case key (issue 16).
    cell_marker = "ZQX-cellule-51c2 point de situation"
    store.update_case(open_case_id(store), cell_note=cell_marker)
    key = data_key_of(home)
    wal = Path(str(db_path(home, "worker")) + "-wal")
    # Before a checkpoint the new pages are in the WAL; after one, in the database file.
    assert cell_marker.encode() in decrypt_sqlcipher_wal(wal, key)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    plain = decrypt_sqlcipher_pages(db_path(home, "worker"), key)
    assert cell_marker.encode() in plain
    assert MARKER.encode() not in plain
    assert b"CREATE TABLE followups" in plain
    # and a wrong key gives nothing readable
    assert MARKER.encode() not in decrypt_sqlcipher_pages(db_path(home, "worker"), bytes(32))


def test_no_file_of_the_store_holds_a_followup_in_clear(store, home):
    add_marked_followup(store)
    assert Path(str(db_path(home, "worker")) + "-wal").stat().st_size > 0
    assert_no_marker(home)  # store open, pages in the WAL
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert_no_marker(home)  # pages in the database file
    store.close()
    assert_no_marker(home)  # closed
    with WorkerStore.open(home, Credentials(prompt=lambda: PASSPHRASE)) as again:
        assert again.list_followups()[0].summary == MARKER
        again.start_session(60)
        assert_no_marker(home)  # with a session file too


def test_plain_sqlite_cannot_read_the_store(store, home):
    add_marked_followup(store)
    store.close()
    plain = sqlite3.connect(db_path(home, "worker"))
    try:
        with pytest.raises(sqlite3.DatabaseError):
            plain.execute("SELECT * FROM sqlite_master").fetchall()
    finally:
        plain.close()


def test_a_wrong_key_cannot_open_the_store(store, home):
    from fieldkit.errors import StoreError

    store.close()
    with pytest.raises(StoreError):
        connect(db_path(home, "worker"), bytes(32))


def test_every_file_of_the_store_is_owner_only(store, home):
    add_marked_followup(store)
    store.start_session(60)
    access.note_failed_unlock(home)
    for path in home.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.relative_to(home)} is {oct(mode)}"
