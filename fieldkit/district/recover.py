"""`district recover`: what the recovery sheet lets the district do on one case, and only
while the sheet's key is in memory.

- `grant_team`: every case key granted to the sheet's generation is opened and granted
  again, by the district, to each current team member with keys, as grant changes that
  the team receives at its next sync (a case whose every team device was lost).
- `open_file`: every sealed value of the case opened, for the person's whole file
  (GDPR art. 15, a court order); fieldkit/summary assembles and renders it.

Each use is an audit event at the district and a `notice` change on the case, which every
member sees at the next sync. The key is never written anywhere.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fieldkit.crypto.casekeys import CaseKey, Grant, Unopenable, make_grant, open_grant
from fieldkit.crypto.identity import Identity, PublicIdentity
from fieldkit.district import cases as district_cases
from fieldkit.district import recovery, workers
from fieldkit.errors import NotFound, Refused
from fieldkit.model import Case, Conflict, FollowUp, WorkerStatus
from fieldkit.replica import cases as stored_cases
from fieldkit.replica import changelog, followups, grants, merge, meta, sealing
from fieldkit.store import audit
from fieldkit.store.db import Connection, transaction

if TYPE_CHECKING:
    from fieldkit.district.store import DistrictStore

NOTICE_ENTITY = "notice"
GRANT_TEAM = "recover-grant-team"
SUBJECT_ACCESS = "recover-subject-access"


@dataclass
class Recovered:
    """The case keys the sheet opened, and the grants to it that did not open."""

    case_id: str
    generation: int
    keys: dict[str, CaseKey] = field(default_factory=dict)  # kid -> key
    unopened: int = 0


@dataclass(frozen=True)
class TeamGrants:
    """What `grant_team` did."""

    case_id: str
    reference: str
    generation: int
    keys: int  # case keys opened with the sheet
    members: list[str]  # the member ids granted to
    granted: int  # grants written (those a member already had are not written again)


@dataclass(frozen=True)
class CaseFile:
    """A case as its team reads it, every sealed value opened."""

    case: Case
    followups: list[FollowUp]
    conflicts: list[Conflict]
    generation: int
    unreadable: int  # team notes that still did not open (a key not granted to the sheet)


def _worker(conn: Connection, worker_id: str) -> workers.WorkerRecord | None:
    try:
        record = workers.get(conn, worker_id)
    except NotFound:
        return None
    return record if record.worker.id == worker_id else None


def _granter_key(conn: Connection, district: PublicIdentity, granter: str) -> PublicIdentity | None:
    """Whose signature a grant must carry; None for a granter the district does not know."""
    if granter == "district":
        return district
    record = _worker(conn, granter)
    return record.public_identity() if record else None


def recover_keys(store: DistrictStore, case_id: str, sheet: Identity) -> Recovered:
    """Every key of the case granted to the sheet's generation, each grant checked.

    Refused when the sheet is not one of the district's keys, or opens no key of the case.
    """
    generation = recovery.match_sheet(store, sheet)
    grantee = recovery.grantee(generation)
    district = store.identity().public
    found = Recovered(case_id, generation)
    for grant in grants.of_case(store.conn, case_id):
        if grant.grantee != grantee or grant.kid in found.keys:
            continue
        granter = _granter_key(store.conn, district, grant.granter)
        try:
            if granter is None:
                raise Unopenable("unknown granter")
            key = open_grant(grant, sheet, granter)
        except Unopenable:
            found.unopened += 1
            continue
        found.keys[key.kid] = key
    if not found.keys:
        raise Refused("recovery.no_key_granted", generation=generation)
    return found


def _write(conn: Connection, case_id: str, entity: str, entity_id: str, fields: dict[str, Any]):
    """A change of the district itself, logged and applied as any replica's."""
    change = changelog.new_local(
        conn,
        origin=meta.get(conn, "replica_id") or "",
        author="district",
        entity=entity,
        entity_id=entity_id,
        case_id=case_id,
        op="add",
        fields=fields,
    )
    merge.apply(conn, change)
    return change


def _notify(conn: Connection, case_id: str, action: str) -> None:
    """The team's notice of one use of the sheet (in its transaction, beside its audit)."""
    at = datetime.now(UTC).isoformat(timespec="seconds")
    _write(conn, case_id, NOTICE_ENTITY, uuid.uuid4().hex, {"action": action, "at": at})


def _members(conn: Connection, case: Case) -> list[tuple[str, PublicIdentity]]:
    """The case's current members that can receive a grant: enrolled, with keys."""
    members = []
    for assignee in case.assignees:
        record = _worker(conn, assignee.id)
        public = record.public_identity() if record else None
        if record and record.worker.status == WorkerStatus.ENROLLED and public is not None:
            members.append((assignee.id, public))
    return members


def grant_team(store: DistrictStore, ref: str, sheet: Identity) -> TeamGrants:
    """Grant every key the sheet opens to each current member, as the district."""
    conn = store.conn
    case_id = district_cases.resolve(conn, ref)
    case = stored_cases.load(conn, case_id)
    found = recover_keys(store, case_id, sheet)
    members = _members(conn, case)
    if not members:
        raise Refused("recovery.no_member", ref=case.reference)
    signer = store.identity()
    written = 0
    with transaction(conn):
        have = grants.granted(conn, case_id)
        for key in sorted(found.keys.values(), key=lambda k: (k.epoch, k.kid)):
            for member, public in members:
                if (key.kid, member, public.fingerprint_hex) in have:
                    continue
                grant: Grant = make_grant(key, member, public, "district", signer)
                _write(
                    conn, case_id, grants.ENTITY, grants.entity_id(key.kid, member), grant.fields()
                )
                written += 1
        detail = f"generation={found.generation} keys={len(found.keys)} grants={written}"
        audit.record(conn, "district", "recover-grant-team", "case", case_id, detail)
        _notify(conn, case_id, GRANT_TEAM)
    return TeamGrants(
        case_id,
        case.reference,
        found.generation,
        len(found.keys),
        [member for member, _ in members],
        written,
    )


def open_file(store: DistrictStore, ref: str, sheet: Identity, purpose: str = "") -> CaseFile:
    """The case with its follow-ups and conflicts, every team text opened (audited, and
    told to the team). `purpose` ends the audit event's detail (the export's format)."""
    conn = store.conn
    case_id = district_cases.resolve(conn, ref)
    found = recover_keys(store, case_id, sheet)
    case = sealing.open_case(stored_cases.load(conn, case_id), found.keys)
    history = [sealing.open_followup(fu, found.keys) for fu in followups.for_case(conn, case_id)]
    conflicts = []
    for conflict in store.conflicts(include_resolved=True):
        if conflict.case_id == case_id:
            conflicts.append(sealing.open_conflict(conflict, found.keys)[0])
    unreadable = sealing.sealed_count(case, history)
    with transaction(conn):
        detail = f"generation={found.generation} keys={len(found.keys)} unreadable={unreadable}"
        if purpose:
            detail = f"{detail} {purpose}"
        audit.record(conn, "district", "recover-subject-access", "case", case_id, detail)
        _notify(conn, case_id, SUBJECT_ACCESS)
    return CaseFile(case, history, conflicts, found.generation, unreadable)
