"""Retention at the district: `district purge` removes closed cases past the period, only them.

The district is built with its clock (the HLC's wall clock) set in the past, so that its
cases were really closed 400 and 3 days ago; then the purge runs at today's date. On
both backends: what goes, what stays byte for byte, the audit chain, a worker that still
held the purged case, and the purged text gone from the SQLCipher pages and WAL or from
the PostgreSQL rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fieldkit.cli import app
from fieldkit.commands.common import AppState
from fieldkit.crypto.casekeys import is_sealed
from fieldkit.district.store import DistrictStore
from fieldkit.errors import ERROR, NOT_FOUND, USAGE
from fieldkit.model import FollowUpKind
from fieldkit.replica import meta
from fieldkit.replica.columns import row_key, unseal
from fieldkit.replica.digest import state_digest
from fieldkit.store.access import Credentials, data_key
from fieldkit.store.worker import WorkerStore
from tests.conftest import PASSPHRASE
from tests.district.conftest import case_update, send
from tests.helpers import Clock, decrypt_sqlcipher_pages, decrypt_sqlcipher_wal
from tests.pg import Cluster
from tests.world import UNIT, World, api_sync, api_world, use_fast_kdf

TODAY = datetime.now(UTC).date()
OLD_NAME = "Marqueur-Purge Ophélie Vasseur"
OLD_TEXT = "Marqueur-suivi-purgé confidences"
OLD_AMENDED = "Marqueur-rectification-purgée"
OLD_SITUATION = "Marqueur-situation-purgée"
OLD_REFUSED = "Marqueur-refus-purgé"
OLD_REASON = "Marqueur-clôture-purgée"
LATE_TEXT = "Marqueur-tardif après la purge"
KEPT_TEXT = "Marqueur-ouvert conservé"
# Notes for the cell (`cell_note`) are in clear at the district, unlike the team texts
# (follow-ups, situation), which it only ever holds sealed (DESIGN §9).
OLD_CELL_NOTE = "Marqueur-point-cellule-purgé"
KEPT_CELL_NOTE = "Marqueur-point-cellule conservé"
PURGED_MARKERS = (
    OLD_NAME,
    OLD_TEXT,
    OLD_AMENDED,
    OLD_SITUATION,
    OLD_REFUSED,
    OLD_REASON,
    OLD_CELL_NOTE,
)


@dataclass
class Retention:
    world: World
    old: str  # case id: closed 400 days ago, with follow-ups, a conflict and a refusal
    late: str  # closed 3 days ago
    kept: str  # open (as is the world's own case)
    old_followups: list[str]


def note(worker: WorkerStore, case_id: str, summary: str) -> str:
    return worker.add_followup(
        case_id, kind=FollowUpKind.INTERVIEW, summary=summary, occurred_on=TODAY, today=TODAY
    ).id


@pytest.fixture
def retention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Retention:
    """Workers a and b hold the old case; only a synced after it was closed."""
    use_fast_kdf(monkeypatch)
    clock = Clock(monkeypatch)
    clock.set(days_ago=420)
    world = api_world(tmp_path, first_sync=False)
    with world.open_district() as d, world.open_worker("a") as a, world.open_worker("b") as b:
        old = d.add_case(name=OLD_NAME, unit=UNIT, reason="Signalement")
        late = d.add_case(name="Cas clos récemment", unit=UNIT)
        kept = d.add_case(name="Cas ouvert", unit=UNIT)
        for case in (old, late, kept):
            d.assign(case.id, world.worker_ids["a"], lead=True)
            d.assign(case.id, world.worker_ids["b"])
        for worker in (a, b):
            api_sync(d, worker)
        old_followups = [note(a, old.id, OLD_TEXT), note(a, old.id, OLD_TEXT + " 2")]
        a.amend_followup(old_followups[0], TODAY, summary=OLD_AMENDED)
        note(a, late.id, "Suivi du cas clos récemment")
        note(a, kept.id, KEPT_TEXT)
        a.update_case(old.id, cell_note=OLD_CELL_NOTE)
        a.update_case(kept.id, cell_note=KEPT_CELL_NOTE)
        # Concurrent edits of the old case's situation: a conflict at the district.
        a.update_case(old.id, situation=OLD_SITUATION + " A")
        b.update_case(old.id, situation=OLD_SITUATION + " B")
        for worker in (a, b, a):
            api_sync(d, worker)
        assert [c.case_id for c in d.conflicts()] == [old.id]
        a.resolve_conflict(a.conflicts()[0].id, "mine")
        api_sync(d, a)
        assert d.conflicts() == [] and len(d.conflicts(include_resolved=True)) == 1
        # A refused change about the old case, kept whole at the district.
        _, reply, _ = send(d, a, [case_update(a, old.id, display_name=OLD_REFUSED)])
        assert [r.reason for r in reply.refused] == ["district-field"]
        # Decided: a refusal still pending would hold the case back from the purge (below).
        d.dismiss_refusal(d.refusals()[0].id, "Le nom est écrit par le district")
        api_sync(d, a)  # a gets the decision (and says it holds it at its next sync)

        clock.set(days_ago=400)
        d.close_case(old.id, OLD_REASON)
        api_sync(d, a)  # a purges the old case; b does not sync again before the purge
        clock.set(days_ago=3)
        d.close_case(late.id, "Fin de prise en charge")
        clock.real()
        assert {c.id for c in a.list_cases()} == {late.id, kept.id, world.case_id}
        assert {c.id for c in b.list_cases()} == {old.id, late.id, kept.id, world.case_id}
    return Retention(world, old.id, late.id, kept.id, old_followups)


def snapshot(d: DistrictStore, case_ids: list[str]) -> list:
    shown = []
    for case_id in case_ids:
        case, history = d.case(case_id)
        shown.append((case.model_dump(mode="json"), [f.model_dump(mode="json") for f in history]))
        shown.append([c.model_dump(mode="json") for c in d.case_conflicts(case_id)])
    return shown


CASE_TABLES = (
    "cases",
    "case_fields",
    "followups",
    "amendments",
    "changes",
    "conflicts",
    "grants",
)


def rows_about(d: DistrictStore, case_id: str) -> dict[str, int]:
    found = {
        table: d.conn.execute(
            f"SELECT count(*) FROM {table} WHERE {'id' if table == 'cases' else 'case_id'} = ?",
            (case_id,),
        ).fetchone()[0]
        for table in CASE_TABLES
    }
    found["assignments"] = len([w for w in d.workers() if case_id in d.assigned_cases(w.worker.id)])
    found["refusals"] = sum(
        json.loads(unseal(d.conn, "refusals", "change", row_key(w, o, str(q)), c))["case_id"]
        == case_id
        for w, o, q, c in d.conn.execute("SELECT worker_id, origin, seq, change FROM refusals")
    )
    return {table: count for table, count in found.items() if count}


def refusals_about(d: DistrictStore, case_id: str) -> list[tuple[str, str, str]]:
    """(entity, reason, status) of every refusal about a case, listed or not."""
    found = []
    for w, o, q, reason, status, c in d.conn.execute(
        "SELECT worker_id, origin, seq, reason, status, change FROM refusals"
    ):
        change = json.loads(unseal(d.conn, "refusals", "change", row_key(w, o, str(q)), c))
        if change["case_id"] == case_id:
            found.append((change["entity"], reason, status))
    return sorted(found)


def sealed_texts(d: DistrictStore, case_id: str) -> set[str]:
    """The sealed values of a case's team texts as the district holds them."""
    case, history = d.case(case_id)
    values = [case.situation, case.related, case.goals]
    for followup in history:
        values += [followup.summary, *(a.fields.get("summary") for a in followup.amendments)]
    for conflict in d.conflicts(include_resolved=True):
        if conflict.case_id == case_id:
            values += [conflict.winner_value, conflict.loser_value]
    return {v for v in values if is_sealed(v)}


