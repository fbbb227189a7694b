"""A store opened from docs/protocol.md ("Stores at rest") and the passphrase alone.

The stores are made by the real CLI. The reader below is written from the doc's three
sections (the key file, the session token, the sealed column value) with primitives
only: `cryptography`'s Argon2id, HKDF and AES-GCM, `sqlcipher3` and `psycopg`; nothing
of fieldkit.crypto or fieldkit.store (only the assertions on what it read use them). If
fieldkit's formats drift from the doc, these tests fail. tests/sync/test_bundle.py::
spec_open does the same for bundles.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import unicodedata
from pathlib import Path

import pytest
import sqlcipher3
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fieldkit.crypto.casekeys import is_sealed
from fieldkit.store.access import Credentials
from fieldkit.store.worker import WorkerStore
from tests.conftest import PASSPHRASE
from tests.helpers import open_case_in_home
from tests.pg import Cluster, pg_cluster  # noqa: F401
from tests.world import Fieldkit

PERSON = "Hortense Délisle-Marquant"
SUMMARY = "Marqueur-entretien Anatole Quésnel"
CELL_NOTE = "Marqueur-cellule Ysolde Brévannes"


# The reader, from docs/protocol.md, "Stores at rest".


def spec_data_key(home: Path, kind: str, passphrase: str) -> tuple[bytes, str]:
    """(data key, store id) from `<home>/<kind>-key.json` and the passphrase."""
    keyfile = json.loads((home / f"{kind}-key.json").read_text(encoding="utf-8"))
    assert keyfile["format"] == "fieldkit-keyfile" and keyfile["version"] == 1
    assert keyfile["kind"] == kind
    kdf = keyfile["kdf"]
    assert kdf["algorithm"] == "argon2id"
    assert 8192 <= kdf["memory_kib"] <= 4194304
    assert 1 <= kdf["iterations"] <= 64 and 1 <= kdf["lanes"] <= 64
    salt = base64.b64decode(keyfile["salt"], validate=True)
    wrapped = base64.b64decode(keyfile["wrapped_key"], validate=True)
    assert len(salt) == 16 and len(wrapped) == 60
    password = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    kek = Argon2id(
        salt=salt,
        length=32,
        iterations=kdf["iterations"],
        lanes=kdf["lanes"],
        memory_cost=kdf["memory_kib"],
    ).derive(password)
    aad = f"fieldkit-keyfile/1/{kind}/{keyfile['store_id']}".encode()
    data_key = AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], aad)
    assert len(data_key) == 32
    return data_key, keyfile["store_id"]


def spec_open_sqlcipher(path: Path, data_key: bytes) -> sqlcipher3.Connection:
    """SQLCipher 4, default settings, the data key as a raw key."""
    conn = sqlcipher3.connect(str(path))
    conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
    return conn


def spec_session_key(token: str, home: Path, store_id: str, runtime: Path | None) -> bytes:
    """The data key a live session token opens."""
    assert token.startswith("fks1_") and len(token) == 65
    raw = base64.urlsafe_b64decode(token[len("fks1_") :])
    assert len(raw) == 44
    session_id, secret = raw[:12].hex(), raw[12:]
    folder = runtime / "fieldkit" / store_id if runtime else home / "sessions" / store_id
    record = json.loads((folder / f"{session_id}.json").read_text())
    expires, nonce, sealed = record["expires"], bytes.fromhex(record["nonce"]), record["sealed"]
    assert isinstance(expires, int) and len(nonce) == 12 and len(bytes.fromhex(sealed)) == 48
    session_key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"fieldkit-session/{store_id}".encode(),
    ).derive(secret)
    aad = f"fieldkit-session/1/{store_id}/{session_id}/{expires}".encode()
    return AESGCM(session_key).decrypt(nonce, bytes.fromhex(sealed), aad)


def spec_unseal(data_key: bytes, table: str, column: str, row_key: str, stored: str) -> str:
    """A sealed column value's text."""
    assert stored.startswith("fk1:")
    raw = base64.b64decode(stored[len("fk1:") :], validate=True)
    column_key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"fieldkit/column-key/v1"
    ).derive(data_key)
    aad = b"\x1f".join(part.encode() for part in ("fk1:", table, column, row_key))
    return AESGCM(column_key).decrypt(raw[:12], raw[12:], aad).decode("utf-8")


def spec_fingerprint(private_identity: bytes) -> str:
    """The fingerprint (64 hex digits) of a 133-byte private identity."""
    assert len(private_identity) == 133 and private_identity[:5] == b"FKID\x01"
    signing = ed25519.Ed25519PrivateKey.from_private_bytes(private_identity[5:37])
    kem = mlkem.MLKEM768PrivateKey.from_seed_bytes(private_identity[37:101])
    dh = x25519.X25519PrivateKey.from_private_bytes(private_identity[101:133])
    signing_public = signing.public_key().public_bytes_raw()
    hpke_public = kem.public_key().public_bytes_raw() + dh.public_key().public_bytes_raw()
    return hashlib.sha256(
        b"fieldkit/identity-fingerprint/v1"
        + struct.pack(">I", len(signing_public))
        + signing_public
        + struct.pack(">I", len(hpke_public))
        + hpke_public
    ).hexdigest()


# The tests.


@pytest.fixture
def fk() -> Fieldkit:
    return Fieldkit()


