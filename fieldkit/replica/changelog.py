"""The change log: every write appends immutable changes here, ready for sync (DESIGN §4).

`idx` is the local arrival order, which the district uses as the cursor it hands
to workers. A change seen twice is stored once: (origin, seq) and id are unique.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from fieldkit.model import Change, ConcernLevel
from fieldkit.replica import meta
from fieldkit.replica.clock import HybridClock
from fieldkit.replica.columns import seal, unseal
from fieldkit.replica.db import Connection

CHANGES_SCHEMA = """
CREATE TABLE changes (
    idx INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    origin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hlc TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    op TEXT NOT NULL,
    fields TEXT NOT NULL,
    base TEXT NOT NULL,
    author TEXT NOT NULL,
    UNIQUE (origin, seq)
);
CREATE INDEX changes_case ON changes (case_id);
CREATE INDEX changes_origin ON changes (origin, seq)
"""

_COLUMNS = "id, origin, seq, hlc, entity, entity_id, case_id, op, fields, base, author"


def clock(conn: Connection) -> HybridClock:
    return HybridClock(last=meta.get(conn, "hlc"))


def save_clock(conn: Connection, hlc: HybridClock) -> None:
    meta.put(conn, "hlc", hlc.last)


def new_local(
    conn: Connection,
    *,
    origin: str,
    author: str,
    entity: str,
    entity_id: str,
    case_id: str,
    op: str,
    fields: dict[str, Any],
    base: dict[str, str | None] | None = None,
) -> Change:
    """A new change of this replica (not yet stored): next seq, next HLC tick."""
    hlc = clock(conn)
    stamp = hlc.tick()
    save_clock(conn, hlc)
    seq = meta.next_counter(conn, "seq")
    return Change(
        id=f"{origin}:{seq}",
        origin=origin,
        seq=seq,
        hlc=stamp,
        entity=entity,
        entity_id=entity_id,
        case_id=case_id,
        op=op,
        fields=fields,
        base=base or {},
        author=author,
    )


def observe(conn: Connection, changes: Iterable[Change]) -> None:
    """Move the local clock past every received change."""
    hlc = clock(conn)
    for change in changes:
        hlc.observe(change.hlc)
    save_clock(conn, hlc)


def seen(conn: Connection, change_id: str) -> bool:
    return conn.execute("SELECT 1 FROM changes WHERE id = ?", (change_id,)).fetchone() is not None


def insert(conn: Connection, change: Change, idx: int | None = None) -> int:
    """Store a change; returns its local index (`idx`: at that index, when a case is
    replayed at the district, whose indexes are the workers' cursors)."""
    fields = json.dumps(change.fields, ensure_ascii=False, sort_keys=True)
    columns, marks, first = _COLUMNS, "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?", ()
    if idx is not None:
        columns, marks, first = f"idx, {_COLUMNS}", f"?, {marks}", (idx,)
    cursor = conn.execute(
        f"INSERT INTO changes ({columns}) VALUES ({marks}) RETURNING idx",
        (
            *first,
            change.id,
            change.origin,
            change.seq,
            change.hlc,
            change.entity,
            change.entity_id,
            change.case_id,
            change.op,
            seal(conn, "changes", "fields", change.id, fields),
            json.dumps(change.base, sort_keys=True),
            change.author,
        ),
    )
    return cursor.fetchone()[0]


def _row(conn: Connection, row: tuple) -> Change:
    # Validated when it was written, read back from the store's own authenticated pages
    # (or sealed column): built without a second validation, which was most of the cost
    # of reading 50,000 changes for a bundle (issue 7).
    return Change.model_construct(
        id=row[0],
        origin=row[1],
        seq=row[2],
        hlc=row[3],
        entity=row[4],
        entity_id=row[5],
        case_id=row[6],
        op=row[7],
        fields=json.loads(unseal(conn, "changes", "fields", row[0], row[8])),
        base=json.loads(row[9]),
        author=row[10],
    )


def get(conn: Connection, change_id: str) -> Change | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM changes WHERE id = ?", (change_id,)).fetchone()
    return _row(conn, row) if row else None


def of_origin_above(conn: Connection, origin: str, above_seq: int) -> list[Change]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM changes WHERE origin = ? AND seq > ? ORDER BY seq",
        (origin, above_seq),
    )
    return [_row(conn, r) for r in rows]


