"""The Markdown export: a checked-in snapshot, and the facts of a long history.

To accept a deliberate change of the Markdown, run the tests once with
FIELDKIT_UPDATE_SNAPSHOTS=1 and review the diff of tests/summary/snapshots/.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest

from fieldkit.summary.markdown import render_markdown
from tests.summary.conftest import World, build_world, followup_id, summarise

SNAPSHOTS = Path(__file__).parent / "snapshots"


def _markdown(world: World, **options) -> str:
    return render_markdown(summarise(world, **options))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_markdown_matches_the_snapshot(lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", lang)
    rendered = _markdown(build_world(18))
    expected = SNAPSHOTS / f"summary-{lang}.md"
    if os.environ.get("FIELDKIT_UPDATE_SNAPSHOTS"):
        expected.write_text(rendered, encoding="utf-8")
    assert rendered == expected.read_text(encoding="utf-8")


def test_markdown_since_matches_the_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    rendered = _markdown(build_world(18), since=date(2025, 1, 30))
    expected = SNAPSHOTS / "summary-since-fr.md"
    if os.environ.get("FIELDKIT_UPDATE_SNAPSHOTS"):
        expected.write_text(rendered, encoding="utf-8")
    assert rendered == expected.read_text(encoding="utf-8")


def test_long_history_in_markdown(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    text = _markdown(world)
    assert text.splitlines()[0] == "**CONFIDENTIEL — diffusion restreinte**"
    assert text.rstrip().endswith("**CONFIDENTIEL — diffusion restreinte**")
    assert "# Synthèse du suivi — CO-2026-0042" in text
    assert "Émilie Lefèvre-Nguyễn" in text
    assert "« repartir à zéro »" in text and "cœur du conflit" in text
    assert "François Lœuillet" in text and "Ольга Петрова" in text
    # Every follow-up in the history, newest first.
    history = text.index("## Historique du suivi")
    positions = [text.index(f"Réf. : {followup_id(n)}\n", history) for n in range(230, 0, -1)]
    assert positions == sorted(positions)
    assert re.search(
        r"\*Rectifié 2 fois : par [^*]+ le \d\d/\d\d/\d{4}; par [^*]+ le 21/04/2025\*", text
    )
    assert "Conflits à résoudre" in text and "rupture avec la famille élargie" in text


def test_markdown_is_diff_friendly(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    text = _markdown(world)
    assert text == _markdown(World(world.case, list(reversed(world.followups)), world.conflicts))
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert not [line for line in text.splitlines() if line != line.rstrip()]
    assert "\r" not in text
    # The printed-at line is the only time of day in the document.
    assert re.findall(r"\d{1,2}:\d{2}", text) == ["10:30"]


def test_free_text_cannot_inject_markdown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "en")
    world = build_world(1)
    world.followups[0].summary = "# not a heading\n- not a list\n**not bold** <b>x</b> [l](u)"
    text = _markdown(world)
    assert "\\# not a heading" in text
    assert "\\- not a list" in text
    assert "\\*\\*not bold\\*\\* \\<b\\>x\\</b\\> \\[l\\](u)" in text
    assert "\n# not a heading" not in text
