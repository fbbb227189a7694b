"""French words for every choice, through the real CLI: `--kind entretien`, `--priority
haute`, `--status actif`, `--concern-level élevé`, `--referral-to logement`, `--ttl 1j`;
`--json` keeps the English codes, and an unknown word is refused listing the words of the
screen, with nothing recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from fieldkit.errors import USAGE
from tests.e2e.conftest import Cli, refused
from tests.world import UNIT


def test_a_follow_up_takes_its_kind_level_and_referral_in_french(quick: Cli):
    ref = quick.world.reference
    add = ["followup", "add", ref, "--summary", "Noté", "--json"]
    concern = quick.json("a", *add, "--kind", "inquiétude", "--concern-level", "Élevé")
    visit = quick.json("a", *add, "--kind", "visite à domicile")
    referral = quick.json("a", *add, "--kind", "orientation", "--referral-to", "logement")
    shown = {f["id"]: f for f in quick.json("a", "followup", "list", ref)}
    assert (shown[concern["id"]]["kind"], shown[concern["id"]]["concern_level"]) == (
        "concern",
        "high",
    )
    assert shown[visit["id"]]["kind"] == "home-visit"
    assert (shown[referral["id"]]["kind"], shown[referral["id"]]["referral_to"]) == (
        "partner-referral",
        "housing",
    )


def test_an_unknown_word_lists_the_french_words_and_records_nothing(
    quick: Cli, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    ref = quick.world.reference
    before = quick.json("a", "followup", "list", ref)
    result = quick.run("a", "followup", "add", ref, "--kind", "entretient", "--summary", "x")
    line = refused(result, USAGE)
    assert "entretient" in line and "entretien, visite à domicile, appel" in line
    assert "interview" not in line
    assert quick.json("a", "followup", "list", ref) == before


def test_the_district_takes_priority_and_status_in_french(quick: Cli):
    added = quick.district(
        "case", "add", "--name", "Inès Roux", "--unit", UNIT, "--priority", "haute", "--json"
    )
    shown = quick.district("case", "show", added["reference"])
    assert shown["priority"] == "high"
    active = {c["reference"] for c in quick.district("case", "list", "--status", "actif")}
    assert added["reference"] in active
    assert quick.district("case", "list", "--status", "clos") == []
    line = refused(quick.district_run("case", "list", "--status", "ouvert"), USAGE)
    assert "--status" in line


def test_a_worker_lists_cases_by_status_in_french(quick: Cli):
    listed = quick.json("a", "case", "list", "--status", "Actif")
    assert [c["reference"] for c in listed] == [quick.world.reference]


def test_a_session_lasts_one_day_with_1j(quick: Cli):
    home = quick.world.homes["a"]
    before = datetime.now(UTC)
    opened = quick.fk.json(home, "unlock", "--ttl", "1j", "--json")
    lasts = datetime.fromisoformat(opened["expires"]) - before
    assert timedelta(hours=23, minutes=59) <= lasts <= timedelta(days=1, minutes=1)
    assert quick.fk.json(home, "unlock", "--ttl", "1d", "--json")["expires"] >= opened["expires"]


def test_a_next_contact_is_given_as_a_word(quick: Cli):
    ref = quick.world.reference
    add = ["followup", "add", ref, "--kind", "appel", "--summary", "Rappeler la mère"]
    before = date.today()
    added = quick.json("a", *add, "--next-contact", "demain", "--json")
    after = date.today()
    shown = {f["id"]: f for f in quick.json("a", "followup", "list", ref)}[added["id"]]
    assert shown["next_contact"] in {
        (before + timedelta(days=1)).isoformat(),
        (after + timedelta(days=1)).isoformat(),
    }
    assert shown["kind"] == "phone-call"
