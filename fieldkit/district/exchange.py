"""The district's half of the protocol: enrolment requests in, sync bundles in, replies out.

One incoming bundle is handled in one transaction: verified (before any decryption),
checked against replay, authorised change by change, applied, acknowledged, and the
reply is built from the same state. A refused worker's bundle changes nothing here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fieldkit.district import authorise, charter, refusals, sealing, workers
from fieldkit.district import cases as district_cases
from fieldkit.district.workers import WorkerRecord
from fieldkit.errors import BundleRejected, NotFound, Refused
from fieldkit.model import Change, WorkerStatus
from fieldkit.replica import changelog, clock, grants, merge
from fieldkit.replica.digest import state_digest
from fieldkit.store import audit
from fieldkit.store.db import transaction
from fieldkit.sync.bundle import BundleHeader, encode_bundle, open_bundle, read_header
from fieldkit.sync.enrolment import ENROL_MAGIC, check_proof, read_request
from fieldkit.sync.payload import (
    CLOCK_AHEAD,
    CharterOffer,
    EnrolReply,
    RecoveryKey,
    Refusal,
    SyncReply,
    SyncRequest,
    decode,
    encode,
)

if TYPE_CHECKING:
    from fieldkit.district.store import DistrictStore

# Changes a district sends in one reply; the worker comes back for the rest.
MAX_REPLY_CHANGES = 100_000


@dataclass
class Outcome:
    """What happened to one incoming bundle, for the caller to report (ids and counts only)."""

    reply: bytes
    kind: str
    worker_id: str
    received: int = 0
    applied: int = 0
    refused: int = 0
    sent: int = 0
    purge: int = 0
    refused_worker: bool = False
    fingerprint: str = ""
    notes: list[str] = field(default_factory=list)


def handle(store: DistrictStore, data: bytes, *, accept_revoked: bool = False) -> Outcome:
    """Handle one incoming bundle or enrolment request; raises BundleRejected or Refused.

    A revoked worker's bundle gets a wipe notice and changes nothing, unless a coordinator
    imports a device's sealed handover file with `accept_revoked`.
    """
    if data[: len(ENROL_MAGIC)] == ENROL_MAGIC:
        return _enrol(store, data)
    header = read_header(data)
    record = workers.by_replica(store.conn, header.sender)
    if record is None:
        raise Refused("sync.unknown_worker")
    public = record.public_identity()
    identity = store.identity()
    header, payload = open_bundle(
        data,
        recipient=identity,
        recipient_id=store.replica_id,
        sender_key=lambda sender: public if sender == record.replica_id else None,
    )
    if header.kind != "sync":
        raise BundleRejected("bundle.unexpected_kind", kind=header.kind)
    if header.counter <= record.counter_in:
        raise BundleRejected("bundle.replayed", counter=header.counter)
    request = decode(SyncRequest, payload)
    if record.worker.status == WorkerStatus.REVOKED:
        if accept_revoked:
            return _handover(store, record, header, request)
        return _wipe_notice(store, record)
    if record.worker.status == WorkerStatus.PENDING:
        raise Refused("sync.unknown_worker")
    return _sync(store, record, header, request)


def admit(store: DistrictStore, header: BundleHeader) -> str:
    """The worker id of a sync bundle's sender, from its UNVERIFIED header, before its
    body is read (fieldkit/district/server.py); Refused for a sender that is not an
    enrolled worker. Only a pre-filter: `handle` verifies the whole bundle again. A
    revoked worker passes, since its answer is a wipe notice that only a bundle with
    its valid signature earns.
    """
    record = workers.by_replica(store.conn, header.sender)
    if record is None or record.worker.status == WorkerStatus.PENDING:
        raise Refused("sync.unknown_worker")
    return record.worker.id


def _sync(
    store: DistrictStore, record: WorkerRecord, header: BundleHeader, request: SyncRequest
) -> Outcome:
    conn = store.conn
    worker_id = record.worker.id
    origin = record.replica_id or ""
    work = [c for c in request.changes if c.entity not in changelog.PLUMBING]
    outcome = Outcome(reply=b"", kind="reply", worker_id=worker_id, received=len(work))
    refused: list[Refusal] = []
    with transaction(conn):
        # Read again under the write lock: two processes handed the same bundle at once
        # (two `sync-file` runs, say) must not both get past the replay check.
        record = workers.get(conn, worker_id)
        if header.counter <= record.counter_in:
            raise BundleRejected("bundle.replayed", counter=header.counter)
        # A change stamped too far ahead of this clock is refused before the clock sees it,
        # and neither applied nor acknowledged: it stays queued on the device, which stamps
        # it again once its own clock is right (fieldkit/replica/merge.py, `restamp`).
        now = clock.wall_clock_ms()
        ahead = {c.id for c in request.changes if clock.too_far_ahead(c.hlc, now)}
        changelog.observe(conn, [c for c in request.changes if c.id not in ahead])
        assigned = set(district_cases.assigned(conn, worker_id))
        for change in sorted(request.changes, key=lambda c: c.seq):
            if change.id in ahead:
                refused.append(Refusal(change_id=change.id, reason=CLOCK_AHEAD))
                continue
            reason = authorise.refusal_reason(conn, change, origin, worker_id, assigned)
            if reason is None:
                applied = merge.apply(conn, change) is not None
                if applied and change.entity not in changelog.PLUMBING:
                    outcome.applied += 1
                continue
            if change.entity == grants.ENTITY:
                refusals.record(conn, worker_id, change, reason, status=refusals.DROPPED)
                continue
            if refusals.record(conn, worker_id, change, reason):
                refused.append(Refusal(change_id=change.id, reason=reason))
        refusals.mark_notified(conn, worker_id, request.decided)
        # After the changes, and never in their way: a bad acceptance is refused with its
        # reason, and the work the bundle carried is taken all the same (issue 17).
        charter_refused = _take_acceptance(conn, record, request)
        acked = _contiguous_ack(conn, origin, worker_id, record.acked_seq)
        counter_out = record.counter_out + 1

        open_cases = district_cases.open_among(conn, assigned)
        holding = set(request.holding)
        # Cases sealed since this device took them (`district seal-team-texts`): their
        # whole history again, for the device to take in place of its clear copy.
        retake = sealing.to_retake(conn, worker_id, holding, request.retaken) & open_cases
        fresh = open_cases if request.resync else (open_cases - holding) | retake
        purge = sorted(holding - open_cases)
        outgoing = _outgoing(conn, header.cursor, open_cases, fresh, origin)
        cursor = changelog.last_idx(conn)
        if len(outgoing) > MAX_REPLY_CHANGES:
            outgoing = outgoing[:MAX_REPLY_CHANGES]
            cursor = outgoing[-1][0]
            retake = set()  # not whole: taken again once the rest has come
        digest = state_digest(conn, open_cases) if len(outgoing) < MAX_REPLY_CHANGES else ""
        workers.record_sync(
            conn, worker_id, acked=acked, counter_in=header.counter, counter_out=counter_out
        )
        outcome.sent, outcome.purge, outcome.refused = len(outgoing), len(purge), len(refused)
        detail = (
            f"in={outcome.received} applied={outcome.applied} refused={outcome.refused}"
            f" out={outcome.sent} purge={outcome.purge}"
        )
        if ahead:
            detail += f" clock-ahead={len(ahead)}"
        if charter_refused:
            detail += f" charter-refused={charter_refused}"
        audit.record(conn, "district", "sync", "worker", worker_id, detail)
        reply = SyncReply(
            changes=[change for _, change in outgoing],
            purge=purge,
            refused=refused,
            decisions=refusals.decisions_for(conn, worker_id),
            district_name=store.name,
            workers=_named_on(conn, open_cases),
            recovery=_recovery_key(conn),
            resealed=sorted(retake) or None,
            charter=_charter_offer(conn, worker_id, charter_refused),
        )
        outcome.reply = _seal(store, record, "reply", counter_out, acked, cursor, reply, digest)
    return outcome


def _take_acceptance(conn, record: WorkerRecord, request: SyncRequest) -> str:
    """Keep the charter acceptance the request carries; the reason it was refused, or ""."""
    if request.charter_acceptance is None:
        return ""
    public = record.public_identity()
    assert public is not None  # an enrolled worker's bundle was verified with it
    try:
        charter.record_acceptance(conn, record.worker.id, request.charter_acceptance, public)
    except Refused as refused:
        return refused.key
    return ""


def _charter_offer(conn, worker_id: str, refused: str) -> CharterOffer | None:
    """The current charter, for a worker that has not accepted its text."""
    offer = charter.offer_for(conn, worker_id)
    if offer is None:
        return None
    return CharterOffer(**offer.offer(), refused=refused)


def _recovery_key(conn) -> RecoveryKey | None:
    """The district's newest recovery key, which the team devices grant case keys to."""
    from fieldkit.district import recovery

    newest = recovery.generations(conn)
    if not newest:
        return None
    return RecoveryKey(generation=newest[-1].number, keys=newest[-1].public.to_dict())


