"""Retention as the CNIL frameworks put it (issue 19), on both district backends.

The district is built with its clock (the HLC's wall clock) set in the past, as in
tests/district/test_retention.py, and follow-ups are dated in the past: a case closed 800
days ago, one closed 3 days ago, open cases whose last kept contact from the person is
800 days old, 30 days old, or that never had one. Then the rules are applied at today's
date, through the library and the CLI: flagged open cases, closed cases to the archive,
hidden from every district read, leaving the devices at their next sync once their changes
are acknowledged, opened only with `district archive open` (audited), then deleted or
anonymised, their text gone from the SQLCipher pages and WAL or from `pg_dump`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fieldkit.cli import app
from fieldkit.commands import retention as retention_commands
from fieldkit.commands.common import AppState
from fieldkit.crypto.casekeys import is_sealed
from fieldkit.district import decisions, retention_rules
from fieldkit.district.report import build_report
from fieldkit.district.store import DistrictStore
from fieldkit.errors import (
    ERROR,
    NOT_FOUND,
    REFUSED,
    USAGE,
    InvalidValue,
    NotFound,
    UsageError,
)
from fieldkit.model import Attendance, ConcernLevel, FollowUpKind
from fieldkit.replica import changelog, meta
from fieldkit.replica.digest import state_digest
from fieldkit.store.access import Credentials, data_key
from tests.conftest import PASSPHRASE
from tests.helpers import Clock, decrypt_sqlcipher_pages, decrypt_sqlcipher_wal
from tests.pg import Cluster
from tests.world import UNIT, World, api_sync, api_world, use_fast_kdf

TODAY = datetime.now(UTC).date()
OLD_NAME = "Marqueur-Archive Séverine Lacombe"
OLD_NOTE = "Marqueur-point-archivé pour la cellule"
OLD_REASON = "Marqueur-clôture-archivée"
OLD_MEASURE = "Marqueur-mesure-archivée atelier"
OLD_DETAIL = "Marqueur-détail-signalement"
OLD_TEXT = "Marqueur-suivi-archivé confidences"
LATE_TEXT = "Marqueur-suivi-hors-ligne de b"
MARKERS = (OLD_NAME, OLD_NOTE, OLD_REASON, OLD_MEASURE, OLD_DETAIL)
REASON = "Réquisition du procureur (art. 60 CPP)"


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


@dataclass
class Cycle:
    world: World
    old: str  # closed 800 days ago; b still holds it, with a follow-up made offline
    late: str  # closed 3 days ago
    stale: str  # open: last kept contact 800 days ago (a missed one since)
    fresh: str  # open: a kept family contact 30 days ago
    never: str  # open: referred 900 days ago, no contact at all
    old_reference: str
    old_followups: list[str]
    offline: str  # b's follow-up on the old case, made after its closure, not yet synced


@pytest.fixture
def cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cycle:
    use_fast_kdf(monkeypatch)
    clock = Clock(monkeypatch)
    clock.set(days_ago=1200)
    world = api_world(tmp_path, first_sync=False)
    a_id, b_id = world.worker_ids["a"], world.worker_ids["b"]
    with world.open_district() as d, world.open_worker("a") as a, world.open_worker("b") as b:
        old = d.add_case(
            name=OLD_NAME,
            unit=UNIT,
            referral_date=ago(1150),
            referral_source="hotline",
            referral_detail=OLD_DETAIL,
        )
        late = d.add_case(name="Cas clos récemment", unit=UNIT, referral_date=ago(1000))
        stale = d.add_case(name="Cas sans contact", unit=UNIT, referral_date=ago(1100))
        fresh = d.add_case(name="Cas suivi", unit=UNIT, referral_date=ago(1100))
        never = d.add_case(name="Cas jamais vu", unit=UNIT, referral_date=ago(900))
        for case in (old, late, stale, fresh, never):
            d.assign(case.id, a_id, lead=True)
        d.assign(old.id, b_id)
        decisions.record(
            d.conn,
            old.id,
            meeting_id=None,
            meeting_date=ago(1000),
            measures=[OLD_MEASURE],
            referent=None,
            next_review=None,
            status=None,
            reason=None,
            note_for_team=None,
        )
        for worker in (a, b):
            api_sync(d, worker)

        def add(case_id: str, kind: FollowUpKind, days: int, **extra) -> str:
            return a.add_followup(
                case_id, kind=kind, summary=OLD_TEXT, occurred_on=ago(days), today=TODAY, **extra
            ).id

        kept = Attendance.KEPT
        old_followups = [
            add(old.id, FollowUpKind.INTERVIEW, 1100, attendance=kept),
            add(old.id, FollowUpKind.HOME_VISIT, 1000, attendance=Attendance.MISSED),
            add(old.id, FollowUpKind.PARTNER_REFERRAL, 950, referral_to="housing"),
            add(old.id, FollowUpKind.CONCERN, 900, concern_level=ConcernLevel.LOW),
            add(old.id, FollowUpKind.PHONE_CALL, 850, attendance=kept),
        ]
        a.amend_followup(old_followups[0], TODAY, summary=OLD_TEXT + " rectifié")
        a.withdraw_followup(old_followups[4], "Saisi sur le mauvais dossier")
        a.update_case(old.id, cell_note=OLD_NOTE, participation="accepted")
        add(stale.id, FollowUpKind.INTERVIEW, 800, attendance=kept)
        add(stale.id, FollowUpKind.PHONE_CALL, 100, attendance=Attendance.MISSED)
        add(stale.id, FollowUpKind.CASE_REVIEW, 50)
        add(fresh.id, FollowUpKind.INTERVIEW, 800, attendance=kept)
        add(fresh.id, FollowUpKind.FAMILY_CONTACT, 30, attendance=kept)
        api_sync(d, a)
        api_sync(d, b)  # b learns the old case's follow-ups

        clock.set(days_ago=800)
        d.close_case(old.id, OLD_REASON)
        api_sync(d, a)  # a purges the old case at once
        offline = b.add_followup(
            old.id, kind=FollowUpKind.INTERVIEW, summary=LATE_TEXT, occurred_on=ago(799),
            today=TODAY, attendance=kept,
        ).id  # fmt: skip
        clock.set(days_ago=3)
        d.close_case(late.id, "Fin de prise en charge")
        api_sync(d, a)
        clock.real()
        assert old.id not in {c.id for c in a.list_cases()}
        assert old.id in {c.id for c in b.list_cases()}
    return Cycle(
        world,
        old.id,
        late.id,
        stale.id,
        fresh.id,
        never.id,
        old.reference,
        old_followups,
        offline,
    )


@pytest.fixture
def district(cycle: Cycle):
    with cycle.world.open_district() as d:
        yield d


def run(home: Path, *args: str, **env: str) -> Result:
    return CliRunner().invoke(
        app,
        ["--home", str(home), "district", *args],
        env={"FIELDKIT_PASSPHRASE": PASSPHRASE, **env},
    )


def ok(home: Path, *args: str, **env: str) -> Result:
    result = run(home, *args, **env)
    assert result.exit_code == 0, result.output
    return result


def shown_rules(home: Path) -> dict[str, dict]:
    shown = json.loads(ok(home, "retention", "show", "--json").stdout)
    return {r["rule"]: r for r in shown["rules"]}


def references(plan_items) -> list[str]:
    return [item.reference for item in plan_items]


# The rules


def test_the_rules_default_to_the_frameworks_and_a_departure_needs_its_basis(
    cycle: Cycle, district_backend: str
):
    home = cycle.world.district_home
    rules = shown_rules(home)
    assert {name: r["value"] for name, r in rules.items()} == {
        "active-period": "2",
        "archive-period": "5",
        "pjj": "off",
        "end": "delete",
    }
    assert all(r["is_default"] for r in rules.values())
    assert "JORFTEXT000045181681" in rules["active-period"]["basis"]
    assert "§46" in rules["active-period"]["basis"] and "2023" in rules["active-period"]["basis"]
    assert "2224" in rules["archive-period"]["basis"]
    french = ok(home, "retention", "show", FIELDKIT_LANG="fr").stdout
    assert "dernier contact émanant de la personne" in " ".join(french.split())

    # Departing from a default: refused without the basis, in the register's words.
    refused = run(home, "retention", "set", "archive-period", "10")
    assert refused.exit_code == USAGE and "--basis" in refused.stderr
    bad = run(home, "retention", "set", "archive-period", "dix", "--basis", "x")
    assert bad.exit_code == USAGE
    assert run(home, "retention", "set", "delay", "1", "--basis", "x").exit_code == USAGE
    basis = "Prescription de l'action publique pour les délits (CPP art. 8) : 6 ans"
    done = json.loads(
        ok(home, "retention", "set", "archive-period", "6", "--basis", basis, "--json").stdout
    )
    assert (done["value"], done["is_default"], done["basis"]) == ("6", False, basis)
    piped = CliRunner().invoke(
        app,
        ["--home", str(home), "district", "retention", "set", "end", "anonymiser", "--basis", "-"],
        input="Statistiques du CIPDR\n",
        env={"FIELDKIT_PASSPHRASE": PASSPHRASE},
    )
    assert piped.exit_code == 0, piped.output
    rules = {
        r["rule"]: r for r in json.loads(ok(home, "retention", "show", "--json").stdout)["rules"]
    }
    assert (rules["archive-period"]["value"], rules["archive-period"]["basis"]) == ("6", basis)
    assert (rules["end"]["value"], rules["end"]["basis"]) == ("anonymise", "Statistiques du CIPDR")
    # Back to the default without a basis: the frameworks are quoted again.
    ok(home, "retention", "set", "archive-period", "5")
    rules = {
        r["rule"]: r for r in json.loads(ok(home, "retention", "show", "--json").stdout)["rules"]
    }
    assert rules["archive-period"]["is_default"] and "2224" in rules["archive-period"]["basis"]
    with cycle.world.open_district() as d:
        sets = [e.detail for e in d.audit_events() if e.action == "retention-set"]
    assert sets == [
        "rule=archive-period value=6 basis=district",
        "rule=end value=anonymise basis=district",
        "rule=archive-period value=5 basis=default",
    ]


def test_the_command_layer_names_the_rules_as_the_core_does():
    assert retention_commands.RULES == retention_rules.RULES
    assert retention_commands.DEFAULTS == retention_rules.DEFAULTS


def test_the_pjj_rule_keeps_a_file_to_five_years_or_the_21st_birthday():
    rules = retention_rules.Rules(2, 1, True, "delete", ())
    closed = date(2026, 3, 1)
    # 5 years after closure, rather than the 1-year archive...
    assert retention_rules.archive_end(rules, closed, 1990) == date(2031, 3, 1)
    # ... or the year after the 21st birthday, when that is later (born 2012: 21 in 2033).
    assert retention_rules.archive_end(rules, closed, 2012) == date(2034, 1, 1)
    off = retention_rules.Rules(2, 1, False, "delete", ())
    assert retention_rules.archive_end(off, closed, 2012) == date(2027, 3, 1)
    assert retention_rules.archive_end(off, date(2024, 2, 29), None) == date(2025, 2, 28)
    with pytest.raises(InvalidValue):
        retention_rules.normalised("active-period", "0")
    with pytest.raises(UsageError):
        retention_rules.normalised("forever", "1")


# The active period


def test_an_open_case_with_no_kept_contact_for_two_years_is_flagged(
    cycle: Cycle, district: DistrictStore
):
    c, d = cycle, district
    plan = d.retention_plan(TODAY)
    flagged = {f.case_id: f for f in plan.flagged}
    assert set(flagged) == {c.stale, c.never}
    # Counted from the last kept contact (a missed call and a review since do not count),
    # or from the referral when the person was never seen.
    assert flagged[c.stale].last_contact == ago(800)
    assert flagged[c.stale].active_until == retention_rules.add_years(ago(800), 2)
    assert flagged[c.never].last_contact is None and flagged[c.never].counted_from == ago(900)
    # Flagged, never moved: an open case stays where it is.
    assert d.apply_retention(TODAY).flagged == plan.flagged
    assert {c.stale, c.never, c.fresh} <= {x.id for x in d.list_cases()}
    # A longer active period set by the district, with its basis: none is flagged.
    d.set_retention_rule("active-period", "3", "Durée fixée par la délibération du 3 mars")
    assert d.retention_plan(TODAY).flagged == []

    report = build_report(d, printed_at=datetime.now(UTC))
    assert report.retention.flagged == 0


def test_the_flagged_cases_are_in_the_dry_run_and_the_report(cycle: Cycle):
    c, home = cycle, cycle.world.district_home
    dry = json.loads(ok(home, "retention", "apply", "--dry-run", "--json").stdout)
    with cycle.world.open_district() as d:
        stale, never = (d.case(x)[0].reference for x in (c.stale, c.never))
    # The longest without contact first: referred 900 days ago, never seen.
    assert [f["reference"] for f in dry["flagged"]] == [never, stale]
    assert dry["flagged"][0]["last_contact"] is None
    assert dry["flagged"][1]["last_contact"] == ago(800).isoformat()
    assert dry["dry_run"] is True
    french = ok(home, "retention", "apply", "--dry-run", FIELDKIT_LANG="fr").stdout
    assert "Dossiers ouverts au-delà de la base active" in french and stale in french
    assert "rien n'a été modifié" in french
    report = json.loads(ok(home, "report", "--json").stdout)
    assert report["retention"] == {
        "to_archive": 2,
        "to_end": 0,
        "held": 0,
        "end": "delete",
        "flagged": 2,
        "active_years": 2,
        "in_archive": 0,
    }
    text = ok(home, "report", FIELDKIT_LANG="fr").stdout
    assert "2 dossiers ouverts au-delà de la base active" in " ".join(text.split())
    annex = json.loads(ok(home, "report", "--with-cases", "--json").stdout)["cases"]
    past = {line["reference"] for line in annex if "past-active-period" in line["flags"]}
    assert past == {stale, never}
    pdf = home.parent / "bilan.pdf"
    ok(home, "report", "--format", "pdf", "-o", str(pdf), FIELDKIT_LANG="fr")
    assert pdf.read_bytes().startswith(b"%PDF")
    with cycle.world.open_district() as d:
        assert [e.action for e in d.audit_events() if e.object_type == "retention"] == [
            "retention-check",
            "retention-check",
        ]


# The intermediate archive


def test_a_closed_case_moves_to_the_archive_and_no_district_read_shows_it(cycle: Cycle):
    c, home = cycle, cycle.world.district_home
    before = json.loads(ok(home, "report", "--json").stdout)

    done = json.loads(ok(home, "retention", "apply", "--yes", "--json").stdout)

    assert done["to_archive"][0]["reference"] == c.old_reference
    assert len(done["to_archive"]) == 2 and done["to_end"] == [] and not done["dry_run"]
    listed = json.loads(ok(home, "case", "list", "--json").stdout)
    assert c.old not in {x["id"] for x in listed} and c.late not in {x["id"] for x in listed}
    closed = json.loads(ok(home, "case", "list", "--status", "closed", "--json").stdout)
    assert closed == []
    for ref in (c.old, c.old_reference, c.old[:8], "Séverine Lacombe"):
        assert run(home, "case", "show", ref).exit_code == NOT_FOUND, ref
    assert run(home, "case", "summary", c.old_reference).exit_code == NOT_FOUND
    assert run(home, "case", "reopen", c.old_reference, "--reason", "x").exit_code == NOT_FOUND
    assert run(home, "case", "assign", c.old_reference, "a").exit_code == NOT_FOUND
    report = ok(home, "report", "--with-cases", "--json").stdout
    assert c.old_reference not in report and OLD_NAME not in report
    figures = json.loads(report)
    assert figures["total"] == before["total"]
    assert figures["retention"]["in_archive"] == 2 and figures["retention"]["to_archive"] == 0
    meeting = json.loads(ok(home, "meeting", "new", TODAY.isoformat(), "--json").stdout)
    agenda = ok(home, "meeting", "agenda", meeting["reference"], "--json").stdout
    assert c.old not in agenda and c.old_reference not in agenda
    added = run(home, "meeting", "agenda", meeting["reference"], "--add", c.old_reference)
    assert added.exit_code == NOT_FOUND
    workers = json.loads(ok(home, "worker", "list", "--json").stdout)
    assert {w["name"]: w["cases"] for w in workers} == {"Léa Martin": 4, "Karim Benali": 1}
    # Nothing more to move: a second run (cron, every night) does nothing but its audit.
    again = json.loads(ok(home, "retention", "apply", "--yes", "--json").stdout)
    assert again["to_archive"] == [] and again["to_end"] == []
    with cycle.world.open_district() as d:
        archived = [e for e in d.audit_events() if e.action == "archive"]
        assert sorted(e.object_id for e in archived) == sorted([c.old, c.late])
        assert archived[0].detail.startswith(f"reference={c.old_reference} closed=")
        runs = [e.detail for e in d.audit_events() if e.action == "retention-apply"]
        assert runs == [
            "to_archive=2 to_end=0 held=0 flagged=2 archived=0 end=delete",
            "to_archive=0 to_end=0 held=0 flagged=2 archived=2 end=delete",
        ]
        assert d.verify_audit()[1] is None


def test_a_district_command_on_an_archived_reference_points_to_archive_open(cycle: Cycle):
    """Its reference or id says where the case is and how to read it (still not found,
    exit 4), on every command that takes a case; a name or an id prefix still finds
    nothing, and names nothing of the archive."""
    c, home = cycle, cycle.world.district_home
    ok(home, "retention", "apply", "--yes")
    meeting = json.loads(ok(home, "meeting", "new", TODAY.isoformat(), "--json").stdout)
    worker = cycle.world.worker_ids["b"]
    with cycle.world.open_district() as d:
        written = changelog.last_idx(d.conn)
    for ref in (c.old_reference, c.old_reference.lower(), c.old):
        for args in (
            ("case", "show", ref),
            ("case", "summary", ref),
            ("case", "assign", ref, worker),
            ("case", "unassign", ref, worker),
            ("case", "close", ref, "--reason", "x"),
            ("case", "reopen", ref, "--reason", "x"),
            ("case", "suspend", ref, "--reason", "x"),
            ("case", "update", ref, "--priority", "high"),
            ("meeting", "agenda", meeting["reference"], "--add", ref),
            ("meeting", "agenda", meeting["reference"], "--remove", ref),
            ("meeting", "decide", meeting["reference"], ref, "--measure", "x"),
        ):
            said = run(home, *args)
            assert said.exit_code == NOT_FOUND, (args, said.output)
            hint = f"fieldkit district archive open {ref.strip()} --reason TEXT"
            assert "intermediate archive" in said.stderr and hint in said.stderr, args
    french = run(home, "case", "show", c.old_reference, FIELDKIT_LANG="fr")
    assert french.exit_code == NOT_FOUND
    assert " ".join(french.stderr.split()) == " ".join(
        f"fieldkit: {c.old_reference} est en archivage intermédiaire : il ne se lit qu'avec "
        f"fieldkit district archive open {c.old_reference} --reason MOTIF (acte inscrit au "
        "journal des accès avec son motif)".split()
    ), french.stderr
    for ref in (c.old[:8], OLD_NAME, "CO-2099-9999"):
        said = run(home, "case", "show", ref)
        assert said.exit_code == NOT_FOUND, ref
        assert "archive" not in said.stderr and c.old_reference not in said.stderr, ref
    # None of the refused commands wrote anything.
    with cycle.world.open_district() as d:
        assert changelog.last_idx(d.conn) == written


def test_an_archived_case_opens_only_with_a_reason_and_each_opening_is_audited(cycle: Cycle):
    c, home = cycle, cycle.world.district_home
    ok(home, "retention", "apply", "--yes")
    # Without a reason and no terminal: a usage error; a case not in the archive: not found.
    assert run(home, "archive", "open", c.old_reference).exit_code == USAGE
    assert run(home, "archive", "open", c.stale, "--reason", REASON).exit_code == NOT_FOUND
    assert run(home, "archive", "open", "Séverine", "--reason", REASON).exit_code == NOT_FOUND

    opened = json.loads(
        ok(home, "archive", "open", c.old_reference, "--reason", REASON, "--json").stdout
    )
    assert opened["id"] == c.old and opened["display_name"] == OLD_NAME
    assert {f["id"] for f in opened["followups"]} == set(c.old_followups)
    assert opened["cell_note"] == OLD_NOTE
    french = CliRunner().invoke(
        app,
        ["--home", str(home), "district", "archive", "open", c.old[:10], "--reason", "-"],
        input="Contentieux en cours\n",
        env={"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_LANG": "fr"},
    )
    assert french.exit_code == 0, french.output
    assert "DOSSIER ARCHIVÉ" in french.stdout and c.old_reference in french.stdout
    with cycle.world.open_district() as d:
        openings = [e for e in d.audit_events() if e.action == "archive-open"]
        assert [(e.object_id, e.detail) for e in openings] == [
            (c.old, f"reason={REASON}"),
            (c.old, "reason=Contentieux en cours"),
        ]
        # Not a plain view: `case show` audits "view"; the archive is read only this way.
        assert not [e for e in d.audit_events()[-3:] if e.action == "view"]


def test_an_archived_case_leaves_a_device_once_its_changes_are_acknowledged(
    cycle: Cycle, district: DistrictStore
):
    c, d = cycle, district
    d.apply_retention(TODAY)
    with c.world.open_worker("b") as b:
        assert c.old in {x.id for x in b.list_cases()}
        _, result = api_sync(d, b)
        # Its follow-up made offline reached the archive before the case left the device.
        assert result.refused == [] and result.purged == 1
        assert c.old not in {x.id for x in b.list_cases()}
        assert meta.get_int(b.conn, "acked_seq") == meta.get_int(b.conn, "seq")
        assert meta.get(b.conn, "resync_needed") is None
        held = {x.id for x in b.list_cases()}
        assert state_digest(b.conn, held) == state_digest(d.conn, held)
    _, history = d.open_archived(c.old_reference, REASON)
    assert c.offline in {f.id for f in history}
    # The worker that had purged it at closure syncs on, untouched.
    with c.world.open_worker("a") as a:
        _, result = api_sync(d, a)
        assert result.purged == 0 and meta.get(a.conn, "resync_needed") is None


# The end


def test_at_the_end_the_archived_case_is_deleted_and_its_text_leaves_the_store(
    cycle: Cycle,
    district: DistrictStore,
    district_backend: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
):
    c, d = cycle, district
    d.apply_retention(TODAY)
    with c.world.open_worker("b") as b:
        api_sync(d, b)  # b's offline follow-up is in the archive, and b holds the case no more
    old_sealed = sealed_texts_archived(d, c)
    assert old_sealed
    d.set_retention_rule("archive-period", "1", "Délibération du 3 mars : un an")
    plan = d.retention_plan(TODAY)
    assert references(plan.to_end) == [c.old_reference]  # the late one stays archived

    done = d.apply_retention(TODAY)

    assert references(done.to_end) == [c.old_reference]
    with pytest.raises(NotFound):
        d.open_archived(c.old_reference, REASON)
    actions = [e.action for e in d.audit_events() if e.object_id == c.old]
    assert actions[-1] == "purge" and "archive" in actions
    assert d.verify_audit()[1] is None
    assert d.anonymised_counts() == []  # deleted, not anonymised
    assert d.apply_retention(TODAY).to_end == []
    if district_backend == "sqlcipher":
        monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
        key = data_key(c.world.district_home, "district", Credentials()).data_key
        raw = decrypt_sqlcipher_pages(c.world.district_home / "district.db", key)
        wal = c.world.district_home / "district.db-wal"
        if wal.exists():
            raw += decrypt_sqlcipher_wal(wal, key)
        assert b"Cas sans contact" in raw  # the check sees the text of the cases kept
        assert [m for m in MARKERS if m.encode() in raw] == []
        assert [v for v in old_sealed if v.encode() in raw] == []
        assert not [f for f in [*c.old_followups, c.offline] if f.encode() in raw]
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    dump = cluster.pg_dump(district_backend)
    tables = [block for block in dump.split("\nCOPY ")[1:] if c.old in block]
    assert [block.split(" ", 1)[0] for block in tables] == ["public.audit"]
    assert not [f for f in [*c.old_followups, c.offline] if f in dump]
    assert c.stale in dump


def sealed_texts_archived(d: DistrictStore, c: Cycle) -> set[str]:
    """The sealed team texts of the archived old case, read as `sealed_texts` does (through
    `case`, which hides the archive: here, for the test only, with nothing hidden)."""
    from fieldkit.district import archive

    assert c.old in archive.ids(d.conn)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(archive, "ids", lambda conn: set())
        case, history = d.case(c.old)
    values = [case.situation, case.related, case.goals]
    for followup in history:
        values += [followup.summary, *(a.fields.get("summary") for a in followup.amendments)]
    return {v for v in values if is_sealed(v)}


def test_at_the_end_by_anonymisation_only_correct_counts_remain(
    cycle: Cycle,
    district: DistrictStore,
    district_backend: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
):
    c, d = cycle, district
    d.set_retention_rule("archive-period", "1", "Délibération du 3 mars : un an")
    d.set_retention_rule("end", "anonymise", "Statistiques annuelles du CIPDR")
    with c.world.open_worker("b") as b:
        api_sync(d, b)  # before any apply: the case is closed, b's follow-up is taken

    done = d.apply_retention(TODAY)  # to the archive and past it in one run

    assert references(done.to_archive) == [c.old_reference, _reference(c, "late")]
    assert references(done.to_end) == [c.old_reference]
    closed_year = ago(800).year
    expected = {
        (UNIT, closed_year, "case", "accepted"): 1,
        (UNIT, ago(1150).year, "referral", "hotline"): 1,
        (UNIT, ago(1100).year, "interview", "kept"): 1,
        (UNIT, ago(1000).year, "home-visit", "missed"): 1,
        (UNIT, ago(950).year, "partner-referral", "housing"): 1,
        (UNIT, ago(900).year, "concern", "low"): 1,
        (UNIT, ago(1000).year, "measure", "planned"): 1,
        # b's offline interview; the withdrawn phone call is not counted.
    }
    expected[(UNIT, ago(799).year, "interview", "kept")] = (
        expected.get((UNIT, ago(799).year, "interview", "kept"), 0) + 1
    )
    counts: dict = {}
    for row in d.anonymised_counts():
        counts[(row.unit, row.year, row.kind, row.outcome)] = row.count
    assert counts == expected
    actions = [e.action for e in d.audit_events() if e.object_id == c.old][-3:]
    assert actions == ["archive", "anonymise", "purge"]
    assert d.apply_retention(TODAY).to_end == []  # a second run counts nothing twice
    assert {(r.unit, r.year, r.kind, r.outcome): r.count for r in d.anonymised_counts()} == counts
    # The report carries the counts, with no name and no text.
    report = build_report(d, printed_at=datetime.now(UTC))
    assert {(r.unit, r.year, r.kind, r.outcome): r.count for r in report.statistics} == counts
    home = c.world.district_home
    shown = ok(home, "report", "--format", "md", FIELDKIT_LANG="fr").stdout
    assert "Comptes anonymisés" in shown and "Rendez-vous honoré" in shown
    assert not [m for m in MARKERS if m in shown]
    if district_backend == "sqlcipher":
        monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
        key = data_key(home, "district", Credentials()).data_key
        raw = decrypt_sqlcipher_pages(home / "district.db", key)
        wal = home / "district.db-wal"
        if wal.exists():
            raw += decrypt_sqlcipher_wal(wal, key)
        assert [m for m in MARKERS if m.encode() in raw] == []
        assert not [f for f in [*c.old_followups, c.offline] if f.encode() in raw]
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    dump = cluster.pg_dump(district_backend)
    tables = [block for block in dump.split("\nCOPY ")[1:] if c.old in block]
    assert [block.split(" ", 1)[0] for block in tables] == ["public.audit"]
    statistics = dump.split("COPY public.retention_statistics", 1)[1].split("\\.", 1)[0]
    assert "interview\tkept" in statistics


def _reference(c: Cycle, which: str) -> str:
    from fieldkit.replica import cases

    with c.world.open_district() as d:
        return cases.reference_of(d.conn, getattr(c, which)) or ""


# Safe from cron or a systemd timer


def test_apply_without_a_terminal_needs_yes_and_changes_nothing(cycle: Cycle):
    home = cycle.world.district_home
    for lang, words in (("en", "--yes"), ("fr", "supprime des données")):
        refused = run(home, "retention", "apply", FIELDKIT_LANG=lang)
        assert refused.exit_code == USAGE
        assert words in refused.stderr and refused.stdout == ""
    with cycle.world.open_district() as d:
        assert d.retention_plan(TODAY).archived == 0
        assert not [e for e in d.audit_events() if e.object_type == "retention"]


def test_on_a_terminal_apply_asks_first(cycle: Cycle):
    home = cycle.world.district_home
    terminal = AppState(stdin_isatty=True, stderr_isatty=True)
    declined = CliRunner().invoke(
        app, ["--home", str(home), "district", "retention", "apply", "--json"], input="n\n",
        obj=terminal, env={"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_LANG": "fr"},
    )  # fmt: skip
    assert declined.exit_code == ERROR and declined.stdout == ""
    assert "Vers l'archivage : 2" in declined.stderr and "Rien n'a été modifié" in declined.stderr
    accepted = CliRunner().invoke(
        app, ["--home", str(home), "district", "retention", "apply", "--json"], input="y\n",
        obj=terminal, env={"FIELDKIT_PASSPHRASE": PASSPHRASE},
    )  # fmt: skip
    assert accepted.exit_code == 0, accepted.output
    assert len(json.loads(accepted.stdout)["to_archive"]) == 2


def test_two_runs_at_once_do_the_work_once(cycle: Cycle):
    c = cycle
    with c.world.open_district() as d:
        d.set_retention_rule("archive-period", "1", "Délibération du 3 mars : un an")
        d.set_retention_rule("end", "anonymise", "Statistiques annuelles du CIPDR")
    start = threading.Barrier(2)
    results: list = []
    errors: list = []

    def one_run() -> None:
        try:
            with DistrictStore.open(
                c.world.district_home, Credentials(prompt=lambda: PASSPHRASE)
            ) as d:
                start.wait()
                results.append(d.apply_retention(TODAY))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(len(r.to_archive) for r in results) == [0, 2]
    assert sorted(len(r.to_end) for r in results) == [0, 1]
    with c.world.open_district() as d:
        assert len([e for e in d.audit_events() if e.action == "archive"]) == 2
        assert len([e for e in d.audit_events() if e.action == "anonymise"]) == 1
        assert len([e for e in d.audit_events() if e.action == "retention-apply"]) == 2
        assert sum(r.count for r in d.anonymised_counts() if r.kind == "case") == 1
        assert d.verify_audit()[1] is None


def test_district_purge_still_purges_closed_cases_archived_or_not(cycle: Cycle):
    c, home = cycle, cycle.world.district_home
    ok(home, "retention", "apply", "--yes")
    purged = json.loads(ok(home, "purge", "--older-than", "30", "--yes", "--json").stdout)
    assert [x["reference"] for x in purged["cases"]] == [c.old_reference]
    assert run(home, "archive", "open", c.old_reference, "--reason", REASON).exit_code == NOT_FOUND
    shown = json.loads(ok(home, "retention", "show", "--json").stdout)
    assert shown["in_archive"] == 1  # the late one


# Refused work is never archived out of sight nor deleted


def refused_on_old_case(c: Cycle, d: DistrictStore) -> str:
    """b, taken off the old case without having synced, sends its offline follow-up on it:
    refused (not assigned), kept at the district pending; returns the refusal's number."""
    with c.world.open_worker("b") as b:
        _, result = api_sync(d, b)
        assert [x.reason for x in result.refused] == ["not-assigned"]
        # The device keeps its own copy until the decision comes back.
        assert [x.change.entity_id for x in b.refused_changes()] == [c.offline]
    (pending,) = d.refusals("pending")
    assert pending.change.entity_id == c.offline
    return pending.id


