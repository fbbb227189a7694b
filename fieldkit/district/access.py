"""`district case export CASE --subject-access`: what the district gathers for a person's
right-of-access request (GDPR art. 15), with the recovery sheet's key in memory only.

The team's texts are sealed (DESIGN §9): they open only with the recovery sheet
(fieldkit/district/recover.py), and that use is audited (`recover-subject-access`, its
detail ending with the export's format) and told to the case team at its next sync, as
every use of the sheet is. The access history is read after that event is recorded, so
the file lists its own making. fieldkit/summary/access.py assembles the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fieldkit.district import decisions, recover
from fieldkit.model import AuditEvent, Decision, KnownWorker, WorkerStatus
from fieldkit.replica import cases as stored_cases

if TYPE_CHECKING:
    from fieldkit.crypto.identity import Identity
    from fieldkit.district.store import DistrictStore


@dataclass(frozen=True)
class AccessData:
    """Everything the district holds about the person, every team text opened."""

    file: recover.CaseFile
    decisions: list[Decision]
    events: list[AuditEvent]
    workers: list[KnownWorker] = field(default_factory=list)


def case_id(store: DistrictStore, ref: str) -> str:
    """The case a request names (NotFound, exit 4, before the sheet is asked for)."""
    return stored_cases.resolve_id(store.conn, ref)


def gather(store: DistrictStore, ref: str, sheet: Identity, purpose: str) -> AccessData:
    """The case opened with the sheet (audited, `purpose` ending the event's detail, and
    told to the team), its decisions, and the district's audit events, read once the use
    of the sheet is recorded."""
    opened = recover.open_file(store, ref, sheet, purpose=purpose)
    known = [
        KnownWorker(
            id=r.worker.id, name=r.worker.name, revoked=r.worker.status == WorkerStatus.REVOKED
        )
        for r in store.workers()
    ]
    return AccessData(
        file=opened,
        decisions=decisions.for_case(store.conn, opened.case.id),
        events=store.audit_events(),
        workers=known,
    )
