"""The workers a device knows by name besides itself: the district's last `workers` list.

The district names, in each sync reply, the teams of the device's open cases and the
authors on them, with their revocation (docs/protocol.md, "Sync reply"); the device keeps
the latest list whole, in its meta table, so that screens show a name and mark a revoked
co-worker (fieldkit/names.py).
"""

from __future__ import annotations

import json

from fieldkit.model import KnownWorker
from fieldkit.replica import meta
from fieldkit.replica.db import Connection

KEY = "known_workers"


def replace(conn: Connection, workers: list[KnownWorker]) -> None:
    """The district's latest list, in place of the one before (inside the caller's transaction)."""
    meta.put(conn, KEY, json.dumps([w.model_dump() for w in workers], ensure_ascii=False))


def load(conn: Connection) -> list[KnownWorker]:
    raw = meta.get(conn, KEY)
    if not raw:
        return []
    try:
        return [KnownWorker.model_validate(item) for item in json.loads(raw)]
    except (ValueError, TypeError):
        return []  # a name list is a convenience: a damaged one shows neutral labels
