"""The district's confidentiality charter: its versions, the current one, and each
worker's signed acceptances (issue 17).

Every version set is kept (`charters`: its text, sealed on PostgreSQL like everything,
its SHA-256 and the day it was set); the current version is the setting
``charter.current``. Each acceptance a worker's device signed is kept whole, signature
included (`charter_acceptances`), so that anyone holding the worker's public key can
check it again later (fieldkit/crypto/charter.py gives the signed bytes).

Owns the `charters` and `charter_acceptances` tables (fieldkit/district/schema.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from fieldkit.crypto.charter import CharterAcceptance, charter_hash
from fieldkit.crypto.identity import PublicIdentity
from fieldkit.dates import now_stamp
from fieldkit.errors import InvalidValue, Refused
from fieldkit.model import WorkerStatus
from fieldkit.replica import meta
from fieldkit.replica.columns import seal, unseal
from fieldkit.store import audit
from fieldkit.store.db import Connection, transaction

CURRENT = "charter_current"
# A charter is a page or a few of text: anything longer is not the file meant.
MAX_BYTES = 64 * 1024
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")

CHARTERS_SCHEMA = """
CREATE TABLE charters (
    version TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    set_at TEXT NOT NULL
);
CREATE TABLE charter_acceptances (
    id INTEGER PRIMARY KEY,
    worker_id TEXT NOT NULL,
    version TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    at TEXT NOT NULL,
    signature TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (worker_id, sha256, at)
);
CREATE INDEX charter_acceptances_worker ON charter_acceptances (worker_id, id)
"""


@dataclass(frozen=True)
class Charter:
    """One version of the charter as the district set it."""

    version: str
    sha256: str
    text: str
    set_at: str  # ISO 8601, UTC, to the second

    def offer(self) -> dict[str, str]:
        return {"version": self.version, "sha256": self.sha256, "text": self.text}


@dataclass(frozen=True)
class CharterState:
    """Where one worker stands with the charter: what it last accepted, and whether the
    current version still waits for its acceptance."""

    accepted_version: str | None
    accepted_sha256: str | None
    at: str | None  # the acceptance time the device signed
    pending: bool

    def to_json(self) -> dict[str, object]:
        return {
            "version": self.accepted_version,
            "sha256": self.accepted_sha256,
            "at": self.at,
            "pending": self.pending,
        }


def check_version(version: str) -> str:
    version = version.strip()
    if not _VERSION.match(version):
        raise InvalidValue("charter.bad_version", version=version[:50])
    return version


def check_text(text: str) -> str:
    """The charter's text as it will be stored: refused when empty or too long."""
    if not text.strip():
        raise InvalidValue("charter.empty")
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise InvalidValue("charter.too_long", limit=MAX_BYTES // 1024)
    return text


def _charter(conn: Connection, row: tuple) -> Charter:
    return Charter(
        version=row[0],
        sha256=row[1],
        text=unseal(conn, "charters", "text", row[0], row[2]),
        set_at=row[3],
    )


def get(conn: Connection, version: str) -> Charter | None:
    """One version of the charter, or None when the district never set it."""
    row = conn.execute(
        "SELECT version, sha256, text, set_at FROM charters WHERE version = ?", (version,)
    ).fetchone()
    return _charter(conn, row) if row else None


def by_hash(conn: Connection, sha256: str) -> Charter | None:
    row = conn.execute(
        "SELECT version, sha256, text, set_at FROM charters WHERE sha256 = ?", (sha256,)
    ).fetchone()
    return _charter(conn, row) if row else None


def versions(conn: Connection) -> list[Charter]:
    """Every version set, oldest first."""
    rows = conn.execute("SELECT version, sha256, text, set_at FROM charters").fetchall()
    return sorted((_charter(conn, r) for r in rows), key=lambda c: (c.set_at, c.version))


def current(conn: Connection) -> Charter | None:
    """The charter in force: the version set last; None before the first."""
    version = meta.get(conn, CURRENT)
    return get(conn, version) if version else None


def set_charter(
    conn: Connection, text: str, version: str, *, at: datetime | None = None
) -> Charter:
    """`text` as the charter's `version`, made current; audited.

    Refused when the version was already set with another text, or this text under
    another version. Setting again a version with its own text makes it current again.
    """
    version = check_version(version)
    text = check_text(text)
    sha256 = charter_hash(text)
    stamp = (at or datetime.now(UTC)).isoformat(timespec="seconds")
    with transaction(conn):
        known = get(conn, version)
        if known is not None and known.sha256 != sha256:
            raise InvalidValue("charter.version_taken", version=version)
        same = by_hash(conn, sha256)
        if same is not None and same.version != version:
            raise InvalidValue("charter.same_text", version=same.version)
        if known is None:
            conn.execute(
                "INSERT INTO charters (version, sha256, text, set_at) VALUES (?, ?, ?, ?)",
                (version, sha256, seal(conn, "charters", "text", version, text), stamp),
            )
        meta.put(conn, CURRENT, version)
        audit.record(conn, "district", "charter-set", "charter", version, sha256, at=at)
    found = get(conn, version)
    assert found is not None
    return found


def record_acceptance(
    conn: Connection,
    worker_id: str,
    acceptance: CharterAcceptance,
    public: PublicIdentity,
) -> None:
    """Keep a worker's signed acceptance, inside the caller's transaction; audited.

    Raises Refused ("charter.other_worker", "charter.unknown_text",
    "charter.bad_signature") when it is not this worker's, names a text the district
    never set (or under another version), or its signature does not verify with
    `public`. The same acceptance received again is kept once.
    """
    if acceptance.worker_id != worker_id:
        raise Refused("charter.other_worker")
    known = by_hash(conn, acceptance.sha256)
    if known is None or known.version != acceptance.version:
        raise Refused("charter.unknown_text")
    if not acceptance.verify(public):
        raise Refused("charter.bad_signature")
    added = conn.execute(
        "INSERT INTO charter_acceptances"
        " (worker_id, version, sha256, at, signature, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (worker_id, sha256, at) DO NOTHING",
        (
            worker_id,
            acceptance.version,
            acceptance.sha256,
            acceptance.at,
            acceptance.signature,
            now_stamp(),
        ),
    ).rowcount
    if added:
        audit.record(
            conn, "district", "charter-accept", "worker", worker_id, f"version={known.version}"
        )


def acceptances(conn: Connection, worker_id: str) -> list[CharterAcceptance]:
    """Every acceptance kept for this worker, in the order received."""
    rows = conn.execute(
        "SELECT version, sha256, worker_id, at, signature FROM charter_acceptances"
        " WHERE worker_id = ? ORDER BY id",
        (worker_id,),
    ).fetchall()
    return [
        CharterAcceptance(version=r[0], sha256=r[1], worker_id=r[2], at=r[3], signature=r[4])
        for r in rows
    ]


def _state(accepted: list[tuple], now: Charter | None, revoked: bool) -> CharterState:
    """From a worker's acceptances (version, sha256, at; oldest first): the one of the
    current text if any, else the latest."""
    of_current = [a for a in accepted if now is not None and a[1] == now.sha256]
    shown = (of_current or accepted or [None])[-1]
    pending = now is not None and not of_current and not revoked
    if shown is None:
        return CharterState(None, None, None, pending)
    return CharterState(shown[0], shown[1], shown[2], pending)


def state_of(conn: Connection, worker_id: str) -> CharterState:
    """Where this worker stands (not pending when revoked or when no charter is set)."""
    from fieldkit.district import workers  # here: workers may call this module

    now = current(conn)
    rows = conn.execute(
        "SELECT version, sha256, at FROM charter_acceptances WHERE worker_id = ? ORDER BY id",
        (worker_id,),
    ).fetchall()
    revoked = workers.get(conn, worker_id).worker.status == WorkerStatus.REVOKED
    return _state([tuple(r) for r in rows], now, revoked)


def worker_states(conn: Connection) -> dict[str, CharterState]:
    """Every worker's charter state, by worker id (revoked workers are never pending)."""
    from fieldkit.district import workers  # here: workers may call this module

    now = current(conn)
    by_worker: dict[str, list[tuple]] = {}
    rows = conn.execute(
        "SELECT worker_id, version, sha256, at FROM charter_acceptances ORDER BY id"
    ).fetchall()
    for row in rows:
        by_worker.setdefault(row[0], []).append((row[1], row[2], row[3]))
    return {
        record.worker.id: _state(
            by_worker.get(record.worker.id, []),
            now,
            record.worker.status == WorkerStatus.REVOKED,
        )
        for record in workers.listing(conn)
    }


def offer_for(conn: Connection, worker_id: str) -> Charter | None:
    """The current charter when this worker has not accepted its text yet; else None."""
    now = current(conn)
    if now is None:
        return None
    row = conn.execute(
        "SELECT 1 FROM charter_acceptances WHERE worker_id = ? AND sha256 = ?",
        (worker_id, now.sha256),
    ).fetchone()
    return None if row else now


def acceptors(conn: Connection, sha256: str) -> set[str]:
    """The workers that accepted the text named `sha256`."""
    rows = conn.execute(
        "SELECT DISTINCT worker_id FROM charter_acceptances WHERE sha256 = ?", (sha256,)
    ).fetchall()
    return {row[0] for row in rows}
