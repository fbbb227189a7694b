"""Issue 17 at the district, through the real CLI and both district backends: the list of
units (a typo refused with the closest unit, a free-text unit mapped, a rename that moves
the cases to the team's devices), corrections, suspension and reopening that reach a
worker's `case show`, and workers named by a name without accents or an id prefix."""

from __future__ import annotations

import pytest

from fieldkit.cli import app
from fieldkit.errors import NOT_FOUND, USAGE
from tests.conftest import PASSPHRASE
from tests.e2e.conftest import Cli, refused
from tests.world import UNIT, WORKERS, file_sync

pytestmark = pytest.mark.usefixtures("district_backend")


@pytest.fixture
def french(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "fr")


def _sync(quick: Cli, who: str, tag: str) -> None:
    file_sync(quick.fk, quick.world, who, tag)


def _new_case(quick: Cli, name: str, unit: str = UNIT) -> str:
    return quick.district("case", "add", "--name", name, "--unit", unit)["reference"]


def test_a_typo_in_a_unit_is_refused_with_the_closest_unit(quick: Cli, french) -> None:
    quick.district("unit", "add", "UT Nord")
    quick.district("unit", "add", "UT Sud")
    before = quick.district("case", "list")
    line = refused(
        quick.district_run("case", "add", "--name", "Paul R.", "--unit", "UT Nrod"), USAGE
    )
    assert line == "fieldkit: Unité inconnue : UT Nrod. Vouliez-vous dire « UT Nord » ?"
    assert quick.district("case", "list") == before  # nothing opened
    # Far from every listed unit: no suggestion, the list and how to add one.
    line = refused(quick.district_run("case", "add", "--name", "P", "--unit", "Ouest"), USAGE)
    assert "Ouest" in line and "UT Nord, UT Sud" in line and "unit add" in line
    # Accents and case ignored: the unit is kept as the list spells it.
    added = quick.district("case", "add", "--name", "Paul R.", "--unit", "ut  SUD")
    assert quick.district("case", "show", added["reference"])["unit"] == "UT Sud"
    # The same checks on a correction.
    line = refused(
        quick.district_run("case", "update", added["reference"], "--unit", "UT Sdu"), USAGE
    )
    assert "« UT Sud »" in line
    # A unit already on the list, however it is typed, is not added twice.
    refused(quick.district_run("unit", "add", "ut nord"), USAGE)


def test_a_new_worker_s_unit_is_checked_against_the_list_too(quick: Cli, french) -> None:
    quick.district("unit", "add", "UT Sud")
    before = quick.district("worker", "list")
    line = refused(
        quick.district_run("worker", "add", "--name", "Inès K.", "--unit", "ut sdu"), USAGE
    )
    assert line == "fieldkit: Unité inconnue : ut sdu. Vouliez-vous dire « UT Sud » ?"
    assert quick.district("worker", "list") == before  # nobody added, no code spent
    added = quick.district("worker", "add", "--name", "Inès K.", "--unit", "ut sud")
    (shown,) = [w for w in quick.district("worker", "list") if w["id"] == added["id"]]
    assert shown["unit"] == "UT Sud"


def test_a_district_without_a_list_takes_units_as_typed_and_says_how_to_start_one(
    quick: Cli, french
) -> None:
    result = quick.district_run("case", "add", "--name", "Paul R.", "--unit", "UT Ouest")
    assert result.exit_code == 0, result.stderr
    assert "fieldkit district unit add" in result.stderr
    assert quick.district("unit", "list") == [
        {"name": "UT Nord", "cases": 1, "workers": 2, "listed": False, "suggestion": None},
        {"name": "UT Ouest", "cases": 1, "workers": 0, "listed": False, "suggestion": None},
    ]