@pytest.fixture
def district(retention: Retention) -> Iterator[DistrictStore]:
    with retention.world.open_district() as d:
        yield d


def test_only_cases_closed_before_the_cutoff_are_listed_and_purged(
    retention: Retention, district: DistrictStore
):
    d, r = district, retention
    assert set(rows_about(d, r.old)) == {*CASE_TABLES, "assignments", "refusals"}
    assert d.conn.execute("SELECT count(*) FROM resolved_conflicts").fetchone()[0] == 1
    kept_before = snapshot(d, [r.late, r.kept])

    cutoff = TODAY - timedelta(days=30)
    due = d.closed_before(cutoff)
    assert [(item.case_id, item.followups) for item in due] == [(r.old, 2)]
    assert due[0].closed_on == TODAY - timedelta(days=400)
    assert [item.case_id for item in d.closed_before(TODAY)] == [r.old, r.late]
    # Open cases are never due, whatever the cutoff.
    assert r.kept not in {item.case_id for item in d.closed_before(TODAY + timedelta(days=999))}

    purged = d.purge_closed(cutoff)

    assert [item.case_id for item in purged] == [r.old]
    assert rows_about(d, r.old) == {}
    assert d.conn.execute("SELECT count(*) FROM resolved_conflicts").fetchone()[0] == 0
    assert snapshot(d, [r.late, r.kept]) == kept_before
    assert {c.id for c in d.list_cases()} == {r.late, r.kept, r.world.case_id}
    assert d.closed_before(cutoff) == []
    assert d.purge_closed(cutoff) == []  # a second run finds nothing


