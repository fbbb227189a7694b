"""Finding things through the real CLI (issue 14): `case list --search`, a case named by
a unique part of its name in every command that takes a CASE, the candidates listed when
several match, and `followup list` filters (kind, dates, text, mine), with `--json`."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fieldkit.errors import NOT_FOUND, USAGE
from tests.e2e.conftest import Cli, refused
from tests.world import CASE_NAME, UNIT


def _add_case(quick: Cli, name: str, *workers: str) -> str:
    added = quick.district("case", "add", "--name", name, "--unit", UNIT, "--json")
    for who in workers:
        quick.fk.ok(
            quick.world.district_home,
            "district",
            "case",
            "assign",
            added["reference"],
            quick.world.worker_ids[who],
        )
    return added["reference"]


@pytest.fixture
def helenes(quick: Cli) -> tuple[str, str]:
    """Two more cases on worker a's device: Hélène Dupont and Hélène Martin."""
    dupont = _add_case(quick, "Hélène Dupont", "a")
    martin = _add_case(quick, "Hélène Martin", "a")
    quick.sync("a", tag="helenes")
    return dupont, martin


def test_case_search_ignores_accents_and_case(quick: Cli, helenes):
    dupont, martin = helenes
    for text in ("helene", "HÉLÈNE", "Helène"):
        found = [c["reference"] for c in quick.json("a", "case", "list", "--search", text)]
        assert found == sorted([dupont, martin]), text
    assert [c["reference"] for c in quick.json("a", "case", "list", "--search", "dupont")] == [
        dupont
    ]
    # A reference, or part of one, is found too.
    by_reference = quick.json("a", "case", "list", "--search", martin.lower())
    assert [c["reference"] for c in by_reference] == [martin]
    assert quick.json("a", "case", "list", "--search", "amelie")[0]["display_name"] == CASE_NAME
    shown = quick.ok("a", "case", "list", "--search", "helene").stdout
    assert "Hélène Dupont" in shown and "Amélie" not in shown


def test_case_search_without_a_match_says_so(quick: Cli, monkeypatch: pytest.MonkeyPatch):
    assert quick.json("a", "case", "list", "--search", "personne") == []
    shown = quick.ok("a", "case", "list", "--search", "personne").stdout
    assert "No case matches personne" in shown
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    shown = quick.ok("a", "case", "list", "--search", "personne").stdout
    assert "Aucun dossier ne correspond à personne" in shown


def test_a_unique_name_stands_for_the_case_in_every_command(quick: Cli, helenes):
    dupont, _ = helenes
    assert quick.json("a", "case", "show", "dupont")["reference"] == dupont
    added = quick.json("a", "followup", "add", "Dupont", "--kind", "entretien", "--summary", "Vu")
    assert [f["id"] for f in quick.json("a", "followup", "list", "helene dupont")] == [added["id"]]
    quick.ok("a", "case", "update", "dupont", "--next-review", "+7j")
    quick.ok("a", "case", "goal", "add", "dupont", "Reprendre une formation")
    summary = quick.ok("a", "case", "summary", "dupont", "--format", "md", "-o", "-").stdout
    assert dupont in summary and "Reprendre une formation" in summary
    assert quick.json("a", "case", "show", dupont)["goals"][0]["text"] == "Reprendre une formation"
    # The whole name, accents and case aside, picks one case among those that share a part.
    assert quick.json("a", "case", "show", "HELENE MARTIN")["display_name"] == "Hélène Martin"
    # At the district too.
    assert quick.district("case", "show", "dupont")["reference"] == dupont


def test_several_matching_names_list_the_candidates(
    quick: Cli, helenes, monkeypatch: pytest.MonkeyPatch
):
    dupont, martin = helenes
    before = quick.json("a", "followup", "list")
    line = refused(quick.run("a", "followup", "add", "helene", "-k", "appel", "-s", "x"), USAGE)
    assert f"{dupont} (Hélène Dupont)" in line and f"{martin} (Hélène Martin)" in line
    assert quick.json("a", "followup", "list") == before
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    line = refused(quick.run("a", "case", "show", "Hélène"), USAGE)
    assert "correspond à plusieurs dossiers" in line and f"{dupont} (Hélène Dupont)" in line
    line = refused(quick.run("a", "case", "show", "Zoé"), NOT_FOUND)
    assert "Zoé" in line


def test_a_whole_name_picks_its_case_among_longer_ones(quick: Cli):
    roux = _add_case(quick, "Léa Roux", "a")
    rouxel = _add_case(quick, "Léa Rouxel", "a")
    quick.sync("a", tag="roux")
    assert quick.json("a", "case", "show", "lea roux")["reference"] == roux
    assert quick.json("a", "case", "show", "rouxel")["reference"] == rouxel
    line = refused(quick.run("a", "case", "show", "rou"), USAGE)
    assert roux in line and rouxel in line


def test_only_the_cases_on_the_device_are_searched(quick: Cli):
    _add_case(quick, "Bernard Laroche", "b")  # assigned to b only
    quick.sync("a", "b", tag="bernard")
    assert quick.json("a", "case", "list", "--search", "laroche") == []
    refused(quick.run("a", "case", "show", "laroche"), NOT_FOUND)
    assert quick.json("b", "case", "show", "laroche")["display_name"] == "Bernard Laroche"


def test_followups_are_filtered_by_kind_dates_text_and_author(
    quick: Cli, monkeypatch: pytest.MonkeyPatch
):
    today = date.today()
    week_ago = (today - timedelta(days=7)).isoformat()
    interview = quick.note("a", "interview", "Entretien sur l'école", "--date", week_ago)
    call = quick.note("a", "appel", "Appel à la mère", "--next-steps", "Rappeler le collège")
    theirs = quick.note("b", "entretien", "Entretien de Karim")
    quick.sync("b", "a", tag="filters")

    def ids(*args: str) -> list[str]:
        return sorted(f["id"] for f in quick.json("a", "followup", "list", *args))

    assert ids("--kind", "entretien") == sorted([interview, theirs])
    assert ids("--kind", "phone-call") == [call]
    assert ids("--since", "hier") == sorted([call, theirs])
    assert ids("--until", "hier") == [interview]
    assert ids("--since", week_ago, "--until", week_ago) == [interview]
    assert ids("--search", "ECOLE") == [interview]  # accents and case ignored
    assert ids("--search", "college") == [call]  # next steps too
    assert ids("--mine") == sorted([interview, call])
    assert ids(quick.world.reference, "--mine", "--kind", "entretien") == [interview]
    listed = quick.json("a", "followup", "list", "--kind", "appel")
    assert listed[0]["kind"] == "phone-call"  # --json keeps the English code
    shown = quick.ok("a", "followup", "list", "--search", "mère").stdout
    assert "Appel à la mère" in shown and "Entretien" not in shown
    refused(quick.run("a", "followup", "list", "--kind", "visiter"), USAGE)
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    line = refused(quick.run("a", "followup", "list", "--since", "bientôt"), USAGE)
    assert "--since" in line and "bientôt" in line
