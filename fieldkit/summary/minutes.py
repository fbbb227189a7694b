"""Render a meeting's minutes (the compte rendu): terminal (rich), Markdown and A4 PDF.

The minutes are assembled once in fieldkit/district/meetings.py (`minutes`); the three
renderings share the words below. The PDF uses the case summary's page furniture
(confidentiality marking at the top and foot of every page, reference, printed-by line,
page N/M) from pdf.py. Persons followed appear by case reference and initials; their
names only in minutes asked `--with-names`.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fieldkit.choices import word
from fieldkit.dates import show_day, show_moment
from fieldkit.display import escaped_model, plain
from fieldkit.district.meetings import Minutes, MinutesCase, MinutesDecision
from fieldkit.i18n import current_language, t, t_n
from fieldkit.model import AgendaReason, Attendee, CaseStatus, MeetingKind, MeetingReason
from fieldkit.summary.markdown import escape
from fieldkit.summary.pdf import BODY, BOLD, SMALL, WIDTH, Cell, Fonts, PagedPDF, render_document

_REASONS = {
    AgendaReason.REVIEW_DUE: "meeting.reason.review_due",
    AgendaReason.OPENED: "meeting.reason.opened",
    AgendaReason.HIGH_CONCERN: "meeting.reason.high_concern",
    AgendaReason.PARTICIPATION: "meeting.reason.participation",
    AgendaReason.ADDED: "meeting.reason.added",
}
_KINDS = {
    MeetingKind.PLENARY: "meeting.kind.plenary",
    MeetingKind.RESTRICTED: "meeting.kind.restricted",
}
_STATUSES = {
    CaseStatus.ACTIVE: "status.active",
    CaseStatus.SUSPENDED: "status.suspended",
    CaseStatus.CLOSED: "status.closed",
}


# --- the words of the minutes ----------------------------------------------------------


def reason_text(reason: MeetingReason) -> str:
    """One reason in words, with its date or count."""
    if reason.code == AgendaReason.NO_CONTACT:
        if reason.days is None:
            return t("meeting.reason.no_contact_ever")
        return t_n("meeting.reason.no_contact", reason.days)
    return t(_REASONS[reason.code], date=show_day(reason.day, "—"))


def reasons_text(reasons: list[MeetingReason]) -> str:
    separator = " ; " if current_language() == "fr" else "; "
    return separator.join(reason_text(r) for r in reasons)


def kind_text(kind: MeetingKind) -> str:
    return t(_KINDS[kind])


def status_text(status: CaseStatus | None) -> str:
    return t(_STATUSES[status]) if status is not None else "—"


def charter_text(attendee: Attendee) -> str:
    if attendee.charter_signed is None:
        return t("meeting.charter_missing")
    return t("meeting.charter_signed", date=show_day(attendee.charter_signed))


def who(item: MinutesCase | MinutesDecision) -> str:
    """The case as the minutes name it: reference and initials, and the name if asked."""
    text = f"{item.reference} ({item.initials})"
    return f"{text} — {item.name}" if item.name else text


def title(document: Minutes) -> str:
    return t("meeting.minutes_title", reference=document.reference)


def subtitle(document: Minutes) -> str:
    text = t(
        "meeting.minutes_subtitle",
        date=show_day(document.meeting_date),
        kind=kind_text(document.kind),
    )
    if document.title:
        text += f" — {document.title}"
    return text


def printed_line(document: Minutes) -> str:
    at = show_moment(document.printed_at, local=True) if document.printed_at else ""
    return t("summary.printed", by=document.printed_by, at=at)


def page_reference(document: Minutes) -> str:
    return f"{document.reference} — {show_day(document.meeting_date)}"


def facts(document: Minutes) -> list[str]:
    lines = []
    if document.district:
        lines.append(t("meeting.minutes_district", district=document.district))
    if document.status == "closed" and document.closed_sha256:
        lines.append(t("meeting.minutes_closed", sha256=document.closed_sha256))
    else:
        lines.append(t("meeting.minutes_draft"))
    if document.with_names:
        lines.append(t("meeting.minutes_with_names"))
    else:
        lines.append(t("meeting.minutes_initials"))
    return lines


def decision_lines(decision: MinutesDecision) -> list[str]:
    lines = [t("meeting.measure", number=m.number, text=m.text) for m in decision.measures]
    if decision.referent:
        lines.append(t("meeting.decision_referent", referent=decision.referent))
    if decision.next_review:
        lines.append(t("meeting.decision_next_review", date=show_day(decision.next_review)))
    if decision.status:
        lines.append(t("meeting.decision_status", status=status_text(decision.status)))
    return lines or [t("meeting.decision_none")]


def count_lines(document: Minutes) -> list[str]:
    c = document.counts
    return [
        t_n("meeting.count.attendees", c.attendees),
        t_n("meeting.count.charters_missing", c.charters_missing),
        t_n("meeting.count.workers_charter_pending", c.workers_charter_pending),
        t_n("meeting.count.cases", c.cases),
        t_n("meeting.count.decisions", c.decisions),
        t_n("meeting.count.measures", c.measures),
        t_n("meeting.count.suspended", c.suspended),
        t_n("meeting.count.closed", c.closed),
        t_n("meeting.count.amendments", c.amendments),
    ]


def pending_lines(document: Minutes) -> list[str]:
    """The workers whose charter acceptance is pending, one line each, after a heading."""
    if not document.workers_charter_pending:
        return []
    return [t("meeting.section.workers_pending")] + [
        f"- {w.name} ({w.unit})" for w in document.workers_charter_pending
    ]


def amendment_line(at, reason: str) -> str:
    return t("meeting.amended_on", date=show_moment(at), reason=reason)


# --- terminal --------------------------------------------------------------------------


def render_minutes_text(document: Minutes, console: Console) -> None:
    # People's text shown as data: control, bidi and invisible characters escaped.
    document = escaped_model(document)
    console.print(Text(t("summary.marking"), style="bold red"))
    console.print(Text(title(document), style="bold"))
    console.print(Text(subtitle(document)))
    for line in facts(document):
        console.print(Text(line))
    console.print(attendee_table(document.attendees))
    for line in pending_lines(document):
        console.print(Text(line, style="bold red"))
    cases = Table(title=t("meeting.section.cases"))
    for column in ("col.reference", "col.unit", "meeting.col.reasons"):
        cases.add_column(t(column))
    for item in document.cases:
        cases.add_row(Text(who(item)), Text(item.unit), Text(reasons_text(item.reasons)))
    console.print(cases)
    decisions = Table(title=t("meeting.section.decisions"))
    for column in ("col.reference", "meeting.col.decision"):
        decisions.add_column(t(column))
    for decision in document.decisions:
        decisions.add_row(Text(who(decision)), Text("\n".join(decision_lines(decision))))
    console.print(decisions)
    for amendment in document.amendments:
        console.print(Text(amendment_line(amendment.at, amendment.reason)))
    console.print(Text(t("meeting.section.counts"), style="bold"))
    for line in count_lines(document):
        console.print(Text(f"- {line}"))
    console.print(Text(t("summary.marking"), style="bold red"))


def attendee_table(people: list[Attendee]) -> Table:
    table = Table(title=t("meeting.section.attendees"))
    for column in ("col.name", "meeting.col.institution", "meeting.col.charter"):
        table.add_column(t(column))
    for person in people:
        style = "bold red" if person.charter_missing else ""
        table.add_row(
            plain(person.name), plain(person.institution), Text(charter_text(person), style=style)
        )
    return table


# --- Markdown --------------------------------------------------------------------------


def render_minutes_markdown(document: Minutes) -> str:
    document = escaped_model(document)
    marking = f"**{t('summary.marking')}**"
    out = [marking, "", f"# {escape(title(document))}", "", escape(subtitle(document)), ""]
    out += [escape(printed_line(document)), ""]
    out += [f"- {escape(line)}" for line in facts(document)]
    out += ["", f"## {t('meeting.section.attendees')}", ""]
    if document.attendees:
        out.append(_md_row([t("col.name"), t("meeting.col.institution"), t("meeting.col.charter")]))
        out.append("| --- | --- | --- |")
        for person in document.attendees:
            charter = charter_text(person)
            if person.charter_missing:
                charter = f"**{escape(charter)}**"
                out.append(
                    "| "
                    + " | ".join([escape(person.name), escape(person.institution), charter])
                    + " |"
                )
            else:
                out.append(_md_row([person.name, person.institution, charter]))
    else:
        out.append(t("meeting.no_attendees"))
    if document.workers_charter_pending:
        out += ["", f"## {t('meeting.section.workers_pending')}", ""]
        out += [f"- {escape(f'{w.name} ({w.unit})')}" for w in document.workers_charter_pending]
    out += ["", f"## {t('meeting.section.cases')}", ""]
    if document.cases:
        out.append(_md_row([t("col.reference"), t("col.unit"), t("meeting.col.reasons")]))
        out.append("| --- | --- | --- |")
        out += [_md_row([who(i), i.unit, reasons_text(i.reasons)]) for i in document.cases]
    else:
        out.append(t("meeting.no_cases"))
    out += ["", f"## {t('meeting.section.decisions')}", ""]
    if document.decisions:
        for decision in document.decisions:
            out += [f"### {escape(who(decision))}", ""]
            out += [f"- {escape(line)}" for line in decision_lines(decision)]
            out.append("")
    else:
        out += [t("meeting.no_decisions"), ""]
    if document.amendments:
        out += [f"## {t('meeting.section.amendments')}", ""]
        out += [f"- {escape(amendment_line(a.at, a.reason))}" for a in document.amendments]
        out.append("")
    out += [f"## {t('meeting.section.counts')}", ""]
    out += [f"- {escape(line)}" for line in count_lines(document)]
    out += ["", "---", "", marking]
    return "\n".join(line.rstrip() for line in out) + "\n"


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(escape(" ".join(cell.split())) for cell in cells) + " |"


# --- PDF -------------------------------------------------------------------------------


def render_minutes_pdf(document: Minutes) -> bytes:
    """The minutes as the bytes of an A4 PDF; MissingGlyphsWarning as for a summary."""
    shown = escaped_model(document)
    return render_document(lambda fonts: _MinutesPDF(shown, fonts))


_CASE_WIDTHS = (55.0, 30.0, WIDTH - 85.0)
_PEOPLE_WIDTHS = (60.0, 55.0, WIDTH - 115.0)


class _MinutesPDF(PagedPDF):
    def __init__(self, document: Minutes, fonts: Fonts) -> None:
        super().__init__(
            fonts,
            reference=page_reference(document),
            printed=printed_line(document),
            at=document.printed_at or _epoch(),
        )
        self.document = document

    def _note(self, text: str) -> list[list[Cell]]:
        return [[self._cell(WIDTH, [(text, SMALL)])]]

    def render(self) -> None:
        d = self.document
        self.add_page()
        self._heading(title(d), subtitle(d))
        self._table(
            t("meeting.section.facts"), None, [[self._cell(WIDTH, [(x, BODY)])] for x in facts(d)]
        )
        header = self._header_row(
            _PEOPLE_WIDTHS, [t("col.name"), t("meeting.col.institution"), t("meeting.col.charter")]
        )
        rows = [
            [
                self._cell(_PEOPLE_WIDTHS[0], [(p.name, BODY)]),
                self._cell(_PEOPLE_WIDTHS[1], [(p.institution, BODY)]),
                self._cell(
                    _PEOPLE_WIDTHS[2], [(charter_text(p), BOLD if p.charter_missing else BODY)]
                ),
            ]
            for p in d.attendees
        ]
        if rows:
            self._table(t("meeting.section.attendees"), header, rows)
        else:
            self._table(t("meeting.section.attendees"), None, self._note(t("meeting.no_attendees")))
        if d.workers_charter_pending:
            rows = [
                [self._cell(WIDTH, [(f"{w.name} ({w.unit})", BOLD)])]
                for w in d.workers_charter_pending
            ]
            self._table(t("meeting.section.workers_pending"), None, rows)
        header = self._header_row(
            _CASE_WIDTHS, [t("col.reference"), t("col.unit"), t("meeting.col.reasons")]
        )
        rows = [
            [
                self._cell(_CASE_WIDTHS[0], [(who(i), BOLD)]),
                self._cell(_CASE_WIDTHS[1], [(i.unit, BODY)]),
                self._cell(_CASE_WIDTHS[2], [("\n".join(reason_text(r) for r in i.reasons), BODY)]),
            ]
            for i in d.cases
        ]
        if rows:
            self._table(t("meeting.section.cases"), header, rows)
        else:
            self._table(t("meeting.section.cases"), None, self._note(t("meeting.no_cases")))
        rows = [
            [
                self._cell(55.0, [(who(x), BOLD)]),
                self._cell(WIDTH - 55.0, [("\n".join(decision_lines(x)), BODY)]),
            ]
            for x in d.decisions
        ]
        section = t("meeting.section.decisions")
        self._table(section, None, rows or self._note(t("meeting.no_decisions")))
        if d.amendments:
            rows = [
                [self._cell(WIDTH, [(amendment_line(a.at, a.reason), BODY)])] for a in d.amendments
            ]
            self._table(t("meeting.section.amendments"), None, rows)
        rows = [[self._cell(WIDTH, [(line, BODY)])] for line in count_lines(d)]
        self._table(t("meeting.section.counts"), None, rows)


def _epoch():
    from datetime import UTC, datetime

    return datetime(2000, 1, 1, tzinfo=UTC)


def kind_word(kind: MeetingKind) -> str:
    """The kind as typed (plénière in French), for the list."""
    return word(kind, current_language())
