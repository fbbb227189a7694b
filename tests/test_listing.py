"""The case lists' aligned columns: every value whole, aligned, never read as markup."""

from __future__ import annotations

import io

from rich.console import Console

from fieldkit.commands.listing import print_listing


def test_columns_align_and_values_print_whole_and_literal():
    out = io.StringIO()
    console = Console(file=out, width=30, no_color=True, highlight=False)
    long_name = "Émilie Lefèvre-Nguyễn de la Tour d'Auvergne"
    rows = [
        ("CO-1", "[bold]pas du markup[/bold]", ("⚠ 2 high concerns", "bold red")),
        ("CO-20", long_name, ""),
    ]
    print_listing(console, "Cases (2)", ["Reference", "Name", "Alerts"], rows)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Cases (2)"
    assert lines[1].split() == ["Reference", "Name", "Alerts"]
    assert "[bold]pas du markup[/bold]" in lines[2]  # as typed, not styled
    assert long_name in lines[3]  # wider than the console: not cut, not wrapped
    assert len(lines) == 4
    name_column = lines[1].index("Name")
    assert lines[2].index("[bold]") == name_column == lines[3].index("Émilie")
    assert lines[2].index("⚠") == lines[1].index("Alerts")


def test_styles_reach_a_colour_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=True, color_system="standard")
    print_listing(console, "t", ["A", "B"], [("x", ("alerte", "bold red"))])
    assert "\x1b[1;31malerte" in out.getvalue()
