"""The worker's half of the protocol: enrolment, the outgoing bundle, applying the reply.

The outgoing bundle holds every change of this device above the district's
acknowledgement (high concerns first). Applying the reply is one transaction:
verify before decrypt, refuse replays, apply, move the cursor and the ack, then
purge the cases the district took away once all their local changes are acknowledged.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fieldkit.crypto.charter import charter_hash
from fieldkit.crypto.identity import PublicIdentity
from fieldkit.dates import now_stamp
from fieldkit.errors import BundleRejected, Busy, ClockSkew, Refused, UsageError
from fieldkit.model import Change
from fieldkit.paths import write_private_file
from fieldkit.replica import cases, changelog, clock, conflicts, decisions, merge, meta
from fieldkit.replica.digest import state_digest
from fieldkit.store import audit, known_workers, refusals, resealing, team
from fieldkit.store import charter as device_charter
from fieldkit.store.db import checkpoint, transaction
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import transport
from fieldkit.sync.bundle import BundleHeader, encode_bundle, open_bundle
from fieldkit.sync.enrolment import EnrolmentCode
from fieldkit.sync.enrolment import build_request as build_enrol_request
from fieldkit.sync.payload import CLOCK_AHEAD, EnrolReply, SyncReply, decode, encode_sync_request

# Changes per outgoing bundle; `fieldkit sync` comes back for the rest.
MAX_SEND = 50_000
# How long `fieldkit sync` waits for a sync of the same store already under way.
LOCK_WAIT = 30.0


@dataclass
class District:
    """What the device knows of its district, pinned at enrolment."""

    id: str
    name: str
    keys: PublicIdentity
    url: str | None
    tls_fingerprint: str | None


@dataclass
class SyncResult:
    status: str = "ok"
    sent: int = 0
    received: int = 0
    conflicts: int = 0
    purged: int = 0
    purged_cases: list[str] = field(default_factory=list)  # their references, to say so
    refused: list[RefusedItem] = field(default_factory=list)
    clock_ahead_ms: int = 0  # how far this device's clock ran ahead of the district's
    held_back: int = 0  # changes the district refused for the clock, still queued here
    decisions: int = 0  # coordinators' decisions on earlier refusals, received now
    more: bool = False  # changes remain to send
    wiped: bool = False
    handover: str | None = None  # the first handover file
    handover_files: list[str] = field(default_factory=list)  # all of them, to import in order
    # Case keys (issue 16): grants made for the team, keys learned from grants, grants to
    # this device that failed a check, and the members who got the team's keys first now.
    granted: int = 0
    keys_learned: int = 0
    grants_refused: int = 0
    newcomers: list[dict[str, str]] = field(default_factory=list)
    # What the district did on this worker's cases that the team must know of (a use of
    # the recovery key): {"case_id", "reference", "action", "at"}.
    notices: list[dict[str, str]] = field(default_factory=list)
    # Cases the district sealed (`district seal-team-texts`), taken again from its copy.
    retaken: int = 0
    # The confidentiality charter waiting for this worker's acceptance after this sync:
    # {"version", "sha256"}; and the district's reason (a message key) for refusing the
    # acceptance this sync carried (issue 17).
    charter: dict[str, str] | None = None
    charter_refused: str = ""
    # The cases on which the Prevention Group's decisions arrived in this sync, by
    # reference, each once (issue 17): {"case_id", "reference", "count"}.
    cell_decisions: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "sent": self.sent,
            "received": self.received,
            "conflicts": self.conflicts,
            "purged": self.purged,
            "purged_cases": self.purged_cases,
            "refused": [item.as_dict() for item in self.refused],
            "clock_ahead_days": round(self.clock_ahead_ms / DAY_MS, 1),
            "held_back": self.held_back,
            "decisions": self.decisions,
            "granted": self.granted,
            "keys_learned": self.keys_learned,
            "grants_refused": self.grants_refused,
            "new_members": self.newcomers,
            "notices": self.notices,
            "retaken": self.retaken,
            "charter": self.charter,
            "charter_refused": self.charter_refused,
            "cell_decisions": self.cell_decisions,
        }

    def add(self, other: SyncResult) -> None:
        """Fold the result of one more round trip into this one."""
        self.received += other.received
        self.conflicts += other.conflicts
        self.purged += other.purged
        self.purged_cases.extend(other.purged_cases)
        self.refused.extend(other.refused)
        self.clock_ahead_ms = max(self.clock_ahead_ms, other.clock_ahead_ms)
        self.held_back = other.held_back
        self.decisions += other.decisions
        self.granted += other.granted
        self.keys_learned += other.keys_learned
        self.grants_refused += other.grants_refused
        self.newcomers.extend(other.newcomers)
        self.notices.extend(other.notices)
        self.retaken += other.retaken
        self.charter = other.charter
        self.charter_refused = other.charter_refused or self.charter_refused
        self.cell_decisions.extend(other.cell_decisions)


DAY_MS = 86_400_000


@dataclass
class RefusedItem:
    """One change the district refused, as `sync` names it (no text beyond a preview)."""

    change_id: str
    case_reference: str
    entity: str
    op: str
    reason: str
    occurred_on: str | None = None
    kind: str | None = None
    summary_preview: str = ""

    def as_dict(self) -> dict:
        return {
            "change_id": self.change_id,
            "case_reference": self.case_reference,
            "entity": self.entity,
            "op": self.op,
            "occurred_on": self.occurred_on,
            "kind": self.kind,
            "summary_preview": self.summary_preview,
            "reason": self.reason,
        }


def district(store: WorkerStore, pending: bool = False) -> District:
    raw = meta.get(store.conn, "pending_enrolment" if pending else "district")
    if raw is None:
        raise UsageError("enrol.not_pending" if pending else "sync.not_enrolled")
    data = json.loads(raw)
    return District(
        id=data["id"],
        name=data["name"],
        keys=PublicIdentity.from_dict(data["keys"]),
        url=data.get("url"),
        tls_fingerprint=data.get("tls_fingerprint"),
    )


def _district_json(code: EnrolmentCode) -> str:
    return json.dumps(
        {
            "id": code.district_id,
            "name": code.district_name,
            "keys": code.district_keys,
            "url": code.url,
            "tls_fingerprint": code.tls_fingerprint,
            "worker_id": code.worker_id,
        }
    )


# Enrolment


def enrol_request(
    store: WorkerStore,
    code: EnrolmentCode,
    *,
    charter_sha256: str | None = None,
    at: datetime | None = None,
) -> bytes:
    """The signed enrolment request; the district's keys are pinned as pending.

    When the district asks for its charter to be accepted (`code.charter`),
    `charter_sha256` must name that exact text: the device signs its acceptance, which
    travels in the request. Refused otherwise, before anything is written or sent.
    """
    if store.worker_id is not None:
        raise UsageError("enrol.already", worker=store.worker_id)
    acceptance = None
    if code.charter is not None:
        if charter_sha256 is None:
            raise Refused("enrol.charter_not_accepted")
        if charter_sha256.strip().lower() != code.charter.sha256:
            raise Refused("enrol.charter_other_text")
        from fieldkit.crypto.charter import accept

        moment = at or datetime.now(UTC)
        acceptance = accept(
            store.identity(), code.charter.version, code.charter.sha256, code.worker_id, moment
        )
    pending = json.loads(_district_json(code))
    if acceptance is not None and code.charter is not None:
        # Kept as the device's accepted charter once the district's reply comes.
        pending["charter_accepted"] = {
            "version": acceptance.version,
            "sha256": acceptance.sha256,
            "at": acceptance.at,
            "text": code.charter.text,
        }
    with transaction(store.conn):
        meta.put(store.conn, "pending_enrolment", json.dumps(pending))
        audit.record(store.conn, store.author, "enrol-request", "district", code.district_id)
    return build_enrol_request(code, store.identity(), store.replica_id, acceptance)


def enrol_complete(store: WorkerStore, data: bytes) -> EnrolReply:
    """Apply the district's enrolment reply: verified against the keys from the code."""
    pending = district(store, pending=True)
    header, payload = open_bundle(
        data,
        recipient=store.identity(),
        recipient_id=store.replica_id,
        sender_key=lambda s: pending.keys if s == pending.id else None,
    )
    if header.kind != "enrol-reply":
        raise BundleRejected("bundle.unexpected_kind", kind=header.kind)
    reply = decode(EnrolReply, payload)
    pending_data = json.loads(meta.get(store.conn, "pending_enrolment") or "{}")
    if reply.worker_id != pending_data.get("worker_id") or reply.district_id != pending.id:
        raise BundleRejected("bundle.wrong_recipient")
    accepted = pending_data.pop("charter_accepted", None)
    with transaction(store.conn):
        if accepted is not None:  # the district took it with the enrolment
            meta.put(store.conn, device_charter.ACCEPTED, json.dumps(accepted))
        meta.put(store.conn, "district", json.dumps(pending_data))
        meta.put(store.conn, "district_name", reply.district_name)
        meta.put(store.conn, "worker_id", reply.worker_id)
        meta.put(store.conn, "worker_name", reply.worker_name)
        meta.put(store.conn, "unit", reply.unit)
        meta.put(store.conn, "district_counter_in", header.counter)
        meta.delete(store.conn, "pending_enrolment")
        audit.record(store.conn, reply.worker_id, "enrol", "district", pending.id)
    return reply


