"""One translation function for every message, prompt, help text and header.

The language follows FIELDKIT_LANG, then LC_ALL / LC_MESSAGES / LANG; French when
the locale says French, English otherwise. Catalogues live in fieldkit/messages/,
one module per area, each a dict of key -> (English, French).

A message that shows a count has two keys, `KEY.one` and `KEY.other`, and is read with
`t_n(KEY, n)`, which picks the form the language uses for `n` (French says "0 dossier",
"1 dossier", "2 dossiers"; English "0 cases", "1 case", "2 cases").
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
    """The message `key` in the current language, formatted with `params`.

    A key with forms (`KEY.one`, `KEY.other`) is read in the form for `params["count"]`,
    so that an error raised as `Offline("sync.offline", count=n)` reads right too.
    """
    texts = catalogue().get(key)
    if texts is None and isinstance(params.get("count"), int):
        texts = catalogue().get(f"{key}.{plural_form(params['count'])}")
    if texts is None:
        # A missing key is a programming error; show the key rather than crash a user.
        return key
    text = texts[1] if current_language() == "fr" else texts[0]
    return text.format(**params) if params else text


PLURAL_FORMS = ("one", "other")


def plural_form(n: int, language: str | None = None) -> str:
    """ "one" or "other": the form of a word counted `n` times (CLDR's rules for en and fr)."""
    language = language or current_language()
    if language == "fr":
        return "one" if n in (0, 1) else "other"
    return "one" if n == 1 else "other"


def t_n(key: str, n: int, /, **params: Any) -> str:
    """The message `key` in the form for the count `n` (given to it as `count`)."""
    return t(key, count=n, **params)
