"""The merge rules, applied to real worker stores through the sync-apply function."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from itertools import permutations
from pathlib import Path

import pytest

from fieldkit.model import Change, FollowUp
from fieldkit.replica import changelog, followups, merge
from fieldkit.replica.clock import format_hlc
from fieldkit.store.access import Credentials
from fieldkit.store.schema import WORKER_MIGRATIONS
from fieldkit.store.worker import WorkerStore
from tests.conftest import PASSPHRASE
from tests.helpers import district_change, open_case_change

CASE = "c0ffee00c0ffee00c0ffee00c0ffee00"
T0 = 1_790_000_000_000  # a fixed wall clock, in ms


def hlc(offset_ms: int, counter: int = 0) -> str:
    return format_hlc(T0 + offset_ms, counter)


def opening() -> Change:
    return open_case_change(seq=1, case_id=CASE, hlc=hlc(0), situation="Situation initiale")


def situation(origin: str, seq: int, text: str, at: str, base: str | None) -> Change:
    return district_change(
        seq=seq,
        case_id=CASE,
        op="update",
        fields={"situation": text},
        base={"situation": base},
        hlc=at,
        origin=origin,
        author=f"worker-{origin}",
    )


def replica(tmp_path: Path, name: str) -> WorkerStore:
    return WorkerStore.create(tmp_path / name, PASSPHRASE)


def apply_one_by_one(store: WorkerStore, changes: list[Change]) -> None:
    for change in changes:
        store.apply_remote([change])


def state_of(store: WorkerStore) -> tuple[str, list[tuple]]:
    case, _ = store.get_case(CASE)
    found = [
        (c.id, c.field, c.winner_change, c.loser_change, c.winner_value, c.loser_value)
        for c in store.conflicts()
    ]
    return case.situation, found


@pytest.mark.parametrize(
    ("hlc_a", "hlc_b"),
    [
        (hlc(10), hlc(20)),  # b is later
        (hlc(20), hlc(10)),  # a is later
        (hlc(10), hlc(10)),  # same clock: the greater origin wins
    ],
    ids=["b-later", "a-later", "tie"],
)
def test_concurrent_updates_give_one_conflict_whatever_the_order(tmp_path, hlc_a, hlc_b):
    base = opening().id
    a = situation("w-aaa", 1, "Texte de A", hlc_a, base)
    b = situation("w-bbb", 1, "Texte de B", hlc_b, base)
    winner, loser = (b, a) if (hlc_b, b.origin) > (hlc_a, a.origin) else (a, b)

    states = []
    for name, order in (("ab", [a, b]), ("ba", [b, a])):
        with replica(tmp_path, name) as store:
            store.apply_remote([opening()])
            apply_one_by_one(store, order)
            states.append(state_of(store))

    assert states[0] == states[1]
    text, found = states[0]
    assert text == winner.fields["situation"]
    assert len(found) == 1
    conflict_id, field, winner_change, loser_change, winner_value, loser_value = found[0]
    assert field == "situation"
    assert conflict_id == merge.conflict_id(CASE, "situation", loser.id)
    assert (winner_change, loser_change) == (winner.id, loser.id)
    assert winner_value == winner.fields["situation"]
    assert loser_value == loser.fields["situation"]


def test_concurrent_updates_in_one_bundle_conflict_like_one_by_one(tmp_path):
    base = opening().id
    a = situation("w-aaa", 1, "Texte de A", hlc(10), base)
    b = situation("w-bbb", 1, "Texte de B", hlc(20), base)
    with replica(tmp_path, "bundle") as together, replica(tmp_path, "single") as apart:
        result = together.apply_remote([opening(), b, a])
        apart.apply_remote([opening()])
        apply_one_by_one(apart, [a, b])
        assert result.applied == 3 and len(result.conflicts) == 1
        assert state_of(together) == state_of(apart)


def test_causal_successor_replaces_without_conflict(store):
    base = opening().id
    first = situation("w-aaa", 1, "Premier texte", hlc(10), base)
    then = situation("w-bbb", 1, "Texte revu après lecture du premier", hlc(20), first.id)
    result = store.apply_remote([opening(), first, then])
    assert result.conflicts == []
    assert state_of(store) == ("Texte revu après lecture du premier", [])


def test_concurrent_updates_to_the_same_value_do_not_conflict(store):
    base = opening().id
    a = situation("w-aaa", 1, "Même texte", hlc(10), base)
    b = situation("w-bbb", 1, "Même texte", hlc(20), base)
    store.apply_remote([opening(), a, b])
    assert state_of(store) == ("Même texte", [])


def test_an_older_concurrent_update_arriving_late_keeps_the_newer_value(store):
    base = opening().id
    newer = situation("w-aaa", 1, "Plus récent", hlc(50), base)
    older = situation("w-bbb", 1, "Plus ancien", hlc(5), base)
    store.apply_remote([opening(), newer])
    result = store.apply_remote([older])
    assert [c.loser_value for c in result.conflicts] == ["Plus ancien"]
    assert state_of(store)[0] == "Plus récent"


def test_three_concurrent_writers_converge_in_every_order(tmp_path):
    base = opening().id
    writes = [
        situation("w-aaa", 1, "A", hlc(10), base),
        situation("w-bbb", 1, "B", hlc(30), base),
        situation("w-ccc", 1, "C", hlc(20), base),
    ]
    outcomes = set()
    for number, order in enumerate(permutations(writes)):
        with replica(tmp_path, f"r{number}") as store:
            store.apply_remote([opening(), *order])
            text, found = state_of(store)
            outcomes.add((text, frozenset((c[0], c[3], c[5]) for c in found)))
    assert len(outcomes) == 1
    text, losers = outcomes.pop()
    assert text == "B"
    assert {loser for _, _, loser in losers} == {"A", "C"}


def test_the_same_change_applied_twice_is_applied_once(store):
    base = opening().id
    update = situation("w-aaa", 1, "Une fois", hlc(10), base)
    first = store.apply_remote([opening(), update, update])
    again = store.apply_remote([opening(), update])
    assert (first.applied, first.skipped) == (2, 1)
    assert (again.applied, again.skipped) == (0, 2)
    count = store.conn.execute("SELECT count(*) FROM changes WHERE id = ?", (update.id,))
    assert count.fetchone()[0] == 1
    assert state_of(store) == ("Une fois", [])


def _followup_add(seq: int, followup_id: str, summary: str, **fields) -> Change:
    values = {
        "occurred_on": (date.today() - timedelta(days=3)).isoformat(),
        "recorded_by": "worker-w-aaa",
        "kind": "interview",
        "summary": summary,
        **fields,
    }
    return district_change(
        seq=seq,
        case_id=CASE,
        entity="followup",
        entity_id=followup_id,
        op="add",
        fields=values,
        hlc=hlc(100 + seq),
        origin="w-aaa",
        author="worker-w-aaa",
    )


def _followup_amend(seq: int, followup_id: str, **fields) -> Change:
    return district_change(
        seq=seq,
        case_id=CASE,
        entity="followup",
        entity_id=followup_id,
        op="amend",
        fields=fields,
        hlc=hlc(200 + seq),
        origin="w-bbb",
        author="worker-w-bbb",
    )


def test_an_amended_followup_keeps_its_original(store):
    add = _followup_add(1, "f" * 32, "Texte d'origine")
    amend = _followup_amend(1, "f" * 32, summary="Texte rectifié")
    store.apply_remote([opening(), add])
    store.apply_remote([amend])
    stored: FollowUp = store.get_followup("f" * 32)
    assert stored.summary == "Texte d'origine"
    assert stored.amended
    assert stored.current().summary == "Texte rectifié"
    assert [(a.id, a.author, a.fields) for a in stored.amendments] == [
        (amend.id, "worker-w-bbb", {"summary": "Texte rectifié"})
    ]
    assert changelog.get(store.conn, add.id) == add


def test_followups_of_two_workers_never_conflict(store):
    store.apply_remote([opening()])
    result = store.apply_remote(
        [_followup_add(1, "1" * 32, "Vu par A"), _followup_add(2, "2" * 32, "Aussi vu par A")]
    )
    assert result.conflicts == []
    assert {f.summary for f in store.list_followups(CASE)} == {"Vu par A", "Aussi vu par A"}


def test_an_amendment_arriving_before_its_followup_still_counts(store):
    planned = date.today() - timedelta(days=1)
    add = _followup_add(1, "a" * 32, "Appel", next_contact=None)
    amend = _followup_amend(1, "a" * 32, next_contact=planned.isoformat())
    store.apply_remote([opening()])
    store.apply_remote([amend])
    store.apply_remote([add])
    assert store.get_followup("a" * 32).current().next_contact == planned
    due = followups.pending_contacts(store.conn, date.today().isoformat())
    assert due == [(CASE, "a" * 32, planned.isoformat())]
    [item] = [i for i in store.agenda(7, date.today()) if i.what == "contact"]
    assert item.overdue and item.due == planned


# A settled conflict keeps its two original values (issue 12 §5)


def settled_story() -> tuple[list[Change], str]:
    """A and B write the situation concurrently (B later); A settles the conflict with a
    new text: its update, then its resolve change naming B's write as the one kept."""
    base = opening().id
    a = situation("w-aaa", 1, "Texte de A", hlc(10), base)
    b = situation("w-bbb", 1, "Texte de B", hlc(20), base)
    common = situation("w-aaa", 2, "Texte commun", hlc(30), b.id)
    conflict = merge.conflict_id(CASE, "situation", a.id)
    resolve = district_change(
        seq=3,
        case_id=CASE,
        op="resolve",
        entity="conflict",
        entity_id=conflict,
        fields={"field": "situation", "kept": b.id},
        hlc=hlc(31),
        origin="w-aaa",
        author="worker-w-aaa",
    )
    return [a, b, common, resolve], conflict


