"""The district's encrypted store: the authoritative copy, workers, assignments, references.

Same key hierarchy and replicated tables as a worker store (the district is a replica
too, with its own origin); on top of them, the workers with their keys and counters,
the assignments, and the refused changes kept whole for a coordinator to review.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fieldkit import rules
from fieldkit.crypto.columns import ColumnCipher
from fieldkit.crypto.enrolment import secret_hash
from fieldkit.crypto.identity import PublicIdentity
from fieldkit.district import backend, postgres, refusals, retention
from fieldkit.errors import InvalidValue, NotFound, StoreError, UsageError
from fieldkit.model import (
    Assignee,
    Case,
    CaseStatus,
    Change,
    FollowUp,
    Priority,
    RefusedChange,
    Worker,
    WorkerStatus,
)
from fieldkit.store import access, audit, cases, changelog, followups, meta
from fieldkit.store.access import Credentials
from fieldkit.store.columns import seal, unseal
from fieldkit.store.db import Connection, checkpoint, connect, db_path, migrate, transaction
from fieldkit.store.lifecycle import create_store
from fieldkit.store.replica import ReplicaStore
from fieldkit.store.schema import CONFLICT_RESOLUTION, REPLICA_SCHEMA
from fieldkit.sync import merge
from fieldkit.sync.enrolment import EnrolmentCode, encode_code

KIND = "district"
DEFAULT_CODE_TTL_HOURS = 72

DISTRICT_SCHEMA = """
CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    status TEXT NOT NULL,
    replica_id TEXT UNIQUE,
    keys TEXT,
    fingerprint TEXT,
    secret_hash TEXT NOT NULL,
    code_expires INTEGER NOT NULL,
    code_used INTEGER NOT NULL DEFAULT 0,
    acked_seq INTEGER NOT NULL DEFAULT 0,
    counter_in INTEGER NOT NULL DEFAULT 0,
    counter_out INTEGER NOT NULL DEFAULT 0,
    last_sync TEXT,
    revoked_at TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE assignments (
    case_id TEXT NOT NULL REFERENCES cases (id),
    worker_id TEXT NOT NULL REFERENCES workers (id),
    lead INTEGER NOT NULL DEFAULT 0,
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (case_id, worker_id)
) WITHOUT ROWID;
CREATE INDEX assignments_worker ON assignments (worker_id);
CREATE TABLE refusals (
    id INTEGER PRIMARY KEY,
    worker_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    reason TEXT NOT NULL,
    change TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (origin, seq)
);
CREATE TABLE references_used (year INTEGER PRIMARY KEY, last INTEGER NOT NULL)
"""

# 2: a refusal belongs to the worker that sent the change. Keyed on (origin, seq) alone, a
# change forged by one worker under another's origin took the place of the other's own
# change, and counted in that worker's acknowledgement: its real change was then lost.
REFUSALS_PER_WORKER = """
CREATE TABLE refusals_by_worker (
    id INTEGER PRIMARY KEY,
    worker_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    reason TEXT NOT NULL,
    change TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (worker_id, origin, seq)
);
INSERT INTO refusals_by_worker SELECT id, worker_id, origin, seq, reason, change, at FROM refusals;
DROP TABLE refusals;
ALTER TABLE refusals_by_worker RENAME TO refusals
"""

# 3: the case list's high concerns and the report's per-case activity read the concerns
# and the recent follow-ups of each case through this index, not by scanning them all.
CONCERNS_INDEX = "CREATE INDEX followups_concern ON followups (concern_level, case_id, occurred_on)"

# 4: a coordinator decides on each refused change (accept once the rules allow it, or
# dismiss with a reason), and the decision travels back to the worker (issue 12 §3).
REFUSAL_DECISIONS = """
ALTER TABLE refusals ADD COLUMN status TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE refusals ADD COLUMN decided_at TEXT;
ALTER TABLE refusals ADD COLUMN decision_reason TEXT;
ALTER TABLE refusals ADD COLUMN notified INTEGER NOT NULL DEFAULT 0;
CREATE INDEX refusals_worker_status ON refusals (worker_id, status, notified)
"""

DISTRICT_MIGRATIONS: list[str] = [
    REPLICA_SCHEMA + ";\n" + DISTRICT_SCHEMA.strip(),
    REFUSALS_PER_WORKER.strip(),
    CONCERNS_INDEX,
    CONFLICT_RESOLUTION,
    REFUSAL_DECISIONS.strip(),
]


@dataclass
class WorkerRecord:
    worker: Worker
    replica_id: str | None
    acked_seq: int
    counter_in: int
    counter_out: int
    secret_hash: str
    code_expires: int
    code_used: bool
    last_sync: str | None
    revoked_at: str | None

    def public_identity(self) -> PublicIdentity | None:
        if not self.worker.signing_key or not self.worker.hpke_key:
            return None
        return PublicIdentity.from_dict(
            {"signing": self.worker.signing_key, "hpke": self.worker.hpke_key}
        )


_WORKER_COLUMNS = (
    "id, name, unit, status, replica_id, keys, fingerprint, secret_hash, code_expires, code_used,"
    " acked_seq, counter_in, counter_out, last_sync, revoked_at"
)


def _worker_row(conn: Connection, row: tuple) -> WorkerRecord:
    keys = json.loads(row[5]) if row[5] else {}
    return WorkerRecord(
        worker=Worker(
            id=row[0],
            name=unseal(conn, "workers", "name", row[0], row[1]),
            unit=unseal(conn, "workers", "unit", row[0], row[2]),
            status=WorkerStatus(row[3]),
            signing_key=keys.get("signing"),
            hpke_key=keys.get("hpke"),
            fingerprint=row[6],
        ),
        replica_id=row[4],
        secret_hash=row[7],
        code_expires=row[8],
        code_used=bool(row[9]),
        acked_seq=row[10],
        counter_in=row[11],
        counter_out=row[12],
        last_sync=row[13],
        revoked_at=row[14],
    )


class DistrictStore(ReplicaStore):
    """One district, on its SQLCipher file or on PostgreSQL (fieldkit/district/backend.py).

    `conn` is held for the store's life. A server handles each request on `lease()`:
    on the file, the same connection under a process lock (one writer); on PostgreSQL,
    a connection of its own from the pool, so that requests run side by side and
    meet only at the database's write lock.
    """

    def __init__(
        self,
        home: Path,
        conn: Connection,
        store_id: str,
        data_key: bytes,
        database: postgres.Database | None = None,
    ):
        self.home = home
        self.conn = conn
        self.store_id = store_id
        self.data_key = data_key  # in memory only: derives the TLS key's password
        self.database = database
        self._lock = threading.Lock()

    # Opening

    @classmethod
    def create(
        cls,
        home: Path,
        passphrase: str,
        name: str,
        url: str | None,
        prefix: str = "CO",
        database: str | None = None,
    ) -> DistrictStore:
        """A new district; `database` is a PostgreSQL DSN, else FIELDKIT_DISTRICT_DATABASE,
        else the SQLCipher file in `home`."""
        if not name.strip():
            raise InvalidValue("value.missing", field="--name")
        config = backend.chosen(database)
        settings = {"district_name": name.strip(), "reference_prefix": prefix}
        if url:
            settings["url"] = url
        target = None
        if config.backend == backend.POSTGRESQL:
            target = backend.NewPostgresDatabase(home, config, DISTRICT_MIGRATIONS)
        try:
            conn, store_id, data_key = create_store(
                home,
                KIND,
                passphrase,
                DISTRICT_MIGRATIONS,
                replica_prefix="d",
                actor=lambda _: "district",
                settings=settings,
                database=target,
            )
        except BaseException:
            if target is not None:
                target.abandon()
            raise
        return cls(home, conn, store_id, data_key, target.database if target else None)

    @classmethod
    def open(cls, home: Path, credentials: Credentials, *, pool_size: int = 1) -> DistrictStore:
        """Open a district; a server passes the number of requests it runs at once."""
        config = backend.read_config(home)
        unlocked = access.data_key(home, KIND, credentials)
        database = None
        if config.backend == backend.POSTGRESQL:
            assert config.dsn
            database = postgres.Database(config.dsn, max_size=pool_size + 1)
            conn = database.connect(ColumnCipher(unlocked.data_key))
        else:
            conn = connect(db_path(home, KIND), unlocked.data_key)
        try:
            migrate_store(conn)
            if database is not None and meta.get(conn, "store_id") != unlocked.keyfile.store_id:
                raise StoreError("database.other_district")
            with access.failed_unlocks(home) as failed:
                if failed:
                    with transaction(conn):
                        for when in failed:
                            audit.record(conn, "district", "unlock-failed", "store", "", at=when)
        except BaseException:
            _close(conn, database)
            raise
        return cls(home, conn, unlocked.keyfile.store_id, unlocked.data_key, database)

    @property
    def backend(self) -> str:
        return backend.SQLCIPHER if self.database is None else backend.POSTGRESQL

    @property
    def database_shown(self) -> str:
        """Where the tables are, as a person may be shown it (no password)."""
        if self.database is None:
            return str(db_path(self.home, KIND))
        return backend.DatabaseConfig(backend.POSTGRESQL, self.database.dsn).shown

    @contextmanager
    def lease(self) -> Iterator[DistrictStore]:
        """This district on a connection for one request (see the class docstring)."""
        if self.database is None:
            with self._lock:
                yield self
            return
        with self.database.lease(self.conn.column_cipher) as conn:
            yield replace_conn(self, conn)

    def close(self) -> None:
        _close(self.conn, self.database)

    # Identity and settings

    @property
    def name(self) -> str:
        return meta.get(self.conn, "district_name") or ""

    @property
    def url(self) -> str | None:
        return meta.get(self.conn, "url")

    def set_setting(self, key: str, value: str) -> None:
        with transaction(self.conn):
            meta.put(self.conn, key, value)

    def setting(self, key: str) -> str | None:
        return meta.get(self.conn, key)

    # Workers

    def add_worker(
        self, name: str, unit: str, ttl_hours: int = DEFAULT_CODE_TTL_HOURS
    ) -> tuple[Worker, str]:
        """A new worker and its one-time enrolment code (shown once, never stored)."""
        if not name.strip() or not unit.strip():
            raise InvalidValue("value.missing", field="--name/--unit")
        rules.check_texts({"display_name": name.strip(), "unit": unit.strip()})
        worker_id = "wk-" + uuid.uuid4().hex[:12]
        secret = secrets.token_hex(16)
        expires = int(time.time()) + ttl_hours * 3600
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO workers"
                " (id, name, unit, status, secret_hash, code_expires, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    worker_id,
                    seal(self.conn, "workers", "name", worker_id, name.strip()),
                    seal(self.conn, "workers", "unit", worker_id, unit.strip()),
                    "pending",
                    secret_hash(secret),
                    expires,
                    _now(),
                ),
            )
            audit.record(self.conn, "district", "worker-add", "worker", worker_id)
        code = EnrolmentCode(
            district_id=self.replica_id,
            district_name=self.name,
            url=self.url,
            tls_fingerprint=meta.get(self.conn, "tls_fingerprint"),
            district_keys=self.identity().public.to_dict(),
            worker_id=worker_id,
            secret=secret,
            expires=expires,
        )
        return self.worker(worker_id).worker, encode_code(code)

    def worker(self, ref: str) -> WorkerRecord:
        """A worker by id, or by name when exactly one has it (names may be sealed, so
        they are compared here rather than in SQL)."""
        row = self.conn.execute(
            f"SELECT {_WORKER_COLUMNS} FROM workers WHERE id = ?", (ref,)
        ).fetchone()
        if row:
            return _worker_row(self.conn, row)
        named = [r for r in self.workers() if r.worker.name == ref]
        if len(named) != 1:
            raise NotFound("worker.not_found", ref=ref)
        return named[0]

    def worker_by_replica(self, replica_id: str) -> WorkerRecord | None:
        row = self.conn.execute(
            f"SELECT {_WORKER_COLUMNS} FROM workers WHERE replica_id = ?", (replica_id,)
        ).fetchone()
        return _worker_row(self.conn, row) if row else None

    def workers(self) -> list[WorkerRecord]:
        rows = self.conn.execute(f"SELECT {_WORKER_COLUMNS} FROM workers").fetchall()
        records = [_worker_row(self.conn, r) for r in rows]
        return sorted(records, key=lambda r: (r.worker.name, r.worker.id))

    def revoke_worker(self, ref: str) -> Worker:
        record = self.worker(ref)
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE workers SET status = 'revoked', revoked_at = ?, code_used = 1 WHERE id = ?",
                (_now(), record.worker.id),
            )
            audit.record(self.conn, "district", "worker-revoke", "worker", record.worker.id)
        return self.worker(record.worker.id).worker

    # Cases

    def add_case(
        self,
        *,
        name: str,
        unit: str,
        birth_year: int | None = None,
        referral_date: date | None = None,
        referral_source: str | None = None,
        reason: str | None = None,
        priority: Priority = Priority.NORMAL,
        situation: str = "",
        next_review: date | None = None,
    ) -> Case:
        if not name.strip() or not unit.strip():
            raise InvalidValue("value.missing", field="--name/--unit")
        rules.check_texts(
            {
                "display_name": name.strip(),
                "unit": unit.strip(),
                "referral_source": referral_source,
                "reason": reason,
                "situation": situation,
            }
        )
        if birth_year is not None and not 1900 <= birth_year <= date.today().year:
            raise InvalidValue("value.bad_year", field="--birth-year", value=birth_year)
        if referral_date is not None and referral_date > date.today():
            raise InvalidValue("case.referral_in_future", field="--referral-date")
        case_id = uuid.uuid4().hex
        referral = referral_date or date.today()
        with transaction(self.conn):
            reference = self._next_reference(referral.year)
            fields: dict[str, Any] = {
                "reference": reference,
                "display_name": name.strip(),
                "birth_year": birth_year,
                "unit": unit.strip(),
                "referral_date": referral.isoformat(),
                "referral_source": referral_source,
                "reason": reason,
                "status": CaseStatus.ACTIVE.value,
                "priority": priority.value,
                "assignees": [],
                "situation": situation,
                "goals": [],
                "related": [],
                "next_review": next_review.isoformat() if next_review else None,
            }
            self._write("case", case_id, case_id, "open", fields)
            audit.record(self.conn, "district", "case-add", "case", case_id)
        return cases.load(self.conn, case_id)

    def _next_reference(self, year: int) -> str:
        row = self.conn.execute(
            "SELECT last FROM references_used WHERE year = ?", (year,)
        ).fetchone()
        number = (row[0] if row else 0) + 1
        self.conn.execute(
            "INSERT INTO references_used (year, last) VALUES (?, ?)"
            " ON CONFLICT (year) DO UPDATE SET last = excluded.last",
            (year, number),
        )
        prefix = meta.get(self.conn, "reference_prefix") or "CO"
        return f"{prefix}-{year}-{number:04d}"

    def case(self, ref: str, limit: int | None = None) -> tuple[Case, list[FollowUp]]:
        """A case and its follow-ups, newest first: the `limit` latest, or all of them."""
        case_id = cases.resolve_id(self.conn, ref)
        case = cases.load(self.conn, case_id)
        history = followups.for_case(self.conn, case_id, limit=limit)
        with transaction(self.conn):
            audit.record(self.conn, "district", "view", "case", case_id)
        return case, history

    def list_cases(self, status: CaseStatus | None = None, unit: str | None = None) -> list[Case]:
        items = cases.list_cases(self.conn, status.value if status else None)
        if unit:
            items = [c for c in items if c.unit == unit]
        return items

    def high_concerns(self) -> dict[str, int]:
        """Open cases' count of follow-ups whose current concern level is high."""
        return dict(
            self.conn.execute(
                "SELECT case_id, count(*) FROM followups WHERE concern_level = 'high'"
                " GROUP BY case_id"
            ).fetchall()
        )

    def assign(self, case_ref: str, worker_ref: str, lead: bool = False) -> Case:
        case_id = cases.resolve_id(self.conn, case_ref)
        record = self.worker(worker_ref)
        if record.worker.status == WorkerStatus.REVOKED:
            raise UsageError("worker.is_revoked", ref=record.worker.id)
        case = cases.load(self.conn, case_id)
        if case.status == CaseStatus.CLOSED:
            raise UsageError("case.closed", ref=case.reference)
        with transaction(self.conn):
            if lead:
                self.conn.execute("UPDATE assignments SET lead = 0 WHERE case_id = ?", (case_id,))
            self.conn.execute(
                "INSERT INTO assignments (case_id, worker_id, lead, assigned_at)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (case_id, worker_id) DO UPDATE SET lead = excluded.lead",
                (case_id, record.worker.id, int(lead), _now()),
            )
            self._write_assignees(case_id)
            audit.record(self.conn, "district", "case-assign", "case", case_id, record.worker.id)
        return cases.load(self.conn, case_id)

    def unassign(self, case_ref: str, worker_ref: str) -> Case:
        case_id = cases.resolve_id(self.conn, case_ref)
        record = self.worker(worker_ref)
        with transaction(self.conn):
            deleted = self.conn.execute(
                "DELETE FROM assignments WHERE case_id = ? AND worker_id = ?",
                (case_id, record.worker.id),
            ).rowcount
            if not deleted:
                raise NotFound("assignment.not_found", case=case_ref, worker=record.worker.id)
            self._write_assignees(case_id)
            audit.record(self.conn, "district", "case-unassign", "case", case_id, record.worker.id)
        return cases.load(self.conn, case_id)

    def close_case(self, case_ref: str, reason: str) -> Case:
        case_id = cases.resolve_id(self.conn, case_ref)
        if not reason.strip():
            raise InvalidValue("value.missing", field="--reason")
        rules.check_text("closure_reason", reason.strip())
        with transaction(self.conn):
            fields = {"status": CaseStatus.CLOSED.value, "closure_reason": reason.strip()}
            self._write("case", case_id, case_id, "update", fields, self._bases(case_id, fields))
            audit.record(self.conn, "district", "case-close", "case", case_id)
        return cases.load(self.conn, case_id)

    # Retention (DESIGN §8; docs/guide.md, "Data protection")

    def closed_before(self, cutoff: date) -> list[retention.ClosedCase]:
        """Closed cases whose closing time is before `cutoff`: what a purge would remove."""
        return retention.closed_before(self.conn, cutoff)

    def purge_closed(
        self, cutoff: date, only: set[str] | None = None
    ) -> list[retention.ClosedCase]:
        """Delete every closed case closed before `cutoff` (those of them in `only`, the ids
        a person confirmed, when given), in one transaction; returns what went.

        Selected again under the write lock, so an open case is never touched. On the file,
        the WAL is checkpointed afterwards so that the freed content leaves it too
        (`secure_delete` has zeroed it in the pages); on PostgreSQL the rows' space is
        reclaimed by VACUUM (docs/postgresql.md).
        """
        with transaction(self.conn):
            due = retention.closed_before(self.conn, cutoff)
            if only is not None:
                due = [item for item in due if item.case_id in only]
            retention.purge(self.conn, due)
        if self.database is None:
            checkpoint(self.conn)
        return due

    def _write_assignees(self, case_id: str) -> None:
        rows = self.conn.execute(
            "SELECT a.worker_id, w.name, a.lead FROM assignments AS a"
            " JOIN workers AS w ON w.id = a.worker_id WHERE a.case_id = ?",
            (case_id,),
        ).fetchall()
        named = [(r[0], unseal(self.conn, "workers", "name", r[0], r[1]), r[2]) for r in rows]
        named.sort(key=lambda r: (-r[2], r[1]))
        assignees = [Assignee(id=r[0], name=r[1], lead=bool(r[2])).model_dump() for r in named]
        fields = {"assignees": assignees}
        self._write("case", case_id, case_id, "update", fields, self._bases(case_id, fields))

    def _bases(self, case_id: str, fields: dict[str, Any]) -> dict[str, str | None]:
        bases: dict[str, str | None] = {}
        for name in fields:
            version = cases.field_version(self.conn, case_id, name)
            bases[name] = version.change_id if version else None
        return bases

    def _write(
        self,
        entity: str,
        entity_id: str,
        case_id: str,
        op: str,
        fields: dict[str, Any],
        base: dict[str, str | None] | None = None,
    ) -> Change:
        change = changelog.new_local(
            self.conn,
            origin=self.replica_id,
            author="district",
            entity=entity,
            entity_id=entity_id,
            case_id=case_id,
            op=op,
            fields=fields,
            base=base,
        )
        merge.apply(self.conn, change)
        return change

    def assigned_cases(self, worker_id: str) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT case_id FROM assignments WHERE worker_id = ?", (worker_id,)
            )
        ]

    # Refused changes (fieldkit/district/refusals.py)

    def refusals(self, status: str | None = None) -> list[RefusedChange]:
        return refusals.listing(self.conn, status)

    def refusal(self, ref: str) -> RefusedChange:
        item = refusals.get(self.conn, ref)
        with transaction(self.conn):
            audit.record(self.conn, "district", "view", "refusal", item.id)
        return item

    def accept_refusal(self, ref: str) -> RefusedChange:
        def origin_of(worker_id: str) -> str:
            return self.worker(worker_id).replica_id or ""

        return refusals.accept(self.conn, ref, origin_of, self.assigned_cases)

    def dismiss_refusal(self, ref: str, reason: str) -> RefusedChange:
        return refusals.dismiss(self.conn, ref, reason)

    def record_report(self, action: str, detail: str, unit: str | None = None) -> None:
        """Audit a meeting report shown on a terminal ("view") or sent out ("export").

        `detail` says the format, where it went and whether it held the per-case annex
        (e.g. "pdf file with-cases"), never the path.
        """
        if action not in ("view", "export"):
            raise ValueError(action)
        with transaction(self.conn):
            audit.record(self.conn, "district", action, "report", unit or "", detail)


def migrate_store(conn: Connection) -> None:
    """The district schema to its latest step, on either backend."""
    if isinstance(conn, postgres.PgConnection):
        postgres.migrate(conn, DISTRICT_MIGRATIONS)
    else:
        migrate(conn, DISTRICT_MIGRATIONS)


def replace_conn(store: DistrictStore, conn: Connection) -> DistrictStore:
    """The same district (keys, settings) on another connection of its database."""
    leased = DistrictStore(store.home, conn, store.store_id, store.data_key, None)
    leased.database = store.database
    return leased


def _close(conn: Connection, database: postgres.Database | None) -> None:
    if database is None:
        conn.close()
        return
    database.release(conn)
    database.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
