"""fieldkit agenda: reviews and contacts due, overdue first."""

from __future__ import annotations

from datetime import date

import typer

from fieldkit.commands.common import console, print_json, state
from fieldkit.i18n import t, t_n


def register(app: typer.Typer) -> None:
    @app.command("agenda", help=t("help.agenda"))
    def agenda(
        ctx: typer.Context,
        days: int = typer.Option(14, "--days", min=0, max=3650, help=t("help.opt.days")),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        from fieldkit.store.worker import WorkerStore

        st = state(ctx)
        with WorkerStore.open(st.home, st.credentials()) as store:
            items = store.agenda(days, date.today())
        if as_json:
            print_json([i.model_dump(mode="json") for i in items])
            return
        if not items:
            console().print(t_n("agenda.empty", days))
            return
        from rich.table import Table

        from fieldkit.dates import show_day
        from fieldkit.display import plain

        table = Table(title=t_n("agenda.title", days))
        for column in ("col.due", "col.what", "col.reference", "col.name"):
            table.add_column(t(column))
        for item in items:
            due = plain(show_day(item.due))
            if item.overdue:
                due.append(f" ({t('agenda.overdue')})")
                due.stylize("bold red")
            what = t(f"agenda.{item.what}")
            table.add_row(due, what, plain(item.reference), plain(item.display_name))
        console().print(table)
