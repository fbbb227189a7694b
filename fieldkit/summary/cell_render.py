"""Render the cell's summary of a case (fieldkit/summary/cell.py): terminal, Markdown, PDF.

The same page furniture, escaping and fonts as the worker's summary (text.py,
markdown.py, pdf.py): the marking opens and closes every rendering and every PDF page.
A follow-up whose text is the team's shows where that note stands, never a text.
"""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from fieldkit.dates import show_moment
from fieldkit.display import escaped_model, short_id
from fieldkit.i18n import t
from fieldkit.model import ConcernLevel
from fieldkit.summary.assemble import day, entry_heading, labelled, referral_facts
from fieldkit.summary.cell import (
    CellEntry,
    CellSummary,
    cell_facts,
    entry_details,
    entry_marks,
    entry_text,
    hidden_line,
    history_note,
    participation_fact,
    title_line,
)
from fieldkit.summary.markdown import decision_lines, escape
from fieldkit.summary.pdf import (
    BODY,
    BOLD,
    MARK,
    SMALL,
    WIDTH,
    Cell,
    Fonts,
    PagedPDF,
    Style,
    render_document,
)
from fieldkit.summary.text import decisions_panel

_LEVEL_STYLE = {ConcernLevel.HIGH: "bold red", ConcernLevel.MEDIUM: "yellow"}
_TEAM_NOTE = "dim italic"


def printed_line(summary: CellSummary) -> str:
    return t(
        "summary.printed", by=summary.printed_by, at=show_moment(summary.printed_at, local=False)
    )


# --- terminal --------------------------------------------------------------------------


def render_cell_text(summary: CellSummary, console: Console) -> None:
    summary = escaped_model(summary)
    marking = Text(t("summary.marking"), style="bold red")
    header = Group(
        marking,
        Text(title_line(summary), style="bold"),
        Text(summary.display_name, style="bold"),
        Text(printed_line(summary), style="dim"),
        Text(t("cell.circle"), style="dim"),
    )
    console.print(Panel(header, box=box.HEAVY, expand=True))
    console.print(_facts_panel(t("summary.section.case"), cell_facts(summary)))
    console.print(_facts_panel(t("summary.section.referral"), referral_facts(summary)))
    console.print(decisions_panel(summary.decisions))
    console.print(_team_panel(summary))
    hidden = hidden_line(summary)
    if hidden:
        console.print(Text(hidden, style="bold"))
    console.print(_concerns_panel(summary))
    for part in history_parts(summary):
        console.print(part)
    console.print(marking)


def _facts_panel(title: str, facts: list[tuple[str, str]]) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in facts:
        grid.add_row(Text(label), Text(value))
    return Panel(grid, title=title, title_align="left", box=box.ROUNDED)


def _team_panel(summary: CellSummary) -> Panel:
    label, value = participation_fact(summary)
    body = Text(labelled(label, value), style="bold")
    body.append(f"\n{t('field.cell_note')}\n", style="bold")
    if summary.cell_note:
        body.append(summary.cell_note.strip())
    else:
        body.append(t("cell.no_cell_note"), style="dim")
    return Panel(body, title=t("cell.section.team"), title_align="left", box=box.ROUNDED)


def _concerns_panel(summary: CellSummary) -> Panel:
    title = t("summary.section.concerns")
    if not summary.concerns:
        return Panel(Text(t("summary.no_concerns"), style="dim"), title=title, title_align="left")
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
    for column in ("summary.col.date", "summary.col.level", "summary.col.by"):
        table.add_column(t(column), no_wrap=True)
    table.add_column(t("summary.col.details"), ratio=1, overflow="fold")
    for entry in summary.concerns:
        level = t(f"concern.{entry.concern_level}") if entry.concern_level else t("summary.none")
        table.add_row(
            Text(day(entry.occurred_on)),
            Text(
                level,
                style=_LEVEL_STYLE.get(entry.concern_level, "") if entry.concern_level else "",
            ),
            Text(entry.recorded_by),
            _text_of(entry),
        )
    return Panel(table, title=title, title_align="left", box=box.ROUNDED)