def test_a_closed_case_with_a_pending_refusal_stays_until_the_decision(cycle: Cycle):
    c, home = cycle, cycle.world.district_home
    with c.world.open_district() as d:
        d.unassign(c.old, c.world.worker_ids["b"])
        number = refused_on_old_case(c, d)
    late = _reference(c, "late")

    dry = json.loads(ok(home, "retention", "apply", "--dry-run", "--json").stdout)
    assert references_of(dry["to_archive"]) == [late] and dry["to_end"] == []
    assert dry["held"] == [
        {
            "reference": c.old_reference,
            "unit": UNIT,
            "closed_on": ago(800).isoformat(),
            "stage": "archive",
            "pending_refusals": 1,
        }
    ]
    report = json.loads(ok(home, "report", "--json").stdout)["retention"]
    assert (report["to_archive"], report["held"]) == (1, 1)
    text = " ".join(ok(home, "report", FIELDKIT_LANG="fr").stdout.split())
    assert "1 dossier clos retenu" in text and "fieldkit district refusals list" in text
    shown = " ".join(ok(home, "retention", "apply", "--yes", FIELDKIT_LANG="fr").stdout.split())
    assert "Dossier clos retenu" in shown and c.old_reference in shown
    assert "fieldkit district refusals list" in shown and "en base active" in shown

    # It stays in active use: listed, and its refusal names it.
    closed = json.loads(ok(home, "case", "list", "--status", "closed", "--json").stdout)
    assert [x["id"] for x in closed] == [c.old]
    listed = json.loads(ok(home, "refusals", "list", "--json").stdout)
    assert [(x["case_reference"], x["archived"]) for x in listed] == [(c.old_reference, False)]
    with c.world.open_district() as d:
        runs = [e.detail for e in d.audit_events() if e.action == "retention-apply"]
        assert runs == ["to_archive=1 to_end=0 held=1 flagged=2 archived=0 end=delete"]

    ok(home, "refusals", "dismiss", number, "--reason", "Dossier clos, suivi non repris")
    done = json.loads(ok(home, "retention", "apply", "--yes", "--json").stdout)
    assert references_of(done["to_archive"]) == [c.old_reference] and done["held"] == []
    assert run(home, "case", "show", c.old_reference).exit_code == NOT_FOUND


