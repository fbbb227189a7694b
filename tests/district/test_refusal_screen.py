"""`district refusals show N` reads a refused change in the screen's words: its choices
as the worker's `followup show` says them, its days as the screen shows days, no line for
an empty value, and a team text the district cannot open said in a sentence, never its
ciphertext. `--json` keeps the stored change (codes, ISO days, the sealed value) for
scripts. On both district backends (tests/district/conftest.py).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from tests.world import Fieldkit, cli_world, file_sync, use_fast_kdf

SUMMARY = "Visite au domicile, notée alors que le dossier était retiré."


def test_a_refused_followup_reads_in_the_screens_words(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    world = cli_world(tmp_path, fk)
    d, b, ref = world.district_home, world.homes["b"], world.reference
    day = date.today() - timedelta(days=2)
    fk.ok(d, "district", "case", "unassign", ref, world.worker_ids["b"])
    fk.ok(
        b,
        "followup",
        "add",
        ref,
        "--kind",
        "home-visit",
        "--attendance",
        "kept",
        "--date",
        day.isoformat(),
        "--summary",
        SUMMARY,
        "--not-for-cell",
    )
    file_sync(fk, world, "b", "refused")
    [refusal] = fk.json(d, "district", "refusals", "list")
    number = str(refusal["id"])

    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    monkeypatch.setenv("COLUMNS", "200")
    shown = fk.ok(d, "district", "refusals", "show", number).stdout
    lines = {
        line.strip(" │").split("  ")[0]: line.strip(" │").split("  ", 1)[-1].strip()
        for line in shown.splitlines()
        if "  " in line.strip(" │")
    }
    assert lines["Type"] == "Visite à domicile", shown
    assert lines["Présence au rendez-vous"] == "Rendez-vous honoré", shown
    assert lines["Date"] == f"{day:%d/%m/%Y}", shown
    assert lines["Compte rendu"] == (
        "(texte de l'équipe du dossier, chiffré : le district ne le lit pas)"
    ), shown
    assert lines["Saisi par"] == "Karim Benali", shown
    for raw in ("home-visit", "kept", "None", day.isoformat(), "sv1.", SUMMARY):
        assert raw not in shown, (raw, shown)
    assert "Niveau d'inquiétude" not in shown and "Prochain contact" not in shown

    monkeypatch.setenv("FIELDKIT_LANG", "en")
    english = fk.ok(d, "district", "refusals", "show", number).stdout
    assert "Home visit" in english and "home-visit" not in english, english
    assert day.isoformat() in english and "sv1." not in english
    assert "(the case team's text, encrypted: the district does not read it)" in english

    # Scripts read the change as it was sent: codes, ISO days, the sealed value.
    fields = json.loads(fk.ok(d, "district", "refusals", "show", number, "--json").stdout)[
        "change"
    ]["fields"]
    assert (fields["kind"], fields["attendance"]) == ("home-visit", "kept")
    assert fields["occurred_on"] == day.isoformat()
    assert fields["summary"].startswith("sv1.")
    assert fields["concern_level"] is None
