"""What a test needs of a printed recovery sheet: its lines, read off the PDF as a
person reads them off the paper (the key's Courier lines of the page's content stream)."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
_KEY_LINE = re.compile(rb"\((\d  [0-9A-Z ]+)\) ?Tj")


def sheet_lines(pdf: Path) -> list[str]:
    """The numbered key lines printed on a recovery sheet's PDF."""
    lines: list[str] = []
    for found in _STREAM.finditer(pdf.read_bytes()):
        try:
            content = zlib.decompress(found.group(1))
        except zlib.error:
            continue
        lines += [m.decode("ascii") for m in _KEY_LINE.findall(content)]
    return lines


def sheet_text(pdf: Path) -> str:
    return "\n".join(sheet_lines(pdf)) + "\n"
