"""How text that a person wrote is shown: as data, never as markup or terminal control.

A name, a reason or a follow-up's summary may come from a co-worker's device. On screen,
in Markdown and in a PDF it is shown as it is, except the characters that would act
instead of being read: controls (C0, DEL, C1: escape sequences, OSC 52 clipboard, window
titles), bidi embeddings, overrides and isolates and the other invisible format
characters (Unicode category Cf), lone surrogates and the line and paragraph separators.
Those are written out, as `git` and `less` do: `\\x1b`, `<U+202E>` (DESIGN §11).
`--json` keeps the exact text; only what a person reads goes through here.

Cheap to import (the CLI's start-up is measured): `re` only, rich when a `Text` or a
console is asked for.
"""

from __future__ import annotations

import re
from functools import cache
from typing import IO, TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

Document = TypeVar("Document")

# Cc (C0, DEL, C1), then Cf, Zl, Zp and Cs as of Unicode 15.1; tests/test_display.py
# checks this against the running Python's unicodedata. Compiled at the first use, not
# at import: most commands print no person's text.
HIDDEN = (
    "[\x00-\x1f\x7f-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    "\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


@cache
def _hidden() -> re.Pattern[str]:
    return re.compile(HIDDEN)


_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}

# How many characters of a record's id stand for it on screen and on paper: what
# `followup show` and the other commands taking an id accept (a unique prefix).
SHORT_ID = 8


def short_id(identifier: str) -> str:
    """The short form of a record's id that a person reads and types back."""
    return identifier[:SHORT_ID]


# Fields of the documents' models (summary, report) that hold several lines of text;
# every other text field is one line, and a line break in it is shown as `\n`.
MULTILINE_FIELDS = frozenset(
    {"summary", "next_steps", "reason", "situation", "cell_note", "kept_value", "other_value"}
)


def _shown(char: str) -> str:
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if code < 0x20 or 0x7F <= code <= 0x9F:  # a control: as a byte, like git and less
        return f"\\x{code:02x}"
    return f"<U+{code:04X}>"


def _shown_multiline(match: re.Match[str]) -> str:
    char = match.group()
    return char if char in "\n\t" else _shown(char)


def _shown_single(match: re.Match[str]) -> str:
    return _shown(match.group())


def escape(text: str, multiline: bool = False) -> str:
    """`text` with its control, bidi and invisible format characters written out.

    In a multi-line text newlines and tabs keep their meaning (a Windows line end is one
    newline); in a one-line text (a name, a unit) they are written out too.
    """
    # Most texts (every name in a listing of thousands) hold none: str.isprintable() says
    # so at C speed (it is False for every character escaped here, and a few more).
    if text.isprintable():
        return text
    hidden = _hidden()
    if hidden.search(text) is None:
        return text
    if multiline:
        return hidden.sub(_shown_multiline, text.replace("\r\n", "\n"))
    return hidden.sub(_shown_single, text)


def plain(value: str | None, *, multiline: bool = False, style: str = "") -> Text:
    """A rich `Text` of a person's text, escaped: for table cells, panels and prints,
    where a `str` would be read as markup (`[link=…]`, `[/]`) and emoji codes."""
    from rich.text import Text

    return Text(escape(value or "", multiline), style=style)


def make_console(file: IO[str] | None = None, **options: Any) -> Console:
    """A rich Console on `file` (None: standard output, or error with `stderr=True`), the
    one way fieldkit makes one: no markup, no emoji codes, no highlighting, so a str that
    reaches rich unwrapped still prints as it is; a person's text goes in through `plain`
    or `escape` (DESIGN §11). `options`: rich's others (width, no_color, soft_wrap).
    """
    from rich.console import Console

    return Console(file=file, highlight=False, markup=False, emoji=False, **options)


def escaped_model(model: Document) -> Document:
    """A copy of a document (a pydantic model: summary, report) with every text in it,
    nested models and lists included, escaped; the model itself when nothing changes.

    Enum values (str subclasses) and non-text values are left as they are.
    """
    updates: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        shown = _escaped_value(value, name in MULTILINE_FIELDS)
        if shown is not value:
            updates[name] = shown
    return model.model_copy(update=updates) if updates else model  # type: ignore[attr-defined]


def _escaped_value(value: Any, multiline: bool) -> Any:
    if type(value) is str:
        shown = escape(value, multiline)
        return value if shown == value else shown
    if hasattr(type(value), "model_fields"):
        return escaped_model(value)
    if isinstance(value, list):
        items = [_escaped_value(item, multiline) for item in value]
        changed = any(new is not old for new, old in zip(items, value, strict=True))
        return items if changed else value
    return value
