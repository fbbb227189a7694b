"""fieldkit followup add | list | show | amend | withdraw."""

from __future__ import annotations

from datetime import date

import typer

from fieldkit import choices
from fieldkit.commands.cases import followup_table
from fieldkit.commands.common import (
    console,
    err_console,
    is_interactive,
    parse_date,
    print_json,
    read_text_option,
    say,
    state,
    text_help,
)
from fieldkit.commands.render import (
    amendment_text,
    field_name,
    followup_json,
    label,
    people,
    short,
    withdrawn_text,
)
from fieldkit.dates import show_day
from fieldkit.display import plain
from fieldkit.enums import Attendance, ConcernLevel, FollowUpKind, ReferralDomain
from fieldkit.errors import UsageError
from fieldkit.i18n import t
from fieldkit.rules import CONTACT_KINDS

app = typer.Typer(no_args_is_help=True)

# The reminder `followup add` shows once per device: the person can read what is written
# (GDPR art. 15), facts not opinions, special-category data (art. 9). docs/guide.md.
FREE_TEXT_REMINDER = "free_text_reminder"


def _concern_help() -> dict[str, str]:
    from fieldkit.i18n import current_language

    high = choices.word(ConcernLevel.HIGH, current_language())
    return {"choices": choices.listing(ConcernLevel), "high": high}


def _choice(enum: type, value: str | None, field: str):
    """The code of what the person typed: the English code or a French word (choices.py)."""
    if value is None:
        return None
    return choices.parse(enum, value, field)


def _ask(enum: type, flag: str):
    """A choice the person did not type (as `flag`), asked as a numbered menu at a
    terminal; outside one, a missing choice is a usage error naming the flag to give."""
    if not is_interactive():
        raise UsageError("value.missing", field=flag)
    from fieldkit.commands.prompts import choose

    return choose(enum)


def _ask_for_cell(kind: FollowUpKind, level: ConcernLevel | None) -> bool:
    """Whether a follow-up given neither --for-cell nor --not-for-cell is addressed to the
    cell: asked at a terminal for a high concern (its text is the team's otherwise, while
    its level and date reach the district first); never asked of a script. The answer
    is no by default, and Ctrl-C or Ctrl-D at the question is no (prompts.confirm)."""
    if kind != FollowUpKind.CONCERN or level != ConcernLevel.HIGH or not is_interactive():
        return False
    from fieldkit.commands.prompts import confirm

    return confirm(t("prompt.for_cell"))