def _text_of(entry: CellEntry) -> Text:
    if entry.team_note:
        return Text(entry_text(entry), style=_TEAM_NOTE)
    return Text(entry_text(entry).strip(), style="strike" if entry.withdrawn else "")


HISTORY_PART = 100  # rows per printed table, as in text.py (bounded memory)


def history_parts(summary: CellSummary) -> list[Panel | Table]:
    """The history: a note, then tables of at most HISTORY_PART follow-ups."""
    title = t("summary.section.history")
    note = Text(history_note(summary), style="dim")
    if not summary.history:
        body = Group(note, Text(t("summary.no_history"), style="dim"))
        return [Panel(body, title=title, title_align="left", box=box.ROUNDED)]
    parts: list[Panel | Table] = [Panel(note, title=title, title_align="left", box=box.ROUNDED)]
    for start in range(0, len(summary.history), HISTORY_PART):
        part = summary.history[start : start + HISTORY_PART]
        table = Table(
            box=box.SIMPLE_HEAD,
            expand=True,
            pad_edge=False,
            show_lines=True,
            show_header=start == 0,
        )
        table.add_column(t("summary.col.date"), no_wrap=True, width=10)
        table.add_column(t("summary.col.kind"), width=18)
        table.add_column(t("summary.col.by"), width=18)
        table.add_column(t("summary.col.details"), ratio=1, overflow="fold")
        for entry in part:
            when, kind, author = entry_heading(entry)
            table.add_row(Text(when), Text(kind), Text(author), _entry_details(entry))
        parts.append(table)
    return parts


def _entry_details(entry: CellEntry) -> Text:
    text = _text_of(entry)
    for mark in entry_marks(entry):
        text.append(f"\n{mark}", style="italic yellow" if not entry.for_cell else "bold")
    for label, value in entry_details(entry):
        style = "dim"
        if entry.concern_level is not None and label == t("summary.concern_level"):
            style = _LEVEL_STYLE.get(entry.concern_level, "") or "dim"
        text.append(f"\n{labelled(label, value)}", style=style)
    return text


# --- Markdown --------------------------------------------------------------------------


def render_cell_markdown(summary: CellSummary) -> str:
    summary = escaped_model(summary)
    marking = f"**{t('summary.marking')}**"
    out: list[str] = [marking, "", f"# {escape(title_line(summary))}", ""]
    out += [escape(printed_line(summary)), "", f"*{escape(t('cell.circle'))}*", ""]
    out += _section(t("summary.section.case"), _facts(cell_facts(summary)))
    out += _section(t("summary.section.referral"), _facts(referral_facts(summary)))
    out += _section(t("decision.section"), decision_lines(summary.decisions))
    team = [*_facts([participation_fact(summary)]), "", f"**{escape(t('field.cell_note'))}**", ""]
    team += _paragraphs(summary.cell_note or "") or [t("cell.no_cell_note")]
    out += _section(t("cell.section.team"), team)
    hidden = hidden_line(summary)
    if hidden:
        out += [f"**{escape(hidden)}**", ""]
    concerns: list[str] = []
    for entry in summary.concerns:
        level = t(f"concern.{entry.concern_level}") if entry.concern_level else t("summary.none")
        head = [day(entry.occurred_on), level, entry.recorded_by]
        concerns += [f"- {escape(' — '.join(head))}", ""]
        concerns += [f"  {line}" if line else "" for line in _entry_text(entry)]
        concerns.append("")
    out += _section(t("summary.section.concerns"), concerns or [t("summary.no_concerns")])
    out += [f"## {t('summary.section.history')}", "", escape(history_note(summary)), ""]
    for entry in summary.history:
        out += [f"### {escape(' — '.join(entry_heading(entry)))}", ""]
        out += _entry_text(entry)
        out.append("")
        out += [f"*{escape(mark)}*" for mark in entry_marks(entry)]
        if entry_marks(entry):
            out.append("")
        out += _facts(entry_details(entry))
        out.append("")
    if not summary.history:
        out += [t("summary.no_history"), ""]
    out += ["---", "", marking]
    return "\n".join(line.rstrip() for line in out) + "\n"