# Sync


def build_request(store: WorkerStore) -> tuple[bytes, int, bool]:
    """The outgoing bundle; returns (bytes, changes of work included, more remain). Grants
    of case keys travel in it too, but are not counted: they are no one's work."""
    pending = _pending(store)
    bundle, count = _request_bundle(store, pending)
    work = sum(1 for _, text in pending[:count] if '"entity":"grant"' not in text)
    return bundle, work, len(pending) > count


def _pending(store: WorkerStore) -> list[tuple[int, str]]:
    """(seq, JSON) of this device's changes above the district's acknowledgement, high
    concerns first: as text, so that a large backlog costs its size, not a model each.

    Changes a wrong clock dated ahead are stamped again first, once the clock is right."""
    with transaction(store.conn):
        store.restamp()
        # What the team needs before anything is sent: the keys granted since, and grants
        # of this device's keys to members and to the recovery key that lack them.
        team.learn(store, district(store).keys)
        # Queued by an older version with team texts in clear: sealed before they leave.
        resealing.seal_queued(store)
        team.grant_missing(store)
    acked = meta.get_int(store.conn, "acked_seq")
    return changelog.outgoing_json(store.conn, store.replica_id, acked)


def _request_bundle(store: WorkerStore, pending: list[tuple[int, str]]) -> tuple[bytes, int]:
    """A bundle with the first of `pending`: MAX_SEND at most, and fewer when that many
    would pass the bundle's size limits (long texts), so that no change is ever stuck
    behind a bundle the district would refuse. Returns (bytes, changes included)."""
    d = district(store)
    conn = store.conn
    identity = store.identity()
    acked = meta.get_int(conn, "acked_seq")
    resync = meta.get(conn, "resync_needed") == "1"
    # Sent even with a resync: the district lists in `purge` the held cases it no longer
    # gives this worker, and a resync must not stop those from being purged.
    holding = [c.id for c in cases.list_cases(conn)]
    size = min(len(pending), MAX_SEND)
    while True:
        batch = pending[:size]
        with transaction(conn):
            counter = meta.next_counter(conn, "counter_out")
            meta.put(conn, "last_sent_seq", max((seq for seq, _ in batch), default=acked))
        cursor = 0 if resync else meta.get_int(conn, "cursor")
        header = BundleHeader(
            kind="sync",
            sender=store.replica_id,
            recipient=d.id,
            sender_key=identity.public.fingerprint_hex,
            recipient_key=d.keys.fingerprint_hex,
            counter=counter,
            ack=cursor,
            cursor=cursor,
            changes=len(batch),
        )
        decided = refusals.decided_unconfirmed(conn)
        payload = encode_sync_request(
            [text for _, text in batch],
            holding,
            resync,
            decided,
            resealing.retaken(store),
            device_charter.queued(conn),
        )
        try:
            return encode_bundle(header, payload, identity, d.keys), len(batch)
        except BundleRejected as exc:
            if exc.key not in _TOO_LARGE or size <= 1:
                raise
            size //= 2  # counters only move forward: the skipped one is never reused


