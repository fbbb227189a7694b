"""How guessable a passphrase is: zxcvbn's estimate of the guesses an attacker needs.

zxcvbn (Dropbox's estimator, the `zxcvbn` package) knows English dictionaries, common
passwords, names, dates, sequences, repeats and keyboard rows. fieldkit teaches it, once
per process, what a French attacker's list holds:

- the French words of fieldkit/store/words.py, with and without their accents, each at
  the rank of its list's size (the lists are alphabetical, not by frequency: an attacker
  who tries them all finds any of them within that many guesses);
- the common French passwords that no dictionary holds as one word;
- the AZERTY keyboard, built as zxcvbn builds its QWERTY graph;

and, on each call, the words of the person: their name, unit, district, login.

A passphrase is refused below MIN_GUESSES: at one Argon2id guess per ~0.1 s per core
(fieldkit/crypto/keyfile.py), 10^10 guesses are ~30 core-years (docs/security.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

MIN_GUESSES = 10**10
# zxcvbn refuses longer input; the first characters are judged, more can only add.
ZXCVBN_MAX_LENGTH = 72
FRENCH = "french"
FRENCH_PASSWORDS = "french_passwords"
AZERTY = "azerty"
# The AZERTY layout (French), two characters a key (unshifted, shifted), in the form of
# zxcvbn's scripts/build_keyboard_adjacency_graphs.py.
AZERTY_LAYOUT = """
²² &1 é2 "3 '4 (5 -6 è7 _8 ç9 à0 )° =+
    aA zZ eE rR tT yY uU iI oO pP ^¨ $£
     qQ sS dD fF gG hH jJ kK lL mM ù% *µ
      <> wW xX cC vV bB nN ,? ;. :/ !§
"""

# What a match of zxcvbn is, in fieldkit's words (the keys of passphrase.pattern.*).
COMMON = "common"
WORD = "word"
NAME = "name"
KEYBOARD = "keyboard"
SEQUENCE = "sequence"
REPEAT = "repeat"
YEAR = "year"
DATE = "date"
SHORT = "short"


@dataclass(frozen=True)
class Estimate:
    """zxcvbn's judgement of a passphrase, in the terms the refusal uses."""

    guesses: float
    patterns: list[str] = field(default_factory=list)  # in the passphrase's order, each once
    substitutions: bool = False  # l33t: « @ » for « a », « 0 » for « o »

    @property
    def bits(self) -> float:
        return math.log2(max(self.guesses, 1))

    @property
    def strong(self) -> bool:
        return self.guesses >= MIN_GUESSES


def _slanted_neighbours(x: int, y: int) -> list[tuple[int, int]]:
    return [(x - 1, y), (x, y - 1), (x + 1, y - 1), (x + 1, y), (x, y + 1), (x - 1, y + 1)]


