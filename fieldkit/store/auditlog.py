"""The audit trail kept for its period (issue 19): its retention setting, pruning behind a
signed checkpoint, and the signed export kept apart from the data.

The CNIL recommends keeping access logs 6 months to 1 year, up to 3 years where a
documented need exists, and apart from the data (docs/security.md, "Audit retention").

- **Retention.** `audit_retention_days` in the store's settings: 365 by default, from
  180 to 1095 days; more than 365 only with a reason, kept beside it.
- **Pruning** removes the oldest events, those before a day, as one prefix of the chain
  (an event after the first one kept stays, whatever its time). A checkpoint records
  the seq and hash of the last removed event, the counts and the dates, signed with the
  store's own Ed25519 identity key (every store has one from `init`, before enrolment
  too): the chain is then checked from it (fieldkit/store/audit.py, `check`).
- **Export** writes the events from a day on as JSON lines, the last one signed over the
  SHA-256 of all the others (docs/protocol.md, "Audit export"), so that a copy kept
  elsewhere verifies with the public key alone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from fieldkit.errors import IntegrityError, InvalidValue, UsageError
from fieldkit.replica import meta
from fieldkit.replica.columns import unseal
from fieldkit.store import audit
from fieldkit.store.db import Connection, transaction

if TYPE_CHECKING:
    from fieldkit.crypto.identity import Identity, PublicIdentity

DEFAULT_RETENTION_DAYS = 365
MIN_RETENTION_DAYS = 180  # the CNIL's lower bound: 6 months
MAX_RETENTION_DAYS = 1095  # 3 years, with a documented need
RETENTION_KEY = "audit_retention_days"
REASON_KEY = "audit_retention_reason"
REASON_MAX_CHARS = 2000

PRUNE_ACTION = "audit-prune"
EXPORT_ACTION = "audit-export"
RETENTION_ACTION = "audit-retention"

EXPORT_FORMAT = "fieldkit-audit-export/1"
EXPORT_DOMAIN = b"fieldkit/audit-export/v1\x00"
KEY_FORMAT = "fieldkit-district-public-key/1"
EVENT_FIELDS = ("seq", "at", "actor", "action", "object_type", "object_id", "detail")


# Retention


@dataclass(frozen=True)
class Retention:
    days: int
    reason: str | None
    default: bool

    def as_json(self) -> dict[str, Any]:
        return {"days": self.days, "reason": self.reason, "default": self.default}


def retention(conn: Connection) -> Retention:
    days = meta.get(conn, RETENTION_KEY)
    if days is None:
        return Retention(DEFAULT_RETENTION_DAYS, None, True)
    return Retention(int(days), meta.get(conn, REASON_KEY), False)


def set_retention(conn: Connection, actor: str, days: int, reason: str | None) -> Retention:
    """Keep audit events `days` days; beyond a year only with the documented need."""
    if not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise InvalidValue(
            "auditlog.retention_range", low=MIN_RETENTION_DAYS, high=MAX_RETENTION_DAYS
        )
    reason = (reason or "").strip() or None
    if days > DEFAULT_RETENTION_DAYS and reason is None:
        raise InvalidValue("auditlog.retention_needs_reason", days=days)
    if reason is not None and len(reason) > REASON_MAX_CHARS:
        raise InvalidValue("value.too_long", field="--reason", limit=REASON_MAX_CHARS)
    with transaction(conn):
        meta.put(conn, RETENTION_KEY, days)
        if reason is None:
            meta.delete(conn, REASON_KEY)
        else:
            meta.put(conn, REASON_KEY, reason)
        detail = f"days={days}" + (" reason" if reason else "")
        audit.record(conn, actor, RETENTION_ACTION, "store", "", detail)
    return Retention(days, reason, False)


def default_before(conn: Connection, today: date) -> date:
    """The day `prune` removes events before when none is given: today less the retention."""
    from datetime import timedelta

    return today - timedelta(days=retention(conn).days)


# Pruning


@dataclass(frozen=True)
class Pruned:
    """What a prune removes (or removed): a count, its first and last events' times, the
    seq of the last one, and the checkpoint written (None when nothing was removed)."""

    before: date
    count: int
    first_at: str | None
    last_at: str | None
    last_seq: int
    checkpoint: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "before": self.before.isoformat(),
            "pruned": self.count,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "last_seq": self.last_seq or None,
            "checkpoint": self.checkpoint,
        }


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _cutoff(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def plan(conn: Connection, before: date) -> Pruned:
    """The oldest events, from the start of the chain, whose time is before `before`
    (00:00 UTC): what `prune` would remove. Stops at the first later event."""
    cutoff = _cutoff(before)
    count, first_at, last_at, last_seq = 0, None, None, 0
    for seq, at in conn.execute("SELECT seq, at FROM audit ORDER BY seq"):
        if _moment(at) >= cutoff:
            break
        count, last_at, last_seq = count + 1, at, seq
        first_at = first_at or at
    return Pruned(before, count, first_at, last_at, last_seq)


def prune(conn: Connection, actor: str, before: date, now: datetime | None = None) -> Pruned:
    """Remove the events `plan` finds, behind a new signed checkpoint, in one transaction;
    audited (the event chains on from the checkpoint). A broken chain is never pruned:
    that would destroy the evidence (IntegrityError)."""
    now = now or datetime.now(UTC)
    if before > now.date() + _one_day():
        raise InvalidValue("auditlog.before_future", field="--before")
    with transaction(conn):
        verified = audit.check(conn)
        if not verified.checkpoint_ok:
            raise IntegrityError("auditlog.checkpoint_forged")
        if verified.broken is not None:
            raise IntegrityError("auditlog.prune_broken", seq=verified.broken)
        due = plan(conn, before)
        if not due.count:
            return due
        (last_hash,) = conn.execute(
            "SELECT hash FROM audit WHERE seq = ?", (due.last_seq,)
        ).fetchone()
        previous = verified.checkpoint
        document = {
            "format": audit.CHECKPOINT_FORMAT,
            "store": meta.get(conn, "replica_id") or "",
            "last_seq": due.last_seq,
            "last_hash": last_hash,
            "pruned": due.count + (int(previous["pruned"]) if previous else 0),
            "pruned_now": due.count,
            "first_at": previous["first_at"] if previous else due.first_at,
            "last_at": due.last_at,
            "before": before.isoformat(),
            "made_at": now.isoformat(timespec="seconds"),
            "previous": _sha256(audit.canonical(previous)) if previous else None,
        }
        signature = _identity(conn).sign(audit.CHECKPOINT_DOMAIN + audit.canonical(document))
        stored = {"checkpoint": document, "signature": base64.b64encode(signature).decode()}
        audit.keep_ids(conn, due.last_seq)
        conn.execute("DELETE FROM audit WHERE seq <= ?", (due.last_seq,))
        meta.put(conn, audit.CHECKPOINT_KEY, json.dumps(stored, sort_keys=True))
        audit.record(conn, actor, PRUNE_ACTION, "store", "", f"pruned={due.count}", at=now)
    return Pruned(before, due.count, due.first_at, due.last_at, due.last_seq, document)


def _one_day():
    from datetime import timedelta

    return timedelta(days=1)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _identity(conn: Connection) -> Identity:
    from fieldkit.crypto.identity import Identity

    return Identity.from_bytes(base64.b64decode(meta.get(conn, "identity") or ""))


# Export


@dataclass(frozen=True)
class Exported:
    data: bytes
    count: int
    first_seq: int | None
    last_seq: int | None


def export(conn: Connection, since: date, now: datetime | None = None) -> Exported:
    """The events from the first one at or after `since` (00:00 UTC) to the last, as signed
    JSON lines (docs/protocol.md, "Audit export"). Refused on a broken chain."""
    now = now or datetime.now(UTC)
    verified = audit.check(conn)
    if not verified.checkpoint_ok:
        raise IntegrityError("auditlog.checkpoint_forged")
    if verified.broken is not None:
        raise IntegrityError("audit.broken", seq=verified.broken)
    cutoff = _cutoff(since)
    identity = _identity(conn)
    lines: list[bytes] = []
    first_seq = last_seq = None
    prev_hash = None
    started = False
    rows = conn.execute(
        "SELECT seq, at, actor, action, object_type, object_id, detail, prev_hash, hash"
        " FROM audit ORDER BY seq"
    )
    for seq, at, actor, action, otype, oid, detail, prev, digest in rows:
        if not started:
            if _moment(at) < cutoff:
                continue
            started, first_seq, prev_hash = True, seq, prev
        event = dict(zip(EVENT_FIELDS, (seq, at, actor, action, otype, oid), strict=False))
        event["detail"] = unseal(conn, "audit", "detail", str(seq), detail)
        event["prev_hash"], event["hash"] = prev, digest
        lines.append(_line(event))
        last_seq = seq
    stored = audit.stored_checkpoint(conn)
    header = {
        "format": EXPORT_FORMAT,
        "store": meta.get(conn, "replica_id") or "",
        "name": meta.get(conn, "district_name"),
        "fingerprint": identity.public.fingerprint_hex,
        "since": since.isoformat(),
        "exported_at": now.isoformat(timespec="seconds"),
        "events": len(lines),
        "first_seq": first_seq,
        "prev_hash": prev_hash,
        "checkpoint": {"checkpoint": stored[0], "signature": stored[1]} if stored else None,
    }
    body = _line(header) + b"".join(lines)
    digest = hashlib.sha256(body).hexdigest()
    signature = identity.sign(EXPORT_DOMAIN + digest.encode("ascii"))
    end = {"end": {"lines": len(lines) + 1, "sha256": digest}}
    end["signature"] = base64.b64encode(signature).decode()  # type: ignore[assignment]
    return Exported(body + _line(end), len(lines), first_seq, last_seq)


def record_export(conn: Connection, actor: str, exported: Exported) -> None:
    """Audit an export once its file is written (ids and counts only)."""
    with transaction(conn):
        detail = f"events={exported.count}"
        audit.record(conn, actor, EXPORT_ACTION, "store", "", detail)


def _line(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode() + (
        b"\n"
    )


@dataclass(frozen=True)
class ExportChecked:
    """An export that verified: whose it is, its events and the checkpoint it names."""

    store: str
    name: str | None
    fingerprint: str
    since: str
    exported_at: str
    events: int
    first_seq: int | None
    last_seq: int | None
    pruned: int | None  # events pruned before it, from the checkpoint it carries

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": True,
            "store": self.store,
            "name": self.name,
            "fingerprint": self.fingerprint,
            "since": self.since,
            "exported_at": self.exported_at,
            "events": self.events,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "pruned_before": self.pruned,
        }


def verify_export(data: bytes, key: PublicIdentity) -> ExportChecked:
    """Check an export with the public key alone: the last line's signature over the
    SHA-256 of every line before it, then the chain of the events it holds. Any change,
    one byte, a line removed or added, is an IntegrityError."""
    if not data.endswith(b"\n"):
        raise IntegrityError("auditlog.export_altered")
    head, _, last = data[:-1].rpartition(b"\n")
    body = head + b"\n" if head else b""
    try:
        end = json.loads(last)
        digest, lines = end["end"]["sha256"], int(end["end"]["lines"])
        signature = base64.b64decode(str(end["signature"]).encode("ascii"), validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError, RecursionError):
        raise IntegrityError("auditlog.export_altered") from None
    if not isinstance(digest, str) or hashlib.sha256(body).hexdigest() != digest:
        raise IntegrityError("auditlog.export_altered")
    if not key.verify(signature, EXPORT_DOMAIN + digest.encode("ascii")):
        raise IntegrityError("auditlog.export_other_key")
    # Signed by this key: what follows was written by fieldkit, read it strictly still.
    rows = body.split(b"\n")[:-1]
    try:
        header = json.loads(rows[0])
        events = [json.loads(row) for row in rows[1:]]
        if header["format"] != EXPORT_FORMAT or len(rows) != lines:
            raise ValueError
        if header["fingerprint"] != key.fingerprint_hex or header["events"] != len(events):
            raise ValueError
    except (ValueError, KeyError, TypeError, IndexError, RecursionError):
        raise IntegrityError("auditlog.export_altered") from None
    prev, expected = header["prev_hash"], header["first_seq"]
    for event in events:
        values = [event.get(name) for name in EVENT_FIELDS]
        if event.get("seq") != expected or event.get("prev_hash") != prev:
            raise IntegrityError("auditlog.export_broken", seq=event.get("seq"))
        if audit.digest_of(prev, *values) != event.get("hash"):
            raise IntegrityError("auditlog.export_broken", seq=event.get("seq"))
        prev, expected = event["hash"], expected + 1
    checkpoint = header.get("checkpoint")
    pruned = None
    if checkpoint:
        try:
            document, signed = checkpoint["checkpoint"], checkpoint["signature"]
            raw = base64.b64decode(str(signed).encode("ascii"), validate=True)
            good = key.verify(raw, audit.CHECKPOINT_DOMAIN + audit.canonical(document))
            pruned = int(document["pruned"])
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
            good = False
        if not good:
            raise IntegrityError("auditlog.checkpoint_forged")
    return ExportChecked(
        store=header["store"],
        name=header.get("name"),
        fingerprint=key.fingerprint,
        since=header["since"],
        exported_at=header["exported_at"],
        events=len(events),
        first_seq=header["first_seq"],
        last_seq=events[-1]["seq"] if events else None,
        pruned=pruned,
    )


# The district's public key, as a file an auditor verifies an export with


def public_key_document(conn: Connection) -> bytes:
    """The district's public key file (`district audit public-key`): its id, name,
    fingerprint and keys, as JSON."""
    identity = _identity(conn)
    document = {
        "format": KEY_FORMAT,
        "district_id": meta.get(conn, "replica_id") or "",
        "name": meta.get(conn, "district_name"),
        "fingerprint": identity.public.fingerprint,
        "keys": identity.public.to_dict(),
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"


def read_public_key(data: bytes) -> PublicIdentity:
    """The public keys of a district key file (`district audit public-key`) or of a
    district identity file (`district worker add --to-file`); UsageError for anything else."""
    from fieldkit.crypto.identity import PublicIdentity

    try:
        document = json.loads(data)
        return PublicIdentity.from_dict(document["keys"])
    except (ValueError, KeyError, TypeError, RecursionError):
        raise UsageError("auditlog.bad_key_file") from None