_TOO_LARGE = ("bundle.too_large", "bundle.payload_too_large")


def apply_reply(store: WorkerStore, data: bytes) -> SyncResult:
    """Apply the district's reply whole or not at all."""
    d = district(store)
    conn = store.conn
    header, payload = open_bundle(
        data,
        recipient=store.identity(),
        recipient_id=store.replica_id,
        sender_key=lambda s: d.keys if s == d.id else None,
    )
    if header.kind not in ("reply", "wipe"):
        raise BundleRejected("bundle.unexpected_kind", kind=header.kind)
    applied = meta.get_int(conn, "district_counter_in")
    if header.counter == applied and header.kind == "reply":
        # Verified as the district's and already applied (a file imported twice): true,
        # and nothing to do. An older one stays refused below.
        return SyncResult(status="already-applied")
    if header.counter <= applied:
        raise BundleRejected("bundle.replayed", counter=header.counter)
    reply = decode(SyncReply, payload)
    if reply.wipe or header.kind == "wipe":
        return _wipe(store, header.counter, header.ack)
    _check_district_clock(reply, header)
    result = SyncResult(received=0)
    with transaction(conn):
        meta.put(conn, "district_counter_in", header.counter)
        _note_refusals(store, reply, header, result)
        # Seen before any sealed case is taken again: what comes back is not news.
        fresh = {c.id for c in reply.changes if not changelog.seen(conn, c.id)}
        # The district answered the request that named the cases taken again before.
        retaken: list[str] = []
        again, known = 0, set()
        if reply.resealed:
            ack_now = max(meta.get_int(conn, "acked_seq"), min(header.ack, _max_local_seq(store)))
            held = [c for c in reply.resealed if cases.exists(conn, c)]
            before = {c: (_work_count(store, c), conflicts.ids_of_case(conn, c)) for c in held}
            retaken = resealing.retake(store, held, ack_now)
            again = sum(before[c][0] for c in retaken)
            known = set().union(*(before[c][1] for c in retaken)) if retaken else set()
        applied = merge.apply_received(conn, reply.changes)
        result.notices = [
            {
                "case_id": c.case_id,
                "reference": cases.reference_of(conn, c.case_id) or c.case_id,
                "action": c.fields["action"],
                "at": str(c.fields.get("at", "")),
            }
            for c in reply.changes
            if c.entity == "notice" and c.id in fresh and changelog.seen(conn, c.id)
        ]
        result.cell_decisions = _arrived_decisions(conn, reply.changes, fresh)
        result.received = max(0, applied.applied - again)
        result.conflicts = len([c for c in applied.conflicts if c.id not in known])
        resealing.set_retaken(store, retaken)
        result.retaken = len(retaken)
        acked = max(meta.get_int(conn, "acked_seq"), min(header.ack, _max_local_seq(store)))
        meta.put(conn, "acked_seq", acked)
        meta.put(conn, "cursor", max(meta.get_int(conn, "cursor"), header.cursor))
        for case_id in reply.purge:
            cases.mark_purge(conn, case_id)
        if reply.workers is not None:  # a district older than the list sends none
            known_workers.replace(conn, reply.workers)
        if reply.recovery is not None:
            team.set_recovery_key(store, reply.recovery.generation, reply.recovery.keys)
        _take_charter(conn, reply, result)
        learned = team.learn(store, d.keys)
        result.keys_learned, result.grants_refused = learned.keys, learned.refused
        granted = team.grant_missing(store)
        result.granted, result.newcomers = granted.grants, granted.newcomers
        result.purged_cases = _purge_ready(store, acked)
        result.purged = len(result.purged_cases)
        team.forget_orphans(store)
        _check_digest(store, header.digest, acked)
        meta.put(conn, "last_sync", now_stamp())
        detail = (
            f"received={result.received} conflicts={result.conflicts}"
            f" purged={result.purged} refused={len(result.refused)}"
        )
        if result.held_back:
            detail += f" clock-ahead={result.held_back}"
        if result.retaken:
            detail += f" retaken={result.retaken}"
        if result.granted or result.keys_learned or result.grants_refused:
            detail += (
                f" granted={result.granted} keys={result.keys_learned}"
                f" grants-refused={result.grants_refused}"
            )
        audit.record(conn, store.author, "sync", "district", d.id, detail)
    if result.purged:
        checkpoint(conn)
    return result