def _named_on(conn, open_cases: set[str]) -> list:
    """The workers a device shows on these cases: their teams and every author on them."""
    ids = district_cases.assignees_of(conn, open_cases)
    ids |= changelog.authors_of_cases(conn, open_cases)
    ids.discard("district")
    return workers.known(conn, ids)


def _outgoing(
    conn, cursor: int, open_cases: set[str], fresh: set[str], origin: str
) -> list[tuple[int, Change]]:
    """Changes for the worker: whole history of fresh cases, the rest above its cursor."""
    result: list[tuple[int, Change]] = []
    if fresh:
        result.extend(changelog.iter_above(conn, 0, sorted(fresh)))
    known = sorted(open_cases - fresh)
    if known:
        # The worker's own changes stay in the store: reading them back only to drop them
        # cost as much as applying them.
        result.extend(changelog.iter_above(conn, cursor, known, except_origin=origin))
    result.sort(key=lambda pair: pair[0])
    return result


def _contiguous_ack(conn, origin: str, worker_id: str, acked: int) -> int:
    """The highest seq n such that every change 1..n of `origin` was applied or refused.

    Only this worker's own refusals count: a change another worker forged under this
    origin must not acknowledge (and so lose) this worker's real change.
    """
    # Two range reads rather than two look-ups per change (a bundle holds up to 50,000).
    done = changelog.seqs_of_origin_above(conn, origin, acked)
    done |= refusals.refused_seqs(conn, worker_id, origin, acked)
    while acked + 1 in done:
        acked += 1
    return acked