def test_the_audit_chain_holds_and_records_each_purge_without_content(
    retention: Retention, district: DistrictStore
):
    d, r = district, retention
    before = [e.model_dump() for e in d.audit_events() if e.object_id == r.old]
    assert {e["action"] for e in before} >= {"case-add", "case-assign", "case-close"}
    reference = d.closed_before(TODAY)[0].reference

    d.purge_closed(TODAY - timedelta(days=30))

    checked, broken = d.verify_audit()
    assert broken is None and checked == len(d.audit_events())
    *kept, purge = [e for e in d.audit_events() if e.object_id == r.old]
    assert [e.model_dump() for e in kept] == before
    closed_on = (TODAY - timedelta(days=400)).isoformat()
    assert (purge.action, purge.object_type, purge.actor) == ("purge", "case", "district")
    assert purge.detail == f"reference={reference} closed={closed_on}"
    text = json.dumps([e.model_dump(mode="json") for e in d.audit_events()], ensure_ascii=False)
    assert not [m for m in PURGED_MARKERS if m in text]


def test_a_worker_still_holding_the_case_purges_it_and_loses_none_of_its_work(
    retention: Retention, district: DistrictStore
):
    d, r = district, retention
    with r.world.open_worker("b") as b:
        other = note(b, r.kept, "Travail de b sur le cas ouvert")
        note(b, r.old, LATE_TEXT)  # made offline on the closed case, not yet synced
        d.purge_closed(TODAY - timedelta(days=30))

        _, result = api_sync(d, b)

        assert result.purged == 2  # the purged case and the one closed 3 days ago
        assert len(result.refused) == 1  # its late follow-up: the case is no longer its
        held = {r.kept, r.world.case_id}
        assert {c.id for c in b.list_cases()} == held
        assert other in [f.id for f in d.case(r.kept)[1]]
        assert [x.reason for x in d.refusals()] == ["not-assigned"]
        # Both sides agree: nothing in flight, equal digests, no resync asked for.
        assert meta.get(b.conn, "resync_needed") is None
        assert state_digest(b.conn, held) == state_digest(d.conn, held)
        assert meta.get_int(b.conn, "acked_seq") == meta.get_int(b.conn, "seq")
        # Besides its late follow-up, b had granted a's key of the old case back to a
        # (it had learnt it at its last sync): that grant is refused too, and kept as
        # dropped, never listed (fieldkit/district/refusals.py).
        assert rows_about(d, r.old) == {"refusals": 2}
        assert refusals_about(d, r.old) == [
            ("followup", "not-assigned", "pending"),
            ("grant", "not-assigned", "dropped"),
        ]

        # A worker that had already purged it converges too.
        with r.world.open_worker("a") as a:
            api_sync(d, a)
            assert {c.id for c in a.list_cases()} == held
            assert meta.get(a.conn, "resync_needed") is None
            assert other in [f.id for f in a.get_case(r.kept)[1]]

        # The next purge takes the dropped grant, but not the late follow-up while no one
        # has decided on it: refused work never goes unseen. Once dismissed, it goes too;
        # each time the audit trail says how many.
        d.purge_closed(TODAY - timedelta(days=30))
        assert refusals_about(d, r.old) == [("followup", "not-assigned", "pending")]
        assert d.audit_events()[-1].action == "purge"
        assert d.audit_events()[-1].detail == "count=1"
        d.dismiss_refusal(d.refusals()[0].id, "Dossier supprimé à la fin de sa conservation")
        d.purge_closed(TODAY - timedelta(days=30))
        # Decided, it stays until b holds the decision (b keeps its copy until then).
        assert refusals_about(d, r.old) == [("followup", "not-assigned", "dismissed")]
        api_sync(d, b)
        assert [x.status for x in b.refused_changes(include_decided=True)] == ["dismissed"]
        api_sync(d, b)
        d.purge_closed(TODAY - timedelta(days=30))
        assert d.refusals() == [] and refusals_about(d, r.old) == []
        assert d.audit_events()[-1].detail == "count=1"
        assert d.verify_audit()[1] is None
        api_sync(d, b)
        assert meta.get(b.conn, "resync_needed") is None


