"""A device's case keys: making them, granting them to the team, learning them from grants,
and opening the team's texts with them (issue 16, DESIGN §9).

The rules of who grants when (docs/protocol.md, "Who grants when"):

- A device seals a team text under its case's *writing key*: the newest key (by epoch,
  then key id) that a team device made and that no one outside the current team holds.
  When there is none (a new case, or a member left since), the device makes a new key of
  the next epoch and grants it at once to every member and to the recovery key.
- Keys granted by the district (from `district seal-team-texts` or `district recover`)
  open texts but are never written under: the district once held them.
- At every sync, before sending and after receiving, the device grants every key it
  holds, of every epoch, to each current member (an assignee whose public identity the
  district sent) that has no grant of it for its current fingerprint, and to the
  district's current recovery key. Grants are ordinary changes of the case.
- A grant addressed to this device is opened only when its granter's signature verifies
  (a member of the case's team, now or before, or the district's pinned key), the grantee
  fingerprint is this device's, the HPKE seal opens and the key matches its key id.
  Anything else is refused and counted, never used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fieldkit.crypto.casekeys import CaseKey, Grant, Unopenable, make_grant, open_grant
from fieldkit.crypto.identity import PublicIdentity
from fieldkit.errors import NotFound
from fieldkit.model import Case, Change, Conflict, FollowUp
from fieldkit.replica import cases, changelog, followups, grants, merge, meta, sealing
from fieldkit.replica.sealing import Keyring

if TYPE_CHECKING:
    from fieldkit.store.worker import WorkerStore

CASE_KEYS_SCHEMA = """
CREATE TABLE case_keys (
    case_id TEXT NOT NULL,
    kid TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    key BLOB NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (case_id, kid)
)
"""

TEAM = "team"  # a key a team device made
DISTRICT = "district"  # a key the district granted (migration, recovery): read only
RECOVERY_META = "recovery_key"  # {"generation": N, "keys": PublicIdentity.to_dict()}


def recovery_grantee(generation: int) -> str:
    return f"recovery-{generation}"


# Keys


def keyring(store: WorkerStore, case_id: str) -> dict[str, CaseKey]:
    rows = store.conn.execute("SELECT kid, epoch, key FROM case_keys WHERE case_id = ?", (case_id,))
    return {kid: CaseKey(case_id, kid, epoch, bytes(key)) for kid, epoch, key in rows}


def _sources(store: WorkerStore, case_id: str) -> dict[str, str]:
    rows = store.conn.execute("SELECT kid, source FROM case_keys WHERE case_id = ?", (case_id,))
    return dict(rows.fetchall())


def _keep(store: WorkerStore, key: CaseKey, source: str) -> None:
    store.conn.execute(
        "INSERT INTO case_keys (case_id, kid, epoch, key, source) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (case_id, kid) DO NOTHING",
        (key.case_id, key.kid, key.epoch, key.key, source),
    )


def forget_case(store: WorkerStore, case_id: str) -> None:
    """A purged case's keys (inside the purge's transaction)."""
    store.conn.execute("DELETE FROM case_keys WHERE case_id = ?", (case_id,))


def forget_orphans(store: WorkerStore) -> int:
    """The keys of cases no longer on this device (after a purge or a wipe)."""
    # Kept while the device still holds a refused change of the case: refused work stays
    # readable until the coordinator's decision comes back (issue 12 §3).
    return store.conn.execute(
        "DELETE FROM case_keys WHERE case_id NOT IN (SELECT id FROM cases)"
        " AND case_id NOT IN (SELECT case_id FROM refusals)"
    ).rowcount


# The team


def members(case: Case) -> dict[str, PublicIdentity]:
    """The current team with the public identity the district sent for each."""
    found = {}
    for assignee in case.assignees:
        if assignee.keys:
            try:
                found[assignee.id] = PublicIdentity.from_dict(assignee.keys)
            except ValueError:
                continue  # a malformed identity grants nothing
    return found


def identities_ever(store: WorkerStore, case_id: str) -> dict[str, list[PublicIdentity]]:
    """Every identity the district ever listed on this case's team, by worker: a grant
    made by a member who has left since still verifies."""
    found: dict[str, list[PublicIdentity]] = {}
    for change in changelog.of_case(store.conn, case_id, "case"):
        for assignee in change.fields.get("assignees") or []:
            keys = assignee.get("keys") if isinstance(assignee, dict) else None
            if not keys:
                continue
            try:
                public = PublicIdentity.from_dict(keys)
            except ValueError:
                continue
            found.setdefault(assignee.get("id", ""), []).append(public)
    return found


def recovery_key(store: WorkerStore) -> tuple[int, PublicIdentity] | None:
    """The district's current recovery key as the district last sent it."""
    stored = meta.get(store.conn, RECOVERY_META)
    if not stored:
        return None
    data = json.loads(stored)
    return int(data["generation"]), PublicIdentity.from_dict(data["keys"])


