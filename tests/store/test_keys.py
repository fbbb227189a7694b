"""The key hierarchy: passphrase policy, the key file, wrapping and rewrapping the data key."""

from __future__ import annotations

import json

import pytest

from fieldkit.crypto import keyfile as keyfile_module
from fieldkit.crypto.keyfile import KeyFile, create_keyfile, rewrap_keyfile, unlock_keyfile
from fieldkit.errors import InvalidValue, StoreError, WrongPassphrase
from fieldkit.store.access import Credentials
from fieldkit.store.db import connect, db_path
from fieldkit.store.keys import check_passphrase, keyfile_path, read_keyfile
from fieldkit.store.passphrase import change_passphrase
from fieldkit.store.session import resume_session
from fieldkit.store.worker import WorkerStore
from tests.conftest import PASSPHRASE
from tests.helpers import open_case


@pytest.mark.parametrize(
    ("passphrase", "reason"),
    [
        ("court", "passphrase.too_short"),
        ("motdepasse123", "passphrase.weak"),
        ("Administrateur", "passphrase.weak"),
        ("aaaaaaaaaaaaaaaa", "passphrase.weak"),
        ("abcdefghijklmnop", "passphrase.weak"),
        ("azertyuiopqsdf", "passphrase.weak"),
    ],
)
def test_weak_passphrases_are_refused_with_a_reason(passphrase, reason):
    with pytest.raises(InvalidValue) as refused:
        check_passphrase(passphrase)
    assert refused.value.key == reason


def test_a_weak_passphrase_creates_nothing(home):
    with pytest.raises(InvalidValue):
        WorkerStore.create(home, "court")
    assert not home.exists() or not any(home.iterdir())


@pytest.mark.parametrize(
    "passphrase",
    [PASSPHRASE, "cheval agrafe batterie", "Lüneburg-Ærøskøbing 1987", "ÉTÉ À L'ÎLE D'OLÉRON"],
)
def test_a_good_passphrase_is_accepted_and_opens_a_store(passphrase, tmp_path, monkeypatch):
    check_passphrase(passphrase)  # raises InvalidValue when refused
    monkeypatch.setattr(
        keyfile_module, "KDF_PARAMS", {**keyfile_module.KDF_PARAMS, "memory_kib": 8192}
    )
    WorkerStore.create(tmp_path / "w", passphrase).close()
    with WorkerStore.open(tmp_path / "w", Credentials(prompt=lambda: passphrase)) as store:
        assert store.status().cases == 0


def test_the_key_file_wraps_a_random_data_key_and_keeps_no_secret():
    keyfile, data_key = create_keyfile(PASSPHRASE, "worker", "store-1")
    other, other_key = create_keyfile(PASSPHRASE, "worker", "store-1")
    assert len(data_key) == 32 and data_key != other_key
    assert keyfile.salt != other.salt
    text = keyfile.to_json()
    assert data_key.hex() not in text and PASSPHRASE not in text
    stored = json.loads(text)
    assert stored["kdf"]["algorithm"] == "argon2id"
    assert unlock_keyfile(KeyFile.from_json(text), PASSPHRASE) == data_key


def test_a_wrong_passphrase_does_not_unwrap():
    keyfile, _ = create_keyfile(PASSPHRASE, "worker", "store-1")
    with pytest.raises(WrongPassphrase):
        unlock_keyfile(keyfile, PASSPHRASE + "!")


def test_a_key_file_cannot_be_moved_to_another_store():
    keyfile, _ = create_keyfile(PASSPHRASE, "worker", "store-1")
    moved = KeyFile.from_json(keyfile.to_json().replace('"store-1"', '"store-2"'))
    with pytest.raises(WrongPassphrase):
        unlock_keyfile(moved, PASSPHRASE)


def test_rewrapping_keeps_the_data_key_under_a_new_salt():
    keyfile, data_key = create_keyfile(PASSPHRASE, "worker", "store-1")
    new = rewrap_keyfile(keyfile, data_key, "une autre phrase bien longue")
    assert new.salt != keyfile.salt
    assert unlock_keyfile(new, "une autre phrase bien longue") == data_key
    with pytest.raises(WrongPassphrase):
        unlock_keyfile(new, PASSPHRASE)


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(format="autre-chose"),
        lambda d: d["kdf"].update(memory_kib=1 << 30),  # a tampered file must not make us swap
        lambda d: d["kdf"].update(iterations=10_000),
        lambda d: d["kdf"].update(algorithm="pbkdf2"),
        lambda d: d.update(salt="pas du base64 !"),
        lambda d: d.update(wrapped_key="QUJD"),
        lambda d: d.pop("store_id"),
        lambda d: d.update(kind="admin"),
    ],
)
def test_a_damaged_key_file_is_refused_as_damaged(damage):
    keyfile, _ = create_keyfile(PASSPHRASE, "worker", "store-1")
    data = json.loads(keyfile.to_json())
    damage(data)
    with pytest.raises(StoreError) as refused:
        KeyFile.from_json(json.dumps(data))
    assert refused.value.key == "store.keyfile_damaged"


