"""Render the district's meeting report: terminal (rich), Markdown and A4 PDF.

The report is assembled once in fieldkit/district/report.py; the three renderings
share the words below and lay them out. The PDF uses the case summary's page
furniture (marking, reference, printed-by line, page N/M) from pdf.py.
"""

from __future__ import annotations

from functools import cache

from rich import box
from rich.console import Console, Group
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from fieldkit.dates import show_moment
from fieldkit.display import escaped_model
from fieldkit.district.report import CaseLine, CountRow, DistrictReport, UnitFigures
from fieldkit.i18n import catalogue, t, t_n
from fieldkit.summary.assemble import day, entry_heading, labelled
from fieldkit.summary.cell import (
    entry_details,
    entry_marks,
    entry_text,
    value_word,
)
from fieldkit.summary.markdown import escape
from fieldkit.summary.pdf import (
    BODY,
    BOLD,
    SMALL,
    WIDTH,
    Cell,
    Fonts,
    PagedPDF,
    render_document,
)

# --- the words of a report -------------------------------------------------------------


def title(report: DistrictReport) -> str:
    return f"{t('report.title')} — {report.district}" if report.district else t("report.title")


def reference(report: DistrictReport) -> str:
    """What identifies the report on every page: its day, and the unit when limited to one."""
    text = t("report.reference", date=day(report.printed_at.date()))
    return f"{text} — {report.unit}" if report.unit else text


def printed_line(report: DistrictReport) -> str:
    at = show_moment(report.printed_at, local=False)
    return t("summary.printed", by=report.printed_by, at=at)


def notes(report: DistrictReport) -> list[str]:
    """How to read the figures."""
    lines = [
        t("report.scope"),
        t("report.period", date=day(report.since)),
        t_n("report.not_seen_rule", report.not_seen_days),
        t("report.overdue_rule"),
    ]
    lines.append(t("cell.report.attendance_rule", date=day(report.since)))
    if report.unit:
        lines.append(t("report.unit_only", unit=report.unit))
    if report.next_meeting is not None:
        reference, when, cases = report.next_meeting
        lines.append(t_n("meeting.report_next", cases, reference=reference, date=day(when)))
    return lines


def figure_columns(report: DistrictReport) -> list[str]:
    return [
        t("report.col.unit"),
        t("report.col.active"),
        t("report.col.followups", date=day(report.since)),
        t("report.col.overdue"),
        t("report.col.high"),
        t_n("report.col.not_seen", report.not_seen_days),
        t("report.col.conflicts"),
    ]


def figure_values(figures: UnitFigures) -> list[str]:
    return [
        str(value)
        for value in (
            figures.active_cases,
            figures.followups_since,
            figures.reviews_overdue,
            figures.high_concerns,
            figures.not_seen,
            figures.conflicts_waiting,
        )
    ]


def attendance_columns(*, short: bool = False) -> list[str]:
    """The unit, then the appointments' and the participation's columns; `short`: one word
    each, for the PDF's narrow columns (the section's title and notes say which is which)."""
    names = ("kept", "missed", "excused", "accepted", "proposed", "declined", "withdrawn")
    names += ("participation_unknown",)
    prefix = "cell.report.short." if short else "cell.report.col."
    return [t("report.col.unit"), *(t(f"{prefix}{name}") for name in names)]


def attendance_values(figures: UnitFigures) -> list[str]:
    return [
        str(value)
        for value in (
            figures.attendance_kept,
            figures.attendance_missed,
            figures.attendance_excused,
            figures.participation_accepted,
            figures.participation_proposed,
            figures.participation_declined,
            figures.participation_withdrawn,
            figures.participation_unknown,
        )
    ]


def annex_columns() -> list[str]:
    return [
        t("summary.reference"),
        t("summary.name"),
        t("report.col.unit"),
        t("summary.lead"),
        t("report.col.last_followup"),
        t("report.col.flags"),
    ]


def annex_values(line: CaseLine) -> list[str]:
    return [
        line.reference,
        line.display_name,
        line.unit,
        line.lead or t("summary.none"),
        day(line.last_followup),
        ", ".join(t(f"report.flag.{flag}") for flag in line.flags) or t("summary.none"),
    ]


def case_heading(line: CaseLine) -> str:
    return f"{line.reference} — {line.display_name}"


