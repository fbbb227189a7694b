"""Render a case summary as plain, diff-friendly Markdown.

Stable order, one fact per line, no trailing spaces, and no time other than the
printed-at line, so that two exports of the same case differ only where it changed.
The confidentiality marking opens and closes the document. Text that people wrote is
data: its control and format characters are written out (fieldkit.display) and what
Markdown or HTML would read as formatting, a link or a tag is escaped.
"""

from __future__ import annotations

import re

from fieldkit.display import escaped_model, short_id
from fieldkit.i18n import t
from fieldkit.summary.assemble import (
    CaseSummary,
    DecisionEntry,
    HistoryEntry,
    MeasureEntry,
    amended_note,
    case_facts,
    concern_level,
    day,
    decision_facts,
    decision_heading,
    entry_details,
    entry_heading,
    for_cell_note,
    goal_state,
    history_note,
    labelled,
    measure_state,
    printed_line,
    referral_facts,
    withdrawn_note,
)

# Characters that Markdown would read as formatting anywhere in a line; `&` would start an
# HTML character reference (`&#x202E;` is the bidi override itself).
_INLINE = re.compile(r"([\\`*_\[\]<>|&])")
# Line openings that Markdown would read as a heading, list, quote, rule or fence.
_BLOCK_START = re.compile(r"^(\s*)([#>+=~-]|\d+[.)])")


def render_markdown(summary: CaseSummary) -> str:
    summary = escaped_model(summary)
    marking = f"**{t('summary.marking')}**"
    out: list[str] = [marking, ""]
    out += [f"# {t('summary.title')} — {escape(summary.reference)}", ""]
    out += [escape(printed_line(summary)), ""]

    out += _section(t("summary.section.case"), _facts(case_facts(summary)))
    situation = _paragraphs(summary.situation or "") or [t("summary.no_situation")]
    out += _section(t("summary.section.situation"), situation)
    cell_note = _paragraphs(summary.cell_note or "") or [t("cell.no_cell_note")]
    out += _section(t("field.cell_note"), cell_note)
    out += _section(t("summary.section.referral"), _facts(referral_facts(summary)))
    out += _section(t("decision.section"), decision_lines(summary.decisions))

    goals = [f"- {escape(goal.text)} — {escape(goal_state(goal))}" for goal in summary.goals] or [
        t("summary.no_goals")
    ]
    out += _section(t("summary.section.goals"), goals)

    related = [f"- {escape(person)}" for person in summary.related] or [t("summary.no_related")]
    out += _section(t("summary.section.related"), related)

    concerns: list[str] = []
    if summary.since is not None:
        concerns += [t("summary.concerns_since", date=day(summary.since)), ""]
    for entry in summary.concerns:
        head = [day(entry.occurred_on), concern_level(entry), entry.recorded_by]
        concerns += [f"- {escape(' — '.join(head))}", ""]
        concerns += [*_indented(_paragraphs(entry.summary), "  "), ""]
        concerns.append(f"  - {escape(labelled(t('summary.id'), short_id(entry.id)))}")
    if not summary.concerns:
        concerns.append(t("summary.no_concerns"))
    out += _section(t("summary.section.concerns"), concerns)

    conflicts: list[str] = []
    for conflict in summary.conflicts:
        conflicts.append(f"- {escape(t(f'field.{conflict.field}'))}")
        kept = _with_author(conflict.kept_value, conflict.kept_by)
        other = _with_author(conflict.other_value, conflict.other_by)
        conflicts.append(f"  - {escape(labelled(t('summary.col.kept'), kept))}")
        conflicts.append(f"  - {escape(labelled(t('summary.col.other'), other))}")
    if not summary.conflicts:
        conflicts.append(t("summary.no_conflicts"))
    out += _section(t("summary.section.conflicts"), conflicts)

    history = [escape(history_note(summary)), ""]
    for entry in summary.history:
        history += _entry(entry)
    if not summary.history:
        history += [t("summary.no_history"), ""]
    out += [f"## {t('summary.section.history')}", "", *history]

    out += ["---", "", marking]
    return "\n".join(line.rstrip() for line in out) + "\n"


def decision_lines(decisions: list[DecisionEntry]) -> list[str]:
    """« Décisions de la cellule »: each decision under its meeting's date, its measures
    numbered, then its facts and the note for the team (shared with the cell's summary)."""
    lines: list[str] = []
    for entry in decisions:
        lines += [f"### {escape(decision_heading(entry))}", ""]
        lines += [f"- {_measure(m)}" for m in entry.measures]
        lines += _facts(decision_facts(entry))
        if entry.note_for_team:
            lines += ["", f"**{escape(t('decision.note_for_team'))}**", ""]
            lines += _paragraphs(entry.note_for_team)
        lines.append("")
    return lines or [t("decision.none")]


def _measure(measure: MeasureEntry) -> str:
    """« 1. text — state », the number left as it is (escaped, it would read « 1\\. »)."""
    return t(
        "decision.measure_line",
        number=measure.number,
        text=escape(_one_line(measure.text)),
        state=escape(measure_state(measure)),
    )


def _section(title: str, lines: list[str]) -> list[str]:
    return [f"## {title}", "", *lines, ""]


def _facts(facts: list[tuple[str, str]]) -> list[str]:
    return [f"- {escape(labelled(label, _one_line(value)))}" for label, value in facts]


def _entry(entry: HistoryEntry) -> list[str]:
    lines = [f"### {escape(' — '.join(entry_heading(entry)))}", ""]
    paragraphs = _paragraphs(entry.summary)
    if entry.withdrawn:  # struck through, the withdrawal said in words under it
        paragraphs = [f"~~{line}~~" if line else "" for line in paragraphs]
    lines += paragraphs
    lines.append("")
    withdrawn = withdrawn_note(entry)
    if withdrawn:
        lines += [f"**{escape(withdrawn)}**", ""]
    note = amended_note(entry)
    if note:
        lines += [f"*{escape(note)}*", ""]
    addressed = for_cell_note(entry)
    if addressed:
        lines += [f"**{escape(addressed)}**", ""]
    lines += [
        f"- {escape(labelled(label, _one_line(value)))}" for label, value in entry_details(entry)
    ]
    lines.append("")
    return lines


def _with_author(value: str, author: str) -> str:
    return f"{value} ({t('summary.by', name=author)})" if author else value


def _paragraphs(text: str) -> list[str]:
    """Free text as Markdown lines: escaped, blank lines kept between paragraphs."""
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n"):
        line = raw.strip()
        if line or (lines and lines[-1]):
            lines.append(escape(line))
    return lines


def _indented(lines: list[str], prefix: str) -> list[str]:
    return [f"{prefix}{line}" if line else "" for line in lines]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def escape(text: str) -> str:
    """`text` with what Markdown would read as formatting escaped (shared with the report)."""
    escaped = _INLINE.sub(r"\\\1", text)
    return _BLOCK_START.sub(r"\1\\\2", escaped)
