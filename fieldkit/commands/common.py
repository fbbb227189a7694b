"""What every command shares: the state from the root options, output, parsing of dates."""

from __future__ import annotations

import getpass
import json
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fieldkit.errors import InvalidValue, UsageError
from fieldkit.i18n import t
from fieldkit.paths import resolve_home

if TYPE_CHECKING:
    from rich.console import Console

    from fieldkit.store.access import Credentials

# Commands import only what they use, inside the command (issue 7: CLI latency): nothing
# from fieldkit.store, fieldkit.sync, pydantic or rich at module level here.


# The flag a person types for each field the core's rules name (fieldkit/rules.py): the
# core never knows a flag, the command line shows the one the person used.
FIELD_FLAGS = {
    "summary": "--summary",
    "occurred_on": "--date",
    "concern_level": "--concern-level",
    "referral_to": "--referral-to",
    "next_contact": "--next-contact",
    "next_steps": "--next-steps",
    "partners": "--partner",
    "situation": "--situation",
    "goals": "--goal",
    "related": "--related",
    "display_name": "--name",
    "unit": "--unit",
    "referral_source": "--referral-source",
    "reason": "--reason",
    "closure_reason": "--reason",
}


def flag_for(error: InvalidValue) -> InvalidValue:
    """`error` naming the flag the person typed rather than the core's field name."""
    name = error.params.get("field")
    if isinstance(name, str) and name in FIELD_FLAGS:
        error.params["field"] = FIELD_FLAGS[name]
    return error


@dataclass
class AppState:
    home_override: Path | None = None
    passphrase_file: Path | None = None
    debug: bool = False

    @property
    def home(self) -> Path:
        return resolve_home(self.home_override)

    def credentials(self) -> Credentials:
        from fieldkit.store.access import Credentials

        prompt = None
        if is_interactive():
            prompt = lambda: getpass.getpass(t("prompt.passphrase"))  # noqa: E731
        return Credentials(passphrase_file=self.passphrase_file, prompt=prompt)


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def console() -> Console:
    from rich.console import Console

    # No markup, no emoji codes: a str that reaches rich unwrapped still prints as it is
    # (texts that people wrote go through fieldkit.display, DESIGN §11).
    return Console(highlight=False, markup=False, emoji=False)


def err_console() -> Console:
    from rich.console import Console

    # soft_wrap: an error stays one line however narrow the terminal (scripts read it whole).
    return Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)


def say(message: str) -> None:
    """One plain line for a person, e.g. what a write did. Rich costs ~20 ms to import,
    more than a write command's own work, for a line with no markup or layout (issue 7)."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str))
    sys.stdout.write("\n")


def parse_date(text: str | None, field: str, today: date | None = None) -> date | None:
    """A date from ISO (2026-11-29), French (29/11/2026, 29/11/26) or a word (today, hier,
    +7d); see fieldkit/dates.py."""
    if text is None:
        return None
    from fieldkit.dates import parse_day

    return parse_day(text, field, today)


def read_text_option(
    value: str | None, field: str, prompt_key: str, *, required: bool
) -> str | None:
    """A long text from the option, stdin (`-`), or a prompt on a terminal (not argv/history)."""
    if value == "-":
        return sys.stdin.read().strip()
    if value is not None:
        return value
    if is_interactive():
        answer = typer.prompt(
            t(prompt_key), default="" if not required else None, show_default=False
        )
        return answer.strip() or None
    if required:
        raise UsageError("value.missing", field=field)
    return None
