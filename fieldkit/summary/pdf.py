"""Render a case summary as a printable A4 PDF with fpdf2.

Every page carries the confidentiality marking, the case reference, who printed it and
when, and "page N/M". Rows are laid out by hand: a row that does not fit in what is left
of a page moves whole to the next one, under its section's title and table header again;
only a row taller than a whole page is cut, at a line boundary. The page furniture, the
tables and the fonts are in `PagedPDF` and `render_document`, which the district's
report (report_render.py) shares.

Fonts: names may be in any script and fpdf2's built-in fonts only know cp1252, so a
Unicode TrueType font is embedded (subset). In order: FiraGO from the pymupdf-fonts
package (Latin, Greek, Cyrillic, Arabic, Hebrew, Georgian, Thai, Devanagari), else a
system font at a usual place (DejaVu, Noto, Liberation, FreeFont, Arial), else Helvetica
with cp1252. A character the main font lacks is printed with a fallback font: Noto Sans
Symbols 2, Noto Sans Symbols and Noto Sans Math from pymupdf-fonts (arrows, check marks,
stars, warning signs), then every broad system font found (DejaVu, Noto CJK, Symbola,
Noto Emoji...). An emoji or a symbol that no font has is printed as its Unicode name
in brackets ("[white heavy check mark]"), never as "?"; a letter that no font has
prints as "?". Either raises MissingGlyphsWarning, which gives a count, never the text,
and advises a CJK font only when the characters missing are Chinese, Japanese or Korean.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from fieldkit.display import escaped_model, short_id
from fieldkit.i18n import current_language, t
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
    entry_heading,
    for_cell_note,
    goal_state,
    history_note,
    labelled,
    measure_line,
    printed_line,
    referral_facts,
    withdrawn_note,
)


class MissingGlyphsWarning(UserWarning):
    """Some characters of the summary could not be printed with the fonts available."""


Color = tuple[int, int, int]

# A4 portrait, in millimetres.
_MARGIN = 15.0
_BODY_TOP = 25.0
_BODY_BOTTOM = 297.0 - 18.0
WIDTH = 210.0 - 2 * _MARGIN
_PAD_X = 1.5  # inside a cell, left and right
_PAD_Y = 1.2  # inside a cell, above and below
_LEADING = 1.28  # line height / font size

_INK: Color = (20, 20, 20)
GREY: Color = (90, 90, 90)
_RULE: Color = (180, 180, 180)
_SHADE: Color = (232, 232, 232)
MARK: Color = (150, 0, 0)
_AMENDED: Color = (140, 70, 0)

_FAMILY = "fieldkit"
_CORE_FAMILY = "helvetica"
_CORE_ENCODING = "cp1252"


def render_pdf(summary: CaseSummary) -> bytes:
    """The summary as the bytes of an A4 PDF."""
    shown = escaped_model(summary)
    return render_document(lambda fonts: _SummaryPDF(shown, fonts))


def render_document(build: Callable[[Fonts], PagedPDF]) -> bytes:
    """Lay out the document `build` makes with the fonts available; its bytes.

    Raises MissingGlyphsWarning (a count, never the text) when some characters had no glyph.
    """
    # The font files must outlive the document: fpdf2 reads them again to subset them.
    with tempfile.TemporaryDirectory(prefix="fieldkit-fonts-") as tmp:
        pdf = build(Fonts.load(Path(tmp)))
        pdf.render()
        data = bytes(pdf.output())
    fonts = pdf.fonts_used
    if fonts.missing:
        message = t("summary.missing_glyphs", count=len(fonts.missing))
        if any(is_cjk(char) for char in fonts.missing):
            message += " " + t("summary.missing_glyphs.cjk")
        elif not fonts.packaged:
            message += " " + t("summary.missing_glyphs.package")
        warnings.warn(message, MissingGlyphsWarning, stacklevel=3)
    return data


# Chinese, Japanese and Korean: the characters a CJK font would print (the advice to
# install one is given only for them).
_CJK = re.compile(
    "[\u1100-\u11ff\u2e80-\u2fdf\u3000-\u30ff\u3100-\u31ff\u3200-\u4dbf"
    "\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff00-\uffef"
    "\U00020000-\U0003134f]"
)


def is_cjk(char: str) -> bool:
    return _CJK.match(char) is not None


# Presentation only: variation selectors (text or emoji style) and skin-tone modifiers.
# Dropped when no font has them, rather than printed as a name of their own.
_PRESENTATION = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef\U0001f3fb-\U0001f3ff]")


def named(char: str) -> str | None:
    """An emoji's or a symbol's readable stand-in, "[grinning face]"; None for a letter,
    a digit or a mark, which prints as "?" (a name for every letter would be unreadable)."""
    category = unicodedata.category(char)
    if category[0] != "S" and not 0x1F000 <= ord(char) <= 0x1FAFF:
        return None
    name = unicodedata.name(char, "")
    return f"[{name.lower()}]" if name else f"[U+{ord(char):04X}]"


# --- fonts -----------------------------------------------------------------------------


# Fonts of pymupdf-fonts for symbols the main font lacks, tried first, in this order.
_PACKAGED_FALLBACKS = (
    ("symbol2", "NotoSansSymbols2-Regular.ttf"),
    ("symbol1", "NotoSansSymbols-Regular.ttf"),
    ("math", "NotoSansMath-Regular.ttf"),
)


def packaged_fallbacks(directory: Path) -> list[Path]:
    """The symbol fonts of pymupdf-fonts, written to `directory`; none without the package."""
    try:
        import pymupdf_fonts
    except ImportError:
        return []
    paths = []
    for code, name in _PACKAGED_FALLBACKS:
        path = directory / name
        try:
            path.write_bytes(pymupdf_fonts.myfont(code))
        except (KeyError, OSError):  # an older package without this font
            continue
        paths.append(path)
    return paths


def packaged_fonts(directory: Path) -> tuple[Path, Path] | None:
    """FiraGO regular and bold from the pymupdf-fonts package, written to `directory`."""
    try:
        import pymupdf_fonts
    except ImportError:
        return None
    paths = []
    for code, name in (("figo", "FiraGO-Regular.ttf"), ("figbo", "FiraGO-Bold.ttf")):
        path = directory / name
        path.write_bytes(pymupdf_fonts.myfont(code))
        paths.append(path)
    return paths[0], paths[1]


def _font_dirs() -> list[Path]:
    dirs = [
        Path("/usr/share/fonts/truetype/dejavu"),
        Path("/usr/share/fonts/dejavu"),
        Path("/usr/share/fonts/dejavu-sans-fonts"),
        Path("/usr/share/fonts/TTF"),
        Path("/usr/share/fonts/truetype/noto"),
        Path("/usr/share/fonts/noto"),
        Path("/usr/share/fonts/google-noto"),
        Path("/usr/share/fonts/truetype/liberation"),
        Path("/usr/share/fonts/liberation-sans"),
        Path("/usr/share/fonts/truetype/freefont"),
        Path("/usr/share/fonts/gnu-free"),
        Path("/usr/local/share/fonts"),
        Path.home() / ".local/share/fonts",
        Path("/Library/Fonts"),
        Path("/System/Library/Fonts/Supplemental"),
    ]
    windir = os.environ.get("WINDIR")
    if windir:
        dirs.append(Path(windir) / "Fonts")
    return dirs


# (regular, bold) file names, best first.
_SYSTEM_FAMILIES = (
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    ("FreeSans.ttf", "FreeSansBold.ttf"),
    ("Arial Unicode.ttf", "Arial Bold.ttf"),
    ("arial.ttf", "arialbd.ttf"),
)
# Broad fonts tried, in addition, for characters the main font lacks (CJK above all).
_FALLBACK_FILES = (
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "DroidSansFallbackFull.ttf",
    "wqy-microhei.ttc",
    "NotoSansArabic-Regular.ttf",
    "NotoSansHebrew-Regular.ttf",
    "FreeSerif.ttf",
    # Emoji in outline (fpdf2 embeds outlines; colour bitmap fonts are not used).
    "Symbola.ttf",
    "Symbola_hint.ttf",
    "NotoEmoji-Regular.ttf",
)


def system_fonts() -> tuple[Path, Path] | None:
    """The first usual Unicode sans-serif font installed, regular and bold."""
    for regular_name, bold_name in _SYSTEM_FAMILIES:
        for directory in _font_dirs():
            regular = directory / regular_name
            if regular.is_file():
                bold = directory / bold_name
                return regular, bold if bold.is_file() else regular
    return None


def _fallback_candidates() -> Iterator[Path]:
    dirs = [
        *_font_dirs(),
        Path("/usr/share/fonts/opentype/noto"),
        Path("/usr/share/fonts/truetype/droid"),
        Path("/usr/share/fonts/truetype/ancient-scripts"),  # fonts-symbola
    ]
    dirs.append(Path("/usr/share/fonts/truetype/wqy"))
    names = [regular for regular, _ in _SYSTEM_FAMILIES] + list(_FALLBACK_FILES)
    for name in names:
        for directory in dirs:
            path = directory / name
            if path.is_file():
                yield path


@dataclass
class Fonts:
    """The fonts of one document and what they can print."""

    files: tuple[Path, Path] | None
    packaged: bool = False  # the files come from pymupdf-fonts
    directory: Path | None = None  # where the packaged fallbacks are written when needed
    cmap: set[int] = field(default_factory=set)
    fallbacks: list[str] = field(default_factory=list)
    fallback_cmaps: set[int] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    _searched: bool = False

    @classmethod
    def load(cls, directory: Path) -> Fonts:
        packaged = packaged_fonts(directory)
        if packaged:
            return cls(packaged, packaged=True, directory=directory)
        return cls(system_fonts(), directory=directory)

    @property
    def family(self) -> str:
        return _FAMILY if self.files else _CORE_FAMILY

    def install(self, pdf: FPDF) -> None:
        if self.files is None:
            pdf.core_fonts_encoding = _CORE_ENCODING
            return
        regular, bold = self.files
        pdf.add_font(_FAMILY, "", regular)
        pdf.add_font(_FAMILY, "B", bold)
        self.cmap = set(pdf.fonts[_FAMILY].cmap)

    def clean(self, pdf: FPDF, text: str) -> str:
        """`text` with what no font can print replaced by its name (an emoji, a symbol)
        or '?' (a letter), and controls dropped."""
        out = []
        for char in text:
            category = unicodedata.category(char)
            if category == "Zs" or char == "\t":  # every kind of space, as one of two
                out.append("\u00a0" if char in "\u00a0\u202f\u2007" else " ")
            elif category[0] == "C":  # controls and invisible format characters
                continue
            elif self._printable(pdf, char):
                out.append(char)
            elif _PRESENTATION.match(char):
                continue
            else:
                self.missing.add(char)
                out.append(named(char) or "?")
        return "".join(out)

    def _printable(self, pdf: FPDF, char: str) -> bool:
        if self.files is None:
            try:
                char.encode(_CORE_ENCODING)
            except UnicodeEncodeError:
                return False
            return True
        code = ord(char)
        if code in self.cmap or code in self.fallback_cmaps:
            return True
        if not self._searched:
            self._add_fallbacks(pdf)
        return code in self.fallback_cmaps

    def _add_fallbacks(self, pdf: FPDF) -> None:
        """Add every broad system font found as a fallback; done once, when first needed."""
        self._searched = True
        main = {path.resolve() for path in self.files or ()}
        packaged = packaged_fallbacks(self.directory) if self.directory else []
        for index, path in enumerate([*packaged, *_fallback_candidates()]):
            if path.resolve() in main:
                continue
            name = f"{_FAMILY}-fallback-{index}"
            try:
                pdf.add_font(name, "", path)
            except Exception:  # a damaged or unreadable font file is skipped, not fatal
                continue
            self.fallbacks.append(name)
            self.fallback_cmaps.update(pdf.fonts[name].cmap)
        if self.fallbacks:
            pdf.set_fallback_fonts(self.fallbacks, exact_match=False)


# --- layout ----------------------------------------------------------------------------


@dataclass
class _Line:
    text: str
    bold: bool
    size: float
    color: Color
    strike: bool = False

    @property
    def height(self) -> float:
        return self.size * 0.3528 * _LEADING


@dataclass
class Cell:
    width: float
    lines: list[_Line]

    @property
    def height(self) -> float:
        return sum(line.height for line in self.lines)


@dataclass
class Style:
    size: float = 9.0
    bold: bool = False
    color: Color = _INK
    strike: bool = False  # a withdrawn follow-up's text


BODY = Style()
SMALL = Style(size=8.0, color=GREY)
BOLD = Style(bold=True)
HEAD = Style(size=8.5, bold=True)


class PagedPDF(FPDF):
    """An A4 document with fieldkit's page furniture, laid out in tables of whole rows.

    Every page carries the confidentiality marking and `reference` at the top, the
    `printed` line under them, and the marking and "page N/M" at the foot. Subclasses
    lay out their content in `render`, with `_table` and `_cell`.
    """

    def __init__(
        self,
        fonts: Fonts,
        *,
        reference: str,
        printed: str,
        at: datetime,
        banner: str | None = None,
    ) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.fonts_used = fonts
        self.reference = reference
        self.printed = printed
        # A second marking, right of the printed line on every page (a right-of-access file).
        self.banner = banner
        fonts.install(self)
        self.set_margins(_MARGIN, _BODY_TOP, _MARGIN)
        # Page breaks are decided row by row below, never in the middle of a row.
        self.set_auto_page_break(False)
        self.c_margin = _PAD_X
        self.alias_nb_pages()
        # Only the reference identifies the document in its metadata (DESIGN §6, §8).
        self.set_title(reference)
        self.set_creator("fieldkit")
        self.set_lang(current_language())
        self.set_creation_date(at)
        self._continuation: Callable[[], None] | None = None

    def render(self) -> None:
        raise NotImplementedError

    # Every page -----------------------------------------------------------------------

    def header(self) -> None:
        self._font(Style(size=9.5, bold=True, color=MARK))
        self.set_xy(_MARGIN, 9)
        self.cell(WIDTH / 2, 5, self._clean(t("summary.marking")))
        self._font(Style(size=9.5, bold=True))
        self.set_xy(_MARGIN + WIDTH / 2, 9)
        self.cell(WIDTH / 2, 5, self._clean(self.reference), align="R")
        self._font(Style(size=8, color=GREY))
        self.set_xy(_MARGIN, 14)
        self.cell(WIDTH, 4.5, self._clean(self.printed))
        if self.banner:
            self._font(Style(size=8, bold=True, color=MARK))
            self.set_xy(_MARGIN + WIDTH / 2, 14)
            self.cell(WIDTH / 2, 4.5, self._clean(self.banner), align="R")
        self._rule(19.5, width=0.3)
        self.set_y(_BODY_TOP)

    def footer(self) -> None:
        self._rule(297 - 14, width=0.3)
        self._font(Style(size=8, bold=True, color=MARK))
        self.set_xy(_MARGIN, 297 - 13)
        self.cell(WIDTH * 0.7, 5, self._clean(t("summary.marking")))
        self._font(Style(size=8, color=_INK))
        self.set_xy(_MARGIN + WIDTH * 0.7, 297 - 13)
        total = self.str_alias_nb_pages
        self.cell(WIDTH * 0.3, 5, t("summary.page", n=self.page_no(), total=total), align="R")

    def _heading(self, title: str, subtitle: str) -> None:
        """The document's title and, under it, a second line, at the top of page 1."""
        self._font(Style(size=16, bold=True))
        self.set_x(_MARGIN)
        self.cell(WIDTH, 8, self._clean(title))
        self.ln(8)
        self._font(Style(size=13))
        self.cell(WIDTH, 7, self._clean(subtitle))
        self.ln(9)

    # Tables ---------------------------------------------------------------------------

    def _header_row(self, widths: tuple[float, ...], labels: list[str]) -> list[Cell]:
        return [self._cell(w, [(label, HEAD)]) for w, label in zip(widths, labels, strict=True)]

    def _table(
        self,
        title: str,
        header: list[Cell] | None,
        rows: list[list[Cell]],
        *,
        header_after: int = 0,
    ) -> None:
        """A section: its title, then rows that never straddle a page.

        The table header comes before row `header_after` (rows before it are notes) and
        is drawn again, under the title marked as continued, on every new page.
        """

        def continuation() -> None:
            self._title(f"{title} {t('summary.continued')}")
            if header is not None:
                self._row(header, shade=True)

        needed = _TITLE_HEIGHT + sum(_row_height(row) for row in rows[: header_after + 1])
        if header is not None:
            needed += _row_height(header)
        self.ln(2)
        if self.get_y() + needed > _BODY_BOTTOM and self.get_y() > _BODY_TOP + 1:
            self._continuation = None
            self.add_page()
        self._title(title)
        self._continuation = continuation
        for index, row in enumerate(rows):
            if header is not None and index == header_after:
                if self.get_y() + _row_height(header) + _row_height(row) > _BODY_BOTTOM:
                    self._new_page()  # the continuation draws the header
                else:
                    self._row(header, shade=True)
            self._row(row)
        self._continuation = None

    def _new_page(self) -> None:
        self.add_page()
        if self._continuation is not None:
            self._continuation()

    def _title(self, title: str) -> None:
        self._font(Style(size=11.5, bold=True))
        self.set_x(_MARGIN)
        self.cell(WIDTH, 7, self._clean(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(0.5)

    def _row(self, cells: list[Cell], *, shade: bool = False) -> None:
        height = _row_height(cells)
        if self.get_y() + height > _BODY_BOTTOM:
            self._new_page()
        if self.get_y() + height <= _BODY_BOTTOM:
            self._draw_row(cells, height, shade)
            return
        # Taller than a page: the only row ever cut, at line boundaries.
        remaining = [list(cell.lines) for cell in cells]
        while any(remaining):
            room = _BODY_BOTTOM - self.get_y() - 2 * _PAD_Y
            part = [
                Cell(cell.width, _take(lines, room))
                for cell, lines in zip(cells, remaining, strict=True)
            ]
            self._draw_row(part, _row_height(part), shade)
            if any(remaining):
                self._new_page()

    def _draw_row(self, cells: list[Cell], height: float, shade: bool) -> None:
        top = self.get_y()
        if shade:
            self.set_fill_color(*_SHADE)
            self.rect(_MARGIN, top, WIDTH, height, style="F")
        x = _MARGIN
        for cell in cells:
            y = top + _PAD_Y
            for line in cell.lines:
                self._font(Style(line.size, line.bold, line.color, line.strike))
                self.set_xy(x, y)
                self.cell(cell.width, line.height, line.text)
                y += line.height
            x += cell.width
        self._rule(top + height, width=0.15)
        self.set_xy(_MARGIN, top + height)

    # Text -----------------------------------------------------------------------------

    def _cell(self, width: float, parts: list[tuple[str, Style]]) -> Cell:
        """`parts` wrapped to `width`, each paragraph on its own lines."""
        lines: list[_Line] = []
        for text, style in parts:
            self._font(style)
            for paragraph in text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n"):
                clean = self._clean(_glue(paragraph.strip()))
                if not clean:
                    continue
                wrapped = self._wrap(clean, width - 2 * _PAD_X)
                lines += [
                    _Line(piece, style.bold, style.size, style.color, style.strike)
                    for piece in wrapped
                ]
        return Cell(width, lines)

    def _wrap(self, text: str, room: float) -> list[str]:
        """Greedy word wrap in the current font; a word wider than `room` is cut."""
        lines: list[str] = []
        current = ""
        for word in text.split(" "):
            candidate = f"{current} {word}" if current else word
            if self.get_string_width(candidate) <= room:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = ""
            for char in word:
                if current and self.get_string_width(current + char) > room:
                    lines.append(current)
                    current = ""
                current += char
        if current:
            lines.append(current)
        return lines

    def _font(self, style: Style) -> None:
        emphasis = ("B" if style.bold else "") + ("S" if style.strike else "")
        self.set_font(self.fonts_used.family, emphasis, style.size)
        self.set_text_color(*style.color)

    def _clean(self, text: str) -> str:
        return self.fonts_used.clean(self, text)

    def decisions_table(self, decisions: list[DecisionEntry]) -> None:
        """« Décisions de la cellule »: one row per decision (its meeting's date, then its
        measures, facts and note for the team), never split across pages."""
        title = t("decision.section")
        if not decisions:
            self._table(title, None, [[self._cell(WIDTH, [(t("decision.none"), SMALL)])]])
            return
        widths = (40, WIDTH - 40)
        rows = []
        for entry in decisions:
            parts: list[tuple[str, Style]] = [(measure_line(m), BODY) for m in entry.measures]
            parts += [(labelled(label, value), BODY) for label, value in decision_facts(entry)]
            if entry.note_for_team:
                parts.append((labelled(t("decision.note_for_team"), entry.note_for_team), BODY))
            if not parts:
                parts = [(t("summary.none"), SMALL)]
            left = self._cell(widths[0], [(decision_heading(entry), BOLD)])
            rows.append([left, self._cell(widths[1], parts)])
        self._table(title, None, rows)

    def _rule(self, y: float, *, width: float) -> None:
        self.set_draw_color(*_RULE)
        self.set_line_width(width)
        self.line(_MARGIN, y, _MARGIN + WIDTH, y)


class _SummaryPDF(PagedPDF):
    def __init__(self, summary: CaseSummary, fonts: Fonts) -> None:
        super().__init__(
            fonts,
            reference=summary.reference,
            printed=printed_line(summary),
            at=summary.printed_at,
        )
        self.summary = summary

    # The document ---------------------------------------------------------------------

    def render(self) -> None:
        s = self.summary
        self.add_page()
        self._heading(f"{t('summary.title')} — {s.reference}", s.display_name)

        self._facts(t("summary.section.case"), case_facts(s))
        self._situation()
        self._cell_note()
        self._facts(t("summary.section.referral"), referral_facts(s))
        self.decisions_table(s.decisions)
        self._goals()
        self._related()
        self._concerns()
        self._conflicts()
        self._history()

    def _facts(self, title: str, facts: list[tuple[str, str]]) -> None:
        rows = [
            [self._cell(45, [(label, BOLD)]), self._cell(WIDTH - 45, [(value, BODY)])]
            for label, value in facts
        ]
        self._table(title, None, rows)

    def _situation(self) -> None:
        text = self.summary.situation
        cell = self._cell(WIDTH, [(text, BODY) if text else (t("summary.no_situation"), SMALL)])
        self._table(t("summary.section.situation"), None, [[cell]])

    def _cell_note(self) -> None:
        text = self.summary.cell_note
        cell = self._cell(WIDTH, [(text, BODY) if text else (t("cell.no_cell_note"), SMALL)])
        self._table(t("field.cell_note"), None, [[cell]])

    def _goals(self) -> None:
        title = t("summary.section.goals")
        if not self.summary.goals:
            self._table(title, None, [[self._cell(WIDTH, [(t("summary.no_goals"), SMALL)])]])
            return
        widths = (WIDTH - 40, 40)
        header = [t("summary.goal"), t("summary.goal_state")]
        rows = [
            [
                self._cell(widths[0], [(goal.text, BODY)]),
                self._cell(widths[1], [(goal_state(goal), BODY)]),
            ]
            for goal in self.summary.goals
        ]
        self._table(title, self._header_row(widths, header), rows)

    def _related(self) -> None:
        people = self.summary.related or []
        items = [(f"• {person}", BODY) for person in people]
        rows = [[self._cell(WIDTH, [item])] for item in items]
        if not rows:
            rows = [[self._cell(WIDTH, [(t("summary.no_related"), SMALL)])]]
        self._table(t("summary.section.related"), None, rows)

    def _concerns(self) -> None:
        s = self.summary
        title = t("summary.section.concerns")
        rows: list[list[Cell]] = []
        if s.since is not None:
            note = t("summary.concerns_since", date=day(s.since))
            rows.append([self._cell(WIDTH, [(note, SMALL)])])
        widths = (24, 22, 34, WIDTH - 80)
        header = [
            t("summary.col.date"),
            t("summary.col.level"),
            t("summary.col.by"),
            t("summary.col.details"),
        ]
        for entry in s.concerns:
            level = Style(bold=True, color=MARK) if _is_high(entry) else BODY
            rows.append(
                [
                    self._cell(widths[0], [(day(entry.occurred_on), BODY)]),
                    self._cell(widths[1], [(concern_level(entry), level)]),
                    self._cell(widths[2], [(entry.recorded_by, BODY)]),
                    self._cell(
                        widths[3],
                        [
                            (entry.summary, BODY),
                            (labelled(t("summary.id"), short_id(entry.id)), SMALL),
                        ],
                    ),
                ]
            )
        if not s.concerns:
            rows.append([self._cell(WIDTH, [(t("summary.no_concerns"), SMALL)])])
            self._table(title, None, rows)
            return
        notes = 1 if s.since is not None else 0
        self._table(title, self._header_row(widths, header), rows, header_after=notes)

    def _conflicts(self) -> None:
        title = t("summary.section.conflicts")
        if not self.summary.conflicts:
            self._table(title, None, [[self._cell(WIDTH, [(t("summary.no_conflicts"), SMALL)])]])
            return
        widths = (40, (WIDTH - 40) / 2, (WIDTH - 40) / 2)
        header = [t("summary.col.field"), t("summary.col.kept"), t("summary.col.other")]
        rows = []
        for conflict in self.summary.conflicts:
            kept = [(conflict.kept_value, BODY)]
            other = [(conflict.other_value, BODY)]
            if conflict.kept_by:
                kept.append((t("summary.by", name=conflict.kept_by), SMALL))
            if conflict.other_by:
                other.append((t("summary.by", name=conflict.other_by), SMALL))
            rows.append(
                [
                    self._cell(widths[0], [(t(f"field.{conflict.field}"), BOLD)]),
                    self._cell(widths[1], kept),
                    self._cell(widths[2], other),
                ]
            )
        self._table(title, self._header_row(widths, header), rows)

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
        rows += [self._entry_row(entry, widths) for entry in s.history]
        self._table(title, self._header_row(widths, header), rows, header_after=1)

    def _entry_row(self, entry: HistoryEntry, widths: tuple[float, float]) -> list[Cell]:
        when, kind, author = entry_heading(entry)
        left = [
            (when, BOLD),
            (kind, BODY),
            (author, SMALL),
            (short_id(entry.id), SMALL),
        ]
        right: list[tuple[str, Style]] = [(entry.summary, Style(strike=entry.withdrawn))]
        withdrawn = withdrawn_note(entry)
        if withdrawn:
            right.append((withdrawn, Style(size=8.0, bold=True, color=MARK)))
        note = amended_note(entry)
        if note:
            right.append((note, Style(size=8.0, bold=True, color=_AMENDED)))
        addressed = for_cell_note(entry)
        if addressed:
            right.append((addressed, Style(size=8.0, bold=True)))
        for label, value in entry_details(entry)[:-1]:  # the id is in the left column
            style = SMALL
            if label == t("summary.concern_level") and _is_high(entry) and not entry.withdrawn:
                style = Style(size=8.0, bold=True, color=MARK)
            right.append((labelled(label, value), style))
        return [self._cell(widths[0], left), self._cell(widths[1], right)]


_TITLE_HEIGHT = 7.5


def _row_height(cells: list[Cell]) -> float:
    return max((cell.height for cell in cells), default=0.0) + 2 * _PAD_Y


def _take(lines: list[_Line], room: float) -> list[_Line]:
    """Remove and return the first lines of `lines` that fit in `room` (at least one)."""
    taken: list[_Line] = []
    used = 0.0
    while lines and (not taken or used + lines[0].height <= room):
        used += lines[0].height
        taken.append(lines.pop(0))
    return taken


# Spaces that must not become line breaks (French typography): before high punctuation,
# inside guillemets, and after "n°".
_GLUED = re.compile(r" (?=[:;!?»])|(?<=«) |(?<=n°) ")


def _glue(text: str) -> str:
    return _GLUED.sub("\u00a0", text)


def _is_high(entry: HistoryEntry) -> bool:
    return entry.concern_level == ConcernLevel.HIGH