def case_notes(report: DistrictReport, line: CaseLine) -> list[tuple[str, str]]:
    """What the cell reads of one case since `since`, as (kind of line, text): "note" (the
    situation note for the group), "facts" (attendance), "entry" (a follow-up addressed to
    the group: its heading, then "text" and "detail" lines), "hidden" (the team's notes not
    shown)."""
    participation = value_word("participation", line.participation)
    out = [("facts", labelled(t("field.participation"), participation))]
    note = line.cell_note or t("cell.no_cell_note")
    out.append(("note", labelled(t("field.cell_note"), note)))
    counts = t(
        "cell.report.attendance_since",
        date=day(report.since),
        kept=line.attendance_kept,
        missed=line.attendance_missed,
        excused=line.attendance_excused,
    )
    out.append(("facts", counts))
    for entry in line.for_cell:
        out.append(("entry", " — ".join(entry_heading(entry))))
        out.append(("text", entry_text(entry)))
        for mark in entry_marks(entry)[1:]:  # "addressed to the group" goes without saying
            out.append(("detail", mark))
        for name, value in entry_details(entry)[:-1]:
            out.append(("detail", labelled(name, value)))
    if line.notes_hidden:
        out.append(("hidden", t_n("cell.notes_hidden", line.notes_hidden)))
    return out


def retention_lines(report: DistrictReport) -> list[str]:
    """What the next retention run does, the open cases past the active base (issue 19)."""
    kept = report.retention
    how = t(f"retention.end.{kept.end}")
    lines = [t("retention.report.due", archive=kept.to_archive, end=kept.to_end, how=how)]
    if kept.held:
        lines.append(t_n("retention.report.held", kept.held))
    lines.append(t_n("retention.report.flagged", kept.flagged, years=kept.active_years))
    if report.unit is None:
        lines.append(t_n("retention.in_archive", kept.in_archive))
    return lines


def statistics_columns() -> list[str]:
    return [
        t("retention.report.col.year"),
        t("report.col.unit"),
        t("retention.report.col.kind"),
        t("retention.report.col.outcome"),
        t("retention.report.col.count"),
    ]


# The words of an anonymised count's outcome, by its kind (fieldkit/district/anonymised.py).
_OUTCOME_WORDS = {"case": "participation", "referral": "referral_source", "measure": "measure"}
_FOLLOWUP_OUTCOMES = ("attendance", "referral", "concern")


def statistics_values(row: CountRow) -> list[str]:
    if row.kind in _OUTCOME_WORDS:
        kind = t(f"retention.stat.{row.kind}")
        prefixes: tuple[str, ...] = (_OUTCOME_WORDS[row.kind],)
    else:
        kind = _word("kind", row.kind)
        prefixes = _FOLLOWUP_OUTCOMES
    outcome = t(f"retention.stat.{row.outcome}") if row.outcome in ("recorded", "unknown") else ""
    for prefix in prefixes:
        outcome = outcome or _word(prefix, row.outcome, fallback="")
    return [str(row.year), row.unit, kind, outcome or row.outcome, str(row.count)]


def _word(prefix: str, value: str, *, fallback: str | None = None) -> str:
    """The words of a vocabulary's code (kind.interview), else the fallback or the code."""
    if f"{prefix}.{value}" not in catalogue():
        return value if fallback is None else fallback
    return t(f"{prefix}.{value}")


# --- terminal --------------------------------------------------------------------------


def render_report_text(report: DistrictReport, console: Console) -> None:
    report = escaped_model(report)
    marking = Text(t("summary.marking"), style="bold red")
    header = Group(
        marking,
        Text(title(report), style="bold"),
        Text(reference(report), style="bold"),
        Text(printed_line(report), style="dim"),
    )
    console.print(Panel(header, box=box.HEAVY, expand=True))
    console.print(
        Panel(
            Text("\n").join(Text(line) for line in notes(report)),
            title=t("report.section.scope"),
            title_align="left",
            box=box.ROUNDED,
        )
    )
    console.print(_figures_table(report, console))
    console.print(_attendance_table(report))
    console.print(_retention_panel(report))
    if report.cases is not None:
        console.print(_annex_table(report.cases, console))
        console.print(_notes_panel(report))
    console.print(marking)


def _retention_panel(report: DistrictReport) -> Panel:
    """The retention counts, then the anonymised counts (issue 19)."""
    parts: list[Text | Table] = [Text("\n").join(Text(line) for line in retention_lines(report))]
    if report.statistics:
        table = _table(t("retention.report.statistics"))
        for index, column in enumerate(statistics_columns()):
            table.add_column(column, justify="right" if index in (0, 4) else "left")
        for row in report.statistics:
            table.add_row(*(Text(value) for value in statistics_values(row)))
        parts.append(table)
    else:
        parts.append(Text(t("retention.report.no_statistics"), style="dim"))
    return Panel(
        Group(*parts), title=t("retention.report.section"), title_align="left", box=box.ROUNDED
    )


