"""fieldkit audit show | verify."""

from __future__ import annotations

import typer

from fieldkit.commands.common import console, print_json, state
from fieldkit.dates import show_moment
from fieldkit.display import plain
from fieldkit.errors import IntegrityError
from fieldkit.i18n import t

app = typer.Typer(no_args_is_help=True)


@app.command("show", help=t("help.audit_show"))
def show(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", "-n", min=0, help=t("help.opt.limit")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    with WorkerStore.open(st.home, st.credentials()) as store:
        events = store.audit_events(limit or None)
    if as_json:
        print_json([e.model_dump(mode="json") for e in events])
        return
    from rich.table import Table

    table = Table(title=t("audit.title"))
    for column in ("col.seq", "col.when", "col.actor", "col.action", "col.object"):
        table.add_column(t(column))
    for e in events:
        table.add_row(
            str(e.seq),
            show_moment(e.at, seconds=True),
            plain(e.actor),
            plain(e.action),
            plain(f"{e.object_type} {e.object_id[:8]}".strip()),
        )
    console().print(table)


@app.command("verify", help=t("help.audit_verify"))
def verify(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    with WorkerStore.open(st.home, st.credentials()) as store:
        checked, broken = store.verify_audit()
    if as_json:
        print_json({"events": checked, "ok": broken is None, "first_broken": broken})
    if broken is not None:
        raise IntegrityError("audit.broken", seq=broken)
    if not as_json:
        console().print(t("audit.ok", count=checked))