def test_a_settled_conflict_keeps_both_values_and_who_settled_it_in_every_order(tmp_path):
    changes, conflict_id = settled_story()
    b, common = changes[1], changes[2]
    # Every order in which a write comes after the one it built on (as the district sends
    # them); the resolution may come first, before the conflict exists.
    orders = [o for o in permutations(changes) if o.index(b) < o.index(common)]
    assert len(orders) == 12
    seen = set()
    for number, order in enumerate(orders):
        with replica(tmp_path, f"r{number}") as store:
            store.apply_remote([opening()])
            apply_one_by_one(store, list(order))
            assert store.conflicts() == []
            [settled] = store.conflicts(include_resolved=True)
            assert store.get_case(CASE)[0].situation == "Texte commun"
            seen.add(json.dumps(settled.model_dump(mode="json"), sort_keys=True))
    [shown] = [json.loads(s) for s in seen]  # the same on every replica, whatever the order
    assert shown["id"] == conflict_id and shown["resolved"] is True
    assert (shown["winner_value"], shown["winner_author"]) == ("Texte de B", "worker-w-bbb")
    assert (shown["loser_value"], shown["loser_author"]) == ("Texte de A", "worker-w-aaa")
    assert shown["resolved_by"] == "worker-w-aaa"
    assert datetime.fromisoformat(shown["resolved_at"]) == datetime.fromtimestamp(
        (T0 + 31) / 1000, UTC
    )


