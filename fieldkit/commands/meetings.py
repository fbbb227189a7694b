"""fieldkit district meeting ... and district institution ...: the prevention group's
meetings (issue 17). The rules are fieldkit/district/meetings.py's; the minutes render in
fieldkit/summary/minutes.py."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fieldkit import choices
from fieldkit.commands.common import (
    console,
    is_interactive,
    parse_date,
    print_json,
    state,
    text_given,
    text_help,
    text_typed,
)
from fieldkit.display import escape, plain
from fieldkit.enums import CaseStatus, MeetingKind
from fieldkit.errors import UsageError
from fieldkit.i18n import t, t_n

if TYPE_CHECKING:
    from fieldkit.district.store import DistrictStore
    from fieldkit.model import Meeting, MeetingItem

meeting_app = typer.Typer(no_args_is_help=True)
institution_app = typer.Typer(no_args_is_help=True)


def register(district_app: typer.Typer) -> None:
    district_app.add_typer(meeting_app, name="meeting", help=t("help.district_meeting"))
    district_app.add_typer(institution_app, name="institution", help=t("help.district_institution"))


def _open(ctx: typer.Context) -> DistrictStore:
    from fieldkit.district.store import DistrictStore

    st = state(ctx)
    return DistrictStore.open(st.home, st.credentials())


def _meeting_json(meeting: Meeting) -> dict[str, Any]:
    return meeting.model_dump(mode="json")


def _item_json(item: MeetingItem) -> dict[str, Any]:
    return item.model_dump(mode="json")


def _kind(value: str) -> MeetingKind:
    return MeetingKind(choices.parse(MeetingKind, value, "--kind"))


@meeting_app.command("new", help=t("help.meeting_new"))
def meeting_new(
    ctx: typer.Context,
    when: str = typer.Argument(..., metavar="DATE", help=t("help.arg.meeting_date")),
    kind: str = typer.Option(
        "plenary",
        "--kind",
        help=t("help.opt.meeting_kind", choices=choices.listing(MeetingKind)),
        show_default=choices.shown_default(MeetingKind.PLENARY),
    ),
    title: str | None = typer.Option(None, "--title", help=t("help.opt.meeting_title")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district import meetings

    day = parse_date(when, "DATE")
    assert day is not None
    wanted = _kind(kind)
    with _open(ctx) as store:
        meeting = meetings.new(store.conn, day, wanted, title)
    if as_json:
        print_json(_meeting_json(meeting))
        return
    console().print(
        t("meeting.created", reference=meeting.reference, date=_day(meeting.meeting_date))
    )


def _day(day: date | None) -> str:
    from fieldkit.dates import show_day

    return show_day(day)


@meeting_app.command("list", help=t("help.meeting_list"))
def meeting_list(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district import meetings
    from fieldkit.summary.minutes import kind_text

    with _open(ctx) as store:
        found = meetings.listing(store.conn)
        counts = {m.id: len(meetings.items(store.conn, m)) for m in found}
        people = {m.id: len(meetings.attendees(store.conn, m.id)) for m in found}
    if as_json:
        print_json(
            [dict(_meeting_json(m), cases=counts[m.id], attendees=people[m.id]) for m in found]
        )
        return
    from rich.table import Table

    table = Table(title=t_n("meeting.list_title", len(found)))
    for column in (
        "meeting.col.reference",
        "col.date",
        "meeting.col.kind",
        "meeting.col.title",
        "meeting.col.cases",
        "meeting.col.attendees",
        "col.status",
    ):
        table.add_column(t(column))
    for m in found:
        table.add_row(
            m.reference,
            _day(m.meeting_date),
            kind_text(m.kind),
            plain(m.title or ""),
            str(counts[m.id]),
            str(people[m.id]),
            _state(m),
        )
    console().print(table)


def _state(meeting: Meeting) -> str:
    if meeting.closed:
        return t("meeting.state.closed")
    if meeting.amendments:
        return t("meeting.state.amended")
    return t("meeting.state.open")


@meeting_app.command("show", help=t("help.meeting_show"))
def meeting_show(
    ctx: typer.Context,
    meeting: str = typer.Argument(..., metavar=t("metavar.meeting"), help=t("help.arg.meeting")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district import meetings

    with _open(ctx) as store:
        found = meetings.get(store.conn, meeting)
        people = meetings.attendees(store.conn, found.id)
        agenda = meetings.items(store.conn, found)
        history = meetings.events(store.conn, found.id)
        decided = meetings.decisions_of(store.conn, found.id)
        pending = meetings.charter_pending(store.conn)
    if as_json:
        data = _meeting_json(found)
        data["attendees"] = [
            dict(p.model_dump(mode="json"), charter_missing=p.charter_missing) for p in people
        ]
        data["agenda"] = [_item_json(i) for i in agenda]
        data["events"] = [e.model_dump(mode="json") for e in history]
        data["decisions"] = len(decided)
        data["workers_charter_pending"] = [w.model_dump(mode="json") for w in pending]
        print_json(data)
        return
    from fieldkit.summary.minutes import attendee_table, kind_text

    out = console()
    heading = plain(found.reference, style="bold")
    heading.append(escape(f" — {_day(found.meeting_date)}, {kind_text(found.kind)}"))
    if found.title:
        heading.append(" — ")
        heading.append(plain(found.title))
    out.print(heading)
    out.print(t("meeting.show_state", state=_state(found)))
    out.print(attendee_table(people))
    missing = sum(1 for p in people if p.charter_missing)
    if missing:
        out.print(plain(t_n("meeting.charters_missing", missing), style="bold red"))
    if pending:
        out.print(plain(t_n("meeting.count.workers_charter_pending", len(pending)), style="bold"))
        for worker in pending:
            out.print(plain(f"- {worker.name} ({worker.unit})"))
    out.print(_agenda_table(agenda))
    out.print(t_n("meeting.decisions_count", len(decided)))
    for event in history:
        if event.what == "close":
            out.print(t("meeting.closed_event", date=_moment(event.at), sha256=event.sha256))
        else:
            line = t("meeting.amended_on", date=_moment(event.at), reason="")
            text = plain(line)
            text.append(plain(event.reason or ""))
            out.print(text)


def _moment(at: datetime) -> str:
    from fieldkit.dates import show_moment

    return show_moment(at)


def _agenda_table(agenda: list[MeetingItem]):
    from rich.table import Table

    from fieldkit.summary.minutes import reasons_text, status_text

    table = Table(title=t_n("meeting.agenda_title", len(agenda)))
    for column in (
        "col.reference",
        "meeting.col.initials",
        "col.unit",
        "col.status",
        "meeting.col.reasons",
    ):
        table.add_column(t(column))
    for item in agenda:
        table.add_row(
            item.reference,
            plain(item.initials),
            plain(item.unit),
            status_text(item.status),
            plain(reasons_text(item.reasons)),
        )
    return table


@meeting_app.command("agenda", help=t("help.meeting_agenda"))
def meeting_agenda(
    ctx: typer.Context,
    meeting: str = typer.Argument(..., metavar=t("metavar.meeting"), help=t("help.arg.meeting")),
    add: list[str] | None = typer.Option(None, "--add", help=t("help.opt.agenda_add")),
    remove: list[str] | None = typer.Option(None, "--remove", help=t("help.opt.agenda_remove")),
    no_contact_days: int | None = typer.Option(
        None, "--no-contact-days", min=1, max=3650, help=t("help.opt.no_contact_days")
    ),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district import meetings

    with _open(ctx) as store:
        found, agenda = meetings.agenda(
            store.conn, meeting, add=add, remove=remove, no_contact_days=no_contact_days
        )
    if as_json:
        print_json(
            {
                "meeting": found.reference,
                "no_contact_days": found.no_contact_days,
                "items": [_item_json(i) for i in agenda],
            }
        )
        return
    console().print(_agenda_table(agenda))


@meeting_app.command("attendee", help=t("help.meeting_attendee"))
def meeting_attendee(
    ctx: typer.Context,
    meeting: str = typer.Argument(..., metavar=t("metavar.meeting"), help=t("help.arg.meeting")),
    add: str | None = typer.Option(
        None, "--add", metavar=t("metavar.name"), help=t("help.opt.attendee_add")
    ),
    remove: str | None = typer.Option(
        None, "--remove", metavar=t("metavar.name"), help=t("help.opt.attendee_remove")
    ),
    institution: str | None = typer.Option(None, "--institution", help=t("help.opt.institution")),
    charter_signed: str | None = typer.Option(
        None, "--charter-signed", metavar="DATE", help=t("help.opt.charter_signed")
    ),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district import meetings

    if (add is None) == (remove is None):
        raise UsageError("meeting.add_or_remove")
    if add is not None and institution is None:
        raise UsageError("value.missing", field="--institution")
    signed = parse_date(charter_signed, "--charter-signed")
    with _open(ctx) as store:
        if add is not None:
            assert institution is not None
            person = meetings.add_attendee(store.conn, meeting, add, institution, signed)
        else:
            assert remove is not None
            person = meetings.remove_attendee(store.conn, meeting, remove)
    if as_json:
        print_json(dict(person.model_dump(mode="json"), charter_missing=person.charter_missing))
        return
    key = "meeting.attendee_added" if add is not None else "meeting.attendee_removed"
    console().print(t(key, name=escape(person.name), institution=escape(person.institution)))
    if add is not None and person.charter_missing:
        console().print(plain(t("meeting.attendee_no_charter"), style="bold red"))


@meeting_app.command("decide", help=t("help.meeting_decide"))
def meeting_decide(
    ctx: typer.Context,
    meeting: str = typer.Argument(..., metavar=t("metavar.meeting"), help=t("help.arg.meeting")),
    case: str = typer.Argument(..., help=t("help.arg.case")),
    measure: list[str] | None = typer.Option(None, "--measure", help=t("help.opt.measure")),
    referent: str | None = typer.Option(None, "--referent", help=t("help.opt.decision_referent")),
    next_review: str | None = typer.Option(
        None, "--next-review", metavar="DATE", help=t("help.opt.decision_next_review")
    ),
    status: str | None = typer.Option(
        None,
        "--status",
        help=t("help.opt.decision_status", choices=choices.listing(CaseStatus)),
    ),
    reason: str | None = typer.Option(None, "--reason", help=t("help.opt.decision_reason")),
    note_for_team: str | None = typer.Option(
        None, "--note-for-team", help=text_help("help.opt.note_for_team")
    ),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district import cases as district_cases
    from fieldkit.district import meetings

    wanted = CaseStatus(choices.parse(CaseStatus, status, "--status")) if status else None
    review = parse_date(next_review, "--next-review")
    note = text_given(note_for_team, "--note-for-team", "prompt.note_for_team", required=False)
    with _open(ctx) as store:
        if note_for_team is None and is_interactive():
            # A wrong meeting or case is said before the note is typed.
            meetings.check_open(meetings.get(store.conn, meeting))
            district_cases.resolve(store.conn, case)
        note = text_typed(
            note_for_team, note, "--note-for-team", "prompt.note_for_team", required=False
        )
        found, decision, reference = meetings.decide(
            store.conn,
            meeting,
            case,
            measures=list(measure or []),
            referent=referent,
            next_review=review,
            status=wanted,
            reason=reason,
            note_for_team=note or None,
        )
    if as_json:
        print_json(dict(decision.model_dump(mode="json"), meeting=found.reference))
        return
    console().print(t("meeting.decided", reference=reference, meeting=found.reference))
    for item in decision.measures:
        console().print(plain(t("meeting.measure", number=item.number, text=item.text)))


@meeting_app.command("minutes", help=t("help.meeting_minutes"))
def meeting_minutes(
    ctx: typer.Context,
    meeting: str = typer.Argument(..., metavar=t("metavar.meeting"), help=t("help.arg.meeting")),
    fmt: str | None = typer.Option(None, "--format", "-f", help=t("help.opt.format")),
    output: Path | None = typer.Option(None, "--output", "-o", help=t("help.opt.output")),
    with_names: bool = typer.Option(False, "--with-names", help=t("help.opt.with_names")),
    force: bool = typer.Option(False, "--force", help=t("help.opt.force")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.minutes_json")),
) -> None:
    from functools import partial

    from fieldkit.commands.output import after_output, choose_target, glyph_warnings, output_format
    from fieldkit.district import meetings
    from fieldkit.summary.export import Renderers, deliver
    from fieldkit.summary.minutes import (
        render_minutes_markdown,
        render_minutes_pdf,
        render_minutes_text,
    )

    kind = output_format(fmt, as_json, output)
    target = choose_target(output, kind, force)
    with _open(ctx) as store:
        document = meetings.minutes(
            store.conn, meeting, printed_at=datetime.now().astimezone(), with_names=with_names
        )
        found = meetings.get(store.conn, meeting)
        audit = partial(meetings.record_output, store.conn, found.id, with_names)

        renderers = Renderers(
            text=render_minutes_text,
            markdown=render_minutes_markdown,
            pdf=render_minutes_pdf,
        )
        with glyph_warnings():
            deliver(document, kind, target, renderers, audit=audit, console=console())
    after_output(target)


@meeting_app.command("close", help=t("help.meeting_close"))
def meeting_close(
    ctx: typer.Context,
    meeting: str = typer.Argument(..., metavar=t("metavar.meeting"), help=t("help.arg.meeting")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district import meetings

    with _open(ctx) as store:
        found, digest = meetings.close(store.conn, meeting)
    if as_json:
        print_json(dict(_meeting_json(found), sha256=digest))
        return
    console().print(t("meeting.closed_now", reference=found.reference, sha256=digest))


@meeting_app.command("amend", help=t("help.meeting_amend"))
def meeting_amend(
    ctx: typer.Context,
    meeting: str = typer.Argument(..., metavar=t("metavar.meeting"), help=t("help.arg.meeting")),
    reason: str | None = typer.Option(None, "--reason", help=t("help.opt.amend_reason")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district import meetings

    text = text_given(reason, "--reason", "prompt.amend_reason", required=True)
    with _open(ctx) as store:
        if reason is None and is_interactive():
            # A wrong or open meeting is said before the reason is typed.
            meetings.check_closed(meetings.get(store.conn, meeting))
        text = text_typed(reason, text, "--reason", "prompt.amend_reason", required=True)
        assert text is not None
        found = meetings.amend(store.conn, meeting, text)
    if as_json:
        print_json(_meeting_json(found))
        return
    console().print(t("meeting.amended_now", reference=found.reference, number=found.amendments))


# Institutions ---------------------------------------------------------------------------


@institution_app.command("list", help=t("help.institution_list"))
def institution_list(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district import meetings

    with _open(ctx) as store:
        found = meetings.institutions(store.conn)
    if as_json:
        print_json([{"name": name, "default": builtin} for name, builtin in found])
        return
    for name, _ in found:
        console().print(plain(name))


@institution_app.command("add", help=t("help.institution_add"))
def institution_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar=t("metavar.name"), help=t("help.arg.institution")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district import meetings

    with _open(ctx) as store:
        added = meetings.add_institution(store.conn, name)
    if as_json:
        print_json({"name": added})
        return
    console().print(t("meeting.institution_added", name=escape(added)))
