"""`district unit add|list|rename`: the district's list of Territorial Units (issue 17;
fieldkit/district/units.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from fieldkit.commands.common import console, print_json, state
from fieldkit.display import escape, plain
from fieldkit.i18n import t, t_n

if TYPE_CHECKING:
    from fieldkit.district.store import DistrictStore

app = typer.Typer(no_args_is_help=True)


def register(district_app: typer.Typer) -> None:
    district_app.add_typer(app, name="unit", help=t("help.district_unit"))


def _open(ctx: typer.Context) -> DistrictStore:
    from fieldkit.district.store import DistrictStore

    st = state(ctx)
    return DistrictStore.open(st.home, st.credentials())


@app.command("add", help=t("help.district_unit_add"))
def unit_add(
    ctx: typer.Context,
    unit: str = typer.Argument(..., help=t("help.arg.unit_name")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    with _open(ctx) as store:
        added = store.add_unit(unit)
    if as_json:
        print_json({"id": added.id, "name": added.name})
        return
    console().print(t("unit.added", name=escape(added.name)), markup=False)


@app.command("list", help=t("help.district_unit_list"))
def unit_list(
    ctx: typer.Context,
    unknown: bool = typer.Option(False, "--unknown", help=t("help.opt.unit_unknown")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    with _open(ctx) as store:
        uses = store.unit_uses()
    if unknown:
        uses = [use for use in uses if not use.listed]
    if as_json:
        print_json([use.as_json() for use in uses])
        return
    from rich.table import Table

    out = console()
    listed = [use for use in uses if use.listed]
    if not unknown:
        if not listed:
            out.print(t("unit.none_listed"), markup=False)
        else:
            table = Table(title=t_n("unit.list_title", len(listed)), title_justify="left")
            for column in ("col.unit", "col.cases", "unit.col_workers"):
                table.add_column(t(column))
            for use in listed:
                table.add_row(plain(use.name), str(use.cases), str(use.workers))
            out.print(table)
    free = [use for use in uses if not use.listed]
    if not free:
        if unknown:
            out.print(t("unit.no_unknown"), markup=False)
        return
    table = Table(title=t_n("unit.unknown_title", len(free)), title_justify="left")
    for column in ("col.unit", "col.cases", "unit.col_workers", "unit.col_suggestion"):
        table.add_column(t(column))
    for use in free:
        table.add_row(
            plain(use.name), str(use.cases), str(use.workers), plain(use.suggestion or "—")
        )
    out.print(table)
    out.print(t("unit.map_hint"), markup=False)


@app.command("rename", help=t("help.district_unit_rename"))
def unit_rename(
    ctx: typer.Context,
    old: str = typer.Argument(..., help=t("help.arg.unit_old")),
    new: str = typer.Argument(..., help=t("help.arg.unit_new")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    with _open(ctx) as store:
        done = store.rename_unit(old, new)
    if as_json:
        print_json(
            {
                "old": done.old,
                "new": done.new,
                "cases": done.cases,
                "workers": done.workers,
                "list": done.listed,
            }
        )
        return
    console().print(
        t(
            "unit.renamed",
            old=escape(done.old),
            new=escape(done.new),
            cases=t_n("unit.count.cases", done.cases),
            workers=t_n("unit.count.workers", done.workers),
        ),
        markup=False,
    )
