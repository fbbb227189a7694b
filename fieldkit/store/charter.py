"""The device's side of the confidentiality charter (issue 17): the charter the district
offered at a sync, this worker's signed acceptance waiting to leave, and the reason the
district gave when it refused one.

All kept in the device's settings (fieldkit/replica/meta.py):

- ``charter_offer``: {"version", "sha256", "text"} as the last reply offered it; gone once
  a reply offers nothing (the district holds this worker's acceptance of its current text);
- ``charter_acceptance``: the signed acceptance (fieldkit/crypto/charter.py), sent in each
  request until a reply no longer offers that text;
- ``charter_refused``: the message key of the district's reason for refusing the last one;
- ``charter_accepted``: {"version", "sha256", "at", "text"} of the last acceptance the
  district took (the text, to read it again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fieldkit.crypto.charter import CharterAcceptance, accept, charter_hash
from fieldkit.errors import InvalidValue, NotFound
from fieldkit.replica import meta
from fieldkit.store import audit
from fieldkit.store.db import Connection, transaction

if TYPE_CHECKING:
    from fieldkit.store.worker import WorkerStore

OFFER = "charter_offer"
ACCEPTANCE = "charter_acceptance"
REFUSED = "charter_refused"
ACCEPTED = "charter_accepted"


@dataclass(frozen=True)
class Offer:
    version: str
    sha256: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"version": self.version, "sha256": self.sha256, "text": self.text}


def offered(conn: Connection) -> Offer | None:
    """The charter the district offered this device, not yet taken as accepted."""
    raw = meta.get(conn, OFFER)
    if not raw:
        return None
    data = json.loads(raw)
    return Offer(data["version"], data["sha256"], data["text"])


def queued(conn: Connection) -> CharterAcceptance | None:
    """The acceptance waiting to leave, or None."""
    raw = meta.get(conn, ACCEPTANCE)
    return CharterAcceptance.model_validate_json(raw) if raw else None


def refused(conn: Connection) -> str | None:
    return meta.get(conn, REFUSED)


def offer_text(conn: Connection, sha256: str) -> str:
    """The offered text, when it is the one named `sha256`; else ""."""
    offer = offered(conn)
    return offer.text if offer is not None and offer.sha256 == sha256 else ""


def accepted(conn: Connection) -> dict[str, str] | None:
    """The last acceptance the district took: {"version", "sha256", "at", "text"}."""
    raw = meta.get(conn, ACCEPTED)
    return json.loads(raw) if raw else None


def pending(conn: Connection) -> Offer | None:
    """The offer still waiting for this worker's acceptance (none queued for its text)."""
    offer = offered(conn)
    waiting = queued(conn)
    if offer is None or (waiting is not None and waiting.sha256 == offer.sha256):
        return None
    return offer


def accept_offer(
    store: WorkerStore, sha256: str, *, at: datetime | None = None
) -> CharterAcceptance:
    """This worker's acceptance of the offered text named `sha256`, signed with the
    device's key and queued for the next sync; audited.

    InvalidValue when `sha256` names another text than the one offered; NotFound when
    nothing is offered.
    """
    conn = store.conn
    offer = offered(conn)
    if offer is None:
        raise NotFound("charter.none_offered")
    if sha256.strip().lower() != offer.sha256 or charter_hash(offer.text) != offer.sha256:
        raise InvalidValue("charter.wrong_hash", sha256=offer.sha256)
    worker_id = store.worker_id
    if worker_id is None:
        raise NotFound("charter.none_offered")
    acceptance = accept(
        store.identity(), offer.version, offer.sha256, worker_id, at or datetime.now(UTC)
    )
    with transaction(conn):
        meta.put(conn, ACCEPTANCE, acceptance.model_dump_json())
        meta.delete(conn, REFUSED)
        audit.record(conn, store.author, "charter-accept", "charter", offer.version, offer.sha256)
    return acceptance


def take_reply(conn: Connection, offer: dict[str, str] | None, refused_reason: str) -> None:
    """What a sync reply says of the charter, inside the reply's transaction.

    No offer: the district holds this worker's acceptance of its current text, so the
    queued one (if any) has been taken. An offer with a refusal: the queued acceptance
    is dropped, the reason kept. An offer of another text than the queued acceptance's:
    that one is out of date and dropped (a new version waits). Otherwise the acceptance
    stays queued (a reply to a request that did not carry it yet, by file say).
    """
    waiting = queued(conn)
    if offer is None:
        if waiting is not None:
            meta.put(
                conn,
                ACCEPTED,
                json.dumps(
                    {
                        "version": waiting.version,
                        "sha256": waiting.sha256,
                        "at": waiting.at,
                        "text": offer_text(conn, waiting.sha256),
                    }
                ),
            )
        meta.delete(conn, OFFER)
        meta.delete(conn, ACCEPTANCE)
        meta.delete(conn, REFUSED)
        return
    meta.put(conn, OFFER, json.dumps(offer, sort_keys=True))
    if refused_reason:
        meta.put(conn, REFUSED, refused_reason)
        meta.delete(conn, ACCEPTANCE)
    elif waiting is not None and waiting.sha256 != offer["sha256"]:
        meta.delete(conn, ACCEPTANCE)


def standing(conn: Connection) -> dict[str, str] | None:
    """Where this worker stands, for `status`: {"status", "version", "sha256"}, status one
    of "pending" (to accept), "queued" (accepted, not sent yet), "accepted"; None when
    the district never offered one."""
    offer = offered(conn)
    if offer is not None:
        waiting = queued(conn)
        status = "queued" if waiting is not None and waiting.sha256 == offer.sha256 else "pending"
        return {"status": status, "version": offer.version, "sha256": offer.sha256}
    done = accepted(conn)
    if done is not None:
        return {"status": "accepted", "version": done["version"], "sha256": done["sha256"]}
    return None