def set_recovery_key(store: WorkerStore, generation: int, keys: dict[str, str]) -> None:
    PublicIdentity.from_dict(keys)  # refuse a malformed key before keeping it
    meta.put(store.conn, RECOVERY_META, json.dumps({"generation": generation, "keys": keys}))


# Writing


def writing_key(store: WorkerStore, case_id: str) -> CaseKey:
    """The key new team texts of this case are sealed under, made (and granted) when
    there is none that only the current team holds. Inside the caller's transaction."""
    case = cases.load(store.conn, case_id)
    team = set(members(case)) | {store.author}
    held = keyring(store, case_id)
    sources = _sources(store, case_id)
    given = grants.of_case(store.conn, case_id)
    holders: dict[str, set[str]] = {}
    for grant in given:
        holders.setdefault(grant.kid, set()).add(grant.grantee)
    usable = [
        key
        for key in held.values()
        if sources.get(key.kid) == TEAM
        and {g for g in holders.get(key.kid, set()) if not g.startswith("recovery-")} <= team
    ]
    if usable:
        return max(usable, key=lambda k: (k.epoch, k.kid))
    epochs = [k.epoch for k in held.values()] + [g.epoch for g in given]
    key = CaseKey.new(case_id, max(epochs, default=0) + 1)
    _keep(store, key, TEAM)
    _grant(store, case, [key])
    return key


def seal(store: WorkerStore, entity: str, entity_id: str, case_id: str, fields: dict) -> dict:
    """The fields of a new change with its team texts sealed (inside the transaction)."""
    for_cell = False
    if entity == "followup":
        if "for_cell" in fields:
            for_cell = bool(fields["for_cell"])
        else:
            try:
                for_cell = followups.get(store.conn, entity_id).for_cell
            except NotFound:  # the follow-up is not here (yet): seal, the safe side
                for_cell = False
    if not sealing.clear_team_texts(entity, fields, for_cell):
        return fields
    key = writing_key(store, case_id)
    return sealing.seal_fields(key, entity, entity_id, fields, for_cell)


# Granting


@dataclass
class Granted:
    """What granting did: grants made, and the members who got the team's keys for the
    first time, as (case id, worker id)."""

    grants: int = 0
    newcomers: list[dict[str, str]] = field(default_factory=list)


def _grant(store: WorkerStore, case: Case, keys: Iterable[CaseKey]) -> Granted:
    from fieldkit.store import writing

    done = Granted()
    identity = store.identity()
    have = _granted_by_team(store, case, identity.public)
    got_any = {g[1] for g in have}
    # Not to itself: this device keeps the key; once re-enrolled, its colleagues grant
    # to its new keys, and the recovery key stands behind a team that lost every device.
    targets = {w: p for w, p in members(case).items() if w != store.author}
    recovery = recovery_key(store)
    if recovery is not None:
        targets[recovery_grantee(recovery[0])] = recovery[1]
    for key in keys:
        for grantee, public in sorted(targets.items()):
            if (key.kid, grantee, public.fingerprint_hex) in have:
                continue
            grant = make_grant(key, grantee, public, store.author, identity)
            change = writing.new_change(
                store,
                grants.ENTITY,
                grants.entity_id(key.kid, grantee),
                case.id,
                "add",
                grant.fields(),
            )
            merge.apply(store.conn, change)
            have.add((key.kid, grantee, public.fingerprint_hex))
            done.grants += 1
            is_member = not grantee.startswith("recovery-") and grantee != store.author
            if is_member and grantee not in got_any:
                got_any.add(grantee)
                name = next((a.name for a in case.assignees if a.id == grantee), "")
                done.newcomers.append(
                    {
                        "case_id": case.id,
                        "reference": case.reference,
                        "worker_id": grantee,
                        "name": name,
                    }
                )
    return done