def keyboard_graph(layout: str) -> dict[str, list[str | None]]:
    """zxcvbn's adjacency graph of a slanted keyboard layout: for each character, its
    neighbours' keys clockwise from the left (None where there is no key)."""
    positions: dict[tuple[int, int], str] = {}
    unit = len(layout.split()[0]) + 1
    for y, line in enumerate(layout.split("\n")):
        slant = y - 1
        for match in re.finditer(r"\S+", line):
            positions[((match.start() - slant) // unit, y)] = match.group()
    graph: dict[str, list[str | None]] = {}
    for (x, y), chars in positions.items():
        for char in chars:
            graph[char] = [positions.get(place) for place in _slanted_neighbours(x, y)]
    return graph


@cache
def _zxcvbn():
    """zxcvbn, once it knows French (module state of zxcvbn, set once per process)."""
    from zxcvbn import matching, zxcvbn

    from fieldkit.store import words

    french: dict[str, int] = {}
    common = {word.lower() for word in words.common_words()}
    everything = words.all_words()
    for word in everything:
        rank = len(common) if word in common else len(everything)
        french.setdefault(word, rank)
        if not word.isascii():
            french.setdefault(words.without_accents(word), rank)
    matching.RANKED_DICTIONARIES[FRENCH] = french
    matching.RANKED_DICTIONARIES[FRENCH_PASSWORDS] = matching.build_ranked_dict(
        list(words.COMMON_FRENCH_PASSWORDS)
    )
    matching.GRAPHS[AZERTY] = keyboard_graph(AZERTY_LAYOUT)
    return zxcvbn


def _user_words(user_inputs: Iterable[str]) -> list[str]:
    """The person's own words, whole and split, with and without accents: « Léa Martin »
    gives « léa martin », « léa », « martin », « lea »…"""
    from fieldkit.store.words import without_accents

    found: dict[str, None] = {}
    for text in user_inputs:
        text = (text or "").strip().lower()
        if not text:
            continue
        for part in [text, text.replace(" ", ""), *re.split(r"[\s\-_'.,]+", text)]:
            if len(part) >= 3:
                found.setdefault(part, None)
                found.setdefault(without_accents(part), None)
    return list(found)


def _pattern(match: dict) -> str | None:
    kind = match["pattern"]
    if kind == "dictionary":
        source = match.get("dictionary_name")
        if source == "user_inputs":
            return NAME
        if source in ("passwords", FRENCH_PASSWORDS):
            return COMMON
        return WORD
    if kind == "spatial":
        return KEYBOARD
    if kind == "sequence":
        return SEQUENCE
    if kind == "repeat":
        return REPEAT
    if kind == "regex":
        return YEAR
    if kind == "date":
        return YEAR if re.fullmatch(r"\d{4}", match["token"]) else DATE
    return None  # bruteforce: characters with no pattern


def estimate(passphrase: str, user_inputs: Iterable[str] = ()) -> Estimate:
    """How many guesses `passphrase` needs, and which patterns make it guessable."""
    zxcvbn = _zxcvbn()
    result = zxcvbn(passphrase[:ZXCVBN_MAX_LENGTH], user_inputs=_user_words(user_inputs))
    patterns: list[str] = []
    substitutions = False
    for match in result["sequence"]:
        substitutions = substitutions or bool(match.get("l33t"))
        kind = _pattern(match)
        if kind is not None and kind not in patterns:
            patterns.append(kind)
    if not patterns:
        patterns.append(SHORT)
    return Estimate(float(result["guesses"]), patterns, substitutions)


# Two patterns read better as one phrase (« un mot du dictionnaire suivi d'une année »).
_FOLLOWED_BY_YEAR = {COMMON: "common_year", WORD: "word_year", NAME: "name_year"}


def describe(judged: Estimate) -> str:
    """What makes the passphrase guessable, in the user's language."""
    from fieldkit.i18n import t

    patterns = judged.patterns
    if len(patterns) == 2 and patterns[1] == YEAR and patterns[0] in _FOLLOWED_BY_YEAR:
        return t(f"passphrase.pattern.{_FOLLOWED_BY_YEAR[patterns[0]]}")
    text = t(f"passphrase.pattern.{patterns[0]}")
    for kind in patterns[1:]:
        text = t("passphrase.pattern.then", first=text, next=t(f"passphrase.pattern.{kind}"))
    return text


def shown_guesses(guesses: float) -> str:
    """About how many guesses, rounded to two figures and grouped as the language writes
    numbers: 740,000 in English, 740 000 in French."""
    from fieldkit.i18n import current_language

    value = max(int(guesses), 1)
    figures = max(len(str(value)) - 2, 0)
    rounded = round(value, -figures)
    grouped = f"{rounded:,}"
    return grouped.replace(",", "\u00a0") if current_language() == "fr" else grouped


def refusal(judged: Estimate):
    """The error that refuses a weak passphrase: why, and how to do better."""
    from fieldkit.errors import InvalidValue
    from fieldkit.i18n import t

    advice = t("passphrase.advice")
    if judged.substitutions:
        advice = f"{t('passphrase.advice_substitutions')} {advice}"
    return InvalidValue(
        "passphrase.weak",
        what=describe(judged),
        guesses=shown_guesses(judged.guesses),
        advice=advice,
    )


def context_words() -> list[str]:
    """Words every passphrase is judged against: the software's name and the login."""
    import getpass
    from contextlib import suppress

    found = ["fieldkit"]
    with suppress(KeyError, OSError):  # no login name (a container without a user entry)
        found.append(getpass.getuser())
    return found
