"""fieldkit district retention show|set|apply and district archive open (issue 19): the
district's retention rules with their legal basis, the run that applies them (safe from
cron or a systemd timer), and the audited reading of an archived case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from fieldkit.commands.common import (
    console,
    environment,
    err_console,
    is_interactive,
    print_json,
    read_text_option,
    state,
    text_given,
    text_help,
    text_typed,
)
from fieldkit.dates import show_day
from fieldkit.display import plain
from fieldkit.errors import UsageError
from fieldkit.i18n import t, t_n

if TYPE_CHECKING:
    from rich.console import Group

    from fieldkit.district.retention import Plan
    from fieldkit.district.store import DistrictStore

retention_app = typer.Typer(no_args_is_help=True)
archive_app = typer.Typer(no_args_is_help=True)
# fieldkit.district.retention_rules.RULES and DEFAULTS, without importing the store for
# --help (tests/district/test_retention_rules.py checks that they agree).
RULES = ("active-period", "archive-period", "pjj", "end")
DEFAULTS = {"active-period": "2", "archive-period": "5", "pjj": "off", "end": "delete"}


def register(district_app: typer.Typer) -> None:
    district_app.add_typer(retention_app, name="retention", help=t("help.district_retention"))
    district_app.add_typer(archive_app, name="archive", help=t("help.district_archive"))


def _open(ctx: typer.Context) -> DistrictStore:
    from fieldkit.district.store import DistrictStore

    st = state(ctx)
    return DistrictStore.open(st.home, st.credentials())


def _today():
    """The district's day (UTC), as `district purge --older-than` counts it."""
    return datetime.now(UTC).date()


def default_basis(rule: str) -> str:
    """The frameworks' words for a rule's default, in the reader's language."""
    return t(f"retention.basis.{rule}")


def shown_value(rule: str, value: str) -> str:
    if rule in ("active-period", "archive-period"):
        return t_n("retention.years", int(value))
    return t(f"retention.value.{value}")