def _seal(
    store: DistrictStore,
    record: WorkerRecord,
    kind: str,
    counter: int,
    ack: int,
    cursor: int,
    payload,
    digest: str = "",
) -> bytes:
    identity = store.identity()
    recipient = record.public_identity()
    assert recipient is not None and record.replica_id
    header = BundleHeader(
        kind=kind,
        sender=store.replica_id,
        recipient=record.replica_id,
        sender_key=identity.public.fingerprint_hex,
        recipient_key=recipient.fingerprint_hex,
        counter=counter,
        ack=ack,
        cursor=cursor,
        changes=len(getattr(payload, "changes", [])),
        digest=digest,
    )
    return encode_bundle(header, encode(payload), identity, recipient)


def _wipe_notice(store: DistrictStore, record: WorkerRecord) -> Outcome:
    """A signed notice telling a revoked device to wipe; the district's store is untouched."""
    reply = SyncReply(wipe=True, district_name=store.name)
    # Not persisted, so that a refused bundle leaves the district store byte-identical;
    # it still exceeds every counter the device has seen from the district.
    sealed = _seal(store, record, "wipe", record.counter_out + 1, record.acked_seq, 0, reply)
    return Outcome(reply=sealed, kind="wipe", worker_id=record.worker.id, refused_worker=True)


