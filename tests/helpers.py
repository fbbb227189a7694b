"""Shared helpers of the tests: district changes as sync delivers them, raw SQLCipher pages.

`open_case_change` builds the district's "case open" change the way sync hands it to a
worker store, and `open_case` applies it through `WorkerStore.apply_remote`, the
function sync calls. `decrypt_sqlcipher_pages` reads a store file page by page with
its raw data key, so that a test can prove some text is (or is no longer) inside it.
"""

from __future__ import annotations

import re
import time
import uuid
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fieldkit.model import Change
from fieldkit.replica import changelog
from fieldkit.replica import clock as clock_module
from fieldkit.replica.clock import HybridClock
from fieldkit.store.access import Credentials
from fieldkit.store.worker import WorkerStore

DISTRICT_ORIGIN = "d-test"
DISTRICT_AUTHOR = "district-admin"

# SQLCipher 4 defaults (checked by tests/store/test_encryption.py against PRAGMA cipher_settings).
SQLCIPHER_PAGE_SIZE = 4096
SQLCIPHER_SALT_BYTES = 16
SQLCIPHER_IV_BYTES = 16
SQLCIPHER_RESERVE = SQLCIPHER_IV_BYTES + 64  # IV + HMAC-SHA512
WAL_HEADER_BYTES = 32
WAL_FRAME_HEADER_BYTES = 24

# The district's clock: every change it stamps sorts after the one before, as on a real replica.
_DISTRICT_CLOCK = HybridClock()


def district_change(
    *,
    seq: int,
    case_id: str,
    op: str,
    fields: dict[str, Any],
    entity: str = "case",
    entity_id: str | None = None,
    base: dict[str, str | None] | None = None,
    hlc: str | None = None,
    origin: str = DISTRICT_ORIGIN,
    author: str = DISTRICT_AUTHOR,
) -> Change:
    """One change of the district replica, as a bundle carries it."""
    return Change(
        id=f"{origin}:{seq}",
        origin=origin,
        seq=seq,
        hlc=hlc or _DISTRICT_CLOCK.tick(),
        entity=entity,
        entity_id=entity_id or case_id,
        case_id=case_id,
        op=op,
        fields=fields,
        base=base or {},
        author=author,
    )


def open_case_change(
    *,
    seq: int = 1,
    case_id: str | None = None,
    reference: str = "CO-2026-0042",
    display_name: str = "Camille Martin",
    unit: str = "UT Nord",
    status: str = "active",
    priority: str = "normal",
    next_review: date | None = None,
    assignees: list[dict[str, Any]] | None = None,
    hlc: str | None = None,
    origin: str = DISTRICT_ORIGIN,
    **extra: Any,
) -> Change:
    """The district's "case open" change: every field the worker needs to follow the case."""
    fields: dict[str, Any] = {
        "reference": reference,
        "display_name": display_name,
        "unit": unit,
        "status": status,
        "priority": priority,
        "birth_year": 2006,
        "referral_date": (date.today() - timedelta(days=30)).isoformat(),
        "referral_source": "Éducation nationale",
        "reason": "Propos inquiétants relevés au lycée",
        "next_review": next_review.isoformat() if next_review else None,
        "assignees": assignees
        if assignees is not None
        else [{"id": "w-test", "name": "Claire Dubois", "lead": True}],
    }
    fields.update(extra)
    return district_change(
        seq=seq,
        case_id=case_id or uuid.uuid4().hex,
        op="open",
        fields=fields,
        hlc=hlc,
        origin=origin,
    )


def next_district_seq(store: WorkerStore, origin: str = DISTRICT_ORIGIN) -> int:
    """The next sequence number of the district replica, as this store has seen it."""
    return changelog.max_seq(store.conn, origin) + 1


