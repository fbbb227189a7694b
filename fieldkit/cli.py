"""The root `fieldkit` command: global options, the command groups, and the one place where
errors become a line on stderr and an exit code (DESIGN §5)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from difflib import get_close_matches
from functools import cache
from gettext import ngettext
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import typer
import typer.main
from click.core import Command
from click.exceptions import ClickException, UsageError
from typer.core import TyperGroup

from fieldkit import __version__
from fieldkit.commands import agenda, store_admin, sync
from fieldkit.commands.common import AppState, err_console, flag_for, install
from fieldkit.commands.prompts import INTERRUPTED, Interrupted
from fieldkit.errors import ERROR, FieldkitError, InvalidValue, StoreError, disk_full
from fieldkit.i18n import activate, t

if TYPE_CHECKING:
    from click import Context


def _district_app() -> typer.Typer:
    from fieldkit.commands import (
        access,
        charter,
        corrections,
        district,
        district_audit,
        meetings,
        recovery,
        refusals,
        report,
        retention,
        seal,
        server,
        units,
    )

    corrections.register(district.case_app)
    access.register(district.case_app)
    units.register(district.app)
    server.register(district.app)
    recovery.register(district.app)
    refusals.register(district.app)
    report.register(district.app)
    seal.register(district.app)
    meetings.register(district.app)
    charter.register(district.app)
    retention.register(district.app)
    district_audit.register(district.app)
    return district.app


# The command groups, loaded when a command of theirs runs: building the options of every
# group at each start cost more than the command itself (issue 7). In the order of the
# help: name -> (what gives its Typer app, help key).
GROUPS: dict[str, tuple[Callable[[], typer.Typer], str]] = {
    "case": (lambda: import_module("fieldkit.commands.cases").app, "help.case"),
    "followup": (lambda: import_module("fieldkit.commands.followups").app, "help.followup"),
    "conflicts": (lambda: import_module("fieldkit.commands.conflicts").app, "help.conflicts"),
    "audit": (lambda: import_module("fieldkit.commands.audit").app, "help.audit"),
    "passphrase": (lambda: store_admin.passphrase_app, "help.passphrase"),
    "config": (lambda: import_module("fieldkit.commands.config").app, "help.config"),
    "charter": (lambda: import_module("fieldkit.commands.charter").app, "help.charter"),
    "district": (cache(_district_app), "help.district"),
}


def group_command(name: str, markup: Any) -> Command:
    """The click group of one of GROUPS, built as `add_typer` would have built it."""
    load, help_key = GROUPS[name]
    app = load()
    app.suggest_commands = False  # click (>= 8.4) suggests, translated; typer's is English
    group = typer.main.get_group(app)
    group.name, group.help = name, t(help_key)
    for command in _walk(group):
        if hasattr(command, "rich_markup_mode"):
            command.rich_markup_mode = markup
    return localise(group)


# click's placeholders in the help and usage lines, in the user's language: click writes
# its types' names (TEXT, PATH) and the arguments' names (CASE) in capitals, untranslated.
METAVAR_TYPES = {
    "text": "metavar.text",
    "integer": "metavar.integer",
    "integer range": "metavar.integer_range",
    "float range": "metavar.float_range",
    "path": "metavar.path",
}
# click's Group defaults (the second when the group runs without a command too).
SUBCOMMAND_METAVARS = {
    "COMMAND [ARGS]...": "metavar.command",
    "[COMMAND] [ARGS]...": "metavar.command_optional",
}


def localise(command: Command) -> Command:
    """`command` and its sub-commands with their placeholders in the user's language.

    Only placeholders click would write itself are set (a type's name, an argument's
    name); one a command names (`metavar="ID"`) stays. English gives click's own words.
    """
    for sub in _walk(command):
        if isinstance(sub, click.Group) and sub.subcommand_metavar in SUBCOMMAND_METAVARS:
            sub.subcommand_metavar = t(SUBCOMMAND_METAVARS[sub.subcommand_metavar])
        for param in sub.params:
            if param.metavar is not None:
                continue
            if isinstance(param, click.Argument):
                param.metavar = t(f"metavar.arg.{param.name}") + ("..." if param.nargs != 1 else "")
            elif isinstance(param, click.Option) and not param.is_flag:
                own = type(param.type).get_metavar is not click.ParamType.get_metavar
                key = METAVAR_TYPES.get(param.type.name)
                if key and not own:
                    param.metavar = t(key) + ("..." if param.nargs != 1 else "")
    return command


def _walk(command: Command) -> Iterator[Command]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _walk(sub)


class FieldkitGroup(TyperGroup):
    """Turns core exceptions into one clear line and an exit code; --debug adds the traceback.

    The root group also loads the command groups (GROUPS) when they are first asked for;
    its help lists them from their help texts alone.
    """

    _listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        eager = [name for name in super().list_commands(ctx) if name not in GROUPS]
        return [*eager, *GROUPS]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in GROUPS:
            if self._listing:
                return TyperGroup(name=cmd_name, help=t(GROUPS[cmd_name][1]))
            command = group_command(cmd_name, self.rich_markup_mode)
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: Context, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            # click suggests among the commands already loaded; offer the lazy groups too.
            close = get_close_matches(args[0], list(GROUPS)) if args else []
            if close and not getattr(exc, "possibilities", None):
                names = ", ".join(repr(name) for name in close)
                suggestion = ngettext(
                    "Did you mean {possibility}?",
                    "(Did you mean one of: {possibilities}?)",
                    len(close),
                )
                exc.message = (
                    f"{exc.message} {suggestion.format(possibility=names, possibilities=names)}"
                )
            raise

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # The language is resolved once per invocation, and click's own strings follow it.
        with activate():
            localise(self)
            return super().main(*args, **kwargs)

    def invoke(self, ctx: Context) -> Any:
        try:
            result = super().invoke(ctx)
        except (Interrupted, click.exceptions.Abort, EOFError):
            # Ctrl-C or Ctrl-D at a prompt (ours raise Interrupted; click's, Abort): the
            # person stopped; one line, not click's "Aborted!" nor a traceback.
            _print_warnings(failed=True)
            err_console().print(t("prompt.interrupted"), markup=False)
            raise typer.Exit(INTERRUPTED) from None
        except (ClickException, typer.Exit):
            # click's usage errors and typer's exits must reach typer, which prints the
            # usage and exits 2, not become an "unexpected error".
            _print_warnings(failed=False)
            raise
        except FieldkitError as exc:
            _print_warnings(failed=True)
            _traceback(ctx)
            if isinstance(exc, InvalidValue):
                flag_for(exc)
            if isinstance(exc, StoreError) and disk_full(exc):
                exc = StoreError("store.disk_full")  # not "damaged": a full disk is no damage
            from fieldkit.display import escape

            # The message may quote what was typed or received (a case reference, a path).
            err_console().print(f"fieldkit: {escape(exc.message)}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:
            raise
        except KeyboardInterrupt:
            err_console().print(t("error.interrupted"))
            raise typer.Exit(INTERRUPTED) from None
        except Exception as exc:
            from fieldkit.store.db import DB_ERRORS

            _print_warnings(failed=True)
            _traceback(ctx)
            if disk_full(exc):
                full = StoreError("store.disk_full")
                err_console().print(f"fieldkit: {full.message}", markup=False)
                raise typer.Exit(full.exit_code) from None
            if isinstance(exc, DB_ERRORS):
                damaged = StoreError("store.damaged")
                err_console().print(f"fieldkit: {damaged.message}", markup=False)
                raise typer.Exit(damaged.exit_code) from None
            # Never print the exception text: it could quote personal data.
            err_console().print(f"fieldkit: {t('error.internal', kind=type(exc).__name__)}")
            raise typer.Exit(ERROR) from None
        _print_warnings(failed=False)
        return result


def _print_warnings(failed: bool) -> None:
    """What the core warned of (fieldkit/errors.py `warn`): one line each on stderr."""
    from fieldkit.errors import take_warnings

    for message in take_warnings(failed):
        err_console().print(f"fieldkit: {message}", markup=False)


def _debug(ctx: Context) -> bool:
    obj = ctx.find_root().obj
    return isinstance(obj, AppState) and obj.debug


def _traceback(ctx: Context) -> None:
    """With --debug, the traceback of the error being handled, on stderr, before its line.

    --debug only adds details: the line and the exit code stay those of the error.
    """
    if _debug(ctx):
        import traceback

        traceback.print_exc(file=sys.stderr)


app = typer.Typer(
    cls=FieldkitGroup,
    help=t("help.root"),
    no_args_is_help=True,
    # Plain help and usage errors (click's formatter): typer's rich help imports rich's
    # Markdown and more, half the start-up of `fieldkit --help` (issue 7).
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    # typer's "Did you mean" is English only; click's (>= 8.4) is translated.
    suggest_commands=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"fieldkit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    home: Path | None = typer.Option(None, "--home", help=t("help.opt.home"), envvar=None),
    passphrase_file: Path | None = typer.Option(
        None, "--passphrase-file", help=t("help.opt.passphrase_file")
    ),
    debug: bool = typer.Option(False, "--debug", help=t("help.opt.debug")),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help=t("help.opt.version")
    ),
) -> None:
    install(ctx, home_override=home, passphrase_file=passphrase_file, debug=debug)


store_admin.register(app)
agenda.register(app)
sync.register(app)


@app.command("session", help=t("help.session"))
def session_cmd(ctx: typer.Context) -> None:
    from fieldkit.commands.common import state

    st = state(ctx)
    if not st.interactive or not st.stdout_isatty:
        from fieldkit.errors import UsageError as NeedsTerminal

        raise NeedsTerminal("session.needs_terminal")
    from fieldkit.commands import session

    root = ctx.find_root()
    forwarded = ["--home", str(st.home_override)] if st.home_override is not None else []
    if st.debug:
        forwarded.append("--debug")
    assert isinstance(root.command, click.Group)
    code = session.start(root.command, st, forwarded)
    raise typer.Exit(code)


# The root options that may come before no command at all: `fieldkit --home DIR` alone
# at a terminal opens the session too.
_ROOT_VALUES = {"--home", "--passphrase-file"}


def _session_wanted(argv: list[str]) -> bool:
    """`fieldkit` with no command (root options aside), at a terminal."""
    rest = list(argv)
    while rest:
        word = rest.pop(0)
        if word in _ROOT_VALUES and rest:
            rest.pop(0)
        elif word != "--debug" and not any(word.startswith(f"{o}=") for o in _ROOT_VALUES):
            return False
    try:
        return sys.stdin.isatty() and sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def main() -> None:
    # Pydantic plugins would see every value validated (case data included) and finding
    # them scans every installed distribution's entry points at the first model: off.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
    if _session_wanted(sys.argv[1:]):
        sys.argv.append("session")
    try:
        app()
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(ERROR)