def _handover(
    store: DistrictStore, record: WorkerRecord, header: BundleHeader, request: SyncRequest
) -> Outcome:
    """A revoked device's handover file, imported by a coordinator (`--accept-revoked`).

    Its changes are handled as any sync of that worker, but the reply carries only the
    acknowledgement and the wipe notice, never case content: whoever holds the revoked
    device's key (a thief, say) must learn nothing new from it. The reply that `_sync`
    built is dropped unsent.
    """
    outcome = _sync(store, record, header, request)
    worker_id = record.worker.id
    with transaction(store.conn):
        # One past the dropped reply and any wipe notice already sent (those are not
        # persisted), so that the device does not take this one for a replay.
        workers.skip_reply(store.conn, worker_id)
        record = workers.get(store.conn, worker_id)
        audit.record(store.conn, "district", "handover", "worker", worker_id, "reply=wipe")
        notice = SyncReply(wipe=True, district_name=store.name)
        outcome.reply = _seal(
            store, record, "wipe", record.counter_out, record.acked_seq, 0, notice
        )
    outcome.kind, outcome.sent, outcome.purge = "wipe", 0, 0
    return outcome


def _enrol(store: DistrictStore, data: bytes) -> Outcome:
    request = read_request(data)
    if request.district_id != store.replica_id:
        raise BundleRejected("bundle.wrong_recipient")
    try:
        record = workers.get(store.conn, request.worker_id)
    except NotFound:
        raise Refused("enrol.unknown_worker") from None
    if record.worker.status == WorkerStatus.REVOKED:
        raise Refused("enrol.revoked")
    if record.code_used or record.worker.status != WorkerStatus.PENDING:
        raise Refused("enrol.code_used")
    if time.time() > record.code_expires:
        raise Refused("enrol.code_expired")
    if not check_proof(record.secret_hash, request):
        raise Refused("enrol.bad_proof")
    if workers.by_replica(store.conn, request.replica_id) is not None:
        raise Refused("enrol.replica_taken")
    public = request.identity()
    conn = store.conn
    with transaction(conn):
        # The charter first: refused, the transaction rolls back and the code stays usable.
        _check_charter(conn, record.worker.id, request, public)
        # Checked again under the write lock: two servers given two requests for one code.
        if not workers.enrol(conn, record.worker.id, request.replica_id, public):
            raise Refused("enrol.code_used")
        # The teams it was assigned to before enrolling learn its keys (issue 16).
        district_cases.refresh_team_of(conn, record.worker.id)
        audit.record(conn, "district", "worker-enrol", "worker", record.worker.id)
    record = workers.get(conn, record.worker.id)
    reply = EnrolReply(
        district_id=store.replica_id,
        district_name=store.name,
        worker_id=record.worker.id,
        worker_name=record.worker.name,
        unit=record.worker.unit,
    )
    sealed = _seal(store, record, "enrol-reply", 1, 0, 0, reply)
    return Outcome(
        reply=sealed, kind="enrol-reply", worker_id=record.worker.id, fingerprint=public.fingerprint
    )


def _check_charter(conn, worker_id: str, request, public) -> None:
    """With a charter set, the request must carry this worker's signed acceptance of a
    charter text the district set (issue 17); it is kept. Refused otherwise."""
    from fieldkit.district.enrolment import current_charter

    if current_charter(conn) is None:
        return
    acceptance = request.charter
    if acceptance is None:
        raise Refused("enrol.charter_required")
    if acceptance.worker_id != worker_id:
        raise Refused("enrol.charter_wrong_worker")
    from fieldkit.district import charter

    charter.record_acceptance(conn, worker_id, acceptance, public)