def _take_charter(conn, reply: SyncReply, result: SyncResult) -> None:
    """The charter the reply offers (or not), kept on the device (issue 17)."""
    offer = reply.charter
    if offer is not None and charter_hash(offer.text) != offer.sha256:
        raise BundleRejected("bundle.bad_payload")
    device_charter.take_reply(
        conn,
        offer.model_dump(exclude={"refused"}) if offer is not None else None,
        offer.refused if offer is not None else "",
    )
    result.charter_refused = offer.refused if offer is not None else ""
    waiting = device_charter.pending(conn)
    result.charter = {"version": waiting.version, "sha256": waiting.sha256} if waiting else None


def _check_district_clock(reply: SyncReply, header: BundleHeader) -> None:
    """The bound the district applies to devices, applied to what the district sends: a
    change stamped too far ahead of this computer's clock is refused with the whole reply
    (nothing applied, everything local stays queued), and the person is told to check the
    date and time of this computer."""
    now = clock.wall_clock_ms()
    ahead = [c for c in reply.changes if clock.too_far_ahead(c.hlc, now)]
    if ahead:
        worst = max(clock.ahead_ms(c.hlc, now) for c in ahead)
        raise ClockSkew("sync.district_clock_ahead", ahead_ms=worst)


def _note_refusals(
    store: WorkerStore, reply: SyncReply, header: BundleHeader, result: SyncResult
) -> None:
    """Keep a copy of each refused change (until the coordinator decides), count those
    held back for the clock (still queued), and record decisions on earlier refusals."""
    conn = store.conn
    withdrawn: set[str] = set()
    for refusal in reply.refused:
        change = changelog.get(conn, refusal.change_id)
        if change is None or change.origin != store.replica_id:
            continue
        if refusal.reason == CLOCK_AHEAD:
            if change.entity not in changelog.PLUMBING:  # a grant is no one's work
                result.held_back += 1
            ahead = clock.ahead_ms(change.hlc, header.created_ms)
            result.clock_ahead_ms = max(result.clock_ahead_ms, ahead)
            continue
        reference = cases.reference_of(conn, change.case_id) or change.case_id[:8]
        refusals.record(conn, change, reference, refusal.reason)
        result.refused.append(
            _refused_item(team.open_change(store, change), reference, refusal.reason)
        )
        # The copy waits for the coordinator; the case reads as the district holds it.
        changelog.delete_one(conn, change.id)
        withdrawn.add(change.case_id)
    sent = set(refusals.decided_unconfirmed(conn))
    for decision in reply.decisions:
        if refusals.decide(
            conn, decision.change_id, decision.decision, decision.reason, decision.at
        ):
            result.decisions += 1
            accepted = refusals.copy_of(conn, decision.change_id)
            if decision.decision == "accepted" and accepted is not None:
                merge.apply(conn, accepted)  # the district applied it: so does its author
    for case_id in sorted(withdrawn):
        if cases.exists(conn, case_id):
            merge.rebuild_case(conn, case_id)
    # The district answered a request that told it of these: it will not send them again.
    refusals.confirm(conn, sorted(sent - {d.change_id for d in reply.decisions}))


