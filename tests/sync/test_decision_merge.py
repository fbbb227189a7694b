"""A measure's state merges as last writer wins (issue 17), property-based: a decision's
changes and state changes from several replicas, arriving in any order after the case's
opening, give every replica the same state, author and digest: the latest by (HLC,
origin). On bare replicas (the worker schema, in memory): the rule of
fieldkit/replica/decisions.py alone."""

from __future__ import annotations

import sqlcipher3
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.model import Change, MeasureState
from fieldkit.replica import decisions as stored_decisions
from fieldkit.replica import merge
from fieldkit.replica.clock import format_hlc
from fieldkit.replica.digest import state_digest
from fieldkit.store.db import migrate, transaction
from fieldkit.store.schema import WORKER_MIGRATIONS

_STATES = [s.value for s in MeasureState]


def _replica() -> sqlcipher3.Connection:
    conn = sqlcipher3.connect(":memory:", isolation_level=None)
    migrate(conn, WORKER_MIGRATIONS)
    return conn


def _change(seq: int, origin: str, hlc: str, entity: str, entity_id: str, op: str, fields):
    author = "district" if origin == "district-replica" else f"wk-{origin}"
    return Change(
        id=f"{origin}:{seq}",
        origin=origin,
        seq=seq,
        hlc=hlc,
        entity=entity,
        entity_id=entity_id,
        case_id=CASE,
        op=op,
        fields=fields,
        author=author,
    )


CASE = "c" * 32
_OPEN = Change(
    id="district-replica:1",
    origin="district-replica",
    seq=1,
    hlc=format_hlc(1, 0),
    entity="case",
    entity_id=CASE,
    case_id=CASE,
    op="open",
    fields={"reference": "CO-2026-0001", "display_name": "X", "unit": "UT", "status": "active"},
    author="district",
)


@settings(max_examples=60, deadline=None)
@given(
    states=st.lists(
        st.tuples(
            st.sampled_from(["r1", "r2", "district-replica"]),
            st.integers(2, 40),
            st.sampled_from(_STATES),
        ),
        min_size=1,
        max_size=6,
    ),
    seed=st.randoms(use_true_random=False),
)
def test_a_measures_state_is_the_latest_whatever_the_order(states, seed) -> None:
    decision = _change(
        2,
        "district-replica",
        format_hlc(2, 0),
        "decision",
        "d" * 32,
        "add",
        {"meeting_date": "2026-11-20"},
    )
    measure = _change(
        3,
        "district-replica",
        format_hlc(2, 1),
        "measure",
        "m" * 32,
        "add",
        {"decision_id": "d" * 32, "number": 1, "text": "Mesure"},
    )
    seqs: dict[str, int] = {"district-replica": 3}
    updates = []
    for origin, wall, state in states:
        seqs[origin] = seqs.get(origin, 0) + 1
        hlc = format_hlc(wall, seqs[origin])
        updates.append(
            _change(
                seqs[origin],
                origin,
                hlc,
                "measure",
                "m" * 32,
                "state",
                {"state": state, "changed_on": "2026-11-28"},
            )
        )
    later = [decision, measure, *updates]
    results = set()
    for _ in range(3):
        seed.shuffle(later)
        conn = _replica()
        with transaction(conn):
            merge.apply_received(conn, [_OPEN, *later])
        [shown] = stored_decisions.measures_of_case(conn, CASE)
        results.add((shown.state, shown.changed_by, state_digest(conn, [CASE])))
        conn.close()
    latest = max(updates, key=lambda c: (c.hlc, c.origin))
    assert results == {
        (MeasureState(latest.fields["state"]), latest.author, next(iter(results))[2])
    }
