"""The base of WorkerStore and DistrictStore: a replica's id and identity, conflicts, audit.

Worker and district stores hold the same replicated tables (fieldkit/replica/, their
migrations in fieldkit/store/schema.py); the reads of those tables that both offer live
here once. Subclasses set `conn` and define `close()`.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Self

from fieldkit.replica import conflicts, followups, meta
from fieldkit.store import audit
from fieldkit.store.db import Connection

if TYPE_CHECKING:
    from datetime import date

    from fieldkit.crypto.identity import Identity
    from fieldkit.model import AuditEvent, Conflict
    from fieldkit.store.auditlog import Exported, Pruned, Retention


class ReplicaStore:
    conn: Connection

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def replica_id(self) -> str:
        return meta.get(self.conn, "replica_id") or ""

    def identity(self) -> Identity:
        # Imported here: the signing and HPKE code is not needed to list or record.
        from fieldkit.crypto.identity import Identity

        return Identity.from_bytes(base64.b64decode(meta.get(self.conn, "identity") or ""))

    def followup_count(self, case_id: str) -> int:
        return followups.count(self.conn, case_id)

    def conflicts(self, include_resolved: bool = False) -> list[Conflict]:
        return conflicts.listing(self.conn, include_resolved=include_resolved)

    def conflict(self, ref: str) -> Conflict:
        """One conflict, open or settled, by its id or an id prefix."""
        return conflicts.get(self.conn, ref)

    def case_conflicts(self, case_id: str) -> list[Conflict]:
        """A case's open conflicts."""
        return conflicts.listing(self.conn, case_id=case_id)

    def audit_events(self, limit: int | None = None) -> list[AuditEvent]:
        return audit.events(self.conn, limit)

    def verify_audit(self) -> tuple[int, int | None]:
        return audit.verify(self.conn)

    # Keeping the audit trail for its period (fieldkit/store/auditlog.py)

    @property
    def audit_actor(self) -> str:
        """Who the audit events of this store's own acts name."""
        return "district"

    def check_audit(self) -> audit.Verified:
        """The chain checked, from the signed checkpoint when events were pruned."""
        return audit.check(self.conn)

    def audit_retention(self) -> Retention:
        from fieldkit.store import auditlog

        return auditlog.retention(self.conn)

    def set_audit_retention(self, days: int, reason: str | None) -> Retention:
        from fieldkit.store import auditlog

        return auditlog.set_retention(self.conn, self.audit_actor, days, reason)

    def audit_prune_before(self, today: date) -> date:
        """The day `audit prune` removes events before by default: today less the retention."""
        from fieldkit.store import auditlog

        return auditlog.default_before(self.conn, today)

    def audit_to_prune(self, before: date) -> Pruned:
        from fieldkit.store import auditlog

        return auditlog.plan(self.conn, before)

    def prune_audit(self, before: date) -> Pruned:
        from fieldkit.store import auditlog

        return auditlog.prune(self.conn, self.audit_actor, before)

    def export_audit(self, since: date) -> Exported:
        from fieldkit.store import auditlog

        return auditlog.export(self.conn, since)

    def record_audit_export(self, exported: Exported) -> None:
        from fieldkit.store import auditlog

        auditlog.record_export(self.conn, self.audit_actor, exported)

    def audit_public_key(self) -> bytes:
        from fieldkit.store import auditlog

        return auditlog.public_key_document(self.conn)