def _refused_item(change: Change, reference: str, reason: str) -> RefusedItem:
    return RefusedItem(
        change_id=change.id,
        case_reference=reference,
        entity=change.entity,
        op=change.op,
        reason=reason,
        occurred_on=change.fields.get("occurred_on"),
        kind=change.fields.get("kind"),
        summary_preview=refusals.preview(change),
    )


def _work_count(store: WorkerStore, case_id: str) -> int:
    """The changes of people's work a case holds (what `received` counts)."""
    return sum(
        1 for c in changelog.all_of_case(store.conn, case_id) if c.entity not in changelog.PLUMBING
    )


def _max_local_seq(store: WorkerStore) -> int:
    return meta.get_int(store.conn, "seq")


def _purge_ready(store: WorkerStore, acked: int) -> list[str]:
    """Remove the cases marked for purge whose local changes are all acknowledged;
    their references (the sync says which cases left the device)."""
    conn = store.conn
    purged: list[str] = []
    for case_id in cases.purge_pending(conn):
        if changelog.count_of_case_origin_above(conn, case_id, store.replica_id, acked):
            continue
        reference = cases.reference_of(conn, case_id) or case_id[:8]
        merge.forget_case(conn, case_id)
        audit.record(conn, store.author, "purge", "case", case_id)
        purged.append(reference)
    return purged


