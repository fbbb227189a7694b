"""The district's half of the short enrolment code (issue 17): issuing it with its
identity document, and finding that document again from the worker's lookup value.

Owns the `enrol_offers` table (fieldkit/district/schema.py). The code itself is shown
once and never stored: the district keeps the secret's hash (fieldkit/district/workers.py)
and the document, keyed by the lookup value. Formats: docs/protocol.md, "Enrolment".
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from fieldkit.crypto import enrolment as enrolment_crypto
from fieldkit.district import workers
from fieldkit.errors import Refused
from fieldkit.model import Worker, WorkerStatus
from fieldkit.replica import meta
from fieldkit.replica.columns import seal, unseal
from fieldkit.store.db import Connection, transaction
from fieldkit.sync.enrolment import (
    IDENTITY_FORMAT,
    CharterOffer,
    DistrictIdentity,
    encode_short,
    identity_document,
)


@dataclass(frozen=True)
class Issued:
    """A worker just added: its code (shown once), the document the code commits to."""

    worker: Worker
    code: str
    document: bytes
    expires: int
    charter: CharterOffer | None

    def __repr__(self) -> str:  # the code is a secret: never in a log or a traceback
        return f"Issued(worker={self.worker.id})"


def current_charter(conn: Connection) -> CharterOffer | None:
    """The charter the district asks new workers to accept, if one is set."""
    from fieldkit.district import charter

    current = charter.current(conn)
    if current is None:
        return None
    return CharterOffer(version=current.version, sha256=current.sha256, text=current.text)


def issue(
    conn: Connection, name: str, unit: str, ttl_hours: int, district_keys: dict[str, str]
) -> Issued:
    """A new pending worker, its short code and the identity document it commits to."""
    secret = secrets.token_bytes(enrolment_crypto.SECRET_BYTES)
    charter = current_charter(conn)
    with transaction(conn):
        worker_id, expires = workers.insert_pending(
            conn, name, unit, ttl_hours, enrolment_crypto.secret_text(secret)
        )
        identity = DistrictIdentity(
            format=IDENTITY_FORMAT,
            district_id=meta.get(conn, "replica_id") or "",
            name=meta.get(conn, "district_name") or "",
            url=meta.get(conn, "url"),
            tls_fingerprint=meta.get(conn, "tls_fingerprint"),
            keys=district_keys,
            worker_id=worker_id,
            expires=expires,
            charter=charter,
        )
        document = identity_document(identity)
        # The district's name and the charter: sealed on PostgreSQL, like every text.
        lookup, text = enrolment_crypto.lookup(secret), document.decode()
        conn.execute(
            "INSERT INTO enrol_offers (lookup, worker_id, document, expires) VALUES (?, ?, ?, ?)",
            (lookup, worker_id, seal(conn, "enrol_offers", "document", lookup, text), expires),
        )
    code = encode_short(secret, enrolment_crypto.commitment(secret, document))
    worker = workers.get(conn, worker_id).worker
    return Issued(worker=worker, code=code, document=document, expires=expires, charter=charter)


def document_for(conn: Connection, lookup: str, now: float | None = None) -> bytes:
    """The identity document of the pending worker whose code gives `lookup`; Refused
    (one answer for every reason: unknown, spent, expired, revoked) otherwise."""
    row = conn.execute(
        "SELECT worker_id, document, expires FROM enrol_offers WHERE lookup = ?", (lookup,)
    ).fetchone()
    moment = int(time.time() if now is None else now)
    if row is None or row[2] < moment:
        raise Refused("enrol.unknown_code")
    record = workers.get(conn, row[0])
    pending = record.worker.status == WorkerStatus.PENDING and not record.code_used
    if not pending or record.code_expires < moment:
        raise Refused("enrol.unknown_code")
    return unseal(conn, "enrol_offers", "document", lookup, row[1]).encode()
