"""The district tests run on both district backends, the SQLCipher file and PostgreSQL
(`district_backend`, tests/conftest.py), and share the changes they craft and send.

A module narrows the backends with `DISTRICT_BACKENDS`, a test with the `sqlcipher_only`
marker.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fieldkit.district.exchange import handle
from fieldkit.district.store import DistrictStore
from fieldkit.model import Change
from fieldkit.replica import changelog
from fieldkit.store.db import transaction
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import worker_side
from fieldkit.sync.bundle import open_bundle
from fieldkit.sync.payload import SyncReply, SyncRequest, decode
from tests.world import signed_request

TODAY = date.today()


@pytest.fixture(autouse=True)
def _on_each_backend(district_backend: str) -> str:
    """Every test here runs once per backend."""
    return district_backend


# Changes crafted on a worker's store and sent to the district as its real bundle.


def crafted(worker: WorkerStore, **overrides: Any) -> Change:
    """A change under this worker's next sequence number, never applied on its own device."""
    with transaction(worker.conn):
        change = changelog.new_local(
            worker.conn,
            origin=worker.replica_id,
            author=worker.author,
            entity=overrides.pop("entity", "followup"),
            entity_id=overrides.pop("entity_id", "f" * 32),
            case_id=overrides.pop("case_id"),
            op=overrides.pop("op", "add"),
            fields=overrides.pop("fields", {}),
        )
    return change.model_copy(update=overrides)


def case_update(worker: WorkerStore, case_id: str, **fields: Any) -> Change:
    return crafted(
        worker, entity="case", entity_id=case_id, case_id=case_id, op="update", fields=fields
    )


def followup_fields(worker: WorkerStore, summary: str, **extra: Any) -> dict[str, Any]:
    return {
        "occurred_on": TODAY.isoformat(),
        "recorded_by": worker.author,
        "kind": "interview",
        "summary": summary,
        "partners": [],
        "referral_to": None,
        "next_steps": None,
        "next_contact": None,
        "concern_level": None,
        **extra,
    }


def send(district: DistrictStore, worker: WorkerStore, changes: list[Change]):
    """A bundle signed and encrypted with the worker's real keys; returns (outcome, reply, ack)."""
    d = worker_side.district(worker)
    identity = worker.identity()
    request = SyncRequest(changes=changes, holding=[c.id for c in worker.list_cases()])
    outcome = handle(district, signed_request(worker, request))
    reply_header, raw = open_bundle(
        outcome.reply,
        recipient=identity,
        recipient_id=worker.replica_id,
        sender_key=lambda sender: d.keys,
    )
    return outcome, decode(SyncReply, raw), reply_header.ack