def _attendance_table(report: DistrictReport) -> Table | Panel:
    """Appointments and participation, units as columns (the measures are many)."""
    section = t("cell.report.section.attendance")
    if not report.units:
        body = Text(t("report.no_units"), style="dim")
        return Panel(body, title=section, title_align="left", box=box.ROUNDED)
    table = _table(section, expand=True)
    table.add_column("")
    for figures in report.units:
        table.add_column(Text(figures.unit), justify="right", overflow="fold")
    table.add_column(Text(t("report.total"), style="bold"), justify="right")
    values = [attendance_values(figures) for figures in [*report.units, report.total]]
    for index, label in enumerate(attendance_columns()[1:]):
        table.add_row(label, *(column[index] for column in values))
    return table


_NOTE_STYLE = {"note": "", "facts": "", "entry": "bold", "text": "", "detail": "dim"}


def _notes_panel(report: DistrictReport) -> Panel:
    """Per case, what the team addressed to the group since the last meeting."""
    blocks: list[Text] = []
    for line in report.cases or []:
        block = Text(case_heading(line), style="bold")
        for kind, text in case_notes(report, line):
            indent = "    " if kind in ("text", "detail") else "  "
            block.append(f"\n{indent}{text}", style=_NOTE_STYLE.get(kind, "bold"))
        blocks.append(block)
    body = Text("\n\n").join(blocks) if blocks else Text(t("report.no_cases"), style="dim")
    return Panel(body, title=t("cell.report.section.notes"), title_align="left", box=box.ROUNDED)


def _figures_table(report: DistrictReport, console: Console) -> Table | Panel:
    """Units as rows, as on paper; measures as rows when that cannot fit the terminal."""
    section = t("report.section.figures")
    if not report.units:
        body = Text(t("report.no_units"), style="dim")
        return Panel(body, title=section, title_align="left", box=box.ROUNDED)
    columns = figure_columns(report)
    rows = [[f.unit, *figure_values(f)] for f in report.units]
    total = _total_row(report)
    widths = _fit(console, [list(cells) for cells in zip(columns, *rows, total, strict=True)])
    if widths is None:
        return _figures_turned(report, columns)
    table = _table(section)
    for index, (header, width) in enumerate(zip(columns, widths, strict=True)):
        table.add_column(header, justify="left" if index == 0 else "right", width=width)
    for row in rows:
        table.add_row(*(Text(value) for value in row))
    table.add_section()
    table.add_row(*(Text(value, style="bold") for value in total))
    return table


def _figures_turned(report: DistrictReport, columns: list[str]) -> Table:
    """The figures with units as columns, for a narrow terminal."""
    table = _table(t("report.section.figures"), expand=True)
    table.add_column("")
    for figures in report.units:
        table.add_column(Text(figures.unit), justify="right", overflow="fold")
    table.add_column(Text(t("report.total"), style="bold"), justify="right")
    values = [figure_values(figures) for figures in [*report.units, report.total]]
    for index, label in enumerate(columns[1:]):
        table.add_row(label, *(column[index] for column in values))
    return table


def _total_row(report: DistrictReport) -> list[str]:
    return [t("report.total"), *figure_values(report.total)]


def _annex_table(lines: list[CaseLine], console: Console) -> Table | Panel:
    """One row per case; one small block per case when the rows cannot fit."""
    section = t("report.section.annex")
    if not lines:
        body = Text(t("report.no_cases"), style="dim")
        return Panel(body, title=section, title_align="left", box=box.ROUNDED)
    columns = annex_columns()
    rows = [annex_values(line) for line in lines]
    widths = _fit(console, [list(cells) for cells in zip(columns, *rows, strict=True)])
    if widths is not None:
        table = _table(section)
        for header, width in zip(columns, widths, strict=True):
            table.add_column(header, width=width)
        for row in rows:
            table.add_row(*(Text(value) for value in row))
        return table
    blocks: list[Text] = []
    for values in rows:
        block = Text(f"{values[0]} — {values[1]}", style="bold")
        for label, value in zip(columns[2:], values[2:], strict=True):
            block.append(f"\n  {t('summary.label', label=label, value=value)}")
        blocks.append(block)
    return Panel(Text("\n").join(blocks), title=section, title_align="left", box=box.ROUNDED)


def _table(title: str, *, expand: bool = False) -> Table:
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, expand=expand)


