"""Yes/no questions at a terminal, in the user's language: `[o/N]` in French, `[y/N]` in English.

click's own `confirm` writes `[y/N]` and understands only y/yes/n/no whatever the language;
a French user answers `o` or `oui`. Here both languages' words are understood (o, oui, y,
yes; n, non, no), whatever the case and accents; an empty answer is the default (no); any
other answer asks again. Ctrl-C or Ctrl-D at the question means no: nothing is done.
"""

from __future__ import annotations

import unicodedata

import click

from fieldkit.i18n import t

YES = frozenset({"o", "oui", "y", "yes"})
NO = frozenset({"n", "non", "no"})


def _word(answer: str) -> str:
    """The answer without case, accents or surrounding spaces ("OUÏ" reads "oui")."""
    decomposed = unicodedata.normalize("NFKD", answer.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _yes_or_no(answer: str) -> bool:
    word = _word(answer)
    if word in YES or word in NO:
        return word in YES
    # click shows the message and asks again.
    raise click.UsageError(t("prompt.yes_no_again"))


def confirm(question: str, *, err: bool = True) -> bool:
    """True when the person answers yes to `question` (asked on stderr, or stdout with
    err=False); no by default."""
    try:
        return click.prompt(
            f"{question} {t('prompt.yes_no')}",
            default="n",
            show_default=False,
            prompt_suffix=" ",
            value_proc=_yes_or_no,
            err=err,
        )
    except click.exceptions.Abort:  # Ctrl-C, Ctrl-D: no answer is no
        click.echo(err=err)
        return False
