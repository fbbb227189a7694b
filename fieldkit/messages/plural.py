"""The English of a counted message: its singular and its plural (see fieldkit/i18n.py)."""

from __future__ import annotations

from typing import NamedTuple


class Plural(NamedTuple):
    """A message shown with a count, read with `t_n(key, n)`: `{count}` in both forms."""

    one: str
    other: str