def _granted_by_team(
    store: WorkerStore, case: Case, own: PublicIdentity
) -> set[tuple[str, str, str]]:
    """(kid, grantee, fingerprint) of the grants of a case that a team device signed
    since the grantee last joined the team: those stand for a grant the grantee holds.

    A grant in the district's name, or one whose signature does not verify, does not
    (the district could forge one under a real key id, with a key of its own, so that
    no colleague ever grants the real key). Nor does a grant made before the grantee
    last joined: the district drops a grant that arrives once the grantee has left, and
    the granting device, which keeps its copy, would never grant that key again."""
    current = members(case)
    joined = _joined(store, case.id)
    ever: dict[str, list[PublicIdentity]] | None = None
    found = set()
    rows = store.conn.execute(
        "SELECT g.fields, c.hlc FROM grants g JOIN changes c ON c.id = g.change_id"
        " WHERE g.case_id = ?",
        (case.id,),
    ).fetchall()
    for data, hlc in rows:
        grant = Grant.from_fields(case.id, json.loads(data))
        if grant.granter == "district" or hlc <= joined.get(grant.grantee, ""):
            continue
        message = grant.signed_message()
        now = own if grant.granter == store.author else current.get(grant.granter)
        if now is None or not now.verify(grant.signature, message):
            # A member who left, or who enrolled another device since: the keys the
            # district listed for it before (read only then, as it is rare).
            ever = identities_ever(store, case.id) if ever is None else ever
            if not any(p.verify(grant.signature, message) for p in ever.get(grant.granter, [])):
                continue
        found.add((grant.kid, grant.grantee, grant.grantee_key))
    return found


def _joined(store: WorkerStore, case_id: str) -> dict[str, str]:
    """Worker id -> the stamp of the case change that last added it to the team."""
    joined: dict[str, str] = {}
    present: set[str] = set()
    history = changelog.of_case(store.conn, case_id, "case")
    for change in sorted(history, key=lambda c: (c.hlc, c.origin)):
        if "assignees" not in change.fields:
            continue
        now = {a.get("id") for a in change.fields["assignees"] or [] if isinstance(a, dict)}
        for worker in now - present:
            joined[worker] = change.hlc
        present = now
    return joined


def grant_missing(store: WorkerStore) -> Granted:
    """Grant every key this device holds to every member and the recovery key lacking
    it, on every case it holds (inside the caller's transaction)."""
    total = Granted()
    if not store.worker_id:
        return total
    pending = set(cases.purge_pending(store.conn))
    for case in cases.list_cases(store.conn):
        if case.id in pending or store.author not in {a.id for a in case.assignees}:
            continue
        held = keyring(store, case.id)
        if not held:
            continue
        done = _grant(store, case, sorted(held.values(), key=lambda k: (k.epoch, k.kid)))
        total.grants += done.grants
        total.newcomers.extend(done.newcomers)
    return total


# Learning


@dataclass
class Learned:
    keys: int = 0
    refused: int = 0  # grants to this device that failed a check: never used


def learn(store: WorkerStore, district_keys: PublicIdentity | None) -> Learned:
    """Open the grants addressed to this device that it has not opened yet."""
    result = Learned()
    me = store.worker_id
    if not me:
        return result
    identity = store.identity()
    mine = identity.public.fingerprint_hex
    rows = store.conn.execute(
        "SELECT g.case_id, g.fields FROM grants g WHERE g.grantee = ? AND g.grantee_key = ?"
        " AND NOT EXISTS (SELECT 1 FROM case_keys k WHERE k.case_id = g.case_id"
        " AND k.kid = g.kid)",
        (me, mine),
    ).fetchall()
    ever: dict[str, dict[str, list[PublicIdentity]]] = {}
    for case_id, data in rows:
        grant = Grant.from_fields(case_id, json.loads(data))
        if grant.granter == "district":
            candidates = [district_keys] if district_keys is not None else []
            source = DISTRICT
        else:
            if case_id not in ever:
                ever[case_id] = identities_ever(store, case_id)
            candidates = ever[case_id].get(grant.granter, [])
            if grant.granter == me:
                candidates = [*candidates, identity.public]
            source = TEAM
        key = _open(grant, identity, candidates)
        if key is None:
            result.refused += 1
            continue
        _keep(store, key, source)
        result.keys += 1
    return result


