"""The district's encrypted store: the facade the commands use, over the modules that own
each job.

Same key hierarchy and replicated tables as a worker store (the district is a replica
too, with its own origin). Opening, closing and leasing a connection live here; the
rest is delegated: the schema (fieldkit/district/schema.py), the workers
(district/workers.py), cases and assignments (district/cases.py), the refused changes
(district/refusals.py), retention (district/retention.py) and the meeting report's
audit (district/report.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from fieldkit.crypto.columns import ColumnCipher
from fieldkit.district import (
    anonymised,
    archive,
    backend,
    postgres,
    refusals,
    report,
    retention,
    retention_rules,
    schema,
)
from fieldkit.district import cases as district_cases
from fieldkit.district import passphrase as district_passphrase
from fieldkit.district import units as district_units
from fieldkit.district import workers as district_workers
from fieldkit.district.schema import KIND, migrate_store
from fieldkit.district.workers import DEFAULT_CODE_TTL_HOURS, WorkerRecord
from fieldkit.errors import InvalidValue, StoreError
from fieldkit.model import (
    AuditEvent,
    Case,
    CaseStatus,
    FollowUp,
    Priority,
    RefusedChange,
    Worker,
)
from fieldkit.replica import meta
from fieldkit.store import access, audit
from fieldkit.store.access import Credentials
from fieldkit.store.base import ReplicaStore
from fieldkit.store.db import Connection, connect, db_path, transaction
from fieldkit.store.lifecycle import create_store


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
            raise InvalidValue("value.missing", field="district_name")
        config = backend.chosen(database)
        settings = {"district_name": name.strip(), "reference_prefix": prefix}
        if url:
            settings["url"] = url
        target = None
        if config.backend == backend.POSTGRESQL:
            target = backend.NewPostgresDatabase(home, config, schema.DISTRICT_MIGRATIONS)
        try:
            conn, store_id, data_key = create_store(
                home,
                KIND,
                passphrase,
                schema.DISTRICT_MIGRATIONS,
                replica_prefix="d",
                actor=lambda _: "district",
                settings=settings,
                database=target,
                known_words=[name],
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
        # A passphrase change a kill interrupted is completed here, the TLS key with it.
        unlocked = access.data_key(home, KIND, credentials, district_passphrase.BOUND)
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

    # Workers (fieldkit/district/workers.py)

    def add_worker(
        self, name: str, unit: str, ttl_hours: int = DEFAULT_CODE_TTL_HOURS
    ) -> tuple[Worker, str]:
        """A new worker and its one-time enrolment code (shown once, never stored)."""
        return district_workers.add(
            self.conn, name, unit, ttl_hours, self.identity().public.to_dict()
        )

    def issue_worker(self, name: str, unit: str, ttl_hours: int = DEFAULT_CODE_TTL_HOURS):
        """A new worker, its short code (shown once) and the identity document the code
        commits to (fieldkit/district/enrolment.py)."""
        from fieldkit.district import enrolment

        return enrolment.issue(self.conn, name, unit, ttl_hours, self.identity().public.to_dict())

    def worker(self, ref: str) -> WorkerRecord:
        """The worker a person means: id, unique id prefix, or name (accents and case
        ignored); several matching is a usage error listing them."""
        return district_workers.find(self.conn, ref)

    def worker_by_replica(self, replica_id: str) -> WorkerRecord | None:
        return district_workers.by_replica(self.conn, replica_id)

    def workers(self) -> list[WorkerRecord]:
        return district_workers.listing(self.conn)

    def revoke_worker(self, ref: str) -> Worker:
        worker = district_workers.revoke(self.conn, ref)
        # Its teams list it without keys from now on: their devices stop granting to it
        # and seal what they write next under a new case key (issue 16).
        with transaction(self.conn):
            district_cases.refresh_team_of(self.conn, worker.id)
        return worker

    # Cases and assignments (fieldkit/district/cases.py)

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
        referral_detail: str | None = None,
    ) -> Case:
        return district_cases.add(
            self.conn,
            name=name,
            unit=unit,
            birth_year=birth_year,
            referral_date=referral_date,
            referral_source=referral_source,
            reason=reason,
            priority=priority,
            situation=situation,
            next_review=next_review,
            referral_detail=referral_detail,
        )

    def update_case(self, case_ref: str, **fields: Any) -> tuple[Case, list[str]]:
        """A correction of the district's fields of a case; returns it and what changed."""
        return district_cases.update(self.conn, case_ref, **fields)

    def suspend_case(self, case_ref: str, reason: str) -> Case:
        return district_cases.suspend(self.conn, case_ref, reason)

    def reopen_case(self, case_ref: str, reason: str) -> Case:
        return district_cases.reopen(self.conn, case_ref, reason)

    def audit_of_case(self, ref: str) -> list[AuditEvent]:
        """The audit events on a case and on its follow-ups, oldest first: every access
        its file has had (`district audit show --case`). Not itself an access to it."""
        from fieldkit.replica import followups as stored_followups

        case_id = district_cases.resolve(self.conn, ref)
        ids = {f.id for f in stored_followups.for_case(self.conn, case_id)}
        return [
            e
            for e in self.audit_events()
            if (e.object_type == "case" and e.object_id == case_id)
            or (e.object_type == "followup" and e.object_id in ids)
        ]

    def case(self, ref: str, limit: int | None = None) -> tuple[Case, list[FollowUp]]:
        """A case and its follow-ups, newest first: the `limit` latest, or all of them."""
        return district_cases.show(self.conn, ref, limit)

    def list_cases(self, status: CaseStatus | None = None, unit: str | None = None) -> list[Case]:
        return district_cases.listing(self.conn, status, unit)

    def high_concerns(self) -> dict[str, int]:
        """Open cases' count of follow-ups whose current concern level is high."""
        return district_cases.high_concerns(self.conn)

    def assign(self, case_ref: str, worker_ref: str, lead: bool = False) -> Case:
        return district_cases.assign(self.conn, case_ref, worker_ref, lead)

    def unassign(self, case_ref: str, worker_ref: str) -> Case:
        return district_cases.unassign(self.conn, case_ref, worker_ref)

    def close_case(self, case_ref: str, reason: str) -> Case:
        return district_cases.close(self.conn, case_ref, reason)

    def assigned_cases(self, worker_id: str) -> list[str]:
        """The cases assigned to a worker, except the archived ones (which their devices
        purge, and no listing shows); the exchange reads every assignment itself."""
        hidden = archive.ids(self.conn)
        return [c for c in district_cases.assigned(self.conn, worker_id) if c not in hidden]

    # Units (fieldkit/district/units.py)

    def units(self) -> list[str]:
        return district_units.names(self.conn)

    def unit_uses(self) -> list[district_units.UnitUse]:
        return district_units.uses(self.conn)

    def add_unit(self, name: str) -> district_units.Unit:
        return district_units.add(self.conn, name)

    def rename_unit(self, old: str, new: str) -> district_units.Renamed:
        return district_units.rename(self.conn, old, new)

    def check_unit(self, name: str) -> str:
        """The unit as the list spells it; InvalidValue (with a suggestion) if not on it."""
        return district_units.check(self.conn, name)

    # Retention (fieldkit/district/retention.py; DESIGN §8, docs/guide.md "Data protection")

    def closed_before(self, cutoff: date) -> list[retention.ClosedCase]:
        """Closed cases whose closing time is before `cutoff`: what a purge would remove."""
        return retention.closed_before(self.conn, cutoff)

    def purge_closed(
        self, cutoff: date, only: set[str] | None = None
    ) -> list[retention.ClosedCase]:
        """Delete the closed cases closed before `cutoff` (or those of them in `only`)."""
        return retention.purge_closed(self.conn, cutoff, only, on_file=self.database is None)

    # The frameworks' retention (issue 19): rules, apply, archive, anonymised counts

    def retention_rules(self) -> retention_rules.Rules:
        return retention_rules.read(self.conn)

    def set_retention_rule(self, rule: str, value: str, basis: str | None) -> retention_rules.Rule:
        return retention_rules.put(self.conn, rule, value, basis)

    def retention_plan(self, today: date) -> retention.Plan:
        """What `apply_retention` would do on `today`, and the open cases it flags."""
        return retention.plan(self.conn, today)

    def apply_retention(
        self, today: date, *, dry_run: bool = False, only: set[str] | None = None
    ) -> retention.Plan:
        """Apply the rules on `today` (to those of the cases in `only`, when given)."""
        return retention.apply(
            self.conn, today, dry_run=dry_run, on_file=self.database is None, only=only
        )

    def open_archived(
        self, ref: str, reason: str, *, refusal: str | None = None
    ) -> tuple[Case, list[FollowUp]]:
        """An archived case, read for a reason (audited); `refusal`: the case a refused
        change is about, which the refusals' listings do not name."""
        if refusal is None:
            return archive.open_case(self.conn, ref, reason)
        case_id = refusals.archived_case(self.conn, refusal)
        return archive.open_case(self.conn, case_id, reason, refusal=refusal)

    def anonymised_counts(self, unit: str | None = None) -> list[anonymised.Count]:
        return anonymised.listing(self.conn, unit)

    # Refused changes (fieldkit/district/refusals.py)

    def refusals(self, status: str | None = None) -> list[RefusedChange]:
        return refusals.listing(self.conn, status)

    def refusal(self, ref: str) -> RefusedChange:
        return refusals.show(self.conn, ref)

    def accept_refusal(self, ref: str) -> RefusedChange:
        return refusals.accept(self.conn, ref)

    def dismiss_refusal(self, ref: str, reason: str) -> RefusedChange:
        return refusals.dismiss(self.conn, ref, reason)

    def record_report(self, action: str, detail: str, unit: str | None = None) -> None:
        """Audit a meeting report shown on a terminal ("view") or sent out ("export")."""
        report.record_use(self.conn, action, detail, unit)


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
