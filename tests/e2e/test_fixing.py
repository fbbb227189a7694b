"""Fixing things through the real CLI (issue 14): what waits to sync (`status --pending`,
`sync --dry-run`), withdrawing a follow-up (author only, it syncs and shows struck),
correcting a kind, and support-plan goals changed one at a time, with their dates."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from fieldkit.errors import REFUSED, USAGE
from tests.e2e.conftest import Cli, refused


def _pending(quick: Cli, who: str, *command: str) -> list[dict]:
    return quick.json(who, *(command or ("status", "--pending")))


# What is waiting


def test_pending_lists_each_change_in_words_until_it_is_synced(
    quick: Cli, monkeypatch: pytest.MonkeyPatch
):
    ref = quick.world.reference
    assert _pending(quick, "a") == []
    assert "Nothing is waiting to sync" in quick.ok("a", "status", "--pending").stdout
    followup = quick.note("a", "entretien", "Premier entretien")
    quick.ok("a", "followup", "amend", followup, "--summary", "Premier entretien, au collège")
    quick.ok("a", "case", "update", ref, "--situation", "Scolarité reprise")
    waiting = _pending(quick, "a")
    assert [(p["reference"], p["what"]) for p in waiting] == [
        (ref, "followup-add"),
        (ref, "amendment"),
        (ref, "case-update"),
    ]
    assert waiting[0]["kind"] == "interview"  # --json keeps the English codes
    assert waiting[2]["fields"] == ["situation"]
    assert all(p["written_at"].startswith(date.today().isoformat()[:4]) for p in waiting)
    shown = quick.ok("a", "status", "--pending").stdout
    assert "3 changes waiting to sync" in shown and "follow-up added (Interview)" in shown
    assert "case updated: Situation" in shown
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    shown = quick.ok("a", "status", "--pending").stdout
    assert "3 modifications en attente de synchronisation" in shown
    assert "suivi ajouté (Entretien)" in shown and "rectification (Compte rendu)" in shown
    assert "dossier mis à jour : Situation" in shown
    monkeypatch.delenv("FIELDKIT_LANG")
    # The dry run lists the same and sends nothing: the next real sync still sends all 3.
    assert _pending(quick, "a", "sync", "--dry-run") == waiting
    assert _pending(quick, "a") == waiting
    refused(quick.run("a", "sync", "--dry-run", "--to-file", "x.fkb"), USAGE)
    quick.sync("a", tag="pending")
    assert _pending(quick, "a") == []
    assert quick.json("a", "status")["unsynced_changes"] == 0


def test_a_dry_run_needs_no_server(quick: Cli):
    quick.note("a", "appel", "Appel")
    # This world syncs by file: a real sync without a file has no server to reach.
    refused(quick.run("a", "sync"), USAGE)
    shown = quick.ok("a", "sync", "--dry-run").stdout
    assert "1 change waiting to sync" in shown and "follow-up added (Phone call)" in shown


# Withdrawing


def test_the_author_withdraws_a_followup_and_it_stays_marked(quick: Cli):
    ref = quick.world.reference
    wrong = quick.note("a", "entretien", "Noté sur le mauvais dossier")
    withdrawn = quick.json("a", "followup", "withdraw", wrong, "--reason", "Mauvais dossier")
    assert withdrawn["withdrawn"] is True and withdrawn["withdrawn_reason"] == "Mauvais dossier"
    assert withdrawn["summary"] == "Noté sur le mauvais dossier"  # the text stays
    listed = quick.json("a", "followup", "list", ref)
    assert [(f["id"], f["withdrawn"]) for f in listed] == [(wrong, True)]
    shown = quick.ok("a", "followup", "show", wrong[:8]).stdout
    assert "withdrawn" in shown and "Mauvais dossier" in shown
    history = quick.ok("a", "case", "show", ref).stdout
    assert "withdrawn by Léa Martin" in history and "Mauvais dossier" in history
    assert [p["what"] for p in quick.json("a", "status", "--pending")][-1] == "withdrawal"
    # Twice: one clear line, nothing more written.
    line = refused(quick.run("a", "followup", "withdraw", wrong, "--reason", "Encore"), USAGE)
    assert "already withdrawn" in line
    line = refused(quick.run("a", "followup", "amend", wrong, "--summary", "Autre"), USAGE)
    assert "already withdrawn" in line
    assert len(quick.json("a", "status", "--pending")) == 2


def test_a_withdrawal_needs_a_reason(quick: Cli, monkeypatch: pytest.MonkeyPatch):
    followup = quick.note("a", "appel", "Appel")
    line = refused(quick.run("a", "followup", "withdraw", followup), USAGE)
    assert "--reason" in line
    refused(quick.run("a", "followup", "withdraw", followup, "--reason", "  "), USAGE)
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    line = refused(quick.run("a", "followup", "withdraw", followup), USAGE)
    assert "--reason" in line and "required" not in line
    assert quick.json("a", "followup", "show", followup)["withdrawn"] is False


def test_only_the_author_withdraws_a_followup(quick: Cli, monkeypatch: pytest.MonkeyPatch):
    theirs = quick.note("a", "entretien", "Noté par Léa")
    quick.sync("a", "b", tag="theirs")
    line = refused(quick.run("b", "followup", "withdraw", theirs, "--reason", "Non"), REFUSED)
    assert "only its author withdraws it" in line
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    line = refused(quick.run("b", "followup", "withdraw", theirs, "--reason", "Non"), REFUSED)
    assert "seul son auteur peut le retirer" in line
    assert quick.json("b", "followup", "show", theirs)["withdrawn"] is False
    assert quick.json("b", "status", "--pending") == []


def test_a_withdrawal_syncs_to_the_coworker_and_shows_struck(
    quick: Cli, monkeypatch: pytest.MonkeyPatch
):
    ref = quick.world.reference
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    wrong = quick.note(
        "a", "inquiétude", "Inquiétude notée par erreur", "--concern-level", "élevé",
        "--next-contact", tomorrow,
    )  # fmt: skip
    kept = quick.note("a", "entretien", "Entretien réel")
    quick.sync("a", "b", tag="before")
    assert [i["followup_id"] for i in quick.json("b", "agenda", "--days", "3")] == [wrong]
    quick.ok("a", "followup", "withdraw", wrong[:8], "--reason", "Saisi par erreur")
    quick.sync("a", "b", tag="after")
    seen = {f["id"]: f for f in quick.json("b", "followup", "list", ref)}
    assert seen[wrong]["withdrawn_reason"] == "Saisi par erreur" and not seen[kept]["withdrawn"]
    at_district = {f["id"]: f for f in quick.district_case()["followups"]}
    assert at_district[wrong]["withdrawn"] is True
    # A withdrawn follow-up plans no contact and raises no concern.
    assert quick.json("b", "agenda", "--days", "3") == []
    summary = quick.ok("b", "case", "summary", ref, "--format", "md", "-o", "-").stdout
    assert "~~Inquiétude notée par erreur~~" in summary
    assert f"Withdrawn on {date.today().isoformat()}: Saisi par erreur" in summary
    concerns = summary.split("## Concerns")[1].split("## ")[0]
    assert "No concern recorded" in concerns
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    shown = quick.ok("b", "case", "show", ref).stdout
    assert "retiré par Léa Martin" in shown and "Saisi par erreur" in shown
    summary = quick.ok("b", "case", "summary", ref, "--format", "md", "-o", "-").stdout
    assert "Retiré le" in summary and "Saisi par erreur" in summary


def test_a_withdrawn_followup_is_marked_in_the_pdf(quick: Cli, tmp_path: Path):
    wrong = quick.note("a", "entretien", "Entretien mal classé")
    quick.ok("a", "followup", "withdraw", wrong, "--reason", "Mauvais dossier")
    pdf = tmp_path / "summary.pdf"
    quick.ok("a", "case", "summary", quick.world.reference, "--format", "pdf", "-o", str(pdf))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Entretien mal classé" in text and "Withdrawn on" in text and "Mauvais dossier" in text


# Correcting a kind


def test_amend_kind_corrects_it_and_keeps_the_original(quick: Cli):
    followup = quick.note("a", "entretien", "En fait une visite")
    amended = quick.json("a", "followup", "amend", followup, "--kind", "visite")
    assert (amended["kind"], amended["original"]["kind"]) == ("home-visit", "interview")
    assert amended["amendments"][0]["fields"] == {"kind": "home-visit"}
    assert [f["id"] for f in quick.json("a", "followup", "list", "--kind", "vad")] == [followup]
    # Away from a concern, the level only a concern has goes with it.
    concern = quick.note("a", "inquiétude", "Pas une inquiétude", "--concern-level", "faible")
    amended = quick.json("a", "followup", "amend", concern, "--kind", "entretien")
    assert (amended["kind"], amended["concern_level"]) == ("interview", None)
    assert amended["original"]["concern_level"] == "low"
    line = refused(quick.run("a", "followup", "amend", followup, "--kind", "inquiétude"), USAGE)
    assert "--concern-level" in line
    # It syncs, and the district accepts it.
    quick.sync("a", tag="kind")
    at_district = {f["id"]: f for f in quick.district_case()["followups"]}
    assert at_district[followup]["kind"] == "home-visit"
    assert quick.json("a", "status", "--pending") == []


# Goals


def test_goals_are_added_done_and_dropped_one_at_a_time(quick: Cli):
    ref = quick.world.reference
    today = date.today().isoformat()
    quick.ok("a", "case", "goal", "add", ref, "Reprendre la scolarité")
    quick.ok("a", "case", "goal", "add", ref, "Renouer avec la famille")
    quick.ok("a", "case", "goal", "add", ref, "Trouver un stage")
    assert "Goal 2 of" in quick.ok("a", "case", "goal", "done", ref, "2").stdout
    quick.ok("a", "case", "goal", "drop", ref, "3", "--reason", "Projet abandonné par la personne")
    goals = quick.json("a", "case", "show", ref)["goals"]
    assert [(g["text"], g["state"], g["changed_on"]) for g in goals] == [
        ("Reprendre la scolarité", "open", today),
        ("Renouer avec la famille", "achieved", today),
        ("Trouver un stage", "dropped", today),
    ]
    assert goals[2]["reason"] == "Projet abandonné par la personne"
    shown = quick.ok("a", "case", "show", ref).stdout
    assert f"2. Renouer avec la famille (Achieved since {today})" in shown
    assert f"3. Trouver un stage (Dropped on {today}: Projet abandonné" in shown
    summary = quick.ok("a", "case", "summary", ref, "--format", "md", "-o", "-").stdout
    assert f"Renouer avec la famille — Achieved since {today}" in summary
    assert f"Trouver un stage — Dropped on {today}: Projet abandonné par la personne" in summary
    # It syncs to the co-worker.
    quick.sync("a", "b", tag="goals")
    assert [g["state"] for g in quick.json("b", "case", "show", ref)["goals"]] == [
        "open",
        "achieved",
        "dropped",
    ]


def test_goal_mistakes_are_refused_and_change_nothing(quick: Cli, monkeypatch: pytest.MonkeyPatch):
    ref = quick.world.reference
    line = refused(quick.run("a", "case", "goal", "done", ref, "1"), USAGE)
    assert "no goal yet" in line
    quick.ok("a", "case", "goal", "add", ref, "Reprendre la scolarité")
    quick.ok("a", "case", "goal", "done", ref, "1")
    before = quick.json("a", "case", "show", ref)["goals"]
    assert "already achieved" in refused(quick.run("a", "case", "goal", "done", ref, "1"), USAGE)
    too_far = quick.run("a", "case", "goal", "drop", ref, "4", "--reason", "x")
    assert "from 1 to 1" in refused(too_far, USAGE)
    line = refused(quick.run("a", "case", "goal", "drop", ref, "1"), USAGE)
    assert "--reason" in line
    assert "TEXT" in refused(quick.run("a", "case", "goal", "add", ref), USAGE)
    assert "TEXT" in refused(quick.run("a", "case", "goal", "add", ref, "   "), USAGE)
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    line = refused(quick.run("a", "case", "goal", "done", ref, "1"), USAGE)
    assert "déjà atteint" in line
    shown = quick.ok("a", "case", "show", ref).stdout
    assert "1. Reprendre la scolarité (Atteint depuis le" in shown
    assert quick.json("a", "case", "show", ref)["goals"] == before


# At a terminal, what is left out is asked for


def _at_terminal(quick: Cli, who: str, typed: str, *args: str):
    from typer.testing import CliRunner

    from fieldkit.cli import app
    from fieldkit.commands.common import AppState

    return CliRunner().invoke(
        app,
        ["--home", str(quick.world.homes[who]), *args],
        input=typed,
        obj=AppState(stdin_isatty=True, stderr_isatty=True),
        env={"FIELDKIT_SESSION": quick.world.sessions[who], "FIELDKIT_PASSPHRASE": None},
    )


def test_the_reason_and_the_goal_are_asked_for_at_a_terminal(
    quick: Cli, monkeypatch: pytest.MonkeyPatch
):
    ref = quick.world.reference
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    followup = quick.note("a", "appel", "Appel noté deux fois")
    asked = _at_terminal(quick, "a", "Doublon\n", "followup", "withdraw", followup)
    assert asked.exit_code == 0, asked.output
    assert "Pourquoi le suivi est-il retiré" in asked.output
    assert quick.json("a", "followup", "show", followup)["withdrawn_reason"] == "Doublon"
    asked = _at_terminal(quick, "a", "Reprendre le sport\n", "case", "goal", "add", ref)
    assert asked.exit_code == 0 and "Objectif" in asked.output
    asked = _at_terminal(quick, "a", "Plus d'actualité\n", "case", "goal", "drop", ref, "1")
    assert asked.exit_code == 0 and "Pourquoi l'objectif est-il abandonné" in asked.output
    [goal] = quick.json("a", "case", "show", ref)["goals"]
    assert (goal["text"], goal["state"], goal["reason"]) == (
        "Reprendre le sport",
        "dropped",
        "Plus d'actualité",
    )