def _open(grant: Grant, identity: Any, candidates: list[PublicIdentity]) -> CaseKey | None:
    for public in candidates:
        try:
            return open_grant(grant, identity, public)
        except Unopenable:
            continue
    return None


# Reading


def open_case(store: WorkerStore, case: Case) -> Case:
    # The keys are read only for a case with something sealed to open.
    keys = keyring(store, case.id) if sealing.case_is_sealed(case) else {}
    return sealing.open_case(case, keys)


def open_followups(store: WorkerStore, items: list[FollowUp]) -> list[FollowUp]:
    rings: dict[str, Keyring] = {}
    opened = []
    for item in items:
        if item.case_id not in rings:
            rings[item.case_id] = keyring(store, item.case_id)
        opened.append(sealing.open_followup(item, rings[item.case_id]))
    return opened


def open_followup(store: WorkerStore, item: FollowUp) -> FollowUp:
    return sealing.open_followup(item, keyring(store, item.case_id))


def open_change(store: WorkerStore, change: Change) -> Change:
    """A change with its team texts opened, for the screens that show a change itself (a
    refused one); a text that does not open reads as empty."""
    fields = dict(change.fields)
    keys = keyring(store, change.case_id)
    for name in sealing.team_fields(change.entity):
        if name in fields:
            fields[name] = sealing.open_field(
                keys, change.case_id, change.entity, change.entity_id, name, fields[name]
            )[0]
    return change.model_copy(update={"fields": fields})


def open_conflicts(store: WorkerStore, items: list[Conflict]) -> list[Conflict]:
    rings: dict[str, Keyring] = {}
    opened = []
    for item in items:
        if item.case_id not in rings:
            rings[item.case_id] = keyring(store, item.case_id)
        opened.append(sealing.open_conflict(item, rings[item.case_id])[0])
    return opened


# The team as `case team` shows it


@dataclass
class Member:
    """One member of a case's team, now or before, as the case's history shows it."""

    worker_id: str
    name: str
    fingerprint: str | None
    lead: bool
    joined: str  # the HLC of the district's change that first listed it
    left: str | None  # the HLC of the change that no longer listed it, if it left
    current: bool
    has_keys: bool  # a grant of every key of the case reached it (as this device knows)


def team_of(store: WorkerStore, case_id: str) -> tuple[list[Member], list[CaseKey]]:
    """The members of a case's team over its history, and the keys this device holds."""
    history: dict[str, Member] = {}
    order: list[str] = []
    listed_before: set[str] = set()
    for change in changelog.of_case(store.conn, case_id, "case"):
        listed = change.fields.get("assignees")
        if listed is None:
            continue
        now = {a.get("id", ""): a for a in listed if isinstance(a, dict)}
        for worker_id, assignee in now.items():
            member = history.get(worker_id)
            if member is None:
                member = Member(worker_id, "", None, False, change.hlc, None, True, False)
                history[worker_id] = member
                order.append(worker_id)
            member.name = assignee.get("name") or member.name
            member.fingerprint = assignee.get("fingerprint") or member.fingerprint
            member.lead = bool(assignee.get("lead"))
            member.left, member.current = None, True
        for worker_id in listed_before - set(now):
            history[worker_id].left, history[worker_id].current = change.hlc, False
        listed_before = set(now)
    held = keyring(store, case_id)
    given = grants.granted(store.conn, case_id)
    all_kids = {k for k in held} | {g[0] for g in given}
    for member in history.values():
        if member.worker_id == store.author:
            member.has_keys = all_kids <= set(held)
        else:
            theirs = {g[0] for g in given if g[1] == member.worker_id}
            member.has_keys = bool(all_kids) and all_kids <= theirs
    keys = sorted(held.values(), key=lambda k: (k.epoch, k.kid))
    return [history[w] for w in order], keys