def _check_digest(store: WorkerStore, digest: str, acked: int) -> None:
    """Compare states when nothing local is in flight; a mismatch asks for a full resend."""
    conn = store.conn
    if not digest:
        return
    if changelog.count_of_origin_above(conn, store.replica_id, acked):
        return
    held = [c for c in cases.list_cases(conn) if c.id not in set(cases.purge_pending(conn))]
    mine = state_digest(conn, [c.id for c in held])
    if mine == digest:
        meta.delete(conn, "resync_needed")
    else:
        meta.put(conn, "resync_needed", "1")


def unsynced(store: WorkerStore) -> list[Change]:
    changes = changelog.of_origin_above(
        store.conn, store.replica_id, meta.get_int(store.conn, "acked_seq")
    )
    return [c for c in changes if c.entity not in changelog.PLUMBING]


def _wipe(store: WorkerStore, counter: int, ack: int) -> SyncResult:
    """The district revoked this device: seal what is unsynced for it, then wipe case data."""
    conn = store.conn
    result = SyncResult(status="revoked", wiped=True)
    pending = _pending(store)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    part = 0
    while pending:
        # Everything unsynced is sealed before anything is wiped: in one file, or in
        # numbered files (to import in order) when it is more than one bundle holds.
        bundle, count = _request_bundle(store, pending)
        pending = pending[count:]
        part += 1
        suffix = f"-{part}" if part > 1 or pending else ""
        path = Path(store.home) / f"handover-{stamp}{suffix}.fkb"
        write_private_file(path, bundle)
        result.handover_files.append(str(path))
    result.handover = result.handover_files[0] if result.handover_files else None
    with transaction(conn):
        meta.put(conn, "district_counter_in", counter)
        for case in cases.list_cases(conn):
            merge.forget_case(conn, case.id)
            result.purged += 1
        changelog.delete_all(conn)
        team.forget_orphans(store)
        meta.put(conn, "revoked", "1")
        audit.record(conn, store.author, "wipe", "store", store.store_id, f"cases={result.purged}")
    checkpoint(conn)
    return result


