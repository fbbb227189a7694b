"""fieldkit district report: the prevention group's meeting report, per territorial unit."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from fieldkit.commands.common import console, parse_date, state
from fieldkit.commands.output import after_output, choose_target, glyph_warnings, output_format
from fieldkit.i18n import t


def register(district_app: typer.Typer) -> None:
    @district_app.command("report", help=t("help.district_report"))
    def report(
        ctx: typer.Context,
        fmt: str | None = typer.Option(None, "--format", "-f", help=t("help.opt.format")),
        output: Path | None = typer.Option(None, "--output", "-o", help=t("help.opt.output")),
        unit: str | None = typer.Option(None, "--unit", help=t("help.opt.report_unit")),
        since: str | None = typer.Option(None, "--since", help=t("help.opt.report_since")),
        days: int = typer.Option(30, "--days", min=1, max=3650, help=t("help.opt.not_seen_days")),
        with_cases: bool = typer.Option(False, "--with-cases", help=t("help.opt.with_cases")),
        force: bool = typer.Option(False, "--force", help=t("help.opt.force")),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.report_json")),
    ) -> None:
        from fieldkit.district.report import build_report
        from fieldkit.district.store import DistrictStore
        from fieldkit.summary.export import Renderers, deliver
        from fieldkit.summary.report_render import (
            render_report_markdown,
            render_report_pdf,
            render_report_text,
        )

        st = state(ctx)
        kind = output_format(fmt, as_json, output)
        target = choose_target(output, kind, force)
        first_day = parse_date(since, "--since")
        with DistrictStore.open(st.home, st.credentials()) as store:
            document = build_report(
                store,
                printed_at=datetime.now().astimezone(),
                since=first_day,
                not_seen_days=days,
                unit=unit,
                with_cases=with_cases,
            )

            def audit(action: str, detail: str) -> None:
                scope = f"{detail} with-cases" if with_cases else detail
                store.record_report(action, scope, document.unit)

            renderers = Renderers(
                text=render_report_text,
                markdown=render_report_markdown,
                pdf=render_report_pdf,
            )
            with glyph_warnings():
                deliver(document, kind, target, renderers, audit=audit, console=console())
        after_output(target)
