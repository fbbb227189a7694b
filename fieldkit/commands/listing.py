"""Long listings (the case lists) as aligned columns: one rich Text, not a rich Table.

A rich Table measures and lays out every cell: about half a millisecond a row, seconds
for a district's thousands of cases (issue 7). Columns padded to their widest cell
print the same information, stay readable in a terminal and easy to read in a pipe.
Values go in as plain text, never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

GAP = "  "

Cell = str | tuple[str, str]
"""A cell's text, or (text, rich style)."""


def print_listing(
    console: Console, title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]
) -> None:
    """The title, a bold header line, then one line per row, columns aligned."""
    from rich.cells import cell_len
    from rich.text import Text

    lines = [[(h, "bold") for h in headers]]
    lines.extend([c if isinstance(c, tuple) else (c, "") for c in row] for row in rows)
    widths = [max(cell_len(line[n][0]) for line in lines) for n in range(len(headers))]
    text = Text(no_wrap=True, end="")
    text.append(title + "\n", style="italic")
    for line in lines:
        _line(text, line, widths)
    console.print(text, soft_wrap=True)


def _line(text: Text, cells: list[tuple[str, str]], widths: list[int]) -> None:
    from rich.cells import cell_len

    # Runs of unstyled cells go in as one piece: most lines are a single append.
    plain: list[str] = []
    last = len(cells) - 1
    for n, (value, style) in enumerate(cells):
        pad = " " * (widths[n] - cell_len(value)) + GAP if n < last else ""
        if style and value:
            if plain:
                text.append("".join(plain))
                plain = []
            text.append(value, style=style)
            plain.append(pad)
        else:
            plain.append(value + pad)
    plain.append("\n")
    text.append("".join(plain))
