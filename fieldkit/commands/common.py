"""What every command shares: the environment (root options, streams, consoles), output,
parsing of dates."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

import typer

from fieldkit.errors import InvalidValue, UsageError
from fieldkit.i18n import current_language, t
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
    "attendance": "--attendance",
    "for_cell": "--for-cell",
    "cell_note": "--cell-note",
    "participation": "--participation",
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
    "referral_date": "--referral-date",
    "birth_year": "--birth-year",
    "reason": "--reason",
    "closure_reason": "--reason",
    "withdrawn_reason": "--reason",
    "district_name": "--name",
    "status": "--status",
    "keep": "--keep",
    "text": "--text",
    "ttl": "--ttl",
}


def flag_for(error: InvalidValue) -> InvalidValue:
    """`error` naming the flag the person typed rather than the core's field name."""
    name = error.params.get("field")
    if isinstance(name, str) and name in FIELD_FLAGS:
        error.params["field"] = FIELD_FLAGS[name]
    return error


@dataclass
class AppState:
    """The application's environment, as httpie's `Environment`: the root options, the
    standard streams and whether each is a terminal, the two consoles and the language.

    Every command's input and output goes through the environment of the run: the root
    callback installs one (`install`) and code reaches it with `environment()`. A test
    gives its own streams, or says a stream is a terminal, with
    `runner.invoke(app, args, obj=AppState(stdin_isatty=True, stderr_isatty=True))`: the
    root options come from the command line, what the test left as None from the run
    (the runner's streams, and whether they are terminals).
    """

    home_override: Path | None = None
    passphrase_file: Path | None = None
    debug: bool = False
    # None until `complete`: the process's streams as the run starts (in a CliRunner's
    # invoke, the runner's), and whether each is a terminal as the stream says.
    stdin: TextIO = None  # type: ignore[assignment]
    stdout: TextIO = None  # type: ignore[assignment]
    stderr: TextIO = None  # type: ignore[assignment]
    stdin_isatty: bool = None  # type: ignore[assignment]
    stdout_isatty: bool = None  # type: ignore[assignment]
    stderr_isatty: bool = None  # type: ignore[assignment]
    language: str = None  # type: ignore[assignment]  # fieldkit.i18n's

    def complete(self, **options: Any) -> AppState:
        """This environment with `options` (fields) set and every field left as None
        taken from the process as it is now."""
        env = replace(self, **options)
        env.stdin = sys.stdin if env.stdin is None else env.stdin
        env.stdout = sys.stdout if env.stdout is None else env.stdout
        env.stderr = sys.stderr if env.stderr is None else env.stderr
        if env.stdin_isatty is None:
            env.stdin_isatty = _isatty(env.stdin)
        if env.stdout_isatty is None:
            env.stdout_isatty = _isatty(env.stdout)
        if env.stderr_isatty is None:
            env.stderr_isatty = _isatty(env.stderr)
        if env.language is None:
            env.language = current_language()
        return env

    @property
    def home(self) -> Path:
        return resolve_home(self.home_override)

    @property
    def interactive(self) -> bool:
        """A person at a terminal can answer a prompt (stdin and stderr are terminals)."""
        return bool(self.stdin_isatty and self.stderr_isatty)

    @cached_property
    def console(self) -> Console:
        """Standard output as a rich console (fieldkit.display: no markup read)."""
        from fieldkit.display import make_console

        return make_console(self.stdout)

    @cached_property
    def err_console(self) -> Console:
        """Standard error as a rich console; soft_wrap: an error stays one line however
        narrow the terminal (scripts read it whole)."""
        from fieldkit.display import make_console

        return make_console(self.stderr, soft_wrap=True)

    def credentials(self) -> Credentials:
        from fieldkit.commands.prompts import ask_secret
        from fieldkit.store.access import Credentials

        prompt = None
        if self.interactive:
            prompt = lambda: ask_secret(t("prompt.passphrase"))  # noqa: E731
        return Credentials(passphrase_file=self.passphrase_file, prompt=prompt, wait=self.wait)

    def wait(self, seconds: float) -> None:
        """The wait before an attempt after failed unlocks (fieldkit/store/access.py):
        at a terminal, a line counts the seconds down; elsewhere, silent."""
        import math
        import time

        if not self.stderr_isatty:
            time.sleep(seconds)
            return
        from fieldkit.i18n import t_n

        end = time.monotonic() + seconds
        with _keys_unseen(self.stdin if self.stdin_isatty else None):
            while (left := end - time.monotonic()) > 0:
                self.stderr.write("\r\x1b[K" + t_n("unlock.wait", math.ceil(left)))
                self.stderr.flush()
                time.sleep(min(left, left - math.floor(left) or 1.0))
        self.stderr.write("\r\x1b[K")
        self.stderr.flush()


