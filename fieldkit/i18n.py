"""One translation function for every message, prompt, help text and header.

The language follows FIELDKIT_LANG, then LC_ALL / LC_MESSAGES / LANG; French when
the locale says French, English otherwise. Catalogues live in fieldkit/messages/,
one module per area, each a dict of key -> (English, French).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

LANGUAGES = ("en", "fr")


def current_language() -> str:
    explicit = os.environ.get("FIELDKIT_LANG", "").strip().lower()
    if explicit:
        return "fr" if explicit.startswith("fr") else "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "").strip().lower()
        if value:
            return "fr" if value.startswith("fr") else "en"
    return "en"


@cache
def catalogue() -> dict[str, tuple[str, str]]:
    from fieldkit.messages import AREAS

    merged: dict[str, tuple[str, str]] = {}
    for area in AREAS:
        for key, texts in area.items():
            if key in merged:
                raise RuntimeError(f"message key defined twice: {key}")
            merged[key] = texts
    return merged


def t(key: str, /, **params: Any) -> str:
    """The message `key` in the current language, formatted with `params`."""
    texts = catalogue().get(key)
    if texts is None:
        # A missing key is a programming error; show the key rather than crash a user.
        return key
    text = texts[1] if current_language() == "fr" else texts[0]
    return text.format(**params) if params else text
