"""Messages of issue 19: passphrase strength, suggestions and the delay after failed unlocks."""

from fieldkit.messages.plural import Plural

MESSAGES: dict[str, str | Plural] = {
    # Strength (fieldkit/store/strength.py): why a passphrase is refused, and what to do.
    "passphrase.weak": "passphrase refused: it is {what}; an attacker would find it in about {guesses} guesses, and at least 10 billion are needed. {advice}",
    "passphrase.pattern.common": "a very common password",
    "passphrase.pattern.word": "a dictionary word",
    "passphrase.pattern.name": "a name close to you (yours, your unit's, your district's or fieldkit's)",
    "passphrase.pattern.keyboard": "a row of neighbouring keys",
    "passphrase.pattern.sequence": "a sequence (abc, 123)",
    "passphrase.pattern.repeat": "a repetition",
    "passphrase.pattern.year": "a year",
    "passphrase.pattern.date": "a date",
    "passphrase.pattern.short": "too few characters without a pattern",
    "passphrase.pattern.then": "{first}, then {next}",
    "passphrase.pattern.common_year": "a very common password followed by a year",
    "passphrase.pattern.word_year": "a dictionary word followed by a year",
    "passphrase.pattern.name_year": "a name close to you followed by a year",
    "passphrase.advice": "Choose several words drawn at random instead: `fieldkit passphrase suggest` draws some.",
    "passphrase.advice_substitutions": "Replacing letters with symbols (@ for a, 0 for o) does not help: attackers try that first.",
    # Suggestions (fieldkit passphrase suggest).
    "help.passphrase_suggest": "Draw a random passphrase of French words.",
    "help.opt.suggest_words": "How many words (default 6).",
    "suggest.entropy": "{words} words drawn at random from a list of {size} French words: {bits} bits of entropy.",
    "suggest.offer": "A suggestion, drawn at random for you (take it or type your own):",
    "suggest.offer_bits": "({bits} bits of entropy; write it down until you know it, then destroy the paper)",
    "value.bad_word_count": "{field}: between {low} and {high} words, not {value}",
    # The delay after failed unlocks (fieldkit/store/access.py).
    "unlock.wait": Plural(
        one="Next attempt possible in {count} second",
        other="Next attempt possible in {count} seconds",
    ),
}