def _entry_text(entry: CellEntry) -> list[str]:
    if entry.team_note:
        return [f"*{escape(entry_text(entry))}*"]
    lines = _paragraphs(entry_text(entry))
    if entry.withdrawn:
        lines = [f"~~{line}~~" if line else "" for line in lines]
    return lines


def _section(title: str, lines: list[str]) -> list[str]:
    return [f"## {title}", "", *lines, ""]


def _facts(facts: list[tuple[str, str]]) -> list[str]:
    return [f"- {escape(labelled(label, ' '.join(value.split())))}" for label, value in facts]


def _paragraphs(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n"):
        line = raw.strip()
        if line or (lines and lines[-1]):
            lines.append(escape(line))
    return lines


# --- PDF -------------------------------------------------------------------------------


def render_cell_pdf(summary: CellSummary) -> bytes:
    shown = escaped_model(summary)
    return render_document(lambda fonts: CellPDF(shown, fonts))


_TEAM_STYLE = Style(size=8.5, color=(90, 90, 90))
_MARK_STYLE = Style(size=8.0, bold=True, color=(140, 70, 0))
_HIGH = Style(size=8.0, bold=True, color=MARK)


class CellPDF(PagedPDF):
    def __init__(self, summary: CellSummary, fonts: Fonts) -> None:
        super().__init__(
            fonts, reference=summary.reference, printed=printed_line(summary), at=summary.printed_at
        )
        self.summary = summary

    def render(self) -> None:
        s = self.summary
        self.add_page()
        self._heading(title_line(s), s.display_name)
        self._table(t("cell.title"), None, [[self._cell(WIDTH, [(t("cell.circle"), SMALL)])]])
        self._facts(t("summary.section.case"), cell_facts(s))
        self._facts(t("summary.section.referral"), referral_facts(s))
        self.decisions_table(s.decisions)
        self._team()
        self._history()

    def _facts(self, title: str, facts: list[tuple[str, str]]) -> None:
        rows = [
            [self._cell(45, [(label, BOLD)]), self._cell(WIDTH - 45, [(value, BODY)])]
            for label, value in facts
        ]
        self._table(title, None, rows)

    def _team(self) -> None:
        s = self.summary
        label, value = participation_fact(s)
        note = (s.cell_note, BODY) if s.cell_note else (t("cell.no_cell_note"), SMALL)
        rows = [
            [self._cell(45, [(label, BOLD)]), self._cell(WIDTH - 45, [(value, BODY)])],
            [self._cell(45, [(t("field.cell_note"), BOLD)]), self._cell(WIDTH - 45, [note])],
        ]
        hidden = hidden_line(s)
        if hidden:
            rows.append([self._cell(WIDTH, [(hidden, BOLD)])])
        self._table(t("cell.section.team"), None, rows)

    def _history(self) -> None:
        s = self.summary
        title = t("summary.section.history")
        rows = [[self._cell(WIDTH, [(history_note(s), SMALL)])]]
        if not s.history:
            rows.append([self._cell(WIDTH, [(t("summary.no_history"), SMALL)])])
            self._table(title, None, rows)
            return
        widths = (40, WIDTH - 40)
        header = [
            f"{t('summary.col.date')} · {t('summary.col.kind')} · {t('summary.col.by')}",
            t("summary.col.details"),
        ]
        rows += [self.entry_row(entry, widths) for entry in s.history]
        self._table(title, self._header_row(widths, header), rows, header_after=1)

    def entry_row(self, entry: CellEntry, widths: tuple[float, float]) -> list[Cell]:
        when, kind, author = entry_heading(entry)
        left = [(when, BOLD), (kind, BODY), (author, SMALL), (short_id(entry.id), SMALL)]
        if entry.team_note:
            right = [(entry_text(entry), _TEAM_STYLE)]
        else:
            right = [(entry_text(entry), Style(strike=entry.withdrawn))]
        right += [(mark, _MARK_STYLE) for mark in entry_marks(entry)]
        for label, value in entry_details(entry)[:-1]:  # the reference is on the left
            high = label == t("summary.concern_level") and entry.concern_level == ConcernLevel.HIGH
            right.append((labelled(label, value), _HIGH if high else SMALL))
        return [self._cell(widths[0], left), self._cell(widths[1], right)]