def test_free_text_units_are_listed_then_mapped_and_the_device_gets_the_new_unit(
    quick: Cli, french
) -> None:
    # Units typed before the list existed: two spellings of one unit and a typo.
    second = _new_case(quick, "Paul R.", "ut nord")
    _new_case(quick, "Inès K.", "UT Nrod")
    quick.district("unit", "add", "UT Nord-Est")
    unknown = quick.district("unit", "list", "--unknown")
    assert [(u["name"], u["cases"], u["workers"]) for u in unknown] == [
        ("UT Nord", 1, 2),
        ("ut nord", 1, 0),
        ("UT Nrod", 1, 0),
    ]
    shown = quick.district_run("unit", "list", "--unknown").stdout
    assert "Unités hors liste (3)" in shown and "unit rename" in shown
    # One rename maps both spellings (accents and case ignored), cases and workers alike.
    done = quick.district("unit", "rename", "UT Nord", "UT Nord-Est")
    assert (done["cases"], done["workers"], done["list"]) == (2, 2, "kept")
    said = quick.district_run("unit", "rename", "UT Nrod", "ut nord-est").stdout
    assert "UT Nrod devient UT Nord-Est : 1 dossier et 0 intervenant déplacés." in " ".join(
        said.split()
    )
    assert quick.district("unit", "list", "--unknown") == []
    assert quick.district("unit", "list") == [
        {"name": "UT Nord-Est", "cases": 3, "workers": 2, "listed": True, "suggestion": None}
    ]
    assert quick.district("case", "show", second)["unit"] == "UT Nord-Est"
    # The rename is a district-owned change: the team's device gets it at its next sync.
    assert quick.case("a")["unit"] == UNIT
    _sync(quick, "a", "after-rename")
    assert quick.case("a")["unit"] == "UT Nord-Est"
    # A listed unit renamed: its cases follow again.
    quick.district("unit", "rename", "UT Nord-Est", "UT Nord et Est")
    _sync(quick, "a", "after-second-rename")
    assert quick.case("a")["unit"] == "UT Nord et Est"
    refused(quick.district_run("unit", "rename", "UT Centre", "UT Nord"), NOT_FOUND)


def test_corrections_reach_the_worker_s_case_show(quick: Cli, french) -> None:
    reference = quick.world.reference
    quick.district("unit", "add", UNIT)
    changed = quick.district(
        "case",
        "update",
        reference,
        "--name",
        "Amélie Durand-Morel",
        "--birth-year",
        "2007",
        "--priority",
        "haute",
        "--referral-source",
        "Éducation nationale",
        "--referral-detail",
        "collège Jean-Moulin",
    )["changed"]
    assert changed == [
        "birth_year",
        "display_name",
        "priority",
        "referral_detail",
        "referral_source",
    ]
    # The reason for referral from standard input, never from argv.
    args = ["--home", str(quick.world.district_home), "district", "case", "update"]
    result = quick.fk.runner.invoke(
        app,
        [*args, reference, "--reason", "-"],
        input="Propos de rupture rapportés par la CPE\n",
        env={"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_SESSION": None},
    )
    assert result.exit_code == 0, result.stderr
    again = quick.district("case", "update", reference, "--priority", "high")
    assert again["changed"] == []
    _sync(quick, "a", "corrected")
    case = quick.case("a")
    assert case["display_name"] == "Amélie Durand-Morel"
    assert case["birth_year"] == 2007
    assert case["priority"] == "high"
    assert case["referral_source"] == "education"
    assert case["referral_detail"] == "collège Jean-Moulin"
    assert case["reason"] == "Propos de rupture rapportés par la CPE"
    shown = " ".join(quick.run("a", "case", "show", reference).stdout.split())
    assert "Éducation nationale : collège Jean-Moulin" in shown
    # A word that is not a referral source is refused with the list.
    line = refused(quick.district_run("case", "update", reference, "--referral-source", "x"), USAGE)
    assert "numéro vert / CNAPR" in line
    refused(quick.district_run("case", "update", reference), USAGE)