def open_case(store: WorkerStore, **fields: Any) -> Change:
    """Open a case in a worker store through the sync-apply function."""
    change = open_case_change(
        seq=next_district_seq(store, fields.get("origin", DISTRICT_ORIGIN)), **fields
    )
    result = store.apply_remote([change])
    assert result.applied == 1, result
    return change


def open_case_in_home(home: Path, passphrase: str, **fields: Any) -> Change:
    """Open a case in the worker store under `home`, unlocking it with `passphrase`."""
    with WorkerStore.open(home, Credentials(prompt=lambda: passphrase)) as store:
        return open_case(store, **fields)


def _decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def decrypt_page(page: bytes, data_key: bytes, *, first: bool) -> bytes:
    """The plaintext of one SQLCipher 4 page (the first page's salt is left out)."""
    end = SQLCIPHER_PAGE_SIZE - SQLCIPHER_RESERVE
    iv = page[end : end + SQLCIPHER_IV_BYTES]
    start = SQLCIPHER_SALT_BYTES if first else 0
    return _decrypt(data_key, iv, page[start:end])


def decrypt_sqlcipher_pages(path: Path, data_key: bytes) -> bytes:
    """Every page of an SQLCipher 4 database file (default settings, raw key), decrypted.

    AES-256-CBC with the raw 32-byte key; each page keeps its IV (16 bytes) and
    HMAC-SHA512 (64 bytes) in an 80-byte reserve at its end; page 1 starts with the
    16-byte salt, which is not encrypted.
    """
    raw = Path(path).read_bytes()
    if len(raw) % SQLCIPHER_PAGE_SIZE:
        raise ValueError(f"{path}: {len(raw)} bytes is not a whole number of pages")
    return b"".join(
        decrypt_page(raw[offset : offset + SQLCIPHER_PAGE_SIZE], data_key, first=offset == 0)
        for offset in range(0, len(raw), SQLCIPHER_PAGE_SIZE)
    )


def decrypt_sqlcipher_wal(path: Path, data_key: bytes) -> bytes:
    """Every frame of an SQLCipher WAL file, decrypted (the WAL keeps whole encrypted pages)."""
    raw = Path(path).read_bytes()
    frame = WAL_FRAME_HEADER_BYTES + SQLCIPHER_PAGE_SIZE
    pages = []
    for offset in range(WAL_HEADER_BYTES, len(raw) - frame + 1, frame):
        page_no = int.from_bytes(raw[offset : offset + 4], "big")
        page = raw[offset + WAL_FRAME_HEADER_BYTES : offset + frame]
        pages.append(decrypt_page(page, data_key, first=page_no == 1))
    return b"".join(pages)


class Clock:
    """The wall clock the HLC reads (fieldkit/replica/clock.py), set to a chosen instant."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at: datetime | None = None
        monkeypatch.setattr(clock_module, "time", self)

    def set(self, days_ago: float) -> None:
        self.at = datetime.now(UTC) - timedelta(days=days_ago)

    def real(self) -> None:
        self.at = None

    def time_ns(self) -> int:
        if self.at is None:
            return time.time_ns()
        return int(self.at.timestamp() * 1000) * 1_000_000


def pdf_streams(data: bytes) -> list[bytes]:
    """Every stream of a PDF, inflated when it is compressed.

    A stream's end is where its zlib data ends, not the first "endstream" after it: a
    compressed stream may itself end in a carriage-return byte, which a pattern such as
    ``stream\\r?\\n(.*?)\\r?\\nendstream`` would cut off, one sheet in 256.
    """
    streams: list[bytes] = []
    view = memoryview(data)
    for found in re.finditer(rb"(?<!end)stream\r?\n", data):
        inflate = zlib.decompressobj()
        try:
            content = inflate.decompress(view[found.end() :])
        except zlib.error:
            content = b""
        if inflate.eof:
            streams.append(content)
            continue
        end = data.find(b"endstream", found.end())
        streams.append(data[found.end() : end].rstrip(b"\r\n"))
    return streams
