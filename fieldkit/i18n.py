"""One translation function for every message, prompt, help text and header: gettext.

The messages modules (fieldkit/messages/) map each key to its English text, the msgid; a
message that shows a count maps its key to `Plural(singular, plural)`. The French is in
the gettext catalogue fieldkit/locale/fr/LC_MESSAGES/fieldkit.po: each entry has the key
as its `msgctxt`, the English as its `msgid` (and `msgid_plural`), the French as its
`msgstr` (`msgstr[0]`, `msgstr[1]`: French says "0 dossier", "1 dossier", "2 dossiers").
The .po is compiled to the .mo that gettext reads at build time (`make catalogues`,
Babel; the wheel's build does it too, setup.py).

The same catalogue translates click's and typer's own strings ("Usage:", "Options:",
"No such option", "Aborted!"...), which they look up through the stdlib's `gettext.gettext`
in the process's text domain: `activate()`, at each CLI invocation, binds that domain
to fieldkit's catalogue and sets the process's LANGUAGE to the language chosen.

The language follows FIELDKIT_LANG, then LC_ALL / LC_MESSAGES / LANG: French when they say
French, English otherwise. It is resolved once per process, at the first message, and kept;
`reset()` forgets it, so that the next message resolves it again: the CLI calls it at each
invocation (a test may run several in one process, each with its own environment).
"""

from __future__ import annotations

import gettext
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from fieldkit.messages.plural import Plural

LANGUAGES = ("en", "fr")
DOMAIN = "fieldkit"
LOCALE_DIR = Path(__file__).parent / "locale"

_language: str | None = None


def resolve_language(environ: Mapping[str, str] = os.environ) -> str:
    """ "fr" or "en" from the environment: FIELDKIT_LANG, then the locale's variables."""
    explicit = environ.get("FIELDKIT_LANG", "").strip().lower()
    if explicit:
        return "fr" if explicit.startswith("fr") else "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "").strip().lower()
        if value:
            return "fr" if value.startswith("fr") else "en"
    return "en"


def current_language() -> str:
    """The language of this process's messages, resolved at the first call after `reset()`."""
    global _language
    if _language is None:
        _language = resolve_language()
    return _language


def reset() -> None:
    """Forget the language resolved: the next message resolves it from the environment again."""
    global _language
    _language = None


@contextmanager
def activate() -> Iterator[str]:
    """The language resolved anew, also for click's and typer's strings, while inside.

    click and typer call `gettext.gettext`, which reads the process's text domain and the
    LANGUAGE variable (then LC_ALL, LC_MESSAGES, LANG): the domain becomes fieldkit's and
    LANGUAGE the language fieldkit chose, until the invocation ends (a test running the CLI
    in-process gets its environment back).
    """
    reset()
    language = current_language()
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    before = os.environ.get("LANGUAGE")
    os.environ["LANGUAGE"] = language
    translation(language)  # says once if the French catalogue is missing
    try:
        yield language
    finally:
        if before is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = before


@cache
def translation(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of `language`; English is the msgids themselves."""
    found = gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[language], fallback=True)
    if language != "en" and type(found) is gettext.NullTranslations:
        # A checkout where `make catalogues` did not run, or a broken installation: the
        # messages still read, in English, and the user is told why once.
        print(
            f"fieldkit: the {language!r} messages are not installed "
            f"({LOCALE_DIR / language / 'LC_MESSAGES' / (DOMAIN + '.mo')} is missing; "
            "run `make catalogues`): messages are in English",
            file=sys.stderr,
        )
    return found


@cache
def catalogue() -> dict[str, str | Plural]:
    """Every message key and its English text (the msgid), from all the messages modules."""
    from fieldkit.messages import AREAS

    merged: dict[str, str | Plural] = {}
    for area in AREAS:
        for key, english in area.items():
            if key in merged:
                raise RuntimeError(f"message key defined twice: {key}")
            merged[key] = english
    return merged


def text(key: str, language: str, count: int | None = None) -> str:
    """The unformatted message `key` in `language` (for a counted one, the form for `count`).

    A missing key is a programming error (tests/test_i18n.py finds every key the code
    uses): it raises KeyError rather than show a user the key.
    """
    english = catalogue()[key]
    found = translation(language)
    if isinstance(english, Plural):
        if count is None:
            raise TypeError(f"message {key} is counted: give it count= (t_n)")
        return found.npgettext(key, english.one, english.other, count)
    return found.pgettext(key, english)


def t(key: str, /, **params: Any) -> str:
    """The message `key` in the current language, formatted with `params`.

    A counted message (`Plural`) is read in the form for `params["count"]`, so that an
    error raised as `Offline("sync.offline", count=n)` reads right too.
    """
    count = params.get("count")
    message = text(key, current_language(), count if isinstance(count, int) else None)
    return message.format(**params) if params else message


def t_n(key: str, n: int, /, **params: Any) -> str:
    """The message `key` in the form for the count `n` (given to it as `count`)."""
    return t(key, count=n, **params)
