"""fieldkit conflicts list | resolve: concurrent edits are never silent."""

from __future__ import annotations

import json

import typer

from fieldkit.commands.common import console, print_json, state
from fieldkit.commands.render import short
from fieldkit.display import plain
from fieldkit.i18n import t

app = typer.Typer(invoke_without_command=True)


def _value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@app.callback()
def default(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_conflicts, ctx=ctx, include_resolved=False, as_json=False)


@app.command("list", help=t("help.conflicts_list"))
def list_conflicts(
    ctx: typer.Context,
    include_resolved: bool = typer.Option(False, "--all", help=t("help.opt.all_conflicts")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    with WorkerStore.open(st.home, st.credentials()) as store:
        items = store.conflicts(include_resolved)
        references = {c.id: c.reference for c in store.list_cases()}
    if as_json:
        print_json(
            [dict(c.model_dump(mode="json"), reference=references.get(c.case_id)) for c in items]
        )
        return
    if not items:
        console().print(t("conflicts.none"))
        return
    from rich.table import Table

    table = Table(title=t("conflicts.title", count=len(items)))
    for column in ("col.id", "col.reference", "col.field", "col.kept", "col.other"):
        table.add_column(t(column))
    for c in items:
        table.add_row(
            short(c.id),
            plain(references.get(c.case_id, short(c.case_id))),
            plain(c.field),
            plain(f"{_value(c.winner_value)} ({c.winner_author})", multiline=True),
            plain(f"{_value(c.loser_value)} ({c.loser_author})", multiline=True),
        )
    console().print(table)
    console().print(t("conflicts.hint"))


@app.command("resolve", help=t("help.conflicts_resolve"))
def resolve(
    ctx: typer.Context,
    conflict_id: str = typer.Argument(..., metavar="ID", help=t("help.arg.conflict")),
    keep: str = typer.Option(..., "--keep", help=t("help.opt.keep")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    with WorkerStore.open(st.home, st.credentials()) as store:
        conflict = store.resolve_conflict(conflict_id, keep)
    if as_json:
        print_json(conflict.model_dump(mode="json"))
        return
    console().print(t("conflicts.resolved", id=short(conflict.id)))