def references_of(items: list[dict]) -> list[str]:
    return [item["reference"] for item in items]


def test_work_sent_on_an_archived_case_is_kept_and_reached_without_naming_it(cycle: Cycle):
    c, home = cycle, cycle.world.district_home
    with c.world.open_district() as d:
        d.unassign(c.old, c.world.worker_ids["b"])  # b does not sync before the archiving
    ok(home, "retention", "apply", "--yes")
    with c.world.open_district() as d:
        number = refused_on_old_case(c, d)

    # Listed, but as « an archived case »: neither its reference nor its id.
    listed = ok(home, "refusals", "list", "--json").stdout
    assert c.old_reference not in listed and c.old not in listed
    (item,) = json.loads(listed)
    assert item["archived"] is True and item["case_reference"] == ""
    assert item["case_id"] is None and item["change"]["entity_id"] == c.offline
    for lang, words in (("fr", "dossier archivé"), ("en", "archived case")):
        for args in (("refusals", "list"), ("refusals", "show", number)):
            shown = ok(home, *args, FIELDKIT_LANG=lang).stdout
            assert words in shown and c.old_reference not in shown and c.old not in shown
            assert f"archive open --refusal {number}" in " ".join(shown.split())
    # Reached from the refusal, as an audited reading of the archive.
    opened = json.loads(
        ok(home, "archive", "open", "--refusal", number, "--reason", REASON, "--json").stdout
    )
    assert opened["id"] == c.old and c.offline not in {f["id"] for f in opened["followups"]}
    assert run(home, "archive", "open", "--reason", REASON).exit_code == USAGE
    both = run(home, "archive", "open", c.old_reference, "--refusal", number, "--reason", "x")
    assert both.exit_code == USAGE
    # It can no longer be assigned again: accepting says to dismiss.
    accepted = run(home, "refusals", "accept", number, FIELDKIT_LANG="fr")
    assert accepted.exit_code == REFUSED and "refusals dismiss" in accepted.stderr
    with c.world.open_district() as d:
        openings = [e for e in d.audit_events() if e.action == "archive-open"]
        assert [e.detail for e in openings] == [f"refusal={number} reason={REASON}"]
        d.set_retention_rule("archive-period", "1", "Délibération du 3 mars : un an")

    # At the end of the archive, the pending refusal holds the case back from deletion.
    held = json.loads(ok(home, "retention", "apply", "--yes", "--json").stdout)
    assert held["to_end"] == []
    assert [(h["reference"], h["stage"]) for h in held["held"]] == [(c.old_reference, "end")]
    ok(home, "archive", "open", c.old_reference, "--reason", REASON)
    purge = json.loads(ok(home, "purge", "--older-than", "30", "--yes", "--json").stdout)
    assert purge["cases"] == [] and references_of(purge["held"]) == [c.old_reference]
    assert purge["held"][0]["pending_refusals"] == 1
    ok(home, "refusals", "dismiss", number, "--reason", "Dossier archivé, rien à reprendre")
    done = json.loads(ok(home, "retention", "apply", "--yes", "--json").stdout)
    assert references_of(done["to_end"]) == [c.old_reference]
    assert run(home, "archive", "open", c.old_reference, "--reason", REASON).exit_code == NOT_FOUND
    with c.world.open_district() as d:
        # The decided refusal stays until b holds the decision; then the next run takes it.
        assert [x.status for x in d.refusals()] == ["dismissed"]
        with c.world.open_worker("b") as b:
            api_sync(d, b)
            assert [x.status for x in b.refused_changes(include_decided=True)] == ["dismissed"]
            api_sync(d, b)  # b says it holds the decision
        d.apply_retention(TODAY)
        assert d.refusals() == []
        assert d.audit_events()[-2].detail == "count=1"  # before the run's own event
        assert d.verify_audit()[1] is None


