"""Store-level fixtures: real SQLCipher stores with a cheap key derivation.

The Argon2id parameters are lowered to the smallest a key file accepts, so that a
test may create several stores; the CLI tests in tests/e2e/ keep the real ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldkit.crypto import keyfile
from fieldkit.store.worker import WorkerStore
from tests.conftest import PASSPHRASE

FAST_KDF = {"algorithm": "argon2id", "memory_kib": 8192, "iterations": 1, "lanes": 1}


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyfile, "KDF_PARAMS", dict(FAST_KDF))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Iterator[WorkerStore]:
    with WorkerStore.create(home, PASSPHRASE) as opened:
        yield opened
