"""The French words fieldkit knows: xkcdpass's French lists, read from the installed package.

Two lists ship with xkcdpass (a maintained passphrase generator, BSD licence):
`fr-freelang` (~22,700 common words) and `fr-corrected.txt` (~138,000 words and their
inflected forms). The strength estimate (fieldkit/store/strength.py) knows both; the
suggestions (fieldkit/store/suggest.py) draw from the common words that type on a
French keyboard without a dead key. Nothing here is typed by hand but the few French
passwords that no dictionary holds as one word (COMMON_FRENCH_PASSWORDS).
"""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib import resources

COMMON_LIST = "fr-freelang"
FULL_LIST = "fr-corrected.txt"

# Passwords French people choose that no word list holds as one word, most common first
# (a complement to zxcvbn's own list of common passwords, which is English-speaking).
COMMON_FRENCH_PASSWORDS = (
    "azerty",
    "motdepasse",
    "azertyuiop",
    "jetaime",
    "soleil",
    "bonjour",
    "doudou",
    "loulou",
    "chouchou",
    "marseille",
    "coucou",
    "bisous",
    "doudoune",
    "nicolas",
    "julien",
    "chocolat",
    "camille",
    "vacances",
    "liberte",
    "france",
    "bienvenue",
    "secret",
    "confidentiel",
    "wxcvbn",
    "qsdfghjklm",
)

# Letters a French (AZERTY) keyboard types with one key: the suggestions keep to them.
TYPED_AT_ONCE = frozenset("abcdefghijklmnopqrstuvwxyzéèàçù")


def _read(name: str) -> list[str]:
    text = (resources.files("xkcdpass") / "static" / name).read_text(encoding="utf-8-sig")
    return [line.strip() for line in text.splitlines() if line.strip()]


@cache
def common_words() -> tuple[str, ...]:
    """The common French words, as their list has them (a few capitalised: names)."""
    return tuple(_read(COMMON_LIST))


@cache
def all_words() -> tuple[str, ...]:
    """Every French word of both lists, lower-case, each once, common ones first."""
    seen: dict[str, None] = {}
    for word in (*common_words(), *_read(FULL_LIST)):
        seen.setdefault(word.lower(), None)
    return tuple(seen)


def without_accents(word: str) -> str:
    """« élève » → « eleve »: how many people type French in a passphrase."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def suggestion_words() -> tuple[str, ...]:
    """The words a suggestion draws from: common, lower-case, 4 to 8 letters, typed on a
    French keyboard without a dead key (no « ê », no « œ »), each once."""
    chosen: dict[str, None] = {}
    for word in common_words():
        if word.islower() and 4 <= len(word) <= 8 and set(word) <= TYPED_AT_ONCE:
            chosen.setdefault(word, None)
    return tuple(chosen)
