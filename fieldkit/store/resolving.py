"""Settling a conflict on the worker's device: keep mine, keep theirs, or a new text.

The settlement is a change like any other (`conflict`/`resolve`), so it syncs; how a
replica applies it is fieldkit/replica/merge.py's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fieldkit.errors import InvalidValue, UsageError
from fieldkit.model import Conflict
from fieldkit.replica import cases, conflicts, merge
from fieldkit.store import audit
from fieldkit.store.db import transaction
from fieldkit.store.writing import json_value, new_change

if TYPE_CHECKING:
    from fieldkit.store.worker import WorkerStore


def resolve_conflict(
    store: WorkerStore, ref: str, keep: str | None = None, text: str | None = None
) -> Conflict:
    """Settle a conflict by keeping mine or theirs, or with a new text; the choice syncs.

    The resolve change names the write shown as kept (`kept`), so that every replica
    keeps showing the two values the conflict was settled on.
    """
    if (keep is None) == (text is None):
        raise UsageError("conflict.keep_or_text")
    conflict = conflicts.get(store.conn, ref)
    if conflict.resolved:
        raise UsageError("conflict.already_resolved", ref=conflict.id[:8])
    mine_is_loser = conflict.loser_author == store.author
    if keep == "mine":
        value = conflict.loser_value if mine_is_loser else conflict.winner_value
    elif keep == "theirs":
        value = conflict.winner_value if mine_is_loser else conflict.loser_value
    elif keep is not None:
        raise InvalidValue("conflict.bad_keep", field="--keep", value=keep)
    else:
        if conflict.field in ("goals", "related"):
            raise InvalidValue("conflict.text_not_for_lists", field=conflict.field)
        value = json_value(conflict.field, _parse_field_text(conflict.field, text or ""))
    with transaction(store.conn):
        current = cases.field_version(store.conn, conflict.case_id, conflict.field)
        if current is None or current.value != value:
            base = {conflict.field: current.change_id if current else None}
            change = new_change(
                store,
                "case",
                conflict.case_id,
                conflict.case_id,
                "update",
                {conflict.field: value},
                base,
            )
            merge.apply(store.conn, change)
        settled = {"field": conflict.field, "kept": conflict.winner_change}
        resolve = new_change(store, "conflict", conflict.id, conflict.case_id, "resolve", settled)
        merge.apply(store.conn, resolve)
        audit.record(store.conn, store.author, "conflict-resolve", "case", conflict.case_id)
    return conflicts.get(store.conn, conflict.id)


def _parse_field_text(name: str, text: str) -> Any:
    if name == "next_review":
        from fieldkit.dates import parse_day

        return parse_day(text, "--text")
    if not text.strip():
        raise InvalidValue("value.missing", field="--text")
    return text