def test_a_resolution_cannot_show_a_value_from_another_case(store):
    changes, _ = settled_story()
    other = open_case_change(
        seq=9, hlc=hlc(1), reference="CO-2026-0043", situation="Texte d'un autre dossier"
    )
    forged = changes[3].model_copy(update={"fields": {"field": "situation", "kept": other.id}})
    store.apply_remote([opening(), other, *changes[:3], forged])
    [settled] = store.conflicts(include_resolved=True)
    assert settled.winner_value != "Texte d'un autre dossier"


def test_a_store_from_before_keeps_its_settled_conflicts_with_who_and_when(home):
    with WorkerStore.create(home, PASSPHRASE) as store:
        changes, _ = settled_story()
        store.apply_remote([opening(), *changes])
        # The store as the previous version left it: no resolution columns yet.
        conn = store.conn
        conn.execute("BEGIN IMMEDIATE")
        for table, column in (
            ("conflicts", "resolved_by"),
            ("conflicts", "resolved_at"),
            ("resolved_conflicts", "resolved_by"),
            ("resolved_conflicts", "resolved_at"),
            ("resolved_conflicts", "kept_change"),
        ):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.execute("DROP TABLE refusals")  # a later step (4) than the one under test
        conn.execute("ALTER TABLE followups DROP COLUMN withdrawn")  # and step 5
        conn.execute("DROP TABLE grants")  # and step 6
        conn.execute("DROP TABLE case_keys")
        conn.execute("DROP TABLE measures")  # and step 7
        conn.execute("DROP TABLE decisions")
        conn.execute("PRAGMA user_version = 2")
        conn.execute("COMMIT")
    with WorkerStore.open(home, Credentials(prompt=lambda: PASSPHRASE)) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(WORKER_MIGRATIONS)
        [settled] = store.conflicts(include_resolved=True)
        assert settled.resolved and settled.resolved_by == "worker-w-aaa"
        assert settled.resolved_at == datetime.fromtimestamp((T0 + 31) / 1000, UTC)
