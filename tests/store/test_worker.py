"""The worker store's writes: one transaction each, a change log ready for sync, an audit trail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fieldkit import rules
from fieldkit.crypto.casekeys import is_sealed, sealed_kid
from fieldkit.errors import REFUSED, BundleRejected, InvalidValue, NotFound, Refused, UsageError
from fieldkit.model import CaseStatus, ConcernLevel, FollowUpKind
from fieldkit.replica import changelog, clock
from fieldkit.replica.clock import MAX_SKEW_MS, format_hlc, parse_hlc, wall_clock_ms
from fieldkit.replica.sealing import open_field
from fieldkit.store import audit, team
from fieldkit.store.db import transaction
from fieldkit.store.worker import WorkerStore
from tests.helpers import district_change, next_district_seq, open_case, open_case_change

TODAY = date.today()


def add(store: WorkerStore, case: str, summary: str = "Entretien au local", **values):
    values.setdefault("kind", FollowUpKind.INTERVIEW)
    values.setdefault("occurred_on", TODAY)
    return store.add_followup(case, summary=summary, today=TODAY, **values)


def local_changes(store: WorkerStore):
    return changelog.of_origin_above(store.conn, store.replica_id, 0)


def test_every_write_appends_one_change_ready_for_sync(store):
    case = open_case(store).case_id
    first = add(store, case, "Premier entretien")
    store.amend_followup(first.id, TODAY, summary="Premier entretien (rectifié)")
    store.update_case(case, situation="Stable", next_review=TODAY + timedelta(days=30))

    changes = local_changes(store)
    assert [(c.entity, c.op) for c in changes] == [
        ("followup", "add"),
        ("followup", "amend"),
        ("case", "update"),
    ]
    assert [c.seq for c in changes] == [1, 2, 3]
    assert [c.id for c in changes] == [f"{store.replica_id}:{n}" for n in (1, 2, 3)]
    assert all(c.origin == store.replica_id and c.author == store.author for c in changes)
    assert all(c.case_id == case for c in changes)
    stamps = [parse_hlc(c.hlc) for c in changes]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    add_change, amend_change, update_change = changes
    assert add_change.entity_id == first.id
    # The team texts go into the log sealed under the case key (DESIGN §9), and open to
    # what was written with the key this store holds; the rest stays in clear.
    keys = team.keyring(store, case)
    assert len(keys) == 1

    def opened(change, name):
        value = change.fields[name]
        assert is_sealed(value) and sealed_kid(value) in keys
        text, ok = open_field(keys, case, change.entity, change.entity_id, name, value)
        assert ok
        return text

    assert opened(add_change, "summary") == "Premier entretien"
    assert set(amend_change.fields) == {"summary"}
    assert opened(amend_change, "summary") == "Premier entretien (rectifié)"
    assert set(update_change.fields) == {"next_review", "situation"}
    assert update_change.fields["next_review"] == (TODAY + timedelta(days=30)).isoformat()
    assert opened(update_change, "situation") == "Stable"
    # the base of an update names the change whose value it replaced
    assert update_change.base["next_review"] is not None
    assert store.status().unsynced_changes == 3


def test_local_clock_moves_past_the_changes_it_receives(store):
    # Ahead of this clock, but within the bound a receiver accepts (MAX_SKEW_MS).
    future = format_hlc(wall_clock_ms() + MAX_SKEW_MS // 2, 0)
    open_case(store, hlc=future)
    case = store.list_cases()[0].id
    add(store, case)
    [change] = local_changes(store)
    assert change.hlc > future


def test_a_write_that_fails_leaves_nothing_behind(store, monkeypatch):
    case = open_case(store).case_id
    seq_before = store.conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        add(store, case, "Ne doit pas rester")
    monkeypatch.undo()
    assert store.list_followups() == []
    assert local_changes(store) == []
    assert store.conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone() == seq_before


def test_a_bundle_with_one_bad_change_applies_nothing(store):
    case_id = "b" * 32
    opening = open_case_change(seq=1, case_id=case_id)
    bad = district_change(
        seq=2,
        case_id=case_id,
        entity="followup",
        entity_id="c" * 32,
        op="add",
        fields={"kind": "not-a-kind", "summary": "x", "occurred_on": TODAY.isoformat()},
    )
    with pytest.raises(BundleRejected):
        store.apply_remote([opening, bad])
    assert store.list_cases() == []
    assert not changelog.seen(store.conn, opening.id)
    unknown = district_change(seq=2, case_id=case_id, entity="spell", op="cast", fields={})
    with pytest.raises(BundleRejected):
        store.apply_remote([opening, unknown])
    assert store.list_cases() == []
    field = district_change(seq=2, case_id=case_id, op="update", fields={"shoe_size": 42})
    with pytest.raises(BundleRejected):
        store.apply_remote([opening, field])
    assert store.list_cases() == []


def test_a_case_opened_by_the_district_reads_back_whole(store):
    change = open_case(
        store, reference="CO-2026-0007", priority="high", next_review=TODAY + timedelta(days=3)
    )
    case, history = store.get_case("co-2026-0007")
    assert case.id == change.case_id
    assert case.reference == "CO-2026-0007"
    assert case.status == CaseStatus.ACTIVE
    assert case.priority == "high"
    assert case.next_review == TODAY + timedelta(days=3)
    assert case.assignees[0].lead
    assert history == []
    assert store.get_case(change.case_id[:8])[0].id == change.case_id


def test_unknown_cases_and_followups_are_not_found(store):
    open_case(store)
    with pytest.raises(NotFound):
        store.get_case("CO-1999-0000")
    with pytest.raises(NotFound):
        store.get_followup("deadbeef")
    with pytest.raises(NotFound):
        add(store, "CO-1999-0000")


def test_a_closed_case_takes_no_more_writes(store):
    change = open_case(store)
    earlier = add(store, change.case_id, "Avant la clôture")
    close = district_change(
        seq=next_district_seq(store),
        case_id=change.case_id,
        op="update",
        fields={"status": "closed"},
        base={"status": change.id},
    )
    store.apply_remote([close])
    with pytest.raises(UsageError):
        add(store, change.case_id)
    with pytest.raises(UsageError):
        store.update_case(change.case_id, situation="x")
    with pytest.raises(UsageError):
        store.amend_followup(earlier.id, TODAY, summary="Après la clôture")
    assert store.get_followup(earlier.id).amendments == []
    assert store.agenda(30, TODAY) == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"occurred_on": TODAY + timedelta(days=1)}, "occurred_on"),
        ({"kind": FollowUpKind.CONCERN}, "concern_level"),
        ({"concern_level": ConcernLevel.LOW}, "concern_level"),
        ({"referral_to": "housing"}, "referral_to"),
        ({"next_contact": TODAY - timedelta(days=1)}, "next_contact"),
    ],
)
def test_invalid_followups_name_the_field(store, values, field):
    case = open_case(store).case_id
    with pytest.raises(InvalidValue) as invalid:
        add(store, case, **values)
    assert invalid.value.params["field"] == field
    assert field in invalid.value.message
    assert store.list_followups() == []


def test_an_empty_summary_is_refused(store):
    case = open_case(store).case_id
    with pytest.raises(InvalidValue) as invalid:
        add(store, case, "   ")
    assert invalid.value.params["field"] == "summary"


def test_an_amendment_keeps_the_original_and_an_identical_one_is_refused(store):
    case = open_case(store).case_id
    item = add(
        store, case, "Inquiétude", kind=FollowUpKind.CONCERN, concern_level=ConcernLevel.HIGH
    )
    amended = store.amend_followup(item.id[:8], TODAY, concern_level=ConcernLevel.MEDIUM)
    assert amended.concern_level == ConcernLevel.HIGH  # the original as recorded
    assert amended.current().concern_level == ConcernLevel.MEDIUM
    with pytest.raises(UsageError):
        store.amend_followup(item.id, TODAY, concern_level=ConcernLevel.MEDIUM)
    with pytest.raises(InvalidValue):
        store.amend_followup(item.id, TODAY, recorded_by="someone-else")
    with pytest.raises(InvalidValue):  # a referral's destination, on a concern
        store.amend_followup(item.id, TODAY, referral_to="housing")
    with pytest.raises(InvalidValue):
        store.amend_followup(item.id, TODAY, occurred_on=TODAY + timedelta(days=2))


def test_the_agenda_puts_overdue_items_first(store):
    late = open_case(store, reference="CO-1", next_review=TODAY - timedelta(days=2)).case_id
    soon = open_case(store, reference="CO-2", next_review=TODAY + timedelta(days=5)).case_id
    far = open_case(store, reference="CO-3", next_review=TODAY + timedelta(days=60)).case_id
    add(
        store,
        soon,
        occurred_on=TODAY - timedelta(days=10),
        next_contact=TODAY - timedelta(days=4),
    )
    add(store, far, next_contact=TODAY + timedelta(days=1))

    items = store.agenda(14, TODAY)
    assert [(i.reference, i.what, i.overdue) for i in items] == [
        ("CO-2", "contact", True),
        ("CO-1", "review", True),
        ("CO-3", "contact", False),
        ("CO-2", "review", False),
    ]
    # a follow-up on or after the planned date makes the contact done
    add(store, soon, "Contact repris")
    assert ("CO-2", "contact") not in [(i.reference, i.what) for i in store.agenda(14, TODAY)]
    assert late in [i.case_id for i in store.agenda(0, TODAY)]


def test_the_audit_trail_records_writes_and_views_but_no_content(store):
    marker = "QWX-contenu-secret"
    case = open_case(store, display_name="Nom " + marker).case_id
    item = add(store, case, marker, next_steps=marker, partners=[marker])
    store.amend_followup(item.id, TODAY, summary=marker + " bis")
    store.update_case(case, situation=marker, related=[marker])
    store.get_case(case)
    store.get_followup(item.id)
    store.list_followups(case)
    views = [(e.object_type, e.object_id) for e in store.audit_events() if e.action == "view"]
    assert views == [("case", case), ("followup", item.id), ("case", case)]
    store.list_followups()
    assert store.audit_events()[-1].detail == "count=1"
    events = store.audit_events()
    actions = [e.action for e in events]
    for expected in ("init", "followup-add", "followup-amend", "update", "view"):
        assert expected in actions
    rows = store.conn.execute("SELECT * FROM audit").fetchall()
    assert marker not in repr(rows)
    assert store.verify_audit() == (len(events), None)


def test_editing_or_deleting_an_audit_event_breaks_the_chain_there(store):
    case = open_case(store).case_id
    for n in range(4):
        add(store, case, f"Suivi {n}")
    count = len(store.audit_events())
    assert store.verify_audit() == (count, None)

    store.conn.execute("UPDATE audit SET action = 'view' WHERE seq = 3")
    assert store.verify_audit()[1] == 3
    store.conn.execute("UPDATE audit SET action = 'followup-add' WHERE seq = 3")
    assert store.verify_audit() == (count, None)

    store.conn.execute("DELETE FROM audit WHERE seq = 2")
    assert store.verify_audit()[1] == 3


def test_a_summary_longer_than_its_bound_is_refused_naming_the_limit(store):
    case = open_case(store).case_id
    with pytest.raises(InvalidValue) as too_long:
        add(store, case, "x" * (rules.TEXT_LIMITS["summary"] + 1))
    assert too_long.value.params == {"field": "summary", "limit": 20_000}
    assert "20000" in too_long.value.message
    assert store.list_followups() == []
    assert add(store, case, "x" * rules.TEXT_LIMITS["summary"]).summary.startswith("xxx")


def test_only_the_author_amends_a_followup_others_add_their_own(store):
    case = open_case(store).case_id
    item = add(store, case, "Entretien noté par ce poste")
    with transaction(store.conn):  # as if a colleague had recorded it
        store.conn.execute(
            "UPDATE followups SET data = json_set(data, '$.recorded_by', 'wk-collegue')"
            " WHERE id = ?",
            (item.id,),
        )
    with pytest.raises(Refused) as refused:
        store.amend_followup(item.id, TODAY, summary="Réécrit par un autre")
    assert refused.value.exit_code == REFUSED
    assert store.get_followup(item.id).amendments == []
    assert len(local_changes(store)) == 1  # nothing queued for the district either


def test_a_change_a_wrong_clock_dated_ahead_is_stamped_again_once_it_is_right(store, monkeypatch):
    case = open_case(store).case_id
    real = wall_clock_ms()
    year = 365 * 86_400_000
    monkeypatch.setattr(clock, "wall_clock_ms", lambda: real + year)
    ahead = add(store, case, "Saisi avec une horloge en avance")
    stamped = local_changes(store)[-1].hlc
    assert parse_hlc(stamped)[0] >= real + year
    monkeypatch.setattr(clock, "wall_clock_ms", lambda: real)
    later = add(store, case, "Saisi une fois l'horloge juste")
    changes = {c.entity_id: c.hlc for c in local_changes(store)}
    # Both now carry a stamp of the right clock, in the order they were written, and the
    # follow-ups read back with those stamps.
    assert parse_hlc(changes[ahead.id])[0] < real + MAX_SKEW_MS
    assert changes[ahead.id] < changes[later.id]
    assert store.get_followup(ahead.id).hlc == changes[ahead.id]
    assert [f.id for f in store.list_followups(case)] == [later.id, ahead.id]