def test_the_unit_list_does_not_count_archived_cases_and_a_rename_moves_them(cycle: Cycle):
    c, home = cycle, cycle.world.district_home

    def counted() -> int:
        uses = json.loads(ok(home, "unit", "list", "--json").stdout)
        return sum(u["cases"] for u in uses if u["name"] in (UNIT, "UT Côte-d'Or Nord"))

    before = counted()
    ok(home, "retention", "apply", "--yes")  # the old and the late case to the archive
    assert counted() == before - 2
    renamed = json.loads(ok(home, "unit", "rename", UNIT, "UT Côte-d'Or Nord", "--json").stdout)
    assert renamed["cases"] == before  # the archived ones move too: the archive keeps units
    assert counted() == before - 2
    opened = json.loads(
        ok(home, "archive", "open", c.old_reference, "--reason", REASON, "--json").stdout
    )
    assert opened["unit"] == "UT Côte-d'Or Nord"


def test_a_decided_refusal_goes_with_its_case_once_its_device_has_the_decision_or_is_revoked(
    cycle: Cycle,
):
    c, home = cycle, cycle.world.district_home
    with c.world.open_district() as d:
        d.unassign(c.old, c.world.worker_ids["b"])
        number = refused_on_old_case(c, d)
        d.set_retention_rule("archive-period", "1", "Délibération du 3 mars : un an")
    ok(home, "refusals", "dismiss", number, "--reason", "Dossier clos, suivi non repris")

    done = json.loads(ok(home, "retention", "apply", "--yes", "--json").stdout)

    assert references_of(done["to_end"]) == [c.old_reference]  # archived and ended at once
    listed = json.loads(ok(home, "refusals", "list", "--json").stdout)
    assert [x["status"] for x in listed] == ["dismissed"]  # b has not been told yet
    ok(home, "worker", "revoke", c.world.worker_ids["b"])
    ok(home, "retention", "apply", "--yes")  # b's device is wiped, never told: it goes
    assert json.loads(ok(home, "refusals", "list", "--json").stdout) == []
