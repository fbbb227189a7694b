"""Yes/no questions at a terminal, in the user's language: `[o/N]` in French, `[y/N]` in English.

click's own `confirm` writes `[y/N]` and understands only y/yes/n/no whatever the language;
a French user answers `o` or `oui`. Here both languages' words are understood (o, oui, y,
yes; n, non, no), whatever the case and accents; an empty answer is the default (no); any
other answer asks again. Ctrl-C or Ctrl-D at the question means no: nothing is done.

Also the other questions a command asks at a terminal: a line (`ask_line`), a passphrase
(`ask_secret`), a numbered menu for a choice (`choose`). Ctrl-C or Ctrl-D at any of them
stops the command with `Interrupted`: one line saying nothing was recorded, exit 130.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import TypeVar

import click

from fieldkit import choices
from fieldkit.enums import Attendance, ConcernLevel, FollowUpKind, ReferralDomain
from fieldkit.errors import FieldkitError, InvalidValue, UsageError
from fieldkit.i18n import current_language, t

E = TypeVar("E", bound=StrEnum)

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


# Ctrl-C or Ctrl-D at any other prompt: the command stops, says nothing was recorded,
# and exits with this code (the shell's for an interrupt, 128 + SIGINT).
INTERRUPTED = 130


class Interrupted(FieldkitError):
    """The person stopped at a prompt (Ctrl-C, Ctrl-D, or gave up a text): nothing was
    recorded. The CLI prints the message alone and exits INTERRUPTED."""

    exit_code = INTERRUPTED

    def __init__(self) -> None:
        super().__init__("prompt.interrupted")


def ask_line(question: str, *, default: str | None = None) -> str:
    """One line typed at the terminal (on stderr); Ctrl-C or Ctrl-D stops the command."""
    try:
        return click.prompt(
            question,
            default=default,
            show_default=False,
            prompt_suffix=" : " if current_language() == "fr" else ": ",
            err=True,
        )
    except click.exceptions.Abort:
        _write("")  # off the line of the question
        raise Interrupted() from None


def ask_secret(question: str) -> str:
    """A passphrase typed without echo; Ctrl-C or Ctrl-D stops the command."""
    import getpass

    try:
        return getpass.getpass(question)
    except (KeyboardInterrupt, EOFError):
        _write("")  # off the line of the question
        raise Interrupted() from None


# The numbered menus: for each choice, its title and the line for an unknown answer
# (French needs its own words for each: « un type connu », « une orientation connue »).
MENUS: dict[type[StrEnum], tuple[str, str]] = {
    FollowUpKind: ("prompt.kind", "prompt.kind_unknown"),
    ConcernLevel: ("prompt.concern_level", "prompt.concern_level_unknown"),
    ReferralDomain: ("prompt.referral_to", "prompt.referral_to_unknown"),
    Attendance: ("prompt.attendance", "prompt.attendance_unknown"),
}
TRIES = 3


def menu_answer(enum: type[E], answer: str) -> E | None:
    """The member an answer to a menu of `enum` means: its number (1..N) in the menu, or
    a word choices.parse knows (French or English); None for anything else."""
    text = answer.strip()
    members = list(enum)
    if text.isdecimal():
        number = int(text)
        return members[number - 1] if 1 <= number <= len(members) else None
    if not text:
        return None
    try:
        return choices.parse(enum, text, "")  # type: ignore[return-value]
    except InvalidValue:
        return None


def menu_lines(enum: type[StrEnum]) -> list[str]:
    """The menu of `enum` as shown: its title, then one numbered line per choice, in the
    language of the screen."""
    language = current_language()
    title_key, _ = MENUS[enum]
    lines = [t(title_key)]
    lines += [f"  {n}. {choices.word(m, language)}" for n, m in enumerate(enum, start=1)]
    return lines


def choose(enum: type[E]) -> E:
    """A choice asked at a terminal as a numbered menu in the user's language. A wrong
    answer asks again, TRIES times in all; then a usage error that names no flag (the
    person typed none). Ctrl-C or Ctrl-D stops the command: Interrupted."""
    from fieldkit.display import escape

    _, unknown_key = MENUS[enum]
    count = len(list(enum))
    _write("\n".join(menu_lines(enum)))
    for attempt in range(1, TRIES + 1):
        answer = ask_line(t("prompt.menu_answer", last=count), default="").strip()
        member = menu_answer(enum, answer)
        if member is not None:
            return member
        if attempt == TRIES:
            # The CLI prints it as every error, written out (fieldkit.display.escape).
            raise UsageError(unknown_key, value=answer, last=count)
        # What was typed, written out: a control character in it is shown, not obeyed.
        _write(t(unknown_key, value=escape(answer), last=count))
    raise AssertionError("unreachable")


def _write(line: str) -> None:
    """One line on the standard error of the run (where the questions are asked)."""
    from fieldkit.commands.common import environment

    err = environment().stderr
    err.write(line + "\n")
    err.flush()
