"""A device's part in `district seal-team-texts` (issue 16): team texts that an older
version left in clear.

- Before sending, this device's own changes still queued with a team text in clear are
  sealed in place under the case's writing key (fieldkit/store/team.py) and the case is
  derived again from its log, so that nothing clear reaches a district that sealed.
- A case the district sealed comes back whole in its reply (`resealed`): the device
  forgets its own copy and takes the district's, the same changes with sealed texts,
  once none of its own changes to the case waits for an acknowledgement (until then it
  keeps its copy, and the district sends the case again at the next sync). Its case keys
  stay; the key the district granted arrives with the history.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from fieldkit.crypto.casekeys import is_sealed
from fieldkit.replica import cases, changelog, merge, meta
from fieldkit.replica.sealing import team_fields
from fieldkit.store import team

if TYPE_CHECKING:
    from fieldkit.store.worker import WorkerStore

RETAKEN = "retaken"  # meta: sealed cases taken again, to tell the district at the next sync


def _has_clear_text(store: WorkerStore, entity: str, entity_id: str, fields: dict) -> bool:
    names = team_fields(entity, bool(fields.get("for_cell")))
    clear = [n for n in names if fields.get(n) not in (None, "", []) and not is_sealed(fields[n])]
    if not clear or entity != "followup" or "for_cell" in fields:
        return bool(clear)
    from fieldkit.errors import NotFound
    from fieldkit.replica import followups

    try:  # an amendment: addressed to the cell as its follow-up is
        return not followups.get(store.conn, entity_id).for_cell
    except NotFound:
        return True


def seal_queued(store: WorkerStore) -> int:
    """Seal the team texts of this device's unacknowledged changes still in clear (inside
    the caller's transaction); returns how many changes."""
    conn = store.conn
    acked = meta.get_int(conn, "acked_seq")
    touched: set[str] = set()
    count = 0
    for change in changelog.of_origin_above(conn, store.replica_id, acked):
        if change.entity not in ("case", "followup") or not cases.exists(conn, change.case_id):
            continue
        if not _has_clear_text(store, change.entity, change.entity_id, change.fields):
            continue
        sealed = team.seal(store, change.entity, change.entity_id, change.case_id, change.fields)
        if sealed != change.fields:
            changelog.replace_fields(conn, change.id, sealed)
            touched.add(change.case_id)
            count += 1
    for case_id in sorted(touched):
        merge.rebuild_case(conn, case_id)
    return count


def retake(store: WorkerStore, case_ids: list[str], acked: int) -> list[str]:
    """Forget the copy of each sealed case that has nothing of this device unacknowledged
    (`acked`: the acknowledgement this reply brings), before the reply's changes, which
    hold the case's whole history, are applied. Inside the reply's transaction; returns
    the cases forgotten."""
    conn = store.conn
    taken = []
    for case_id in case_ids:
        if not cases.exists(conn, case_id):
            continue
        if changelog.count_of_case_origin_above(conn, case_id, store.replica_id, acked):
            continue  # its own work stays: taken again at a later sync
        merge.forget_case(conn, case_id)
        taken.append(case_id)
    return taken


def retaken(store: WorkerStore) -> list[str]:
    """The sealed cases taken again that the district has not yet been told of."""
    stored = meta.get(store.conn, RETAKEN)
    return json.loads(stored) if stored else []


def set_retaken(store: WorkerStore, case_ids: list[str]) -> None:
    if case_ids:
        meta.put(store.conn, RETAKEN, json.dumps(sorted(set(case_ids))))
    else:
        meta.delete(store.conn, RETAKEN)
