"""The terminal view, through a recording rich console."""

from __future__ import annotations

import re
from datetime import date

import pytest
from rich.console import Console

from fieldkit.model import CaseOutlook
from fieldkit.summary.text import render_text
from tests.summary.conftest import World, build_world, followup_id, summarise


def _render(world: World, console: Console, **options) -> str:
    render_text(summarise(world, **options), console)
    return console.export_text()


def _flat(text: str) -> str:
    """The text without borders and line wraps, for phrases in one-column cells."""
    for char in "│┃║╭╮╰╯─━═┏┓┗┛":
        text = text.replace(char, " ")
    return " ".join(text.split())


def test_terminal_view_shows_the_key_facts(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    console = Console(record=True, width=100, file=open("/dev/null", "w"))  # noqa: SIM115
    ahead = CaseOutlook(next_contact=date(2026, 4, 13), contact_overdue=True, concern_level="high")
    text = _render(world, console, outlook=ahead)
    flat = _flat(text)
    assert text.count("CONFIDENTIEL — diffusion restreinte") == 2
    assert "Synthèse du suivi — CO-2026-0042" in text
    assert "Émilie Lefèvre-Nguyễn" in text
    assert "Imprimé par Claire Dubois le 15/04/2026 10:30" in text
    assert "Référent" in text and "Claire Dubois" in text
    assert "Mehdi Benali, Agent Sans Nom" in text
    assert "Haute" in text and "Actif" in text
    assert "Prochaine revue" in text and "04/05/2026" in text
    assert "Prochain contact" in text and "13/04/2026 (en retard)" in text
    assert "Niveau d'inquiétude actuel" in text and "Élevé" in text
    assert "Situation stable." in text
    assert "Atteint" in text and "Abandonné" in text
    assert "Ольга Петрова" in text
    assert "Signalements et inquiétudes" in text and "Élevé" in text
    assert "Conflits à résoudre" in text
    assert "Situation fragile : rupture avec la" in text and "famille élargie." in text
    assert "230 suivis au total." in text
    assert re.search(r"Rectifié 2 fois : par .+ le 21/04/2025", flat)
    assert "Orientation vers : Accès aux droits et prestations" in flat
    assert "« repartir à zéro »" in flat and "cœur du conflit familial" in flat
    for number in (1, 115, 230):
        assert f"Réf. : {followup_id(number)}" in flat


def test_terminal_view_in_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "en")
    console = Console(record=True, width=100, file=open("/dev/null", "w"))  # noqa: SIM115
    text = _render(build_world(20), console, since=date(2025, 2, 1))
    assert "CONFIDENTIAL — restricted distribution" in text
    assert "Limited to follow-ups since 2025-02-01: 7 of 20." in _flat(text)
    assert followup_id(10) not in text


def test_no_color_and_no_markup_injection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "en")
    world = build_world(1)
    world.followups[0].summary = "[bold red]not markup[/bold red] and [link=x]y[/link]"
    console = Console(
        record=True,
        width=100,
        no_color=True,
        force_terminal=False,
        file=open("/dev/null", "w"),  # noqa: SIM115
    )
    text = _render(world, console)
    assert "[bold red]not markup[/bold red]" in _flat(text)
    styled = console.export_text(styles=True)
    assert "\x1b[31m" not in styled and "\x1b[91m" not in styled
