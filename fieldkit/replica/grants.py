"""Grants as every replica keeps them: a case key sealed to one grantee (issue 16).

A grant is a change (entity `grant`, op `add`, entity id ``<kid>:<grantee>``) whose fields
are `Grant.fields()` (fieldkit/crypto/casekeys.py). Replicas store and relay grants as
they store any change; only the grantee can open one. The district checks who a worker
may grant to (fieldkit/district/authorise.py); the grantee checks the grant itself when
it opens it (fieldkit/store/team.py).
"""

from __future__ import annotations

import json

from fieldkit.crypto.casekeys import Grant
from fieldkit.model import Change, Conflict
from fieldkit.replica.db import Connection

GRANTS_SCHEMA = """
CREATE TABLE grants (
    change_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    kid TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    grantee TEXT NOT NULL,
    grantee_key TEXT NOT NULL,
    granter TEXT NOT NULL,
    fields TEXT NOT NULL
);
CREATE INDEX grants_case ON grants (case_id, grantee)
"""

ENTITY = "grant"


def entity_id(kid: str, grantee: str) -> str:
    return f"{kid}:{grantee}"


def apply_change(conn: Connection, change: Change) -> list[Conflict]:
    """The merge handler of a grant change: store it (grants never conflict)."""
    grant = Grant.from_fields(change.case_id, change.fields)
    if change.entity_id != entity_id(grant.kid, grant.grantee):
        raise ValueError("grant entity id does not name its key and grantee")
    conn.execute(
        "INSERT INTO grants (change_id, case_id, kid, epoch, grantee, grantee_key, granter,"
        " fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (change_id) DO NOTHING",
        (
            change.id,
            change.case_id,
            grant.kid,
            grant.epoch,
            grant.grantee,
            grant.grantee_key,
            grant.granter,
            json.dumps(change.fields, sort_keys=True),
        ),
    )
    return []


def of_case(conn: Connection, case_id: str) -> list[Grant]:
    """Every grant of a case, in arrival order."""
    rows = conn.execute(
        "SELECT fields FROM grants WHERE case_id = ? ORDER BY change_id", (case_id,)
    )
    return [Grant.from_fields(case_id, json.loads(r[0])) for r in rows]


def granted(conn: Connection, case_id: str) -> set[tuple[str, str, str]]:
    """(kid, grantee, grantee fingerprint) of every grant of a case."""
    return {
        (r[0], r[1], r[2])
        for r in conn.execute(
            "SELECT kid, grantee, grantee_key FROM grants WHERE case_id = ?", (case_id,)
        )
    }


def delete_case(conn: Connection, case_id: str) -> None:
    conn.execute("DELETE FROM grants WHERE case_id = ?", (case_id,))
