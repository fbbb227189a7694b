"""fieldkit district seal-team-texts: an existing district gives up its readable copy of
the case teams' texts (fieldkit/district/sealing.py)."""

from __future__ import annotations

import typer

from fieldkit.commands.common import console, err_console, is_interactive, print_json, state
from fieldkit.commands.prompts import confirm
from fieldkit.errors import UsageError
from fieldkit.i18n import t, t_n


def register(district_app: typer.Typer) -> None:
    @district_app.command("seal-team-texts", help=t("help.district_seal_team_texts"))
    def seal_team_texts(
        ctx: typer.Context,
        yes: bool = typer.Option(False, "--yes", "-y", help=t("help.opt.yes")),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        from fieldkit.district import sealing
        from fieldkit.district.store import DistrictStore

        if not yes and not is_interactive():
            raise UsageError("seal.needs_yes")
        st = state(ctx)
        with DistrictStore.open(st.home, st.credentials()) as store:
            if not yes:
                count = len(sealing.plan(store.conn))
                # On stderr, so that --json output stays one document on stdout.
                if count and not confirm(t("seal.confirm", count=count)):
                    err_console().print(t("seal.cancelled"))
                    raise typer.Exit(1)
            done = sealing.seal_team_texts(store)
        if as_json:
            print_json(done.as_json())
            return
        out = console()
        if not done.cases:
            out.print(t("seal.none"))
        else:
            out.print(
                t(
                    "seal.done",
                    cases=t_n("seal.count.cases", len(done.cases)),
                    changes=t_n("seal.count.texts", done.changes + done.refusals),
                    grants=t_n("seal.count.grants", done.grants),
                )
            )
            out.print(t("seal.devices"))
        if done.left_clear:
            out.print(t_n("seal.left_clear", done.left_clear))
        if done.cases and not done.recovery:
            out.print(t("seal.no_recovery"))
        if done.vacuumed is False and done.cases:
            out.print(t("seal.vacuum_needed"))
