"""`district seal-team-texts`: an existing district gives up its readable copy of the
case teams' texts, written in clear by versions before issue 16 (DESIGN §9).

For each case whose history holds a team text in clear (in its change log or in a
refused change kept for a coordinator), the district makes a case key of the next
epoch, replaces every such text with its sealed value, derives the case's tables again
from its log (`merge.replay_case`: the same readings, the log at the same indexes), and
grants the key to each current member that has keys, as its own changes. The key then
leaves memory: it is never stored at the district. Empty values ("", []) hold no text
and stay as they are. Running it again seals only what is still clear (a device of an
older version that synced since) and does nothing else; each run is audited.

The devices that hold a sealed case are told so at their next sync (`resealed` in the
reply, with the case's whole history), and take the district's copy in place of their
own once none of their changes to it waits for an acknowledgement
(fieldkit/store/resealing.py). The flags wait in `meta`, one list per worker
(`resealed:<worker id>`), until the device says it took the copy (`retaken`).

Clear copies leave the file: on SQLCipher `secure_delete` zeroes freed content and the
WAL is checkpointed (TRUNCATE); on PostgreSQL the rows are updated and the touched
tables rewritten by `VACUUM FULL` when this connection may (docs/postgresql.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fieldkit.crypto.casekeys import CaseKey, is_sealed, make_grant, seal_value
from fieldkit.crypto.identity import PublicIdentity
from fieldkit.district import cases as district_cases
from fieldkit.district import postgres, refusals, workers
from fieldkit.model import Change, WorkerStatus
from fieldkit.replica import cases, changelog, grants, merge, meta
from fieldkit.replica.sealing import team_fields
from fieldkit.store import audit
from fieldkit.store.db import checkpoint, transaction

if TYPE_CHECKING:
    from fieldkit.district.store import DistrictStore

ACTION = "seal-team-texts"
FLAGS = "resealed:"  # meta key prefix: the sealed cases a worker's device still holds clear
# The rows an update leaves dead on PostgreSQL until it is vacuumed.
TOUCHED_TABLES = ("changes", "case_fields", "conflicts", "followups", "amendments", "refusals")


@dataclass
class SealedCase:
    case_id: str
    reference: str
    changes: int = 0
    refusals: int = 0
    grants: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "reference": self.reference,
            "changes": self.changes,
            "refusals": self.refusals,
            "grants": self.grants,
        }


@dataclass
class Sealed:
    """What one run did (ids and counts only)."""

    cases: list[SealedCase] = field(default_factory=list)
    # Refused changes about a case this district no longer holds: no team to grant a key
    # to, so they stay as they were (a purge of that case removes them).
    left_clear: int = 0
    recovery: bool = False  # keys granted to the district's recovery key too
    vacuumed: bool | None = None  # PostgreSQL: VACUUM FULL ran (None: the file, no need)

    @property
    def changes(self) -> int:
        return sum(c.changes for c in self.cases)

    @property
    def refusals(self) -> int:
        return sum(c.refusals for c in self.cases)

    @property
    def grants(self) -> int:
        return sum(c.grants for c in self.cases)

    def as_json(self) -> dict[str, Any]:
        return {
            "cases": [c.as_json() for c in self.cases],
            "changes": self.changes,
            "refusals": self.refusals,
            "grants": self.grants,
            "left_clear": self.left_clear,
            "recovery": self.recovery,
            "vacuumed": self.vacuumed,
        }


def _clear(entity: str, fields: dict[str, Any], for_cell: bool) -> list[str]:
    """The team texts of these fields in clear that hold something."""
    return [
        name
        for name in team_fields(entity, for_cell)
        if fields.get(name) not in (None, "", []) and not is_sealed(fields[name])
    ]


def _for_cell(history: list[Change]) -> dict[str, bool]:
    """Follow-up id -> addressed to the cell, from the changes that added them."""
    return {
        c.entity_id: bool(c.fields.get("for_cell"))
        for c in history
        if (c.entity, c.op) == ("followup", "add")
    }


def plan(conn: Any) -> dict[str, tuple[list[Change], list[tuple[int, str, Change]]]]:
    """case id -> (its changes with clear team texts, its refused ones), for the cases
    that have any."""
    found: dict[str, tuple[list[Change], list[tuple[int, str, Change]]]] = {}
    addressed: dict[str, dict[str, bool]] = {}
    for case_id in sorted(cases.all_ids(conn)):
        history = changelog.all_of_case(conn, case_id)
        addressed[case_id] = cell = _for_cell(history)
        clear = [
            c
            for c in history
            if _clear(
                c.entity, c.fields, cell.get(c.entity_id, False) or bool(c.fields.get("for_cell"))
            )
        ]
        if clear:
            found[case_id] = (clear, [])
    for number, worker_id, change in refusals.every_change(conn):
        if change.case_id not in addressed:
            continue
        for_cell = addressed[change.case_id].get(change.entity_id, False)
        if _clear(change.entity, change.fields, for_cell or bool(change.fields.get("for_cell"))):
            found.setdefault(change.case_id, ([], []))[1].append((number, worker_id, change))
    return found


def left_clear(conn: Any) -> int:
    """Refused changes with clear team texts about a case no longer held here."""
    held = set(cases.all_ids(conn))
    return sum(
        1
        for _, _, c in refusals.every_change(conn)
        if c.case_id not in held and _clear(c.entity, c.fields, bool(c.fields.get("for_cell")))
    )


class _Sealer:
    """Seals one case's clear texts under one key. Equal values of one case field seal
    to the same text, so that two writes that agreed still agree (merge compares them)."""

    def __init__(self, key: CaseKey, for_cell: dict[str, bool]) -> None:
        self.key = key
        self.for_cell = for_cell
        self.same: dict[tuple[str, str], str] = {}

    def fields(self, change: Change) -> dict[str, Any] | None:
        cell = self.for_cell.get(change.entity_id, False) or bool(change.fields.get("for_cell"))
        names = _clear(change.entity, change.fields, cell)
        if not names:
            return None
        sealed = dict(change.fields)
        for name in names:
            value = sealed[name]
            if change.entity == "case":
                plain = json.dumps(value, sort_keys=True, ensure_ascii=False)
                if (name, plain) not in self.same:
                    self.same[(name, plain)] = seal_value(
                        self.key, change.entity, change.entity_id, name, value
                    )
                sealed[name] = self.same[(name, plain)]
            else:
                sealed[name] = seal_value(self.key, change.entity, change.entity_id, name, value)
        return sealed


def _members(conn: Any, case_id: str) -> dict[str, PublicIdentity]:
    """The current team that can receive a key: enrolled, not revoked, with keys."""
    found = {}
    for worker_id in sorted(district_cases.assignees_of(conn, {case_id})):
        record = workers.get(conn, worker_id)
        public = record.public_identity()
        if public is not None and record.worker.status == WorkerStatus.ENROLLED:
            found[worker_id] = public
    return found


def _recovery(conn: Any) -> tuple[str, PublicIdentity] | None:
    """The district's current recovery key (grantee id, public key), when it has one
    (`district init`, `district recovery-key new`: fieldkit/district/recovery.py)."""
    from fieldkit.district import recovery

    known = recovery.generations(conn)
    if not known:
        return None
    newest = known[-1]
    return recovery.grantee(newest.number), newest.public


def _seal_case(
    store: DistrictStore,
    case_id: str,
    clear: list[Change],
    refused: list[tuple[int, str, Change]],
    recovery: tuple[str, PublicIdentity] | None,
) -> SealedCase:
    conn = store.conn
    epochs = [g.epoch for g in grants.of_case(conn, case_id)]
    key = CaseKey.new(case_id, max(epochs, default=0) + 1)
    history = changelog.all_of_case(conn, case_id)
    sealer = _Sealer(key, _for_cell(history))
    done = SealedCase(case_id, cases.reference_of(conn, case_id) or "")
    for change in clear:
        sealed = sealer.fields(change)
        if sealed is not None:
            changelog.replace_fields(conn, change.id, sealed)
            done.changes += 1
    if done.changes:
        merge.replay_case(conn, case_id)
    for number, worker_id, change in refused:
        sealed = sealer.fields(change)
        if sealed is not None:
            refusals.replace_change(
                conn, number, worker_id, change.model_copy(update={"fields": sealed})
            )
            done.refusals += 1
    targets = _members(conn, case_id)
    if recovery is not None:
        targets[recovery[0]] = recovery[1]
    identity = store.identity()
    origin = meta.get(conn, "replica_id") or ""
    for grantee, public in sorted(targets.items()):
        grant = make_grant(key, grantee, public, "district", identity)
        change = changelog.new_local(
            conn,
            origin=origin,
            author="district",
            entity=grants.ENTITY,
            entity_id=grants.entity_id(key.kid, grantee),
            case_id=case_id,
            op="add",
            fields=grant.fields(),
        )
        merge.apply(conn, change)
        done.grants += 1
    _flag(conn, case_id, [w for w in targets if not w.startswith("recovery-")])
    return done


def seal_team_texts(store: DistrictStore) -> Sealed:
    """Seal every team text still in clear, in one transaction; audited each run."""
    conn = store.conn
    result = Sealed()
    with transaction(conn):
        recovery = _recovery(conn)
        result.recovery = recovery is not None
        for case_id, (clear, refused) in plan(conn).items():
            result.cases.append(_seal_case(store, case_id, clear, refused, recovery))
        result.left_clear = left_clear(conn)
        detail = (
            f"cases={len(result.cases)} changes={result.changes} refusals={result.refusals}"
            f" grants={result.grants} left-clear={result.left_clear}"
        )
        audit.record(conn, "district", ACTION, "district", "", detail)
    if isinstance(conn, postgres.PgConnection):
        result.vacuumed = _vacuum(conn) if result.cases else False
    else:
        checkpoint(conn)
    return result


def _vacuum(conn: postgres.PgConnection) -> bool:
    """Rewrite the touched tables without their dead rows; False when not allowed here."""
    import psycopg

    try:
        for table in TOUCHED_TABLES:
            conn.execute(f"VACUUM FULL {table}")
    except psycopg.Error:
        return False
    return True


# The devices' copies


def _flag(conn: Any, case_id: str, worker_ids: list[str]) -> None:
    for worker_id in worker_ids:
        held = set(flags_of(conn, worker_id))
        if case_id not in held:
            meta.put(conn, FLAGS + worker_id, json.dumps(sorted(held | {case_id})))


def flags_of(conn: Any, worker_id: str) -> list[str]:
    stored = meta.get(conn, FLAGS + worker_id)
    return json.loads(stored) if stored else []


def to_retake(conn: Any, worker_id: str, holding: set[str], retaken: list[str]) -> set[str]:
    """The sealed cases this worker's device still holds in clear, inside the sync's
    transaction. The flags of the cases it took again (`retaken`) or no longer holds
    are dropped: a case it does not hold comes whole, sealed, when it is given again."""
    flags = flags_of(conn, worker_id)
    if not flags:
        return set()
    kept = sorted((set(flags) & holding) - set(retaken))
    if kept != flags:
        if kept:
            meta.put(conn, FLAGS + worker_id, json.dumps(kept))
        else:
            meta.delete(conn, FLAGS + worker_id)
    return set(kept)
