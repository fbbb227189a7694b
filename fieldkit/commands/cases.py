"""fieldkit case list | show | update | summary."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fieldkit import choices
from fieldkit.commands.common import (
    console,
    is_interactive,
    parse_date,
    print_json,
    read_text_option,
    say,
    state,
    text_help,
)
from fieldkit.commands.output import after_output, choose_target, glyph_warnings, output_format
from fieldkit.commands.render import (
    amendment_text,
    case_json,
    field_name,
    field_names,
    label,
    labeller,
    people,
    short,
    withdrawn_text,
)
from fieldkit.dates import show_day
from fieldkit.display import escape, plain
from fieldkit.enums import CaseStatus, ConcernLevel, GoalState, MeasureState, Participation
from fieldkit.errors import InvalidValue, UsageError
from fieldkit.i18n import t

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

    from fieldkit.names import Names

app = typer.Typer(no_args_is_help=True)


@app.command("list", help=t("help.case_list"))
def list_cases(
    ctx: typer.Context,
    status: str | None = typer.Option(
        None, "--status", help=t("help.opt.status", choices=choices.listing(CaseStatus))
    ),
    search: str | None = typer.Option(None, "--search", help=t("help.opt.search_cases")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    wanted = _status(status)
    with WorkerStore.open(st.home, st.credentials()) as store:
        items = store.list_cases(wanted, search=search)
        late = store.overdue_cases(date.today()) if not as_json else {}
    if as_json:
        print_json([case_json(c) for c in items])
        return
    if not items:
        console().print(t("case.none_found", text=search) if search else t("case.none"))
        return
    from fieldkit.commands.listing import print_listing

    columns = (
        "col.reference",
        "col.name",
        "col.status",
        "col.priority",
        "col.next_review",
        "col.late",
    )
    label_of = labeller()
    words = {what: t(f"case.overdue.{what}") for what in ("review", "contact")}
    rows = [
        (
            case.reference,
            case.display_name,
            label_of("status", case.status),
            label_of("priority", case.priority),
            show_day(case.next_review),
            _late(late.get(case.id), words),
        )
        for case in items
    ]
    title = t("case.list_title", count=len(items))
    print_listing(console(), title, [t(c) for c in columns], rows)


def _late(what: set[str] | None, words: dict[str, str]) -> tuple[str, str] | str:
    """The overdue column of `case list`: « revue en retard, contact en retard », in red."""
    if not what:
        return ""
    return (", ".join(words[w] for w in ("review", "contact") if w in what), "bold red")


def _status(value: str | None) -> CaseStatus | None:
    if value is None:
        return None
    return CaseStatus(choices.parse(CaseStatus, value, "--status"))


# Follow-ups `case show` puts on screen unless told otherwise: a long history stays in the
# store (reading and laying out 10,000 rows took seconds and memory for a glance).
SHOWN_HISTORY = 20


def history_limit(limit: int | None, as_json: bool) -> int | None:
    """How many of the latest follow-ups to load: None for all."""
    if limit is None:
        return None if as_json else SHOWN_HISTORY
    if limit < 0:
        raise InvalidValue("value.negative", field="--limit", value=limit)
    return limit or None


@app.command("show", help=t("help.case_show"))
def show(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    limit: int | None = typer.Option(None, "--limit", help=t("help.opt.history_limit")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    wanted = history_limit(limit, as_json)
    with WorkerStore.open(st.home, st.credentials()) as store:
        item, history = store.get_case(case, limit=wanted)
        total = store.followup_count(item.id) if wanted is not None else len(history)
        open_conflicts = store.case_conflicts(item.id)
        ahead = store.outlook(item, date.today())
        names = people(store, item)
        decided = store.decisions(item.id)
    if as_json:
        print_json(case_json(item, history, open_conflicts, decided))
        return
    from rich.panel import Panel
    from rich.table import Table

    from fieldkit.summary.assemble import referral_source_words

    out = console()
    facts = Table.grid(padding=(0, 2))
    facts.add_row(t("col.status"), label("status", item.status))
    if item.status_reason:
        facts.add_row(field_name("status_reason"), plain(item.status_reason, multiline=True))
    facts.add_row(t("col.priority"), label("priority", item.priority))
    if item.participation:
        facts.add_row(field_name("participation"), label("participation", item.participation))
    facts.add_row(t("col.unit"), plain(item.unit))
    if item.assignees:
        team = [names.of(a.id) + (" *" if a.lead else "") for a in item.assignees]
        facts.add_row(t("col.assignees"), plain(", ".join(team)))
    if item.reason:
        facts.add_row(t("col.reason"), plain(item.reason, multiline=True))
    source = referral_source_words(item.referral_source, item.referral_detail)
    if source:
        facts.add_row(field_name("referral_source"), plain(source))
    facts.add_row(t("col.next_review"), _due(ahead.next_review, ahead.review_overdue, "review"))
    facts.add_row(t("col.next_contact"), _due(ahead.next_contact, ahead.contact_overdue, "contact"))
    concern = ahead.concern_level
    shown = label("concern", concern) if concern else "—"
    facts.add_row(t("col.concern_now"), plain(shown, style=_CONCERN_STYLE.get(concern, "")))
    if item.goals:
        lines = (f"{n}. {escape(g.text)} ({goal_state(g)})" for n, g in enumerate(item.goals, 1))
        facts.add_row(t("col.goals"), plain("\n".join(lines), multiline=True))
    if item.related:
        related = "\n".join(escape(person) for person in item.related)
        facts.add_row(t("col.related"), plain(related, multiline=True))
    if item.situation:
        facts.add_row(t("col.situation"), plain(item.situation, multiline=True))
    if item.cell_note:
        facts.add_row(field_name("cell_note"), plain(item.cell_note, multiline=True))
    if open_conflicts:
        facts.add_row(t("col.conflicts"), str(len(open_conflicts)))
    title = plain(f"{item.reference} — {item.display_name}")
    out.print(Panel(facts, title=title, expand=False))
    if decided:
        out.print(decisions_panel(decided, names))
    out.print(followup_table(history, total, names=names))
    if item.unreadable or any(f.unreadable for f in history):
        out.print(t("case.team_notes_pending"), style="yellow")


def decisions_panel(decided: list, names: Names):
    """« Décisions de la cellule »: each decision under its meeting's date, with its
    measures numbered as `case measure` takes them (text from people stays data)."""
    from rich.console import Group
    from rich.panel import Panel

    from fieldkit.summary.assemble import (
        decision_entries,
        decision_facts,
        decision_heading,
        labelled,
        measure_line,
    )

    parts = []
    for entry in decision_entries(decided, names):
        text = plain(decision_heading(entry), style="bold")
        for measure in entry.measures:
            text.append("\n")
            text.append_text(plain(measure_line(measure)))
        for name, value in decision_facts(entry):
            text.append("\n")
            text.append_text(plain(labelled(name, value)))
        if entry.note_for_team:
            text.append("\n")
            note = labelled(t("decision.note_for_team"), entry.note_for_team.strip())
            text.append_text(plain(note, multiline=True))
        parts.append(text)
    return Panel(Group(*parts), title=t("decision.section"), title_align="left", expand=False)


def goal_state(goal) -> str:
    """A goal's state in words, with the day it began and why it was dropped."""
    state = label("goal", goal.state)
    if goal.changed_on is None:
        return state
    when = show_day(goal.changed_on)
    if goal.reason:
        return t("goal.state_reason", state=state, date=when, reason=goal.reason)
    return t("goal.state_since", state=state, date=when)


