"""fieldkit district ...: the district side (its store, workers, cases, bundles, server)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fieldkit import choices
from fieldkit.commands.cases import history_limit
from fieldkit.commands.common import (
    console,
    environment,
    err_console,
    is_interactive,
    parse_date,
    print_json,
    state,
    text_given,
    text_help,
    text_typed,
)
from fieldkit.commands.prompts import confirm
from fieldkit.commands.render import case_json, district_people, label, labeller, short
from fieldkit.commands.store_admin import changed_passphrase, new_passphrase
from fieldkit.dates import show_day, show_iso_day
from fieldkit.display import escape, plain
from fieldkit.enums import CaseStatus, Priority, ReferralSource
from fieldkit.errors import InvalidValue, Refused, UsageError
from fieldkit.i18n import t, t_n

if TYPE_CHECKING:
    from rich.table import Table

    from fieldkit.district.retention import ClosedCase
    from fieldkit.district.store import DistrictStore

# fieldkit.district.workers.DEFAULT_CODE_TTL_HOURS, without importing the store for --help
# (tests/test_cli_imports.py checks that they agree).
DEFAULT_CODE_TTL_HOURS = 72

app = typer.Typer(no_args_is_help=True)
worker_app = typer.Typer(no_args_is_help=True)
case_app = typer.Typer(no_args_is_help=True)
app.add_typer(worker_app, name="worker", help=t("help.district_worker"))
app.add_typer(case_app, name="case", help=t("help.district_case"))
passphrase_app = typer.Typer(no_args_is_help=True)
app.add_typer(passphrase_app, name="passphrase", help=t("help.district_passphrase"))


def _open(ctx: typer.Context) -> DistrictStore:
    from fieldkit.district.store import DistrictStore

    st = state(ctx)
    return DistrictStore.open(st.home, st.credentials())


@app.command("init", help=t("help.district_init"))
def init(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help=t("help.opt.district_name")),
    url: str | None = typer.Option(None, "--url", help=t("help.opt.district_url")),
    prefix: str = typer.Option("CO", "--prefix", help=t("help.opt.prefix")),
    self_signed: bool = typer.Option(False, "--self-signed", help=t("help.opt.self_signed")),
    tls_host: list[str] | None = typer.Option(None, "--tls-host", help=t("help.opt.tls_host")),
    database: str | None = typer.Option(
        None, "--database", metavar="postgresql://…", help=t("help.opt.database")
    ),
    recovery_sheet: Path | None = typer.Option(
        None, "--recovery-sheet", help=t("help.opt.recovery_sheet")
    ),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    st = state(ctx)
    if not prefix.isalnum() or len(prefix) > 8:
        raise InvalidValue("value.bad_prefix", field="--prefix", value=prefix)
    from fieldkit.commands import recovery
    from fieldkit.district.store import DistrictStore

    recovery.check_sheet_place(recovery_sheet, st.home)
    passphrase = new_passphrase(st.credentials())
    with DistrictStore.create(st.home, passphrase, name, url, prefix, database) as store:
        fingerprint = store.identity().public.fingerprint
        data = {
            "id": store.replica_id,
            "name": store.name,
            "fingerprint": fingerprint,
            "database": store.database_shown,
        }
        if self_signed:
            from urllib.parse import urlparse

            from fieldkit.district import tls

            hosts = set(tls_host or []) | {"127.0.0.1", "localhost"}
            if url and urlparse(url).hostname:
                hosts.add(urlparse(url).hostname)
            data["tls_fingerprint"] = tls.make_self_signed(
                st.home, name, sorted(hosts), store.data_key
            )
            store.set_setting("tls_fingerprint", data["tls_fingerprint"])
        sheet = recovery.write_first_sheet(store, recovery_sheet)
        data["recovery_sheet"] = sheet["recovery_sheet"]
        data["recovery_fingerprint"] = sheet["fingerprint"]
    if as_json:
        print_json(data)
        return
    console().print(t("district.created", name=escape(name), path=escape(str(st.home))))
    console().print(t("district.fingerprint", fingerprint=fingerprint))
    console().print(t("district.database", database=data["database"]))
    if "tls_fingerprint" in data:
        console().print(t("district.tls_fingerprint", fingerprint=data["tls_fingerprint"]))
    recovery.tell_written(sheet)


@passphrase_app.command("change", help=t("help.district_passphrase_change"))
def passphrase_change(
    ctx: typer.Context,
    new_passphrase_file: Path | None = typer.Option(
        None, "--new-passphrase-file", help=t("help.opt.new_passphrase_file")
    ),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district.passphrase import change_passphrase

    st = state(ctx)
    changed = change_passphrase(st.home, st.credentials(), changed_passphrase(new_passphrase_file))
    if as_json:
        print_json({"backend": changed.backend, "new_data_key": changed.new_data_key})
        return
    console().print(t("district.passphrase_changed"))
    console().print(
        t(
            "district.passphrase_rekeyed"
            if changed.new_data_key
            else "district.passphrase_rewrapped"
        )
    )


@worker_app.command("add", help=t("help.district_worker_add"))
def worker_add(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help=t("help.opt.worker_name")),
    unit: str = typer.Option(..., "--unit", help=t("help.opt.unit")),
    ttl_hours: int = typer.Option(
        DEFAULT_CODE_TTL_HOURS, "--code-hours", min=1, max=24 * 30, help=t("help.opt.code_hours")
    ),
    to_file: Path | None = typer.Option(None, "--to-file", help=t("help.opt.worker_add_to_file")),
    sheet: Path | None = typer.Option(None, "--sheet", help=t("help.opt.worker_add_sheet")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.commands import enrolment_output

    for path in (to_file, sheet):
        if path is not None:
            enrolment_output.check_place(path)
    with _open(ctx) as store:
        issued = store.issue_worker(name, unit, ttl_hours)
        fingerprint = store.identity().public.fingerprint
        district_name, url = store.name, store.url
    written = enrolment_output.write(issued, district_name, url, fingerprint, to_file, sheet)
    if as_json:
        print_json(
            {
                "id": issued.worker.id,
                "enrolment_code": issued.code,
                "district_fingerprint": fingerprint,
                "expires": written.expires,
                "identity_file": written.identity_file,
                "sheet": written.sheet,
                "charter_sha256": issued.charter.sha256 if issued.charter else None,
            }
        )
        return
    enrolment_output.tell(issued, fingerprint, url, ttl_hours, written)


@worker_app.command("list", help=t("help.district_worker_list"))
def worker_list(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district import charter

    with _open(ctx) as store:
        records = store.workers()
        counts = {r.worker.id: len(store.assigned_cases(r.worker.id)) for r in records}
        charters = charter.worker_states(store.conn)
    if as_json:
        print_json(
            [
                dict(
                    r.worker.model_dump(mode="json", exclude={"signing_key", "hpke_key"}),
                    cases=counts[r.worker.id],
                    last_sync=r.last_sync,
                    acked_seq=r.acked_seq,
                    charter=charters[r.worker.id].to_json(),
                )
                for r in records
            ]
        )
        return
    from rich import box
    from rich.table import Table

    from fieldkit.display import short_id

    # Fits an 80-column terminal: the short id (a unique prefix every command takes) is
    # never cut, the last sync is its day, and the names wrap rather than the id.
    table = Table(
        title=t("district.workers_title", count=len(records)),
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    table.add_column(t("col.id"), no_wrap=True, min_width=8)
    for column in ("col.name", "col.unit", "col.status"):
        table.add_column(t(column), overflow="fold")
    table.add_column(t("col.cases"), justify="right")
    table.add_column(t("col.last_sync"))
    charter_heading = t("worker.col.charter")
    table.add_column(charter_heading, overflow="fold", min_width=len(charter_heading))
    for r in records:
        state_ = charters[r.worker.id]
        shown = state_.accepted_version or "—"
        if state_.pending:
            shown += "\n" + t("worker.charter_pending")
        table.add_row(
            short_id(r.worker.id),
            plain(r.worker.name),
            plain(r.worker.unit),
            label("worker", r.worker.status),
            str(counts[r.worker.id]),
            show_iso_day(r.last_sync[:10]) if r.last_sync else "",
            plain(shown, multiline=True),
        )
    console().print(table)


@worker_app.command("revoke", help=t("help.district_worker_revoke"))
def worker_revoke(
    ctx: typer.Context,
    worker: str = typer.Argument(..., help=t("help.arg.worker_ref")),
) -> None:
    with _open(ctx) as store:
        revoked = store.revoke_worker(worker)
    name = revoked.name
    if environment().debug:
        name = t("names.with_id", name=name, id=revoked.id)
    console().print(t("district.worker_revoked", name=escape(name)))


@case_app.command("add", help=t("help.district_case_add"))
def case_add(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help=t("help.opt.person_name")),
    unit: str = typer.Option(..., "--unit", help=t("help.opt.unit")),
    birth_year: int | None = typer.Option(None, "--birth-year", help=t("help.opt.birth_year")),
    referral_date: str | None = typer.Option(
        None, "--referral-date", help=t("help.opt.referral_date")
    ),
    referral_source: str | None = typer.Option(
        None,
        "--referral-source",
        help=t("help.opt.referral_source_choice", choices=choices.listing(ReferralSource)),
    ),
    referral_detail: str | None = typer.Option(
        None, "--referral-detail", help=t("help.opt.referral_detail")
    ),
    reason: str | None = typer.Option(None, "--reason", help=text_help("help.opt.reason")),
    priority: str = typer.Option(
        "normal",
        "--priority",
        help=t("help.opt.priority", choices=choices.listing(Priority)),
        show_default=choices.shown_default(Priority.NORMAL),
    ),
    next_review: str | None = typer.Option(None, "--next-review", help=t("help.opt.next_review")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.commands.corrections import referral_source_code, tell_units_free

    level = Priority(choices.parse(Priority, priority, "--priority"))
    source = referral_source_code(referral_source)
    # The reason for referral: `-` reads standard input (or the editor at a terminal);
    # left out at a terminal, it is asked for (and may be left empty).
    # Typed at the terminal: once the store is open, so that the passphrase comes first.
    given = text_given(reason, "--reason", "prompt.referral_reason", required=False)
    with _open(ctx) as store:
        given = text_typed(reason, given, "--reason", "prompt.referral_reason", required=False)
        case = store.add_case(
            name=name,
            unit=unit,
            birth_year=birth_year,
            referral_date=parse_date(referral_date, "--referral-date"),
            referral_source=source,
            referral_detail=referral_detail,
            reason=given,
            priority=level,
            next_review=parse_date(next_review, "--next-review"),
        )
        tell_units_free(store)
    if as_json:
        print_json({"id": case.id, "reference": case.reference})
        return
    console().print(t("district.case_added", reference=case.reference, id=case.id))


@case_app.command("list", help=t("help.district_case_list"))
def case_list(
    ctx: typer.Context,
    status: str | None = typer.Option(
        None, "--status", help=t("help.opt.status", choices=choices.listing(CaseStatus))
    ),
    unit: str | None = typer.Option(None, "--unit", help=t("help.opt.unit")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    wanted = CaseStatus(choices.parse(CaseStatus, status, "--status")) if status else None
    with _open(ctx) as store:
        items = store.list_cases(wanted, unit)
        concerns = store.high_concerns()
        conflicts: dict[str, int] = {}
        for c in store.conflicts():
            conflicts[c.case_id] = conflicts.get(c.case_id, 0) + 1
        names = district_people(store)
    if as_json:
        from fieldkit.district.cellview import opened

        print_json(
            [
                dict(
                    case_json(opened(c, [])[0]),
                    high_concerns=concerns.get(c.id, 0),
                    open_conflicts=conflicts.get(c.id, 0),
                )
                for c in items
            ]
        )
        return
    from fieldkit.commands.listing import print_listing

    columns = (
        "col.reference",
        "col.name",
        "col.unit",
        "col.status",
        "col.priority",
        "col.assignees",
        "col.alerts",
    )
    rows = []
    label_of = labeller()
    for c in items:
        alerts = []
        if concerns.get(c.id):
            alerts.append(f"⚠ {t('district.high_concerns', count=concerns[c.id])}")
        if conflicts.get(c.id):
            alerts.append(t("district.conflicts", count=conflicts[c.id]))
        rows.append(
            (
                c.reference,
                c.display_name,
                c.unit,
                label_of("status", c.status),
                label_of("priority", c.priority),
                ", ".join(names.of(a.id) + (" *" if a.lead else "") for a in c.assignees),
                (" ".join(alerts), "bold red" if concerns.get(c.id) else ""),
            )
        )
    title = t("case.list_title", count=len(items))
    print_listing(console(), title, [t(column) for column in columns], rows)


@case_app.command("show", help=t("help.district_case_show"))
def case_show(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    limit: int | None = typer.Option(None, "--limit", help=t("help.opt.history_limit")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district import decisions

    wanted = history_limit(limit, as_json)
    with _open(ctx) as store:
        item, history = store.case(case, limit=wanted)
        total = store.followup_count(item.id) if wanted is not None else len(history)
        open_conflicts = store.case_conflicts(item.id)
        names = district_people(store)
        decided = decisions.for_case(store.conn, item.id)
    print_case(item, history, total, open_conflicts, names, decided, as_json=as_json)


def print_case(item, history, total, open_conflicts, names, decided, *, as_json: bool) -> None:
    """A case as the district reads it (`case show`, `archive open`): its JSON document, or
    the cell's fields, decisions and follow-ups."""
    from fieldkit.district.cellview import opened, opened_conflicts

    # The district holds no case key: sealed team texts read as empty, named in
    # `unreadable` (fieldkit/district/cellview.py); no sealed value is shown.
    item, history = opened(item, history)
    if as_json:
        data = case_json(item, history, decisions=decided)
        for entry, followup in zip(data["followups"], history, strict=True):
            # A withdrawal is known by its amendment: its reason may be a sealed team text.
            entry["withdrawn"] = followup.withdrawal() is not None
        data["conflicts"] = []
        for conflict, readable in opened_conflicts(open_conflicts):
            shown = conflict.model_dump(mode="json")
            shown["unreadable"] = [] if readable else ["winner_value", "loser_value"]
            data["conflicts"].append(shown)
        print_json(data)
        return
    heading = plain(item.reference, style="bold")
    heading.append(escape(f" — {item.display_name} ({item.unit})"))
    console().print(heading)
    console().print(_cell_fields(item))
    if decided:
        from fieldkit.commands.cases import decisions_panel

        console().print(decisions_panel(decided, names))
    hidden = len(item.unreadable) + sum(1 for f in history if f.unreadable)
    if hidden:
        console().print(plain(t_n("cell.notes_hidden", hidden), style="bold"))
    console().print(_cell_followups(history, total, names))