def _fit(console: Console, columns: list[list[str]]) -> list[int] | None:
    """Widths for columns of texts (header first) that fit the terminal, wrapping between
    words only and as little as the width allows; None when even that cannot fit."""
    probe = _table("")
    for _ in columns:
        probe.add_column(width=1)
    wide = console.options.update_width(10_000)
    room = console.width - (Measurement.get(console, wide, probe).maximum - len(columns))
    widths = [
        max((len(w) for text in column for w in text.split()), default=1) for column in columns
    ]
    longest = [max(len(text) for text in column) for column in columns]
    spare = room - sum(widths)
    if spare < 0:
        return None

    @cache
    def lines(index: int, width: int) -> int:
        return sum(_wrapped_lines(text, width) for text in columns[index])

    # Give the spare width, a step at a time, to the column wrapped on the most lines.
    while True:
        best: tuple[int, int, int] | None = None
        for index, width in enumerate(widths):
            now = lines(index, width)
            wider = width + 1
            while wider <= longest[index] and lines(index, wider) == now:
                wider += 1
            if wider > longest[index] or wider - width > spare:
                continue
            if best is None or now > best[0]:
                best = (now, index, wider)
        if best is None:
            return widths
        _now, index, wider = best
        spare -= wider - widths[index]
        widths[index] = wider


def _wrapped_lines(text: str, width: int) -> int:
    """How many lines `text` takes when wrapped between words at `width`."""
    count, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > width:
            count, used = count + 1, len(word)
        else:
            used += (1 if used else 0) + len(word)
    return count


# --- Markdown --------------------------------------------------------------------------


def render_report_markdown(report: DistrictReport) -> str:
    report = escaped_model(report)
    marking = f"**{t('summary.marking')}**"
    out = [marking, "", f"# {escape(title(report))}", ""]
    out += [escape(reference(report)), "", escape(printed_line(report)), ""]
    out += [f"## {t('report.section.scope')}", ""]
    out += [f"- {escape(line)}" for line in notes(report)]
    out += ["", f"## {t('report.section.figures')}", ""]
    if report.units:
        columns = figure_columns(report)
        out.append(_md_row(columns))
        out.append(_md_row(["---"] + ["---:"] * (len(columns) - 1), raw=True))
        for figures in report.units:
            out.append(_md_row([figures.unit, *figure_values(figures)]))
        total = [f"**{value}**" for value in _total_row(report)]
        out.append(_md_row(total, raw=True))
        out += ["", f"## {t('cell.report.section.attendance')}", ""]
        columns = attendance_columns()
        out.append(_md_row(columns))
        out.append(_md_row(["---"] + ["---:"] * (len(columns) - 1), raw=True))
        for figures in report.units:
            out.append(_md_row([figures.unit, *attendance_values(figures)]))
        total = [f"**{v}**" for v in [t("report.total"), *attendance_values(report.total)]]
        out.append(_md_row(total, raw=True))
    else:
        out.append(t("report.no_units"))
    out.append("")
    out += [f"## {t('retention.report.section')}", ""]
    out += [f"- {escape(line)}" for line in retention_lines(report)]
    out.append("")
    if report.statistics:
        out += [f"### {t('retention.report.statistics')}", ""]
        out.append(_md_row(statistics_columns()))
        out.append(_md_row(["---:", "---", "---", "---", "---:"], raw=True))
        out += [_md_row(statistics_values(row)) for row in report.statistics]
    else:
        out.append(t("retention.report.no_statistics"))
    out.append("")
    if report.cases is not None:
        out += [f"## {t('report.section.annex')}", ""]
        if report.cases:
            columns = annex_columns()
            out.append(_md_row(columns))
            out.append(_md_row(["---"] * len(columns), raw=True))
            out += [_md_row(annex_values(line)) for line in report.cases]
        else:
            out.append(t("report.no_cases"))
        out.append("")
        out += [f"## {t('cell.report.section.notes')}", ""]
        for line in report.cases:
            out += [f"### {escape(case_heading(line))}", ""]
            for kind, text in case_notes(report, line):
                one = escape(" ".join(text.split()))
                if kind == "entry":
                    out.append(f"- **{one}**")
                elif kind in ("text", "detail"):
                    out.append(f"  - {one}")
                elif kind == "hidden":
                    out.append(f"- *{one}*")
                else:
                    out.append(f"- {one}")
            out.append("")
        if not report.cases:
            out += [t("report.no_cases"), ""]
    out += ["---", "", marking]
    return "\n".join(line.rstrip() for line in out) + "\n"


def _md_row(cells: list[str], *, raw: bool = False) -> str:
    values = cells if raw else [escape(" ".join(cell.split())) for cell in cells]
    return "| " + " | ".join(values) + " |"


# --- PDF -------------------------------------------------------------------------------