def outgoing_json(conn: Connection, origin: str, above_seq: int) -> list[tuple[int, str]]:
    """(seq, the change as JSON) for one origin's changes above `above_seq`, in the order a
    bundle sends them (high concerns first, then by seq; see `Change.priority`).

    Written straight from the log's columns, whose `fields` and `base` are JSON already:
    a backlog of 50,000 changes costs its text, not 50,000 models (issue 7). Decodes to
    the same changes as `of_origin_above`.
    """
    dump = json.dumps
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM changes WHERE origin = ? AND seq > ? ORDER BY seq",
        (origin, above_seq),
    )
    ordered = []
    for cid, corigin, seq, hlc, entity, entity_id, case_id, op, fields, base, author in rows:
        fields = unseal(conn, "changes", "fields", cid, fields)
        high = json.loads(fields).get("concern_level") == ConcernLevel.HIGH.value
        text = (
            f'{{"id":{dump(cid)},"origin":{dump(corigin)},"seq":{int(seq)},"hlc":{dump(hlc)},'
            f'"entity":{dump(entity)},"entity_id":{dump(entity_id)},"case_id":{dump(case_id)},'
            f'"op":{dump(op)},"fields":{fields},"base":{base},"author":{dump(author)}}}'
        )
        ordered.append((0 if high else 1, seq, text))
    ordered.sort(key=lambda item: (item[0], item[1]))
    return [(seq, text) for _, seq, text in ordered]


def of_case(conn: Connection, case_id: str, entity: str) -> list[Change]:
    """A case's changes to one kind of entity, in arrival order."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM changes WHERE case_id = ? AND entity = ? ORDER BY idx",
        (case_id, entity),
    )
    return [_row(conn, r) for r in rows]


def all_of_case(conn: Connection, case_id: str) -> list[Change]:
    """Every change of a case, in arrival order."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM changes WHERE case_id = ? ORDER BY idx", (case_id,)
    )
    return [_row(conn, r) for r in rows]