@app.command("add", help=t("help.followup_add"))
def add(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    kind: str | None = typer.Option(
        None, "--kind", "-k", help=t("help.opt.kind", choices=choices.listing(FollowUpKind))
    ),
    summary: str | None = typer.Option(None, "--summary", "-s", help=text_help("help.opt.summary")),
    when: str | None = typer.Option(None, "--date", "-d", help=t("help.opt.date")),
    partner: list[str] | None = typer.Option(None, "--partner", "-p", help=t("help.opt.partner")),
    referral_to: str | None = typer.Option(
        None,
        "--referral-to",
        help=t("help.opt.referral_to", choices=choices.listing(ReferralDomain)),
    ),
    next_steps: str | None = typer.Option(
        None, "--next-steps", help=text_help("help.opt.next_steps")
    ),
    next_contact: str | None = typer.Option(
        None, "--next-contact", help=t("help.opt.next_contact")
    ),
    concern_level: str | None = typer.Option(
        None, "--concern-level", help=t("help.opt.concern_level", **_concern_help())
    ),
    attendance: str | None = typer.Option(
        None, "--attendance", help=t("help.opt.attendance", choices=choices.listing(Attendance))
    ),
    for_cell: bool | None = typer.Option(
        None, "--for-cell/--not-for-cell", help=t("help.opt.for_cell"), show_default=False
    ),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync.auto import after_write

    st = state(ctx)
    today = date.today()
    # What was typed is read first: a wrong word or date fails before anything is asked.
    kind_value = _choice(FollowUpKind, kind, "--kind")
    level = _choice(ConcernLevel, concern_level, "--concern-level")
    domain = _choice(ReferralDomain, referral_to, "--referral-to")
    came = _choice(Attendance, attendance, "--attendance")
    occurred = parse_date(when, "--date") or today
    contact = parse_date(next_contact, "--next-contact")
    if kind_value is None:
        kind_value = _ask(FollowUpKind, "--kind")
    if kind_value == FollowUpKind.CONCERN and level is None and is_interactive():
        level = _ask(ConcernLevel, "--concern-level")
    if summary is None and not is_interactive():
        raise UsageError("value.missing", field="--summary")
    # Given (or `-`, standard input, read whole as a pipe is): read now. Typed at the
    # terminal: once the store is open, so that the passphrase, if asked, comes first and
    # a text typed is not lost to a wrong one.
    text = None
    if summary is not None:
        text = read_text_option(summary, "--summary", "prompt.summary", required=True)
    steps = (
        read_text_option(next_steps, "--next-steps", "prompt.next_steps", required=False)
        if (next_steps == "-")
        else next_steps
    )
    with WorkerStore.open(st.home, st.credentials()) as store:
        if text is None:
            store.case_to_write(case)  # a wrong or closed case is said before the text is typed
            _remind(store)  # before the text is typed
            if came is None and kind_value in CONTACT_KINDS:
                # Typed at the terminal: whether the person came is asked too, before the
                # text (Ctrl-C here loses nothing typed). Only a contact they kept counts
                # as one from them (retention from the last contact, the cell's view).
                came = _ask(Attendance, "--attendance")
            text = read_text_option(None, "--summary", "prompt.summary", required=True)
        if for_cell is None:
            for_cell = _ask_for_cell(kind_value, level)
        item = store.add_followup(
            case,
            kind=kind_value,
            summary=text or "",
            occurred_on=occurred,
            today=today,
            partners=partner,
            referral_to=domain,
            next_steps=steps,
            next_contact=contact,
            concern_level=level,
            attendance=came,
            for_cell=for_cell,
        )
        _remind(store)  # a text given on the command line: for the next ones
        after_write(store)
    if as_json:
        print_json({"id": item.id, "case_id": item.case_id})
        return
    say(t("followup.added", id=short(item.id)))


def _remind(store) -> None:
    """The free-text reminder, the first time on this device (on stderr: --json stays
    clean). The store's settings remember it was shown."""
    if store.first_time(FREE_TEXT_REMINDER):
        err_console().print(t("followup.free_text_reminder"), markup=False)


@app.command("list", help=t("help.followup_list"))
def list_followups(
    ctx: typer.Context,
    case: str | None = typer.Argument(None, help=t("help.arg.case_optional")),
    kind: str | None = typer.Option(
        None, "--kind", "-k", help=t("help.opt.filter_kind", choices=choices.listing(FollowUpKind))
    ),
    since: str | None = typer.Option(None, "--since", help=t("help.opt.filter_since")),
    until: str | None = typer.Option(None, "--until", help=t("help.opt.filter_until")),
    search: str | None = typer.Option(None, "--search", help=t("help.opt.filter_search")),
    mine: bool = typer.Option(False, "--mine", help=t("help.opt.mine")),
    refused: bool = typer.Option(False, "--refused", help=t("help.opt.list_refused")),
    all_refused: bool = typer.Option(False, "--all", help=t("help.opt.list_refused_all")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.reading import FollowUpFilter
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    if refused or all_refused:
        _list_refused(st, all_refused, as_json)
        return
    wanted = FollowUpFilter(
        kind=_choice(FollowUpKind, kind, "--kind"),
        since=parse_date(since, "--since"),
        until=parse_date(until, "--until"),
        search=search,
    )
    with WorkerStore.open(st.home, st.credentials()) as store:
        if mine:
            wanted.recorded_by = store.author
        items = store.list_followups(case, wanted)
        names = people(store, *store.list_cases()) if not as_json else None
    if as_json:
        print_json([followup_json(f) for f in items])
        return
    console().print(followup_table(items, names=names))


def _list_refused(st, include_decided: bool, as_json: bool) -> None:
    """The device's copies of the changes the district refused (follow-ups and others)."""
    from fieldkit.commands.refusals import refusal_json, refusal_table
    from fieldkit.store.worker import WorkerStore

    with WorkerStore.open(st.home, st.credentials()) as store:
        items = store.refused_changes(include_decided=include_decided)
    if as_json:
        print_json([refusal_json(item, district=False) for item in items])
        return
    if not items:
        console().print(t("refusals.none_here"))
        return
    console().print(refusal_table(items, district=False))


@app.command("show", help=t("help.followup_show"))
def show(
    ctx: typer.Context,
    followup_id: str = typer.Argument(..., metavar="ID", help=t("help.arg.followup")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    with WorkerStore.open(st.home, st.credentials()) as store:
        original = store.get_followup(followup_id)
        names = people(store, store.worker_names(original.case_id))
    if as_json:
        print_json(followup_json(original))
        return
    from rich.panel import Panel
    from rich.table import Table

    item = original.current()
    grid = Table.grid(padding=(0, 2))
    grid.add_row(t("col.date"), show_day(item.occurred_on))
    grid.add_row(t("col.kind"), label("kind", item.kind))
    grid.add_row(t("col.recorded_by"), plain(names.of(item.recorded_by)))
    if item.concern_level:
        grid.add_row(t("col.concern_level"), label("concern", item.concern_level))
    if item.attendance:
        grid.add_row(field_name("attendance"), label("attendance", item.attendance))
    if item.referral_to:
        grid.add_row(t("col.referral_to"), label("referral", item.referral_to))
    if item.partners:
        grid.add_row(t("col.partners"), plain(", ".join(item.partners)))
    withdrawn = item.withdrawn_reason is not None
    summary = plain(item.summary, multiline=True)
    if withdrawn:
        summary.stylize("strike")
    grid.add_row(t("col.summary"), summary)
    if item.next_steps:
        grid.add_row(t("col.next_steps"), plain(item.next_steps, multiline=True))
    if item.next_contact:
        grid.add_row(t("col.next_contact"), show_day(item.next_contact))
    if withdrawn:
        grid.add_row(t("col.withdrawn"), plain(withdrawn_text(original, names), style="bold"))
    corrections = [a for a in original.amendments if a is not original.withdrawal()]
    if corrections:
        grid.add_row(t("col.original"), plain(original.summary, multiline=True))
        for amendment in corrections:
            fields = ", ".join(field_name(name) for name in sorted(amendment.fields))
            text = f"{amendment_text(amendment, names)} ({fields})"
            grid.add_row(t("col.amendments"), plain(text))
    title = short(item.id)
    if item.for_cell:
        title = f"{title} — {t('followup.for_cell_mark')}"
    if withdrawn:
        title = f"{title} — {t('followup.withdrawn_title')}"
    console().print(Panel(grid, title=title, expand=False))


def _may_amend(store, followup_id: str) -> None:
    """The core's checks of an amendment (author, closed case), with nothing to amend:
    a refusal is said before the person types a text it would refuse."""
    try:
        store.amend_followup(followup_id, date.today())
    except UsageError as exc:
        if exc.key != "followup.nothing_to_amend":
            raise


@app.command("amend", help=t("help.followup_amend"))
def amend(
    ctx: typer.Context,
    followup_id: str = typer.Argument(..., metavar="ID", help=t("help.arg.followup")),
    summary: str | None = typer.Option(None, "--summary", "-s", help=text_help("help.opt.summary")),
    kind: str | None = typer.Option(
        None, "--kind", "-k", help=t("help.opt.amend_kind", choices=choices.listing(FollowUpKind))
    ),
    when: str | None = typer.Option(None, "--date", "-d", help=t("help.opt.date")),
    partner: list[str] | None = typer.Option(None, "--partner", "-p", help=t("help.opt.partner")),
    referral_to: str | None = typer.Option(
        None,
        "--referral-to",
        help=t("help.opt.referral_to", choices=choices.listing(ReferralDomain)),
    ),
    next_steps: str | None = typer.Option(
        None, "--next-steps", help=text_help("help.opt.next_steps")
    ),
    next_contact: str | None = typer.Option(
        None, "--next-contact", help=t("help.opt.next_contact")
    ),
    concern_level: str | None = typer.Option(
        None, "--concern-level", help=t("help.opt.concern_level", **_concern_help())
    ),
    attendance: str | None = typer.Option(
        None, "--attendance", help=t("help.opt.attendance", choices=choices.listing(Attendance))
    ),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync.auto import after_write

    st = state(ctx)
    text = (
        read_text_option(summary, "--summary", "prompt.summary", required=False)
        if (summary == "-")
        else summary
    )
    steps = (
        read_text_option(next_steps, "--next-steps", "prompt.next_steps", required=False)
        if (next_steps == "-")
        else next_steps
    )
    values = {
        "summary": text,
        "kind": _choice(FollowUpKind, kind, "--kind"),
        "occurred_on": parse_date(when, "--date"),
        "partners": partner or None,
        "referral_to": _choice(ReferralDomain, referral_to, "--referral-to"),
        "next_steps": steps,
        "next_contact": parse_date(next_contact, "--next-contact"),
        "concern_level": _choice(ConcernLevel, concern_level, "--concern-level"),
        "attendance": _choice(Attendance, attendance, "--attendance"),
    }
    with WorkerStore.open(st.home, st.credentials()) as store:
        if all(value is None for value in values.values()) and is_interactive():
            # Nothing given at a terminal: the text as it reads now, to correct in place,
            # once the core said this person may amend it (before the text is typed).
            _may_amend(store, followup_id)
            current = store.get_followup(followup_id).current().summary
            edited = read_text_option(
                None, "--summary", "prompt.amend_summary", required=True, initial=current
            )
            if edited == current.strip():
                say(t("prompt.text_unchanged"))
                return
            values["summary"] = edited
        item = store.amend_followup(followup_id, date.today(), **values)
        after_write(store)
    if as_json:
        print_json(followup_json(item))
        return
    console().print(t("followup.amended", id=short(item.id)))


@app.command("withdraw", help=t("help.followup_withdraw"))
def withdraw(
    ctx: typer.Context,
    followup_id: str = typer.Argument(..., metavar="ID", help=t("help.arg.followup")),
    reason: str | None = typer.Option(None, "--reason", help=t("help.opt.withdraw_reason")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync.auto import after_write

    st = state(ctx)
    why = None
    if reason is not None:
        why = read_text_option(reason, "--reason", "prompt.withdraw_reason", required=True)
    with WorkerStore.open(st.home, st.credentials()) as store:
        if why is None:  # asked once the follow-up is known to be this worker's to withdraw
            store.followup_to_withdraw(followup_id)
            why = read_text_option(None, "--reason", "prompt.withdraw_reason", required=True)
        item = store.withdraw_followup(followup_id, why or "")
        after_write(store)
    if as_json:
        print_json(followup_json(item))
        return
    say(t("followup.withdrawn", id=short(item.id)))
