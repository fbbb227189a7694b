"""Reads that must stay flat as a store grows use an index, never a scan of the follow-ups
(issue 7), and give the same answers as the straightforward computation they replace."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from fieldkit.district.store import DistrictStore
from fieldkit.model import CaseStatus, ConcernLevel, FollowUpKind
from fieldkit.replica import cases, followups
from fieldkit.store import db
from fieldkit.store.access import Credentials
from fieldkit.store.worker import WorkerStore
from tests.conftest import PASSPHRASE
from tests.helpers import open_case

TODAY = date.today()


def plans(conn, run) -> list[str]:
    """The query plan of every statement `run` sends to the connection."""
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        run()
    finally:
        conn.set_trace_callback(None)
    details = []
    for sql in statements:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            # The traced text has its parameters expanded; the plan does not depend on them.
            details.extend(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
    assert details, statements
    return details


def scans_followups(details: list[str]) -> bool:
    """A plan step that reads the follow-ups table (or its aliases) from end to end."""
    return any(re.match(r"SCAN (followups|f|g|l)\b", d) for d in details)


def add(store: WorkerStore, case: str, days_ago: int, **values) -> None:
    values.setdefault("kind", FollowUpKind.INTERVIEW)
    store.add_followup(
        case,
        summary="Entretien",
        occurred_on=TODAY - timedelta(days=days_ago),
        today=TODAY,
        **values,
    )


def naive_pending(store: WorkerStore, until: str) -> set[tuple[str, str, str]]:
    """The agenda's planned contacts, computed the long way round in Python."""
    result = set()
    for case in store.list_cases():
        if case.status.value == "closed":
            continue
        history = followups.for_case(store.conn, case.id)  # newest first
        planned = [f for f in history if f.current().next_contact is not None]
        if not planned:
            continue
        latest = planned[0].current()
        due = latest.next_contact.isoformat()
        done = any(f.current().occurred_on.isoformat() >= due for f in history)
        if due <= until and not done:
            result.add((case.id, latest.id, due))
    return result


def test_the_agenda_seeks_each_cases_latest_contact_and_finds_the_same(store: WorkerStore):
    a = open_case(store, reference="CO-1").case_id
    b = open_case(store, reference="CO-2").case_id
    c = open_case(store, reference="CO-3").case_id
    add(store, a, 20, next_contact=TODAY - timedelta(days=5))
    add(store, a, 10, next_contact=TODAY + timedelta(days=3))  # the latest plan wins
    add(store, b, 30, next_contact=TODAY - timedelta(days=25))
    add(store, b, 2)  # made since: done
    add(store, c, 40, next_contact=TODAY + timedelta(days=90))  # beyond the horizon
    until = (TODAY + timedelta(days=14)).isoformat()

    found = followups.pending_contacts(store.conn, until)
    assert set(found) == naive_pending(store, until)
    assert [row[0] for row in found] == [a]

    details = plans(store.conn, lambda: followups.pending_contacts(store.conn, until))
    assert any("followups_latest_contact" in d for d in details), details
    assert not scans_followups(details), details


@pytest.fixture
def district(home: Path) -> DistrictStore:
    with DistrictStore.create(home, PASSPHRASE, "District", None) as created:
        yield created


def test_high_concerns_and_report_activity_read_through_the_concern_index(
    district: DistrictStore,
):
    cases = [district.add_case(name=f"Personne {n}", unit="UT Nord") for n in range(3)]
    conn = district.conn
    rows = [
        (cases[0].id, 50, None),
        (cases[0].id, 3, "high"),
        (cases[0].id, 1, "high"),
        (cases[1].id, 5, "low"),
        (cases[1].id, 400, "high"),
    ]
    with db.transaction(conn):
        for n, (case_id, days_ago, level) in enumerate(rows):
            occurred = (TODAY - timedelta(days=days_ago)).isoformat()
            conn.execute(
                "INSERT INTO followups (id, case_id, occurred_on, hlc, kind, next_contact,"
                " concern_level, data) VALUES (?, ?, ?, ?, ?, NULL, ?, '{}')",
                (f"f{n}", case_id, occurred, f"{n:015d}-000000", "concern", level),
            )
    since = (TODAY - timedelta(days=30)).isoformat()

    assert district.high_concerns() == {cases[0].id: 2, cases[1].id: 1}
    activity = followups.activity(conn, since)
    assert activity == {
        cases[0].id: ((TODAY - timedelta(days=1)).isoformat(), 2, 2),
        cases[1].id: ((TODAY - timedelta(days=5)).isoformat(), 1, 0),
    }  # a case without follow-ups has no activity

    for run in (district.high_concerns, lambda: followups.activity(conn, since)):
        details = plans(conn, run)
        assert any("followups_concern" in d for d in details), details
        assert not scans_followups(details), details
    assert ConcernLevel.HIGH.value == "high"  # the literal the queries use


def test_damage_is_still_reported_when_read_without_the_full_check(home: Path, monkeypatch):
    """Skipping the whole-file check on open (large stores, sessions) hides no damage: each
    page is authenticated when read."""
    with WorkerStore.create(home, PASSPHRASE) as store:
        case = open_case(store).case_id
        for n in range(400):
            add(store, case, n % 300, partners=[f"Partenaire {n}" * 5])
        data_key = store._data_key
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    path = db.db_path(home, "worker")
    raw = bytearray(path.read_bytes())
    middle = len(raw) // 2
    raw[middle : middle + 64] = bytes(b ^ 0xA5 for b in raw[middle : middle + 64])
    path.write_bytes(bytes(raw))

    with pytest.raises(db.StoreError):
        db.connect(path, data_key)  # the full check finds it at once
    conn = db.connect(path, data_key, full_check=False)
    try:
        with pytest.raises(db.DB_ERRORS):
            conn.execute("SELECT count(*), max(data) FROM followups").fetchall()
            conn.execute("SELECT count(*), max(fields) FROM changes").fetchall()
            conn.execute("SELECT count(*), max(hash) FROM audit").fetchall()
    finally:
        conn.close()
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
    with pytest.raises(db.StoreError):
        WorkerStore.open(home, Credentials())  # the passphrase path checks the whole file


def test_listing_cases_reads_each_case_as_loading_it_does(store: WorkerStore):
    open_case(
        store,
        reference="CO-1",
        display_name='Zoé "Zaza" O\'Brien',
        next_review=TODAY,
        goals=[{"text": "Reprendre l'école", "state": "achieved"}],
        related=["Frère : Léo"],
        situation="Ligne 1\nLigne 2 — « citée »",
    )
    open_case(store, reference="CO-2", status="suspended", priority="high", assignees=[])
    open_case(store, reference="CO-3", birth_year=None, reason=None)
    listed = store.list_cases()
    assert [c.reference for c in listed] == ["CO-1", "CO-2", "CO-3"]
    assert listed == [cases.load(store.conn, c.id) for c in listed]
    assert [c.reference for c in store.list_cases(CaseStatus.SUSPENDED)] == ["CO-2"]