_CONCERN_STYLE = {ConcernLevel.HIGH: "bold red", ConcernLevel.MEDIUM: "yellow"}


def _due(day: date | None, late: bool, what: str) -> Text:
    """A review's or a contact's day, with « revue en retard » in words when it is past."""
    text = plain(show_day(day, "—"))
    if late:
        text.append(f" ({t(f'case.overdue.{what}')})", style="bold red")
    return text


def followup_table(history: list, total: int | None = None, names: Names | None = None) -> Table:
    """The follow-ups as a table; `total` says how many there are when `history` is a part.
    `names` says who recorded each (fieldkit/names.py)."""
    from rich.table import Table

    from fieldkit.names import Names

    names = names or Names()
    if total is not None and total > len(history):
        title = t("followup.history_latest", count=len(history), total=total)
    else:
        title = t("followup.history", count=len(history))
    table = Table(title=title)
    for column in (
        "col.id",
        "col.date",
        "col.kind",
        "col.recorded_by",
        "col.summary",
        "col.next_contact",
    ):
        table.add_column(t(column))
    for original in history:
        item = original.current()
        summary = plain(item.summary, multiline=True)
        corrections = [a for a in original.amendments if a is not original.withdrawal()]
        if corrections:
            marks = "; ".join(amendment_text(a, names) for a in corrections)
            summary.append(f"  [{t('followup.amended_mark')} {escape(marks)}]")
        if item.withdrawn_reason is not None:
            summary.stylize("strike")
            summary.append(f"  [{withdrawn_text(original, names)}]", style="bold")
        if item.for_cell:
            summary.append(f"  [{t('followup.for_cell_mark')}]", style="bold")
        kind = label("kind", item.kind)
        if item.attendance:
            kind = f"{kind} ({label('attendance', item.attendance).lower()})"
        table.add_row(
            short(item.id),
            show_day(item.occurred_on),
            kind,
            plain(names.of(item.recorded_by)),
            summary,
            show_day(item.next_contact),
        )
    return table