def render_report_pdf(report: DistrictReport) -> bytes:
    """The report as the bytes of an A4 PDF; MissingGlyphsWarning as for a summary."""
    shown = escaped_model(report)
    return render_document(lambda fonts: _ReportPDF(shown, fonts))


_UNIT_WIDTH = 48.0
_FIGURE_WIDTH = (WIDTH - _UNIT_WIDTH) / 6
_ANNEX_WIDTHS = (27.0, 38.0, 30.0, 30.0, 22.0, WIDTH - 147.0)


class _ReportPDF(PagedPDF):
    def __init__(self, report: DistrictReport, fonts: Fonts) -> None:
        super().__init__(
            fonts, reference=reference(report), printed=printed_line(report), at=report.printed_at
        )
        self.report = report

    def render(self) -> None:
        r = self.report
        self.add_page()
        self._heading(t("report.title"), r.district)
        rows = [[self._cell(WIDTH, [(line, BODY)])] for line in notes(r)]
        self._table(t("report.section.scope"), None, rows)
        self._figures()
        self._attendance()
        self._retention()
        if r.cases is not None:
            self._annex(r.cases)
            self._notes(r.cases)

    def _attendance(self) -> None:
        r = self.report
        if not r.units:
            return
        unit = 30.0  # narrower than the figures' unit column: eight measures follow
        widths = (unit, *([(WIDTH - unit) / 8] * 8))
        rows = [
            self._figure_row(widths, f.unit, attendance_values(f), total=False) for f in r.units
        ]
        total = attendance_values(r.total)
        rows.append(self._figure_row(widths, t("report.total"), total, total=True))
        header = self._header_row(widths, attendance_columns(short=True))
        self._table(t("cell.report.section.attendance"), header, rows)

    def _retention(self) -> None:
        r = self.report
        rows = [[self._cell(WIDTH, [(line, BODY)])] for line in retention_lines(r)]
        self._table(t("retention.report.section"), None, rows)
        section = t("retention.report.statistics")
        if not r.statistics:
            note = [[self._cell(WIDTH, [(t("retention.report.no_statistics"), SMALL)])]]
            self._table(section, None, note)
            return
        widths = (18.0, 42.0, 50.0, WIDTH - 128.0, 18.0)
        body = [
            [
                self._cell(width, [(value, BODY)])
                for width, value in zip(widths, statistics_values(row), strict=True)
            ]
            for row in r.statistics
        ]
        self._table(section, self._header_row(widths, statistics_columns()), body)

    def _notes(self, lines: list[CaseLine]) -> None:
        section = t("cell.report.section.notes")
        if not lines:
            self._table(section, None, [[self._cell(WIDTH, [(t("report.no_cases"), SMALL)])]])
            return
        styles = {"entry": BOLD, "detail": SMALL, "hidden": BOLD}
        rows = [
            [
                self._cell(45, [(case_heading(line), BOLD)]),
                self._cell(
                    WIDTH - 45,
                    [
                        (text, styles.get(kind, BODY))
                        for kind, text in case_notes(self.report, line)
                    ],
                ),
            ]
            for line in lines
        ]
        self._table(section, None, rows)

    def _figures(self) -> None:
        r = self.report
        section = t("report.section.figures")
        if not r.units:
            self._table(section, None, [[self._cell(WIDTH, [(t("report.no_units"), SMALL)])]])
            return
        widths = (_UNIT_WIDTH, *([_FIGURE_WIDTH] * 6))
        rows = [self._figure_row(widths, f.unit, figure_values(f), total=False) for f in r.units]
        rows.append(self._figure_row(widths, t("report.total"), figure_values(r.total), total=True))
        self._table(section, self._header_row(widths, figure_columns(r)), rows)

    def _figure_row(
        self, widths: tuple[float, ...], unit: str, values: list[str], *, total: bool
    ) -> list[Cell]:
        style = BOLD if total else BODY
        cells = [self._cell(widths[0], [(unit, style)])]
        cells += [self._cell(w, [(v, style)]) for w, v in zip(widths[1:], values, strict=True)]
        return cells

    def _annex(self, lines: list[CaseLine]) -> None:
        section = t("report.section.annex")
        if not lines:
            self._table(section, None, [[self._cell(WIDTH, [(t("report.no_cases"), SMALL)])]])
            return
        rows = [
            [
                self._cell(width, [(value, BOLD if index == 0 else BODY)])
                for index, (width, value) in enumerate(
                    zip(_ANNEX_WIDTHS, annex_values(line), strict=True)
                )
            ]
            for line in lines
        ]
        self._table(section, self._header_row(_ANNEX_WIDTHS, annex_columns()), rows)
