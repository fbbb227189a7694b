"""fieldkit district audit verify | prune | export | retention | public-key: the district's
audit trail kept for its period and exported apart from the data (issue 19;
fieldkit/store/auditlog.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fieldkit.commands.audit import run_prune, run_retention, tell_verified
from fieldkit.commands.common import console, parse_date, print_json, state
from fieldkit.display import escape
from fieldkit.errors import UsageError
from fieldkit.i18n import t, t_n

if TYPE_CHECKING:
    from fieldkit.district.store import DistrictStore


def _open(ctx: typer.Context) -> DistrictStore:
    from fieldkit.district.store import DistrictStore

    st = state(ctx)
    return DistrictStore.open(st.home, st.credentials())


def register(district_app: typer.Typer) -> None:
    audit_app = typer.Typer(no_args_is_help=True)
    district_app.add_typer(audit_app, name="audit", help=t("help.district_audit"))

    @audit_app.command("show", help=t("help.district_audit_show"))
    def show(
        ctx: typer.Context,
        limit: int = typer.Option(50, "--limit", "-n", min=0, help=t("help.opt.limit")),
        case: str | None = typer.Option(None, "--case", help=t("help.opt.audit_case")),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        from fieldkit.commands.audit import print_events
        from fieldkit.commands.render import district_people

        with _open(ctx) as store:
            if case is not None:
                events = store.audit_of_case(case)
                events = events[-limit:] if limit else events
            else:
                events = store.audit_events(limit or None)
            names = district_people(store)
        if as_json:
            print_json([e.model_dump(mode="json") for e in events])
            return
        print_events(events, names)

    @audit_app.command("verify", help=t("help.district_audit_verify"))
    def verify(
        ctx: typer.Context,
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        with _open(ctx) as store:
            verified = store.check_audit()
        tell_verified(verified, as_json)

    @audit_app.command("prune", help=t("help.district_audit_prune"))
    def prune(
        ctx: typer.Context,
        before: str | None = typer.Option(
            None, "--before", metavar="DATE", help=t("help.opt.audit_before")
        ),
        yes: bool = typer.Option(False, "--yes", "-y", help=t("help.opt.yes")),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        run_prune(lambda: _open(ctx), before, yes, as_json)

    @audit_app.command("retention", help=t("help.district_audit_retention"))
    def retention(
        ctx: typer.Context,
        days: int | None = typer.Option(
            None, "--days", metavar=t("metavar.days"), help=t("help.opt.audit_days")
        ),
        reason: str | None = typer.Option(None, "--reason", help=t("help.opt.audit_reason")),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        run_retention(lambda: _open(ctx), days, reason, as_json)

    @audit_app.command("export", help=t("help.district_audit_export"))
    def export(
        ctx: typer.Context,
        since: str | None = typer.Option(
            None, "--since", metavar="DATE", help=t("help.opt.audit_since")
        ),
        output: Path = typer.Option(..., "--output", "-o", help=t("help.opt.audit_output")),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        from datetime import date

        from fieldkit.paths import write_new_file

        day = parse_date(since, "--since") if since is not None else date(1970, 1, 1)
        assert day is not None
        _check_new(output)
        with _open(ctx) as store:
            exported = store.export_audit(day)
            try:
                write_new_file(output, exported.data)
            except FileExistsError:
                raise UsageError("auditlog.file_exists", path=str(output)) from None
            store.record_audit_export(exported)
        if as_json:
            print_json(
                {
                    "file": str(output),
                    "events": exported.count,
                    "first_seq": exported.first_seq,
                    "last_seq": exported.last_seq,
                    "since": None if since is None else day.isoformat(),
                }
            )
            return
        console().print(t_n("auditlog.exported", exported.count, path=escape(str(output))))
        console().print(t("auditlog.exported_how"))

    @audit_app.command("public-key", help=t("help.district_audit_public_key"))
    def public_key(
        ctx: typer.Context,
        output: Path | None = typer.Option(None, "--output", "-o", help=t("help.opt.key_output")),
    ) -> None:
        from fieldkit.commands.common import environment
        from fieldkit.paths import write_new_file

        if output is not None:
            _check_new(output)
        with _open(ctx) as store:
            document = store.audit_public_key()
        if output is None:
            environment().stdout.write(document.decode())
            return
        try:
            write_new_file(output, document)
        except FileExistsError:
            raise UsageError("auditlog.file_exists", path=str(output)) from None
        console().print(t("auditlog.key_written", path=escape(str(output))))


def _check_new(path: Path) -> None:
    """Never over an existing file, and checked before the store is opened."""
    if path.exists() or path.is_symlink():
        raise UsageError("auditlog.file_exists", path=str(path))
    if not path.parent.is_dir():
        raise UsageError("file.not_found", path=str(path.parent))
