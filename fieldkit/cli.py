"""The root `fieldkit` command: global options, the command groups, and the one place where
errors become a line on stderr and an exit code (DESIGN §5)."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer._click.exceptions import ClickException
from typer.core import TyperGroup

from fieldkit import __version__
from fieldkit.commands import (
    agenda,
    audit,
    cases,
    conflicts,
    district,
    followups,
    report,
    server,
    session,
    settings,
    sync,
)
from fieldkit.commands.common import AppState, err_console
from fieldkit.errors import ERROR, FieldkitError, StoreError
from fieldkit.i18n import t

if TYPE_CHECKING:
    from typer._click import Context


class FieldkitGroup(TyperGroup):
    """Turns core exceptions into one clear line and an exit code; tracebacks only with --debug."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ClickException, typer.Exit, typer.Abort):
            # typer (>= 0.29) vendors click as typer._click: its usage errors must reach
            # typer, which prints the usage and exits 2, not become an "unexpected error".
            raise
        except FieldkitError as exc:
            if _debug(ctx):
                raise
            if isinstance(exc, StoreError) and _disk_trouble(exc):
                exc = StoreError("store.disk_full")  # not "damaged": a full disk is no damage
            err_console().print(f"fieldkit: {exc.message}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:
            raise
        except KeyboardInterrupt:
            err_console().print(t("error.interrupted"))
            raise typer.Exit(130) from None
        except Exception as exc:
            from fieldkit.store.db import DB_ERRORS

            if _debug(ctx):
                raise
            if _disk_trouble(exc):
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


# SQLite's SQLITE_IOERR and SQLITE_FULL; the OS's "no space" and "quota exceeded".
_SQLITE_DISK_CODES = (10, 13)
_DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def _disk_trouble(exc: BaseException | None) -> bool:
    """Whether `exc` (or what caused it) is a write the disk refused, not a damaged file."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
            return True
        code = getattr(exc, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in _SQLITE_DISK_CODES:  # extended codes too
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _debug(ctx: Context) -> bool:
    obj = ctx.find_root().obj
    return isinstance(obj, AppState) and obj.debug


app = typer.Typer(
    cls=FieldkitGroup,
    help=t("help.root"),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
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
    ctx.obj = AppState(home_override=home, passphrase_file=passphrase_file, debug=debug)


session.register(app)
app.add_typer(cases.app, name="case", help=t("help.case"))
app.add_typer(followups.app, name="followup", help=t("help.followup"))
agenda.register(app)
sync.register(app)
app.add_typer(conflicts.app, name="conflicts", help=t("help.conflicts"))
app.add_typer(audit.app, name="audit", help=t("help.audit"))
app.add_typer(session.passphrase_app, name="passphrase", help=t("help.passphrase"))
app.add_typer(settings.app, name="config", help=t("help.config"))
server.register(district.app)
app.add_typer(district.app, name="district", help=t("help.district"))
report.register(district.app)


def main() -> None:
    try:
        app()
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(ERROR)
