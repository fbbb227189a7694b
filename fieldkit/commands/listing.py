"""Long listings (the case lists) as aligned columns, written as rich segments.

A rich Table measures and lays out every cell: about half a millisecond a row, seconds
for a district's thousands of cases (issue 7). Columns padded to their widest cell
print the same information, stay readable in a terminal and easy to read in a pipe;
the console still applies the styles, or drops them (NO_COLOR, not a terminal). Values
go in as plain text, never as markup, with their control and format characters written
out (fieldkit.display): a cell is one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fieldkit.display import escape

if TYPE_CHECKING:
    from rich.console import Console

GAP = "  "

Cell = str | tuple[str, str]
"""A cell's text, or (text, rich style)."""


def print_listing(
    console: Console, title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]
) -> None:
    """The title, a bold header line, then one line per row, columns aligned."""
    from rich.cells import cell_len
    from rich.segment import Segment, Segments
    from rich.style import Style

    lines = [[(h, "bold") for h in headers]]
    lines.extend(
        [(escape(c[0]), c[1]) if isinstance(c, tuple) else (escape(c), "") for c in row]
        for row in rows
    )
    widths = [max(cell_len(line[n][0]) for line in lines) for n in range(len(headers))]
    styles: dict[str, Style] = {}
    segments = [Segment(title, Style.parse("italic")), Segment.line()]
    last = len(headers) - 1
    for line in lines:
        # Runs of unstyled cells go out as one segment: most lines are a single one.
        plain: list[str] = []
        for n, (value, style) in enumerate(line):
            pad = " " * (widths[n] - cell_len(value)) + GAP if n < last else ""
            if style and value:
                if plain:
                    segments.append(Segment("".join(plain)))
                    plain = []
                if style not in styles:
                    styles[style] = Style.parse(style)
                segments.append(Segment(value, styles[style]))
                plain.append(pad)
            else:
                plain.append(value + pad)
        plain.append("\n")
        segments.append(Segment("".join(plain)))
    console.print(Segments(segments), end="", soft_wrap=True)  # long lines are not cut