def ensure_not_revoked(store: WorkerStore) -> None:
    if meta.get(store.conn, "revoked") == "1":
        raise Refused("sync.revoked")


def sync_online(
    store: WorkerStore,
    *,
    timeout: float | None = None,
    progress: transport.Progress | None = None,
) -> SyncResult:
    """Round trips with the district server until nothing is left to send.

    The server is reached (and its certificate checked against the pin) before the
    outgoing bundle is built, so an offline attempt leaves the store as it was.
    """
    ensure_not_revoked(store)
    d = district(store)
    if not d.url:
        raise UsageError("sync.no_url")
    limits = {"timeout": timeout} if timeout else {}
    channel = transport.Channel(d.url, d.tls_fingerprint, **limits)
    total = SyncResult()
    while True:
        outgoing, count, more = build_request(store)
        try:
            answer = channel.post("/sync", outgoing, progress)
        except transport.RefusedReply as refused:
            if not refused.body:
                raise
            result = apply_reply(store, refused.body)
            result.sent = count
            return result
        result = apply_reply(store, answer)
        total.sent += count
        total.add(result)
        # Grants made from what the reply brought (a new member) go out in this same sync,
        # so that the newcomer reads the team's notes after one sync of a colleague.
        more = more or result.granted > 0
        if not more or result.held_back:
            # Held back for the clock: sending again now would only be refused again.
            total.more = more
            return total


@contextmanager
def sync_lock(home: Path, *, wait: bool = True) -> Iterator[None]:
    """One sync at a time per store: two at once would race on the bundle counters.

    An advisory lock on `sync-lock` in the home, released by the kernel if the process
    dies. `wait=False` (background auto-sync) gives up at once; otherwise it waits a
    little for a sync already under way, then says so.
    """
    import fcntl

    path = home / "sync-lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + (LOCK_WAIT if wait else 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy("sync.busy") from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)


def enrol_online(
    store: WorkerStore, code: EnrolmentCode, *, charter_sha256: str | None = None
) -> EnrolReply:
    if not code.url:
        raise UsageError("enrol.no_url")
    request = enrol_request(store, code, charter_sha256=charter_sha256)
    answer = transport.post(code.url, "/enrol", request, code.tls_fingerprint)
    return enrol_complete(store, answer)


def queued(store: WorkerStore) -> int:
    """The changes of this device's work still to send (grants of case keys left out)."""
    from fieldkit.store.reading import unsynced

    return unsynced(store)


def enrolment_from(
    text: str, *, document: bytes | None = None, server: str | None = None
) -> EnrolmentCode:
    """The enrolment a short code (format 2) names, from the district identity document
    on the stick (`document`) or fetched from `server`; checked against the code's
    commitment, and the certificate the server showed against the one the document
    names, before anything else is sent (IntegrityError: a substituted file or server).
    """
    from fieldkit.sync.enrolment import lookup_of, open_code

    seen = None
    if document is None:
        if not server:
            raise UsageError("enrol.need_server")
        lookup_of(text)  # a mistyped code is refused before the network is used
        document, seen = transport.fetch_identity(server, lookup_of(text))
    code = open_code(text, document, seen_tls=seen)
    if not code.url and server:
        code = code.model_copy(update={"url": server})
    return code


def _arrived_decisions(conn, changes: list[Change], fresh: set[str]) -> list[dict[str, Any]]:
    """The cases on which decisions of the cell arrived now and were taken, with how many."""
    counts: dict[str, int] = {}
    for c in changes:
        if c.entity == decisions.DECISION and c.id in fresh and changelog.seen(conn, c.id):
            counts[c.case_id] = counts.get(c.case_id, 0) + 1
    return [
        {"case_id": case_id, "reference": cases.reference_of(conn, case_id) or case_id, "count": n}
        for case_id, n in counts.items()
    ]