def test_a_key_file_that_is_not_json_is_refused(home, store):
    keyfile_path(home, "worker").write_bytes(b"\x00\xff garbage")
    with pytest.raises(StoreError) as refused:
        read_keyfile(home, "worker")
    assert refused.value.key == "store.keyfile_damaged"


def test_no_store_gives_a_clear_error(tmp_path):
    with pytest.raises(StoreError) as missing:
        WorkerStore.open(tmp_path / "nowhere", Credentials(prompt=lambda: PASSPHRASE))
    assert missing.value.key == "store.missing"


def test_a_second_init_changes_nothing(home, store):
    before = keyfile_path(home, "worker").read_bytes()
    with pytest.raises(StoreError) as exists:
        WorkerStore.create(home, PASSPHRASE)
    assert exists.value.key == "store.exists"
    assert keyfile_path(home, "worker").read_bytes() == before


def test_changing_the_passphrase_keeps_the_data_and_ends_sessions(home, store):
    change = open_case(store)
    store.start_session(3600)
    store.close()
    new = "une nouvelle phrase pour le coffre"
    ended = change_passphrase(home, Credentials(prompt=lambda: PASSPHRASE), new)
    assert ended == 1
    with pytest.raises(WrongPassphrase):
        WorkerStore.open(home, Credentials(prompt=lambda: PASSPHRASE))
    with WorkerStore.open(home, Credentials(prompt=lambda: new)) as reopened:
        assert [c.id for c in reopened.list_cases()] == [change.case_id]
        assert "passphrase-change" in [e.action for e in reopened.audit_events()]


def test_after_a_passphrase_change_an_old_key_file_and_the_old_passphrase_open_nothing(home, store):
    change = open_case(store)
    token, _ = store.start_session(3600)
    old_key = store._data_key
    store.close()
    old_keyfile = keyfile_path(home, "worker").read_bytes()
    new = "une nouvelle phrase pour le coffre"
    change_passphrase(home, Credentials(prompt=lambda: PASSPHRASE), new)

    # The data key itself changed: the database is re-encrypted under a new one.
    new_key = unlock_keyfile(read_keyfile(home, "worker"), new)
    assert new_key != old_key
    with pytest.raises(StoreError):
        connect(db_path(home, "worker"), old_key).close()
    assert not list((home).glob("*rotation*"))

    # A copy of the old key file put back, with the old passphrase: it unwraps the old
    # key, which opens nothing any more. The session sealed under it ended.
    current = keyfile_path(home, "worker").read_bytes()
    keyfile_path(home, "worker").write_bytes(old_keyfile)
    with pytest.raises(StoreError) as refused:
        WorkerStore.open(home, Credentials(prompt=lambda: PASSPHRASE))
    assert refused.value.key == "store.damaged"
    assert resume_session(home, read_keyfile(home, "worker").store_id, token) is None
    keyfile_path(home, "worker").write_bytes(current)
    with WorkerStore.open(home, Credentials(prompt=lambda: new)) as reopened:
        assert [c.id for c in reopened.list_cases()] == [change.case_id]
        assert reopened.verify_audit()[1] is None


def test_the_new_passphrase_must_pass_the_policy(home, store):
    store.close()
    before = keyfile_path(home, "worker").read_bytes()
    with pytest.raises(InvalidValue):
        change_passphrase(home, Credentials(prompt=lambda: PASSPHRASE), "court")
    assert keyfile_path(home, "worker").read_bytes() == before


def test_kdf_parameters_are_stored_with_the_key(home, store):
    stored = read_keyfile(home, "worker").kdf
    assert (
        stored == keyfile_module.KDF_PARAMS
    )  # the (lowered) parameters of these tests, written down


def test_a_key_file_keeps_its_own_kdf_parameters_until_the_passphrase_changes(home, monkeypatch):
    # A store made when the parameters were lower opens under higher ones (each key file
    # carries its own), and a passphrase change rewraps it under the current ones.
    older = dict(keyfile_module.KDF_PARAMS)
    WorkerStore.create(home, PASSPHRASE).close()
    current = {**older, "memory_kib": older["memory_kib"] * 2, "iterations": 2}
    monkeypatch.setattr(keyfile_module, "KDF_PARAMS", current)
    with WorkerStore.open(home, Credentials(prompt=lambda: PASSPHRASE)) as store:
        assert store.status().cases == 0
    assert read_keyfile(home, "worker").kdf == older
    new = "une autre phrase pour le coffre de test"
    change_passphrase(home, Credentials(prompt=lambda: PASSPHRASE), new)
    assert read_keyfile(home, "worker").kdf == current
    WorkerStore.open(home, Credentials(prompt=lambda: new)).close()