@contextmanager
def _keys_unseen(stdin: IO[Any] | None) -> Iterator[None]:
    """While the wait counts down, what the person types (often the passphrase again)
    is neither shown on the terminal nor kept for the next question: echo is off, and
    the keys typed meanwhile are dropped at the end."""
    try:
        import termios

        fd = stdin.fileno() if stdin is not None else -1
        saved = termios.tcgetattr(fd) if fd >= 0 else None
    except (ImportError, OSError, ValueError, AttributeError):
        saved = None
    if saved is None:
        yield
        return
    quiet = list(saved)
    quiet[3] &= ~(termios.ECHO | termios.ECHONL)  # the local modes: no echo
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        termios.tcflush(fd, termios.TCIFLUSH)
        termios.tcsetattr(fd, termios.TCSANOW, saved)


def _isatty(stream: IO[Any] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


# The environment of the command being run; None outside a run.
_current: ContextVar[AppState | None] = ContextVar("fieldkit_environment", default=None)


def install(ctx: typer.Context, **options: Any) -> AppState:
    """The environment of this run, from the root options (`options`, AppState's fields)
    and the one the caller gave as `obj` if any; it is the current one until the run ends."""
    given = ctx.obj if isinstance(ctx.obj, AppState) else AppState()
    env = given.complete(**options)
    ctx.obj = env
    token = _current.set(env)
    ctx.call_on_close(lambda: _current.reset(token))
    return env


def environment() -> AppState:
    """The environment of the command being run; outside a run, one on the process's
    streams as they are now."""
    env = _current.get()
    return env if env is not None else AppState().complete()


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = environment()
    return root.obj


def is_interactive() -> bool:
    return environment().interactive


def console() -> Console:
    """The current environment's standard output console."""
    return environment().console


def err_console() -> Console:
    """The current environment's standard error console."""
    return environment().err_console


def say(message: str) -> None:
    """One plain line for a person, e.g. what a write did. Rich costs ~20 ms to import,
    more than a write command's own work, for a line with no markup or layout (issue 7)."""
    out = environment().stdout
    out.write(message + "\n")
    out.flush()


def print_json(data: Any) -> None:
    out = environment().stdout
    out.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str))
    out.write("\n")


def parse_date(text: str | None, field: str, today: date | None = None) -> date | None:
    """A date from ISO (2026-11-29), French (29/11/2026, 29/11/26) or a word (today, hier,
    +7d); see fieldkit/dates.py."""
    if text is None:
        return None
    from fieldkit.dates import parse_day

    return parse_day(text, field, today)


def text_help(key: str) -> str:
    """The help of an option that takes a case's text, with the warning that argv is
    no place for it (shell history, other users' process list)."""
    return f"{t(key)} {t('help.opt.text_private')}"


def text_given(value: str | None, field: str, prompt_key: str, *, required: bool) -> str | None:
    """`read_text_option` for a command that opens a store: a text given (or `-`, standard
    input, read whole as a pipe is) is read now; one to be typed at the terminal is not
    (None): the command asks it with `text_typed` once the store is open, so that the
    passphrase, if asked, comes first and a text typed is not lost to a wrong one."""
    if value is None and environment().interactive:
        return None
    return read_text_option(value, field, prompt_key, required=required)


def text_typed(
    value: str | None, given: str | None, field: str, prompt_key: str, *, required: bool
) -> str | None:
    """The text `text_given` left to the terminal (`value` the option, `given` what
    `text_given` returned), asked now; the given text otherwise."""
    if value is None and environment().interactive:
        return read_text_option(None, field, prompt_key, required=required)
    return given


def read_text_option(
    value: str | None, field: str, prompt_key: str, *, required: bool, initial: str = ""
) -> str | None:
    """A long text from the option, stdin (`-`), or the editor at a terminal: not argv,
    where it would stay in the shell history and show to other users in the process list.

    `-` at a terminal first says how to end the input; from a pipe it reads silently.
    `initial`: the text the editor starts from (the current one, to correct it)."""
    env = environment()
    if value == "-":
        if env.stdin_isatty and env.stderr_isatty:
            env.stderr.write(t("prompt.stdin_hint") + "\n")
            env.stderr.flush()
        try:
            return env.stdin.read().strip()
        except KeyboardInterrupt:
            from fieldkit.commands.prompts import Interrupted

            raise Interrupted() from None
    if value is not None:
        return value
    if env.interactive:
        from fieldkit.commands.editor import ask_text

        return ask_text(t(prompt_key), required=required, initial=initial)
    if required:
        raise UsageError("value.missing", field=field)
    return None
