"""Moving a district from its SQLCipher file to PostgreSQL, and proving the copy whole.

Every row of every table is copied with its ids (the change log's `idx` is the cursor
workers hold, so it must not move), personal-data columns sealed on the way
(`SEALED`, the same row keys the store modules use), in one transaction. Then the copy
is checked against the file: row counts per table, a digest of every table's rows
(read back and unsealed), the sync state digest over every case, and the audit chain.
Only then does the district's configuration point at PostgreSQL; the file is kept,
untouched, for the operator to remove once the new database is backed up.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldkit.crypto.columns import ColumnCipher
from fieldkit.district import backend, postgres
from fieldkit.district.schema import KIND, migrate_store
from fieldkit.district.store import DistrictStore
from fieldkit.errors import IntegrityError, UsageError
from fieldkit.replica import cases
from fieldkit.replica.columns import row_key
from fieldkit.replica.digest import state_digest
from fieldkit.store import audit
from fieldkit.store.access import Credentials
from fieldkit.store.db import db_path, transaction

# table -> column -> the row key its sealed value is bound to (fieldkit/replica/columns.py).
Row = dict[str, Any]
SEALED: dict[str, dict[str, Callable[[Row], str]]] = {
    "meta": {"value": lambda r: r["key"]},
    "case_fields": {"value": lambda r: row_key(r["case_id"], r["field"])},
    "conflicts": {"winner_value": lambda r: r["id"], "loser_value": lambda r: r["id"]},
    "followups": {"data": lambda r: r["id"]},
    "amendments": {"fields": lambda r: r["id"]},
    "decisions": {"data": lambda r: r["id"]},
    "measures": {"text": lambda r: r["id"]},
    "changes": {"fields": lambda r: r["id"]},
    "audit": {"detail": lambda r: str(r["seq"])},
    "workers": {"name": lambda r: r["id"], "unit": lambda r: r["id"]},
    "meetings": {"title": lambda r: r["id"]},
    "meeting_attendees": {"name": lambda r: r["id"]},
    "meeting_events": {"reason": lambda r: str(r["id"]), "content": lambda r: str(r["id"])},
    "units": {"name": lambda r: r["id"]},
    "charters": {"text": lambda r: r["version"]},
    "enrol_offers": {"document": lambda r: r["lookup"]},
    "refusals": {
        "change": lambda r: row_key(r["worker_id"], r["origin"], str(r["seq"])),
        "decision_reason": lambda r: row_key(r["worker_id"], r["origin"], str(r["seq"])),
    },
}
# Parents before children (foreign keys); tables not named here follow in name order.
ORDER = [
    "meta",
    "cases",
    "case_fields",
    "conflicts",
    "resolved_conflicts",
    "followups",
    "amendments",
    "changes",
    "audit",
    "workers",
    "assignments",
    "refusals",
    "references_used",
    "meetings",
]


@dataclass
class Migrated:
    database: str  # redacted
    kept_file: Path
    rows: dict[str, int] = field(default_factory=dict)
    state_digest: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "kept_file": str(self.kept_file),
            "tables": self.rows,
            "state_digest": self.state_digest,
            "verified": True,
        }


def to_postgresql(home: Path, credentials: Credentials, dsn: str) -> Migrated:
    current = backend.read_config(home)
    if current.backend != backend.SQLCIPHER:
        raise UsageError("database.not_file", database=current.shown)
    target_config = backend.chosen(dsn)
    if target_config.backend != backend.POSTGRESQL:
        raise UsageError("database.bad_dsn")
    with DistrictStore.open(home, credentials) as source:
        database = postgres.Database(dsn)
        try:
            conn = database.connect(ColumnCipher(source.data_key))
            try:
                if postgres.tables(conn):
                    raise UsageError("database.not_empty")
                # The file's write lock, held until the configuration points at the copy:
                # the copy is one consistent state, and no write on the file is left behind.
                with transaction(source.conn):
                    done = _copy_and_check(source, conn)
                    backend.write_config(home, target_config)
            finally:
                database.release(conn)
        finally:
            database.close()
    done.database = target_config.shown
    done.kept_file = db_path(home, KIND)
    return done


def _tables(conn: Any) -> list[str]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return [t for t in ORDER if t in names] + sorted(set(names) - set(ORDER))


def _columns(conn: Any, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]


def _copy_and_check(source: DistrictStore, target: postgres.PgConnection) -> Migrated:
    migrate_store(target)
    made = postgres.tables(target)
    tables = _tables(source.conn)
    cipher = target.column_cipher
    assert cipher is not None
    try:
        target.begin_write()
        try:
            for table in tables:
                columns = _columns(source.conn, table)
                sealed = SEALED.get(table, {})
                rows = []
                for values in source.conn.execute(f'SELECT * FROM "{table}"'):
                    row = dict(zip(columns, values, strict=True))
                    for column, key in sealed.items():
                        if row[column] is not None:
                            row[column] = cipher.seal(table, column, key(row), row[column])
                    rows.append(tuple(row[c] for c in columns))
                if rows:
                    names = ", ".join(f'"{c}"' for c in columns)
                    marks = ", ".join("%s" for _ in columns)
                    with target.raw.cursor() as cursor:
                        cursor.executemany(
                            f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows
                        )
            postgres.reset_sequences(target)
        except BaseException:
            target.execute("ROLLBACK")
            raise
        target.execute("COMMIT")
        return _check(source, target, tables)
    except BaseException:
        # Leave the target as it was found (empty), so that the move can be tried again.
        postgres.drop_all(target, made)
        raise


def _check(source: DistrictStore, target: postgres.PgConnection, tables: list[str]) -> Migrated:
    done = Migrated(database="", kept_file=Path())
    for table in tables:
        columns = _columns(source.conn, table)
        names = ", ".join(f'"{c}"' for c in columns)
        theirs = source.conn.execute(f'SELECT {names} FROM "{table}"').fetchall()
        ours = target.execute(f'SELECT {names} FROM "{table}"').fetchall()
        if len(theirs) != len(ours):
            raise IntegrityError("database.copy_mismatch", what=f"{table}: count")
        sealed = SEALED.get(table, {})
        opened = []
        for values in ours:
            row = dict(zip(columns, values, strict=True))
            for column, key in sealed.items():
                if row[column] is not None:
                    row[column] = target.column_cipher.unseal(table, column, key(row), row[column])
            opened.append(tuple(row[c] for c in columns))
        if _rows_digest(theirs) != _rows_digest(opened):
            raise IntegrityError("database.copy_mismatch", what=f"{table}: digest")
        done.rows[table] = len(ours)
    case_ids = cases.all_ids(source.conn)
    done.state_digest = state_digest(source.conn, case_ids)
    if state_digest(target, case_ids) != done.state_digest:
        raise IntegrityError("database.copy_mismatch", what="state digest")
    if audit.verify(target) != audit.verify(source.conn):
        raise IntegrityError("database.copy_mismatch", what="audit chain")
    return done


def _rows_digest(rows: list[tuple]) -> str:
    lines = sorted(json.dumps(list(r), ensure_ascii=False, default=str) for r in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