@app.command("update", help=t("help.case_update"))
def update(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    situation: str | None = typer.Option(None, "--situation", help=text_help("help.opt.situation")),
    next_review: str | None = typer.Option(None, "--next-review", help=t("help.opt.next_review")),
    goal: list[str] | None = typer.Option(None, "--goal", help=t("help.opt.goal")),
    related: list[str] | None = typer.Option(None, "--related", help=t("help.opt.related")),
    cell_note: str | None = typer.Option(None, "--cell-note", help=text_help("help.opt.cell_note")),
    participation: str | None = typer.Option(
        None,
        "--participation",
        help=t("help.opt.participation", choices=choices.listing(Participation)),
    ),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync.auto import after_write

    st = state(ctx)
    consent = None
    if participation is not None:
        consent = choices.parse(Participation, participation, "--participation")
    if situation == "-":
        situation = read_text_option(situation, "--situation", "prompt.situation", required=True)
    # `-` from a pipe: read now. At a terminal: the editor, from the note as it reads now,
    # once the store is open (the passphrase, if asked, comes first).
    edit_note = cell_note == "-" and is_interactive()
    if cell_note == "-" and not edit_note:
        cell_note = read_text_option(cell_note, "--cell-note", "prompt.cell_note", required=True)
    review = parse_date(next_review, "--next-review")
    with WorkerStore.open(st.home, st.credentials()) as store:
        if edit_note:
            # A wrong or closed case is said before the text is typed.
            current = store.case_to_write(case).cell_note or ""
            cell_note = read_text_option(
                None, "--cell-note", "prompt.cell_note", required=True, initial=current
            )
            if cell_note == current.strip():
                cell_note = None  # unchanged: nothing to write for it
                if situation is next_review is goal is related is consent is None:
                    say(t("prompt.text_unchanged"))
                    return
        nothing = situation is next_review is goal is related is cell_note is consent is None
        if nothing and is_interactive():
            # Nothing given at a terminal: the situation as it reads now, to edit in place.
            current = store.get_case(case, limit=1)[0].situation or ""
            situation = read_text_option(
                None, "--situation", "prompt.situation", required=True, initial=current
            )
            if situation == current.strip():
                say(t("prompt.text_unchanged"))
                return
        change = store.update_case(
            case,
            situation=situation,
            next_review=review,
            goals=goal or None,
            related=related or None,
            cell_note=cell_note,
            participation=consent,
        )
        after_write(store)
    if as_json:
        print_json({"case": change.case_id, "change": change.id, "fields": sorted(change.fields)})
        return
    console().print(t("case.updated", fields=field_names(change.fields)))


goal_app = typer.Typer(no_args_is_help=True, help=t("help.case_goal"))
app.add_typer(goal_app, name="goal")


@goal_app.command("add", help=t("help.goal_add"))
def goal_add(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    text: str | None = typer.Argument(None, help=t("help.arg.goal_text")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync.auto import after_write

    st = state(ctx)

    def read_goal(given: str | None) -> str:
        goal = read_text_option(given, t("metavar.text"), "prompt.goal_text", required=True)
        if not (goal or "").strip():
            raise UsageError("value.missing", field=t("metavar.text"))
        return goal.strip()

    # Given (or `-`): read now. Typed at the terminal: once the store is open and the case
    # is known to take it, so that a passphrase or a case mistake loses no typed text.
    goal = read_goal(text) if text is not None else None
    with WorkerStore.open(st.home, st.credentials()) as store:
        if goal is None:
            store.case_to_write(case)
            goal = read_goal(None)
        change = store.add_goal(case, goal, date.today())
        after_write(store)
        reference = store.case_reference(change.case_id)
    _goal_done_line(change, "goal.added", len(change.fields["goals"]), reference, as_json)


@goal_app.command("done", help=t("help.goal_done"))
def goal_done(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    number: int = typer.Argument(..., metavar="N", help=t("help.arg.goal_number")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    _set_goal(ctx, case, number, GoalState.ACHIEVED, None, "goal.marked_done", as_json)


@goal_app.command("drop", help=t("help.goal_drop"))
def goal_drop(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    number: int = typer.Argument(..., metavar="N", help=t("help.arg.goal_number")),
    reason: str | None = typer.Option(None, "--reason", help=t("help.opt.drop_reason")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    why = read_text_option(reason, "--reason", "prompt.drop_reason", required=True)
    _set_goal(ctx, case, number, GoalState.DROPPED, why, "goal.marked_dropped", as_json)


def _set_goal(ctx, case, number, goal_state_to, reason, message, as_json) -> None:
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync.auto import after_write

    st = state(ctx)
    with WorkerStore.open(st.home, st.credentials()) as store:
        change = store.set_goal_state(case, number, goal_state_to, date.today(), reason)
        after_write(store)
        reference = store.case_reference(change.case_id)
    _goal_done_line(change, message, number, reference, as_json)


def _goal_done_line(change, message: str, number: int, reference: str, as_json: bool) -> None:
    if as_json:
        goals = change.fields["goals"]
        print_json({"case": change.case_id, "change": change.id, "number": number, "goals": goals})
        return
    say(t(message, number=number, ref=reference))


@app.command("measure", help=t("help.case_measure"))
def measure(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    number: int = typer.Argument(..., metavar="N", help=t("help.arg.measure_number")),
    new_state: str = typer.Option(
        ...,
        "--state",
        help=t("help.opt.measure_state", choices=choices.listing(MeasureState)),
    ),
    on: str | None = typer.Option(None, "--on", help=t("help.opt.measure_on")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync.auto import after_write

    chosen = choices.parse(MeasureState, new_state, "--state")
    day = parse_date(on, "--on") or date.today()
    st = state(ctx)
    with WorkerStore.open(st.home, st.credentials()) as store:
        change, updated = store.set_measure_state(case, number, MeasureState(chosen), day)
        after_write(store)
        reference = store.case_reference(change.case_id)
    if as_json:
        print_json(
            {
                "case": change.case_id,
                "reference": reference,
                "change": change.id,
                "measure": updated.model_dump(mode="json"),
            }
        )
        return
    say(
        t(
            "measure.state_set",
            number=number,
            ref=reference,
            state=label("measure", updated.state),
        )
    )


@app.command("summary", help=t("help.case_summary"))
def summary(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    fmt: str | None = typer.Option(None, "--format", "-f", help=t("help.opt.format")),
    output: Path | None = typer.Option(None, "--output", "-o", help=t("help.opt.output")),
    since: str | None = typer.Option(None, "--since", help=t("help.opt.summary_since")),
    force: bool = typer.Option(False, "--force", help=t("help.opt.force")),
    full: bool = typer.Option(False, "--full", help=t("help.opt.summary_full")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.summary_json")),
) -> None:
    from fieldkit.store.worker import WorkerStore
    from fieldkit.summary.assemble import assemble
    from fieldkit.summary.export import Renderers, deliver
    from fieldkit.summary.markdown import render_markdown
    from fieldkit.summary.pdf import render_pdf
    from fieldkit.summary.text import render_text

    st = state(ctx)
    kind = output_format(fmt, as_json, output)
    if full:
        from fieldkit.commands.access import check_full

        check_full(kind)
        if since is not None:
            raise UsageError("access.full_since")
    target = choose_target(output, kind, force)
    first_day = parse_date(since, "--since")
    if full:
        from fieldkit.commands.access import device_file

        with WorkerStore.open(st.home, st.credentials()) as store, glyph_warnings():
            device_file(store, case, target, kind)
        after_output(target)
        return
    with WorkerStore.open(st.home, st.credentials()) as store:
        data = store.summary_data(case, date.today())
        document = assemble(
            data.case,
            data.followups,
            data.conflicts,
            printed_by=data.printed_by,
            printed_at=datetime.now().astimezone(),
            since=first_day,
            worker_names=data.worker_names,
            outlook=data.outlook,
            decisions=data.decisions,
        )
        with glyph_warnings():
            deliver(
                document,
                kind,
                target,
                Renderers(text=render_text, markdown=render_markdown, pdf=render_pdf),
                audit=partial(store.record_output, data.case.id),
                console=console(),
            )
    after_output(target)


def _register_team() -> None:
    from fieldkit.commands.team import team

    app.command("team", help=t("help.case_team"))(team)


_register_team()