@retention_app.command("show", help=t("help.district_retention_show"))
def show(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    with _open(ctx) as store:
        rules = store.retention_rules()
        plan = store.retention_plan(_today())
    if as_json:
        print_json(
            {
                "rules": [r.as_json(default_basis(r.rule)) for r in rules.listed],
                "in_archive": plan.archived,
                "due": plan.counts(),
            }
        )
        return
    from rich.padding import Padding

    # One block per rule: its name and value on a line, its basis as a paragraph under it
    # (a basis is a few sentences: a table column would squeeze it to a word a line).
    out = console()
    out.print(plain(t("retention.show_title"), style="bold"))
    for rule in rules.listed:
        line = plain(
            f"{t(f'retention.rule.{rule.rule}')} — {shown_value(rule.rule, rule.value)}",
            style="bold",
        )
        if rule.is_default:
            line.append(f" ({t('retention.is_default')})", style="dim")
            basis = plain(default_basis(rule.rule))
        else:
            shown = t("retention.default_was", value=shown_value(rule.rule, rule.default))
            line.append(f" ({shown})", style="dim")
            basis = plain(rule.basis or "", multiline=True)
        out.print()
        out.print(line)
        out.print(Padding(basis, (0, 0, 0, 2)))
    out.print()
    console().print(t_n("retention.in_archive", plan.archived))
    console().print(t("retention.show_hint"))


@retention_app.command("set", help=t("help.district_retention_set"))
def set_rule(
    ctx: typer.Context,
    rule: str = typer.Argument(..., help=t("help.arg.retention_rule", rules=", ".join(RULES))),
    value: str = typer.Argument(..., help=t("help.arg.retention_value")),
    basis: str | None = typer.Option(None, "--basis", help=text_help("help.opt.retention_basis")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district.retention_rules import normalised

    stored = normalised(rule, value)
    if basis is not None or (environment().interactive and stored != DEFAULTS[rule]):
        basis = read_text_option(basis, "--basis", "prompt.retention_basis", required=False)
    with _open(ctx) as store:
        done = store.set_retention_rule(rule, stored, basis)
    if as_json:
        print_json(done.as_json(default_basis(done.rule)))
        return
    console().print(
        t(
            "retention.set_done",
            rule=t(f"retention.rule.{done.rule}"),
            value=shown_value(done.rule, done.value),
        )
    )
    if done.is_default:
        console().print(t("retention.set_default_basis"))


@retention_app.command("apply", help=t("help.district_retention_apply"))
def apply(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help=t("help.opt.retention_dry_run")),
    yes: bool = typer.Option(False, "--yes", "-y", help=t("help.opt.yes")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    if not dry_run and not yes and not is_interactive():
        raise UsageError("retention.needs_yes")
    today = _today()
    only = None
    with _open(ctx) as store:
        if not dry_run and not yes:
            ahead = store.retention_plan(today)
            only = {item.case_id for item in [*ahead.to_archive, *ahead.to_end]}
            if ahead.to_archive or ahead.to_end:
                # On stderr, so that --json output stays one document on stdout.
                err_console().print(plan_view(ahead))
                from fieldkit.commands.prompts import confirm

                question = t(
                    "retention.confirm",
                    archive=len(ahead.to_archive),
                    end=len(ahead.to_end),
                    how=t(f"retention.end.{ahead.rules.end}"),
                )
                if not confirm(question):
                    err_console().print(t("retention.cancelled"))
                    raise typer.Exit(1)
        done = store.apply_retention(today, dry_run=dry_run, only=only)
    if as_json:
        print_json(done.as_json())
        return
    console().print(plan_view(done))
    counts = {
        "archived": len(done.to_archive),
        "ended": len(done.to_end),
        "how": t(f"retention.end.{done.rules.end}"),
    }
    console().print(t("retention.dry_run" if dry_run else "retention.done", **counts))


def plan_view(plan: Plan) -> Group:
    """The three lists of a run: to the archive, to the end, and the open cases flagged."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[Table | Text] = []
    how = t(f"retention.end.{plan.rules.end}")
    for title, items in (
        (t("retention.to_archive", n=len(plan.to_archive)), plan.to_archive),
        (t("retention.to_end", n=len(plan.to_end), how=how), plan.to_end),
    ):
        if not items:
            parts.append(Text(title))
            continue
        table = Table(title=title, title_justify="left")
        for column in ("col.reference", "col.unit", "retention.col.closed_on"):
            table.add_column(t(column))
        table.add_column(t("retention.col.archive_until"))
        for item in items:
            table.add_row(
                item.reference, plain(item.unit), show_day(item.closed_on), show_day(item.ends_on)
            )
        parts.append(table)
    title = t_n("retention.flagged", len(plan.flagged), years=plan.rules.active_years)
    if plan.flagged:
        table = Table(title=title, title_justify="left")
        for column in ("col.reference", "col.unit", "retention.col.last_contact"):
            table.add_column(t(column))
        table.add_column(t("retention.col.active_until"))
        for flagged in plan.flagged:
            last = show_day(flagged.last_contact) if flagged.last_contact else None
            table.add_row(
                flagged.reference,
                plain(flagged.unit),
                last or t("retention.no_contact", date=show_day(flagged.counted_from)),
                show_day(flagged.active_until),
            )
        parts.append(table)
        parts.append(Text(t("retention.flagged_hint"), style="dim"))
    else:
        parts.append(Text(title))
    if plan.held:
        parts.append(held_table(plan))
    return Group(*parts)


def held_table(plan: Plan) -> Group:
    """The closed cases held back: refused changes on them wait for a coordinator."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    pending = sum(item.pending_refusals for item in plan.held)
    table = Table(
        title=t_n("retention.held", len(plan.held), refusals=pending), title_justify="left"
    )
    for column in ("col.reference", "col.unit", "retention.col.closed_on"):
        table.add_column(t(column))
    table.add_column(t("retention.col.held_stage"))
    table.add_column(t("retention.col.pending_refusals"))
    for item in plan.held:
        table.add_row(
            item.reference,
            plain(item.unit),
            show_day(item.closed_on),
            t(f"retention.held_stage.{item.stage}"),
            str(item.pending_refusals),
        )
    return Group(table, Text(t("retention.held_hint"), style="dim"))


@archive_app.command("open", help=t("help.district_archive_open"))
def archive_open(
    ctx: typer.Context,
    case: str | None = typer.Argument(None, help=t("help.arg.archived_case")),
    refusal: str | None = typer.Option(
        None, "--refusal", metavar="ID", help=t("help.opt.archive_refusal")
    ),
    reason: str | None = typer.Option(None, "--reason", help=text_help("help.opt.archive_reason")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.commands.district import print_case
    from fieldkit.commands.render import district_people
    from fieldkit.district import decisions

    if (case is None) == (refusal is None):
        raise UsageError("archive.case_or_refusal")
    why = text_given(reason, "--reason", "prompt.archive_reason", required=True)
    with _open(ctx) as store:
        # Typed at the terminal once the store is open: the passphrase comes first, and
        # a case not in the archive is said before the reason is typed.
        if reason is None and case is not None and is_interactive():
            from fieldkit.district import archive

            archive.find(store.conn, case)
        why = text_typed(reason, why, "--reason", "prompt.archive_reason", required=True)
        item, history = store.open_archived(case or "", why or "", refusal=refusal)
        open_conflicts = store.case_conflicts(item.id)
        names = district_people(store)
        decided = decisions.for_case(store.conn, item.id)
    if not as_json:
        console().print(plain(t("archive.opened_marking"), style="bold red"))
    print_case(item, history, len(history), open_conflicts, names, decided, as_json=as_json)