@pytest.fixture
def worker_home(tmp_path: Path, fk: Fieldkit) -> tuple[Path, str, str]:
    """A worker store made by `fieldkit init`, a case with a note for the cell, and a
    follow-up by `followup add`.

    Returns the home, the fingerprint `init` showed and the follow-up's id.
    """
    home = tmp_path / "worker"
    created = fk.json(home, "init")
    opened = open_case_in_home(home, PASSPHRASE, reference="CO-2026-0042", display_name=PERSON)
    with WorkerStore.open(home, Credentials(prompt=lambda: PASSPHRASE)) as store:
        store.update_case(opened.case_id, cell_note=CELL_NOTE)
    added = fk.json(
        home, "followup", "add", "CO-2026-0042", "--kind", "interview", "--summary", SUMMARY
    )
    return home, created["fingerprint"], added["id"]


def assert_cell_note_clear_and_summary_sealed(
    conn: sqlcipher3.Connection, followup_id: str
) -> None:
    """What the spec reader sees inside the store: the store seals no column again, so a
    field of the cell's circle reads in clear, while a team text (the summary) is the
    sealed value the device wrote under its case key (DESIGN §9), never the text."""
    (data,) = conn.execute("SELECT data FROM followups WHERE id = ?", (followup_id,)).fetchone()
    (note,) = conn.execute("SELECT value FROM case_fields WHERE field = 'cell_note'").fetchone()
    assert json.loads(note) == CELL_NOTE
    assert is_sealed(json.loads(data)["summary"])
    assert SUMMARY not in data


def test_a_reader_written_from_the_spec_opens_a_worker_store_with_the_passphrase(
    worker_home: tuple[Path, str, str],
) -> None:
    home, fingerprint, followup_id = worker_home
    data_key, _ = spec_data_key(home, "worker", PASSPHRASE)
    conn = spec_open_sqlcipher(home / "worker.db", data_key)
    try:
        assert_cell_note_clear_and_summary_sealed(conn, followup_id)
        (name,) = conn.execute(
            "SELECT value FROM case_fields WHERE field = 'display_name'"
        ).fetchone()
        (identity,) = conn.execute("SELECT value FROM meta WHERE key = 'identity'").fetchone()
    finally:
        conn.close()
    assert json.loads(name) == PERSON
    # The private identity in the store is the one whose fingerprint `init` showed.
    assert spec_fingerprint(base64.b64decode(identity)) == fingerprint.replace(" ", "")


def test_the_spec_reader_refuses_a_wrong_passphrase(worker_home: tuple[Path, str, str]) -> None:
    home, _, _ = worker_home
    with pytest.raises(InvalidTag):
        spec_data_key(home, "worker", PASSPHRASE + " ")


@pytest.mark.parametrize("runtime_dir", [True, False], ids=["xdg-runtime-dir", "store-home"])
def test_a_reader_written_from_the_spec_opens_a_session_token_from_unlock(
    worker_home: tuple[Path, str, str],
    fk: Fieldkit,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    runtime_dir: bool,
) -> None:
    home, _, followup_id = worker_home
    runtime = tmp_path / "run" if runtime_dir else None
    if runtime is not None:
        runtime.mkdir(mode=0o700)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    token = fk.unlock(home)
    data_key, store_id = spec_data_key(home, "worker", PASSPHRASE)
    assert spec_session_key(token, home, store_id, runtime) == data_key
    conn = spec_open_sqlcipher(home / "worker.db", spec_session_key(token, home, store_id, runtime))
    try:
        assert_cell_note_clear_and_summary_sealed(conn, followup_id)
    finally:
        conn.close()


def test_the_spec_reader_refuses_a_session_file_whose_expiry_was_edited(
    worker_home: tuple[Path, str, str], fk: Fieldkit
) -> None:
    home, _, _ = worker_home
    token = fk.unlock(home)
    _, store_id = spec_data_key(home, "worker", PASSPHRASE)
    (path,) = (home / "sessions" / store_id).glob("*.json")
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "expires": record["expires"] + 86400}))
    with pytest.raises(InvalidTag):  # the expiry is in the associated data
        spec_session_key(token, home, store_id, None)


def test_a_reader_written_from_the_spec_unseals_a_postgresql_district_column(
    tmp_path: Path,
    fk: Fieldkit,
    pg_cluster: Cluster,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import psycopg

    dsn = pg_cluster.create_database()
    try:
        home = tmp_path / "district"
        created = fk.json(home, "district", "init", "--name", "District de test", "--database", dsn)
        case = fk.json(home, "district", "case", "add", "--name", PERSON, "--unit", "UT Nord")
        data_key, _ = spec_data_key(home, "district", PASSPHRASE)
        database = json.loads((home / "district-database.json").read_text())
        assert database["backend"] == "postgresql"
        with psycopg.connect(database["dsn"]) as conn:
            (stored,) = conn.execute(
                "SELECT value FROM case_fields WHERE case_id = %s AND field = 'display_name'",
                (case["id"],),
            ).fetchone()
            (identity,) = conn.execute("SELECT value FROM meta WHERE key = 'identity'").fetchone()
    finally:
        pg_cluster.drop_database(dsn)
    assert PERSON not in stored  # sealed: the database alone shows nothing
    row = f"{case['id']}\x1edisplay_name"
    assert json.loads(spec_unseal(data_key, "case_fields", "value", row, stored)) == PERSON
    # Bound to its place: the same value read as another field's, or another table's, fails.
    with pytest.raises(InvalidTag):
        spec_unseal(data_key, "case_fields", "value", f"{case['id']}\x1ereason", stored)
    with pytest.raises(InvalidTag):
        spec_unseal(data_key, "conflicts", "value", row, stored)
    private = base64.b64decode(spec_unseal(data_key, "meta", "value", "identity", identity))
    assert spec_fingerprint(private) == created["fingerprint"].replace(" ", "")