def _cell_fields(item) -> Table:
    """The case's status (and why it was suspended or reopened), who referred the person,
    and what the team addressed to the cell on it: participation and the note."""
    from rich.table import Table

    from fieldkit.summary.cell import value_word

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    from fieldkit.summary.assemble import referral_source_words, status_words

    none = t("summary.none")
    grid.add_row(t("col.status"), plain(status_words(item.status, item.status_reason)))
    source = referral_source_words(item.referral_source, item.referral_detail)
    grid.add_row(t("field.referral_source"), plain(source or none))
    participation = value_word("participation", item.participation)
    grid.add_row(t("field.participation"), participation)
    grid.add_row(t("field.cell_note"), plain(item.cell_note or none, multiline=True))
    return grid


def _cell_followups(history: list, total: int, names) -> Table:
    """The follow-ups as the district reads them: their metadata, and a text where it is
    readable here (addressed to the cell, or written before sealing began)."""
    from rich.table import Table

    from fieldkit.summary.cell import value_word

    if total > len(history):
        title = t("followup.history_latest", count=len(history), total=total)
    else:
        title = t("followup.history", count=len(history))
    table = Table(title=title)
    for column in ("col.id", "col.date", "col.kind", "col.recorded_by"):
        table.add_column(t(column))
    table.add_column(t("field.attendance"))
    table.add_column(t("col.summary"))
    table.add_column(t("col.next_contact"))
    for original in history:
        item = original.current()
        if "summary" in original.unreadable:
            text = plain(t("cell.team_note"), style="dim italic")
        else:
            text = plain(item.summary, multiline=True)
        if original.for_cell:
            text.append(f"\n{t('cell.for_cell')}", style="bold")
        if original.withdrawal() is not None:
            text.stylize("strike")
            text.append(f"\n{t('cell.withdrawn')}", style="bold")
        for name, prefix, value in (
            ("summary.referred_to", "referral", item.referral_to),
            ("summary.concern_level", "concern", item.concern_level),
        ):
            if value is not None:
                words = t("summary.label", label=t(name), value=label(prefix, value))
                text.append(f"\n{words}", style="dim")
        table.add_row(
            short(item.id),
            show_day(item.occurred_on),
            label("kind", item.kind),
            plain(names.of(item.recorded_by)),
            value_word("attendance", item.attendance) if item.attendance else "",
            text,
            show_day(item.next_contact),
        )
    return table