def test_the_purged_text_leaves_the_store(
    retention: Retention,
    district: DistrictStore,
    district_backend: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
):
    d, r = district, retention
    old_sealed, kept_sealed = sealed_texts(d, r.old), sealed_texts(d, r.kept)
    # The old case's situation and its conflict's other side, its two summaries and the
    # amendment's; the kept case's one summary.
    assert (len(old_sealed), len(kept_sealed)) == (5, 1)
    d.purge_closed(TODAY - timedelta(days=30))
    if district_backend == "sqlcipher":
        # Read while the store is still open: closing it would checkpoint the WAL anyway.
        monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
        key = data_key(r.world.district_home, "district", Credentials()).data_key
        raw = decrypt_sqlcipher_pages(r.world.district_home / "district.db", key)
        wal = r.world.district_home / "district.db-wal"
        if wal.exists():
            raw += decrypt_sqlcipher_wal(wal, key)
        # The check can see text in clear, and the sealed values the district holds.
        assert KEPT_CELL_NOTE.encode() in raw
        assert all(value.encode() in raw for value in kept_sealed)
        assert KEPT_TEXT.encode() not in raw  # a team text: only ever there sealed
        assert [m for m in PURGED_MARKERS if m.encode() in raw] == []
        assert [v for v in old_sealed if v.encode() in raw] == []
        assert r.old.encode() in raw  # only as the audit events' object id
        assert not [f for f in r.old_followups if f.encode() in raw]
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    dump = cluster.pg_dump(district_backend)
    # Sealed values cannot be searched for text: the rows themselves must be gone. The
    # case id is left only in the audit table's events; its follow-ups' ids nowhere.
    tables = [block for block in dump.split("\nCOPY ")[1:] if r.old in block]
    assert [block.split(" ", 1)[0] for block in tables] == ["public.audit"]
    assert not [f for f in r.old_followups if f in dump]
    assert r.kept in dump


def test_nothing_closed_before_the_cutoff_purges_nothing(
    retention: Retention, district: DistrictStore
):
    d, r = district, retention
    before = snapshot(d, [r.old, r.late, r.kept])
    assert d.purge_closed(TODAY - timedelta(days=500)) == []
    assert d.purge_closed(TODAY, only=set()) == []
    assert snapshot(d, [r.old, r.late, r.kept]) == before


# The command


def run(home: Path, *args: str, **env: str) -> Result:
    return CliRunner().invoke(
        app,
        ["--home", str(home), "district", *args],
        env={"FIELDKIT_PASSPHRASE": PASSPHRASE, **env},
    )


