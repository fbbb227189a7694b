"""Working sessions and the journal of failed unlocks, below the CLI."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from fieldkit.errors import LOCKED, InvalidValue, Locked, WrongPassphrase
from fieldkit.store import access
from fieldkit.store.access import FAILED_UNLOCKS, Credentials
from fieldkit.store.session import (
    MAX_TTL_SECONDS,
    SESSION_ENV,
    end_sessions,
    resume_session,
    sessions_dir,
    start_session,
)
from fieldkit.store.worker import WorkerStore
from tests.conftest import PASSPHRASE

KEY = bytes(range(32))


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_session_gives_back_the_key_until_it_expires(tmp_path):
    clock = Clock(1_000_000.0)
    token, expires = start_session(tmp_path, "store-1", KEY, 60, now=clock)
    assert expires == 1_000_060
    assert resume_session(tmp_path, "store-1", token, now=clock) == (KEY, expires)
    clock.now = 1_000_059.9
    assert resume_session(tmp_path, "store-1", token, now=clock) is not None
    clock.now = 1_000_060.0
    assert resume_session(tmp_path, "store-1", token, now=clock) is None
    assert list(sessions_dir(tmp_path, "store-1").iterdir()) == []  # the expired file is gone


def test_the_session_file_never_holds_the_key_in_clear(tmp_path):
    token, _ = start_session(tmp_path, "store-1", KEY, 60)
    [path] = sessions_dir(tmp_path, "store-1").iterdir()
    raw = path.read_bytes()
    for form in (KEY, KEY.hex().encode(), base64.b64encode(KEY), base64.urlsafe_b64encode(KEY)):
        assert form not in raw
    secret = token.removeprefix("fks1_").encode()
    assert secret not in raw  # the token's secret lives only in the shell


def test_a_tampered_token_is_refused(tmp_path):
    token, _ = start_session(tmp_path, "store-1", KEY, 60)
    raw = bytearray(base64.urlsafe_b64decode(token.removeprefix("fks1_")))
    raw[-1] ^= 1
    tampered = "fks1_" + base64.urlsafe_b64encode(bytes(raw)).decode()
    assert resume_session(tmp_path, "store-1", tampered) is None
    for junk in ("", "fks1_", "fks1_!!!", "fks2_" + token[5:], token[:-4]):
        assert resume_session(tmp_path, "store-1", junk) is None


def test_a_token_of_another_store_is_refused(tmp_path):
    token, _ = start_session(tmp_path, "store-1", KEY, 60)
    # Even with the file copied beside the other store, the store id is bound to the key.
    for path in sessions_dir(tmp_path, "store-1").iterdir():
        target = sessions_dir(tmp_path, "store-2")
        target.mkdir(parents=True, exist_ok=True)
        (target / path.name).write_bytes(path.read_bytes())
    assert resume_session(tmp_path, "store-2", token) is None


def test_an_edited_expiry_is_refused(tmp_path):
    token, _ = start_session(tmp_path, "store-1", KEY, 60)
    [path] = sessions_dir(tmp_path, "store-1").iterdir()
    record = json.loads(path.read_text())
    record["expires"] += 3600
    path.write_text(json.dumps(record))
    assert resume_session(tmp_path, "store-1", token) is None


@pytest.mark.parametrize("ttl", [0, -1, MAX_TTL_SECONDS + 1, 10**15])
def test_a_session_is_neither_empty_nor_endless(tmp_path, ttl):
    with pytest.raises(InvalidValue):
        start_session(tmp_path, "store-1", KEY, ttl)
    assert not sessions_dir(tmp_path, "store-1").exists()


def test_a_session_of_the_longest_allowed_length_works(tmp_path):
    token, expires = start_session(tmp_path, "store-1", KEY, MAX_TTL_SECONDS, now=Clock(0.0))
    assert expires == MAX_TTL_SECONDS
    assert resume_session(tmp_path, "store-1", token, now=Clock(1.0)) is not None


def test_ending_sessions_ends_them_all(tmp_path):
    tokens = [start_session(tmp_path, "store-1", KEY, 60)[0] for _ in range(3)]
    assert end_sessions(tmp_path, "store-1") == 3
    assert all(resume_session(tmp_path, "store-1", t) is None for t in tokens)
    assert end_sessions(tmp_path, "store-1") == 0


def test_sessions_go_to_the_runtime_dir_when_there_is_one(tmp_path, monkeypatch):
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    home = tmp_path / "home"
    home.mkdir()
    token, _ = start_session(home, "store-1", KEY, 60)
    assert not (home / "sessions").exists()
    assert len(list((runtime / "fieldkit" / "store-1").iterdir())) == 1
    assert resume_session(home, "store-1", token) is not None


def test_a_store_opens_with_a_session_and_no_passphrase(home, store, monkeypatch):
    token, _ = store.start_session(60)
    store.close()
    monkeypatch.setenv(SESSION_ENV, token)
    with WorkerStore.open(home, Credentials()) as opened:
        assert opened.session_expires is not None
    with WorkerStore.open(home, Credentials()) as opened:
        opened.end_sessions()
    with pytest.raises(Locked) as locked:
        WorkerStore.open(home, Credentials())
    assert locked.value.key == "store.locked"


def test_the_session_key_is_the_store_data_key(home, store, monkeypatch):
    token, _ = store.start_session(60)
    store.close()
    by_passphrase = access.data_key(home, "worker", Credentials(prompt=lambda: PASSPHRASE))
    monkeypatch.setenv(SESSION_ENV, token)
    by_session = access.data_key(home, "worker", Credentials())
    assert by_session.data_key == by_passphrase.data_key
    assert by_session.session_expires is not None and by_passphrase.session_expires is None


def test_failed_unlocks_are_noted_then_moved_into_the_audit_trail(home, store):
    store.close()
    for _ in range(2):
        with pytest.raises(WrongPassphrase):
            WorkerStore.open(home, Credentials(prompt=lambda: "pas la bonne phrase"))
    journal = home / FAILED_UNLOCKS
    assert len(journal.read_text().splitlines()) == 2
    with WorkerStore.open(home, Credentials(prompt=lambda: PASSPHRASE)) as opened:
        actions = [e.action for e in opened.audit_events()]
    assert actions.count("unlock-failed") == 2
    assert actions[-1] == "unlock"
    assert not journal.exists()


def test_no_passphrase_and_no_session_is_locked(home, store):
    store.close()
    with pytest.raises(Locked) as locked:
        WorkerStore.open(home, Credentials())
    assert locked.value.exit_code == LOCKED
    assert not Path(home / FAILED_UNLOCKS).exists()
