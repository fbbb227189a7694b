"""Render a case summary to the terminal with rich panels and tables.

The console is the caller's, so NO_COLOR, non-TTY output and width follow it. Free
text from the case goes in as `Text`, never as markup, so brackets in a summary print
as they are; its control and format characters are written out (fieldkit.display).
"""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from fieldkit.display import escaped_model, short_id
from fieldkit.i18n import t
from fieldkit.model import ConcernLevel
from fieldkit.summary.assemble import (
    CaseSummary,
    DecisionEntry,
    HistoryEntry,
    amended_note,
    case_facts,
    concern_level,
    day,
    decision_facts,
    decision_heading,
    entry_details,
    for_cell_note,
    goal_state,
    history_note,
    labelled,
    measure_line,
    printed_line,
    referral_facts,
    withdrawn_note,
)

_LEVEL_STYLE = {
    ConcernLevel.HIGH: "bold red",
    ConcernLevel.MEDIUM: "yellow",
    ConcernLevel.LOW: "",
}


def render_text(summary: CaseSummary, console: Console) -> None:
    summary = escaped_model(summary)
    marking = Text(t("summary.marking"), style="bold red")
    header = Group(
        marking,
        Text(f"{t('summary.title')} — {summary.reference}", style="bold"),
        Text(summary.display_name, style="bold"),
        Text(printed_line(summary), style="dim"),
    )
    console.print(Panel(header, box=box.HEAVY, expand=True))

    console.print(_facts_panel(t("summary.section.case"), case_facts(summary)))
    console.print(_situation(summary))
    console.print(_cell_note(summary))
    console.print(_facts_panel(t("summary.section.referral"), referral_facts(summary)))
    console.print(decisions_panel(summary.decisions))
    console.print(_goals(summary))
    console.print(_related(summary))
    console.print(_concerns(summary))
    console.print(_conflicts(summary))
    _print_history(summary, console)
    console.print(marking)


def _facts_panel(title: str, facts: list[tuple[str, str]]) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in facts:
        grid.add_row(Text(label), Text(value))
    return Panel(grid, title=title, title_align="left", box=box.ROUNDED)


def _goals(summary: CaseSummary) -> Panel:
    if not summary.goals:
        return _panel(t("summary.section.goals"), Text(t("summary.no_goals"), style="dim"))
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
    table.add_column(t("summary.goal"), ratio=4, overflow="fold")
    table.add_column(t("summary.goal_state"), ratio=1)
    for goal in summary.goals:
        table.add_row(Text(goal.text), Text(goal_state(goal)))
    return _panel(t("summary.section.goals"), table)


def decisions_panel(decisions: list[DecisionEntry]) -> Panel:
    """« Décisions de la cellule »: each decision under its meeting's date (shared with
    the cell's summary)."""
    title = t("decision.section")
    if not decisions:
        return _panel(title, Text(t("decision.none"), style="dim"))
    parts: list[Text] = []
    for entry in decisions:
        text = Text(decision_heading(entry), style="bold")
        for measure in entry.measures:
            text.append(f"\n{measure_line(measure)}")
        for label, value in decision_facts(entry):
            text.append(f"\n{labelled(label, value)}")
        if entry.note_for_team:
            text.append(f"\n{labelled(t('decision.note_for_team'), entry.note_for_team.strip())}")
        parts.append(text)
    return _panel(title, Text("\n\n").join(parts))


def _situation(summary: CaseSummary) -> Panel:
    if not summary.situation:
        body = Text(t("summary.no_situation"), style="dim")
    else:
        body = Text(summary.situation.strip())
    return _panel(t("summary.section.situation"), body)


def _cell_note(summary: CaseSummary) -> Panel:
    if not summary.cell_note:
        body = Text(t("cell.no_cell_note"), style="dim")
    else:
        body = Text(summary.cell_note.strip())
    return _panel(t("field.cell_note"), body)


def _related(summary: CaseSummary) -> Panel:
    if not summary.related:
        body = Text(t("summary.no_related"), style="dim")
    else:
        body = Text("\n").join(Text(f"• {person}") for person in summary.related)
    return _panel(t("summary.section.related"), body)


