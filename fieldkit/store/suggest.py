"""Random passphrases of French words, drawn with `secrets` from xkcdpass's common list.

Each word is drawn uniformly and independently from fieldkit/store/words.py's
suggestion words, so a passphrase of N words has N × log2(list size) bits of entropy
(about 13.5 bits a word: 6 words are over 80 bits, the CNIL's figure for a password
that stands alone; docs/security.md).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

from fieldkit.errors import InvalidValue

DEFAULT_WORDS = 6
# Four words are ~54 bits, far above the 10^10 guesses (33 bits) the policy asks for;
# twelve are more than anyone types.
MIN_WORDS = 4
MAX_WORDS = 12
SEPARATOR = " "


@dataclass(frozen=True)
class Suggestion:
    passphrase: str
    words: int
    list_size: int

    @property
    def bits(self) -> float:
        return self.words * math.log2(self.list_size)


def suggest(count: int = DEFAULT_WORDS) -> Suggestion:
    """A passphrase of `count` French words drawn at random."""
    from fieldkit.store.words import suggestion_words

    if not MIN_WORDS <= count <= MAX_WORDS:
        raise InvalidValue(
            "value.bad_word_count", field="--words", low=MIN_WORDS, high=MAX_WORDS, value=count
        )
    words = suggestion_words()
    drawn = [secrets.choice(words) for _ in range(count)]
    return Suggestion(SEPARATOR.join(drawn), count, len(words))