@case_app.command("summary", help=t("help.district_case_summary"))
def case_summary(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    fmt: str | None = typer.Option(None, "--format", "-f", help=t("help.opt.format")),
    output: Path | None = typer.Option(None, "--output", "-o", help=t("help.opt.output")),
    since: str | None = typer.Option(None, "--since", help=t("help.opt.summary_since")),
    force: bool = typer.Option(False, "--force", help=t("help.opt.force")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.summary_json")),
) -> None:
    from functools import partial

    from fieldkit.commands.output import after_output, choose_target, glyph_warnings, output_format
    from fieldkit.district.cellview import cell_data, record_output
    from fieldkit.summary.cell import assemble_cell
    from fieldkit.summary.cell_render import (
        render_cell_markdown,
        render_cell_pdf,
        render_cell_text,
    )
    from fieldkit.summary.export import Renderers, deliver

    kind = output_format(fmt, as_json, output)
    target = choose_target(output, kind, force)
    first_day = parse_date(since, "--since")
    with _open(ctx) as store:
        data = cell_data(store, case, date.today())
        document = assemble_cell(
            data.case,
            data.followups,
            printed_by=data.printed_by,
            printed_at=datetime.now().astimezone(),
            since=first_day,
            worker_names=data.worker_names,
            outlook=data.outlook,
            decisions=data.decisions,
        )
        renderers = Renderers(
            text=render_cell_text, markdown=render_cell_markdown, pdf=render_cell_pdf
        )
        with glyph_warnings():
            deliver(
                document,
                kind,
                target,
                renderers,
                audit=partial(record_output, store, data.case.id),
                console=console(),
            )
    after_output(target)


@case_app.command("assign", help=t("help.district_case_assign"))
def case_assign(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    worker: str = typer.Argument(..., help=t("help.arg.worker_ref")),
    lead: bool = typer.Option(False, "--lead", help=t("help.opt.lead")),
) -> None:
    with _open(ctx) as store:
        found = store.worker(worker).worker
        item = store.assign(case, found.id, lead)
    console().print(t("district.assigned", reference=item.reference, worker=escape(found.name)))


@case_app.command("unassign", help=t("help.district_case_unassign"))
def case_unassign(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    worker: str = typer.Argument(..., help=t("help.arg.worker_ref")),
) -> None:
    with _open(ctx) as store:
        found = store.worker(worker).worker
        item = store.unassign(case, found.id)
    console().print(t("district.unassigned", reference=item.reference, worker=escape(found.name)))


@case_app.command("close", help=t("help.district_case_close"))
def case_close(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    reason: str | None = typer.Option(None, "--reason", help=text_help("help.opt.close_reason")),
) -> None:
    from fieldkit.district import cases as district_cases

    why = text_given(reason, "--reason", "prompt.close_reason", required=True)
    with _open(ctx) as store:
        if reason is None and is_interactive():
            district_cases.resolve(store.conn, case)  # a wrong case is said before the text
        why = text_typed(reason, why, "--reason", "prompt.close_reason", required=True)
        item = store.close_case(case, why or "")
    console().print(t("district.closed", reference=item.reference))


@app.command("purge", help=t("help.district_purge"))
def purge(
    ctx: typer.Context,
    closed_before: str | None = typer.Option(
        None, "--closed-before", metavar="DATE", help=t("help.opt.closed_before")
    ),
    older_than: int | None = typer.Option(
        None,
        "--older-than",
        metavar=t("metavar.days"),
        min=0,
        max=36_600,
        help=t("help.opt.older_than"),
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help=t("help.opt.dry_run")),
    yes: bool = typer.Option(False, "--yes", "-y", help=t("help.opt.yes")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    cutoff = _purge_cutoff(closed_before, older_than)
    if not dry_run and not yes and not is_interactive():
        raise UsageError("purge.needs_yes")
    with _open(ctx) as store:
        listed = store.closed_before(cutoff)
        # Refused changes waiting for a decision hold their case back (district/retention.py).
        held = [item for item in listed if item.pending_refusals]
        due = [item for item in listed if not item.pending_refusals]
        if not dry_run:
            only = None
            if not yes and due:
                # On stderr, so that --json output stays one document on stdout.
                err_console().print(_purge_table(due, cutoff))
                if not confirm(t("purge.confirm", count=len(due))):
                    err_console().print(t("purge.cancelled"))
                    raise typer.Exit(1)
                only = {item.case_id for item in due}
            due = store.purge_closed(cutoff, only=only)
            gone = {item.case_id for item in due}
            held = [item for item in store.closed_before(cutoff) if item.case_id not in gone]
            held = [item for item in held if item.pending_refusals]
    if as_json:
        print_json(
            {
                "purged": 0 if dry_run else len(due),
                "cases": [item.as_json() for item in due],
                "held": [item.held_json() for item in held],
                "dry_run": dry_run,
            }
        )
        return
    if held:
        pending = sum(item.pending_refusals for item in held)
        console().print(t_n("purge.held", len(held), refusals=pending))
        console().print(t("retention.held_hint"))
    if not due:
        if not held:
            console().print(t("purge.none", cutoff=show_day(cutoff)))
        return
    if dry_run or yes:
        console().print(_purge_table(due, cutoff))
    console().print(t("purge.dry_run" if dry_run else "purge.done", count=len(due)))


def _purge_cutoff(closed_before: str | None, older_than: int | None) -> date:
    """The day before which closed cases go: a date, or today (UTC) less a number of days."""
    if (closed_before is None) == (older_than is None):
        raise UsageError("purge.one_cutoff")
    if older_than is not None:
        return datetime.now(UTC).date() - timedelta(days=older_than)
    cutoff = parse_date(closed_before, "--closed-before")
    assert cutoff is not None
    return cutoff


def _purge_table(due: list[ClosedCase], cutoff: date) -> Table:
    from rich.table import Table

    table = Table(title=t("purge.title", cutoff=show_day(cutoff), count=len(due)))
    for column in (t("col.reference"), t("purge.col_closed_on"), t("purge.col_followups")):
        table.add_column(column)
    for item in due:
        table.add_row(item.reference, show_day(item.closed_on), str(item.followups))
    return table


@app.command("sync-file", help=t("help.district_sync_file"))
def sync_file(
    ctx: typer.Context,
    incoming: Path = typer.Argument(..., metavar=t("metavar.in"), help=t("help.arg.bundle_in")),
    outgoing: Path = typer.Argument(..., metavar=t("metavar.out"), help=t("help.arg.bundle_out")),
    accept_revoked: bool = typer.Option(
        False, "--accept-revoked", help=t("help.opt.accept_revoked")
    ),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district.exchange import handle
    from fieldkit.sync import transport

    data = transport.read_file(incoming)
    transport.check_destination(outgoing)  # before the bundle is applied, not after
    with _open(ctx) as store:
        outcome = handle(store, data, accept_revoked=accept_revoked)
        who = escape(district_people(store).of(outcome.worker_id))
    transport.write_file(outgoing, outcome.reply)
    summary = {
        "kind": outcome.kind,
        "worker": outcome.worker_id,
        "received": outcome.received,
        "applied": outcome.applied,
        "refused": outcome.refused,
        "sent": outcome.sent,
        "purge": outcome.purge,
    }
    if as_json:
        print_json(dict(summary, fingerprint=outcome.fingerprint or None))
    elif outcome.kind == "enrol-reply":
        console().print(t("district.enrolled", worker=who))
        console().print(t("district.worker_fingerprint", fingerprint=outcome.fingerprint))
    elif outcome.refused_worker:
        console().print(t("district.wipe_sent", worker=who))
    else:
        counts = {
            name: t_n(key, summary[name])
            for name, key in (
                ("received", "sync.count.received"),
                ("applied", "district.count.applied"),
                ("refused", "district.count.refused"),
                ("sent", "sync.count.sent"),
                ("purge", "district.count.purge"),
            )
        }
        console().print(t("district.sync_done", worker=who, **counts))
    if outcome.refused_worker:
        # The refusal is the one line on stderr; what was written went to stdout above.
        raise Refused("sync.worker_revoked", worker=outcome.worker_id)


@app.command("migrate", help=t("help.district_migrate"))
def migrate(
    ctx: typer.Context,
    to: str = typer.Option(..., "--to", metavar="postgresql://…", help=t("help.opt.migrate_to")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district.migrate import to_postgresql

    st = state(ctx)
    done = to_postgresql(st.home, st.credentials(), to)
    if as_json:
        print_json(done.as_json())
        return
    console().print(
        t(
            "district.migrated",
            database=done.database,
            tables=len(done.rows),
            rows=sum(done.rows.values()),
            path=str(done.kept_file),
        )
    )