def test_suspend_and_reopen_reach_the_team_and_a_closed_case_stays_closed(
    quick: Cli, french
) -> None:
    reference = quick.world.reference
    quick.district("case", "suspend", reference, "--reason", "Hospitalisation de la personne")
    refused(quick.district_run("case", "suspend", reference, "--reason", "encore"), USAGE)
    _sync(quick, "b", "suspended")
    case = quick.case("b")
    assert (case["status"], case["status_reason"]) == (
        "suspended",
        "Hospitalisation de la personne",
    )
    shown = " ".join(quick.run("b", "case", "show", reference).stdout.split())
    assert "Hospitalisation de la personne" in shown
    district_view = " ".join(quick.district_run("case", "show", reference).stdout.split())
    assert "Suspendu (motif : Hospitalisation de la personne)" in district_view
    # Without a reason, in a script: a usage error naming the flag, nothing changed.
    line = refused(quick.district_run("case", "reopen", reference), USAGE)
    assert "--reason" in line
    quick.district("case", "reopen", reference, "--reason", "Sortie d'hospitalisation")
    refused(quick.district_run("case", "reopen", reference, "--reason", "x"), USAGE)
    _sync(quick, "b", "reopened")
    assert quick.case("b")["status"] == "active"
    quick.fk.ok(
        quick.world.district_home, "district", "case", "close", reference, "--reason", "Fin"
    )
    line = refused(quick.district_run("case", "reopen", reference, "--reason", "x"), USAGE)
    assert "clos" in line and "district case add" in line
    refused(quick.district_run("case", "suspend", reference, "--reason", "x"), USAGE)
    refused(quick.district_run("case", "update", reference, "--priority", "low"), USAGE)


def test_case_assign_finds_a_worker_by_a_name_without_accents_and_by_a_prefix(
    quick: Cli, french
) -> None:
    reference = _new_case(quick, "Inès K.")
    lea, karim = quick.world.worker_ids["a"], quick.world.worker_ids["b"]
    said = quick.district_run("case", "assign", reference, "lea martin", "--lead")
    assert said.exit_code == 0, said.stderr
    assert "Léa Martin" in said.stdout and "lea martin" not in said.stdout
    said = quick.district_run("case", "assign", reference, karim[:7])
    assert said.exit_code == 0, said.stderr
    assert WORKERS["b"] in said.stdout
    team = quick.district("case", "show", reference)["assignees"]
    assert {a["id"] for a in team} == {lea, karim}
    said = quick.district_run("case", "unassign", reference, "BENALI")
    assert said.exit_code == 0, said.stderr
    assert "Karim Benali" in said.stdout
    # The hex part of the id alone is a prefix too.
    assert quick.district_run("case", "assign", reference, karim[3:9]).exit_code == 0
    line = refused(quick.district_run("case", "assign", reference, "Personne Inconnue"), NOT_FOUND)
    assert "Vouliez-vous dire" not in line  # nobody close: no guess
    # A mistyped name: refused, with the closest name to type instead.
    line = refused(quick.district_run("case", "assign", reference, "lea martn"), NOT_FOUND)
    assert line == "fieldkit: aucun intervenant « lea martn ». Vouliez-vous dire « Léa Martin » ?"


def test_several_workers_matching_are_listed_and_nothing_is_done(quick: Cli, french) -> None:
    reference = _new_case(quick, "Inès K.")
    other = quick.district("worker", "add", "--name", "Léa Moreau", "--unit", UNIT)["id"]
    line = refused(quick.district_run("case", "assign", reference, "léa"), USAGE)
    assert "2 intervenants" in line
    assert "Léa Martin" in line and "Léa Moreau" in line and other[:8] in line
    assert quick.district("case", "show", reference)["assignees"] == []
    # Fewer than 4 characters of an id name nobody ("wk-" starts every id).
    refused(quick.district_run("case", "assign", reference, "wk-"), NOT_FOUND)
    # Revocation takes a name as well, and says whose.
    said = quick.district_run("worker", "revoke", "lea moreau")
    assert said.exit_code == 0, said.stderr
    assert "Léa Moreau" in said.stdout
