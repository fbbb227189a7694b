"""What a test needs of a printed recovery sheet: its lines, read off the PDF as a
person reads them off the paper (the key's Courier lines of the page's content stream)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import pdf_streams

_KEY_LINE = re.compile(rb"\((\d  [0-9A-Z ]+)\) ?Tj")


def sheet_lines(pdf: Path) -> list[str]:
    """The numbered key lines printed on a recovery sheet's PDF."""
    lines: list[str] = []
    for content in pdf_streams(pdf.read_bytes()):
        lines += [m.decode("ascii") for m in _KEY_LINE.findall(content)]
    return lines


def sheet_text(pdf: Path) -> str:
    return "\n".join(sheet_lines(pdf)) + "\n"