def show(home: Path, case_id: str) -> str:
    result = run(home, "case", "show", case_id, "--json")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_district_purge_through_the_cli(retention: Retention):
    r, home = retention, retention.world.district_home
    listing = run(home, "case", "list", "--json").stdout
    kept = [show(home, r.late), show(home, r.kept)]
    with DistrictStore.open(home, Credentials(prompt=lambda: PASSPHRASE)) as d:
        reference = d.closed_before(TODAY - timedelta(days=30))[0].reference
        changes = d.conn.execute("SELECT count(*) FROM changes").fetchone()[0]

    # Off a terminal, no purge without --yes: a usage error, in both languages.
    for lang, words in (("en", "--yes"), ("fr", "irréversible")):
        refused = run(home, "purge", "--older-than", "30", FIELDKIT_LANG=lang)
        assert refused.exit_code == USAGE
        assert words in refused.stderr and refused.stdout == ""
    both = run(home, "purge", "--older-than", "30", "--closed-before", "2020-01-01", "--yes")
    assert both.exit_code == USAGE and "--older-than" in both.stderr
    assert run(home, "purge", "--yes").exit_code == USAGE
    assert run(home, "purge", "--older-than", "-1", "--yes").exit_code == USAGE

    dry = run(home, "purge", "--older-than", "30", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    closed_on = (TODAY - timedelta(days=400)).isoformat()
    expected = [{"reference": reference, "closed_on": closed_on, "followups": 2}]
    assert json.loads(dry.stdout) == {"purged": 0, "cases": expected, "held": [], "dry_run": True}
    french = run(home, "purge", "--older-than", "30", "--dry-run", FIELDKIT_LANG="fr")
    assert "rien n'a été modifié" in french.stdout and reference in french.stdout
    assert run(home, "case", "list", "--json").stdout == listing
    with DistrictStore.open(home, Credentials(prompt=lambda: PASSPHRASE)) as d:
        assert d.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == changes

    done = run(home, "purge", "--closed-before", (TODAY - timedelta(days=30)).isoformat(), "--yes")
    assert done.exit_code == 0, done.output
    assert reference in done.stdout and "1 case purged" in done.stdout
    assert [show(home, r.late), show(home, r.kept)] == kept
    assert run(home, "case", "show", r.old).exit_code == NOT_FOUND
    again = run(home, "purge", "--older-than", "30", "--yes", "--json")
    assert json.loads(again.stdout) == {"purged": 0, "cases": [], "held": [], "dry_run": False}


def test_on_a_terminal_the_purge_asks_first(retention: Retention):
    r, home = retention, retention.world.district_home
    terminal = AppState(stdin_isatty=True, stderr_isatty=True)
    args = ("purge", "--older-than", "1", "--json")

    declined = CliRunner().invoke(
        app, ["--home", str(home), "district", *args], input="n\n", obj=terminal,
        env={"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_LANG": "fr"},
    )  # fmt: skip
    assert declined.exit_code == ERROR
    assert "Purger définitivement ces 2 dossiers" in declined.stderr
    # CliRunner echoes the typed answer after the question, on stderr: stdout stays empty.
    assert "Rien n'a été purgé" in declined.stderr and declined.stdout == ""
    assert "[o/N] n\n" in declined.stderr
    assert json.loads(run(home, "purge", "--older-than", "1", "--dry-run", "--json").stdout)[
        "cases"
    ]

    accepted = CliRunner().invoke(
        app, ["--home", str(home), "district", *args], input="y\n", obj=terminal,
        env={"FIELDKIT_PASSPHRASE": PASSPHRASE},
    )  # fmt: skip
    assert accepted.exit_code == 0, accepted.output
    assert "[y/N] y\n" in accepted.stderr
    report = json.loads(accepted.stdout)  # the JSON document alone
    assert report["purged"] == 2 and report["dry_run"] is False
    assert {c["closed_on"] for c in report["cases"]} == {
        (TODAY - timedelta(days=400)).isoformat(),
        (TODAY - timedelta(days=3)).isoformat(),
    }
    listed = json.loads(run(home, "case", "list", "--json").stdout)
    assert {c["id"] for c in listed} == {r.kept, r.world.case_id}


def test_closing_dates_are_utc_days_of_the_closing_write(retention: Retention):
    with retention.world.open_district() as d:
        closed = {item.case_id: item.closed_on for item in d.closed_before(TODAY + timedelta(1))}
    assert closed == {
        retention.old: TODAY - timedelta(days=400),
        retention.late: TODAY - timedelta(days=3),
    }
    assert isinstance(closed[retention.old], date)