def of_origin_stamped_after(
    conn: Connection, origin: str, above_seq: int, stamp: str
) -> list[Change]:
    """One origin's changes above `above_seq` whose HLC sorts after `stamp`, by seq."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM changes WHERE origin = ? AND seq > ? AND hlc > ? ORDER BY seq",
        (origin, above_seq, stamp),
    )
    return [_row(conn, r) for r in rows]


def latest_stamp_until(conn: Connection, stamp: str) -> str | None:
    """The greatest HLC in the log that does not sort after `stamp`."""
    return conn.execute("SELECT max(hlc) FROM changes WHERE hlc <= ?", (stamp,)).fetchone()[0]


def set_stamp(conn: Connection, change_id: str, stamp: str) -> None:
    conn.execute("UPDATE changes SET hlc = ? WHERE id = ?", (stamp, change_id))


def replace_fields(conn: Connection, change_id: str, fields: dict[str, Any]) -> None:
    """Write a change's fields again, the same values with team texts now sealed
    (`district seal-team-texts`, and a device's queue from an older version)."""
    text = json.dumps(fields, ensure_ascii=False, sort_keys=True)
    conn.execute(
        "UPDATE changes SET fields = ? WHERE id = ?",
        (seal(conn, "changes", "fields", change_id, text), change_id),
    )


# Changes that are the replicas' plumbing, not a person's work: a grant of a case key
# (fieldkit/replica/grants.py). Counts shown to people ("3 changes queued") leave them out.
PLUMBING = ("grant",)


def count_of_origin_above(
    conn: Connection, origin: str, above_seq: int, *, work_only: bool = False
) -> int:
    """How many of one origin's changes lie above `above_seq`; with `work_only`, leaving
    out the plumbing (grants), as counts shown to people do."""
    where = " AND entity NOT IN ('grant')" if work_only else ""
    return conn.execute(
        f"SELECT count(*) FROM changes WHERE origin = ? AND seq > ?{where}", (origin, above_seq)
    ).fetchone()[0]


def count_of_case_origin_above(conn: Connection, case_id: str, origin: str, above_seq: int) -> int:
    """How many of one origin's changes to a case lie above `above_seq` (unacknowledged)."""
    return conn.execute(
        "SELECT count(*) FROM changes WHERE case_id = ? AND origin = ? AND seq > ?",
        (case_id, origin, above_seq),
    ).fetchone()[0]


def max_seq(conn: Connection, origin: str) -> int:
    row = conn.execute("SELECT max(seq) FROM changes WHERE origin = ?", (origin,)).fetchone()
    return row[0] or 0


def iter_above(
    conn: Connection,
    above_idx: int,
    case_ids: Iterable[str] | None = None,
    *,
    except_origin: str | None = None,
) -> Iterator[tuple[int, Change]]:
    """(idx, change) in arrival order above a cursor, optionally for some cases only and
    leaving out one origin's changes (those the recipient sent itself)."""
    where, params = "idx > ?", [above_idx]
    if except_origin is not None:
        where += " AND origin != ?"
        params.append(except_origin)
    if case_ids is None:
        rows = conn.execute(
            f"SELECT idx, {_COLUMNS} FROM changes WHERE {where} ORDER BY idx", params
        )
    else:
        ids = list(case_ids)
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        rows = conn.execute(
            f"SELECT idx, {_COLUMNS} FROM changes WHERE {where} AND case_id IN ({marks})"
            " ORDER BY idx",
            (*params, *ids),
        )
    for row in rows:
        yield row[0], _row(conn, row[1:])


def authors_of_cases(conn: Connection, case_ids: Iterable[str]) -> set[str]:
    """Everyone who wrote a change on these cases (worker ids, and `district`)."""
    ids = sorted(case_ids)
    found: set[str] = set()
    # In slices: a worker may hold thousands of cases, and SQLite bounds the parameters.
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        marks = ",".join("?" * len(part))
        found.update(
            row[0]
            for row in conn.execute(
                f"SELECT DISTINCT author FROM changes WHERE case_id IN ({marks})", part
            )
        )
    return found


def last_idx(conn: Connection) -> int:
    row = conn.execute("SELECT max(idx) FROM changes").fetchone()
    return row[0] or 0


def delete_one(conn: Connection, change_id: str) -> None:
    conn.execute("DELETE FROM changes WHERE id = ?", (change_id,))


def delete_case(conn: Connection, case_id: str) -> int:
    return conn.execute("DELETE FROM changes WHERE case_id = ?", (case_id,)).rowcount


def delete_all(conn: Connection) -> int:
    return conn.execute("DELETE FROM changes").rowcount


def seqs_of_origin_above(conn: Connection, origin: str, above_seq: int) -> set[int]:
    """The seqs of the changes of `origin` above `above_seq` that this replica holds."""
    return {
        row[0]
        for row in conn.execute(
            "SELECT seq FROM changes WHERE origin = ? AND seq > ?", (origin, above_seq)
        )
    }


def entity_ids_of_case(conn: Connection, case_id: str, entity: str) -> set[str]:
    """The ids of the entities of one kind that a case's changes name."""
    return {
        r[0]
        for r in conn.execute(
            "SELECT entity_id FROM changes WHERE case_id = ? AND entity = ?", (case_id, entity)
        )
    }