def _concerns(summary: CaseSummary) -> Panel:
    parts: list[Table | Text] = []
    if summary.since is not None:
        parts.append(Text(t("summary.concerns_since", date=day(summary.since)), style="dim"))
    if not summary.concerns:
        parts.append(Text(t("summary.no_concerns"), style="dim"))
    else:
        table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
        table.add_column(t("summary.col.date"), no_wrap=True)
        table.add_column(t("summary.col.level"), no_wrap=True)
        table.add_column(t("summary.col.by"))
        table.add_column(t("summary.col.details"), ratio=1, overflow="fold")
        for entry in summary.concerns:
            style = _LEVEL_STYLE.get(entry.concern_level, "") if entry.concern_level else ""
            details = Text(entry.summary)
            details.append(f"\n{labelled(t('summary.id'), short_id(entry.id))}", style="dim")
            table.add_row(
                Text(day(entry.occurred_on)),
                Text(concern_level(entry), style=style),
                Text(entry.recorded_by),
                details,
            )
        parts.append(table)
    return _panel(t("summary.section.concerns"), Group(*parts))


def _conflicts(summary: CaseSummary) -> Panel:
    if not summary.conflicts:
        return _panel(t("summary.section.conflicts"), Text(t("summary.no_conflicts"), style="dim"))
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
    table.add_column(t("summary.col.field"), no_wrap=True)
    table.add_column(t("summary.col.kept"), ratio=1, overflow="fold")
    table.add_column(t("summary.col.other"), ratio=1, overflow="fold")
    for conflict in summary.conflicts:
        table.add_row(
            Text(t(f"field.{conflict.field}"), style="bold"),
            _valued(conflict.kept_value, conflict.kept_by),
            _valued(conflict.other_value, conflict.other_by),
        )
    return Panel(
        table,
        title=t("summary.section.conflicts"),
        title_align="left",
        box=box.ROUNDED,
        border_style="yellow",
    )


def _valued(value: str, author: str) -> Text:
    text = Text(value)
    if author:
        text.append(f"\n{t('summary.by', name=author)}", style="dim")
    return text


# Follow-ups per printed table: rich lays out a whole `print` in memory before writing it,
# so a long history goes out in parts of this size (bounded memory, issue 7).
HISTORY_PART = 100


def _print_history(summary: CaseSummary, console: Console) -> None:
    note = Text(history_note(summary), style="dim")
    title = t("summary.section.history")
    if not summary.history:
        console.print(_panel(title, Group(note, Text(t("summary.no_history"), style="dim"))))
        return
    console.print(_panel(title, note))
    # The same column widths for every part, so that the parts read as one table.
    kinds = max(len(t(f"kind.{e.kind}")) for e in summary.history)
    names = max(len(e.recorded_by) for e in summary.history)
    widths = (
        max(len(day(summary.history[0].occurred_on)), len(t("summary.col.date"))),
        min(18, max(kinds, len(t("summary.col.kind")))),
        min(18, max(names, len(t("summary.col.by")))),
    )
    for start in range(0, len(summary.history), HISTORY_PART):
        part = summary.history[start : start + HISTORY_PART]
        console.print(_history_table(part, widths, header=start == 0))


def _history_table(
    entries: list[HistoryEntry], widths: tuple[int, int, int], header: bool
) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD, expand=True, pad_edge=False, show_lines=True, show_header=header
    )
    table.add_column(t("summary.col.date"), no_wrap=True, width=widths[0])
    table.add_column(t("summary.col.kind"), width=widths[1])
    table.add_column(t("summary.col.by"), width=widths[2])
    table.add_column(t("summary.col.details"), ratio=1, overflow="fold")
    for entry in entries:
        table.add_row(
            Text(day(entry.occurred_on)),
            Text(t(f"kind.{entry.kind}")),
            Text(entry.recorded_by),
            _entry_details(entry),
        )
    return table


def _entry_details(entry: HistoryEntry) -> Text:
    text = Text(entry.summary.strip(), style="strike" if entry.withdrawn else "")
    withdrawn = withdrawn_note(entry)
    if withdrawn:
        text.append(f"\n{withdrawn}", style="bold")
    note = amended_note(entry)
    if note:
        text.append(f"\n{note}", style="italic yellow")
    addressed = for_cell_note(entry)
    if addressed:
        text.append(f"\n{addressed}", style="bold")
    for label, value in entry_details(entry):
        style = "dim"
        if entry.concern_level is not None and label == t("summary.concern_level"):
            style = _LEVEL_STYLE.get(entry.concern_level, "") or "dim"
        text.append(f"\n{labelled(label, value)}", style=style)
    return text


def _panel(title: str, body: Table | Text | Group) -> Panel:
    return Panel(body, title=title, title_align="left", box=box.ROUNDED)
