"""The recovery sheet as a one-page A4 PDF: the key's lines to type, the same text as a
QR code (segno), and what to do with the sheet, in the screen's language.

The page furniture (confidentiality marking, fonts) is the summaries' (pdf.py). The key
is printed in Courier, one numbered line of groups at a time, each ending with its
check (fieldkit/crypto/recovery.py); the QR code holds the same lines, so that a
scanner's text can be given to `district recover --sheet -` as it is.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from fieldkit.dates import show_day
from fieldkit.i18n import t
from fieldkit.summary.pdf import _MARGIN, MARK, WIDTH, Fonts, Style, render_document
from fieldkit.summary.sheet import SheetPDF, qr_png

_KEY_FONT = "courier"  # a core font: the key is ASCII, and every character is as wide
_QR_SIZE = 62.0  # mm: at this size a phone reads a version-13 code from a printed page


@dataclass(frozen=True)
class RecoverySheet:
    """What the sheet shows; `lines` hold the private key (never log them)."""

    district: str
    generation: int
    created_at: datetime
    fingerprint: str  # for people: 16 groups of 4 hex digits
    lines: list[str]

    def __repr__(self) -> str:
        return f"RecoverySheet(generation={self.generation})"

    @property
    def text(self) -> str:
        """The lines as the QR code and a text file hold them."""
        return "\n".join(self.lines) + "\n"


def render_recovery_sheet(sheet: RecoverySheet) -> bytes:
    """The sheet as the bytes of a one-page A4 PDF."""
    return render_document(lambda fonts: _SheetPDF(sheet, fonts))


class _SheetPDF(SheetPDF):
    def __init__(self, sheet: RecoverySheet, fonts: Fonts) -> None:
        reference = t("recovery.sheet.reference", generation=sheet.generation)
        printed = t("recovery.sheet.made", day=show_day(sheet.created_at.date()))
        super().__init__(fonts, reference=reference, printed=printed, at=sheet.created_at)
        self.sheet = sheet

    def render(self) -> None:
        sheet = self.sheet
        self.add_page()
        self._heading(t("recovery.sheet.title"), sheet.district)
        self._facts(
            [
                (t("recovery.sheet.generation"), str(sheet.generation)),
                (t("recovery.sheet.date"), show_day(sheet.created_at.date())),
                (t("recovery.sheet.fingerprint"), sheet.fingerprint),
            ]
        )
        self.ln(3)
        self._paragraph(t("recovery.sheet.warning"), Style(size=10, bold=True, color=MARK))
        self.ln(2)
        self._title(t("recovery.sheet.key_title"))
        self.set_font(_KEY_FONT, "B", 11.5)
        self.set_text_color(20, 20, 20)
        for line in sheet.lines:
            self.set_x(_MARGIN + 2)
            self.cell(WIDTH - 4, 7.2, line)
            self.ln(7.2)
        self.ln(3)
        top = self.get_y()
        self.image(io.BytesIO(qr_png(sheet.text)), x=_MARGIN, y=top, w=_QR_SIZE, h=_QR_SIZE)
        self.set_xy(_MARGIN + _QR_SIZE + 5, top + 1)
        self._paragraph(
            t("recovery.sheet.qr_note"), Style(size=9), width=WIDTH - _QR_SIZE - 5, x=None
        )
        self.set_y(max(self.get_y(), top + _QR_SIZE) + 4)
        self._title(t("recovery.sheet.keep_title"))
        for key in ("recovery.sheet.keep", "recovery.sheet.never_copy", "recovery.sheet.new"):
            self._paragraph("• " + t(key), Style(size=9.5))
        self._title(t("recovery.sheet.use_title"))
        for key in ("recovery.sheet.use", "recovery.sheet.typing", "recovery.sheet.audited"):
            self._paragraph("• " + t(key), Style(size=9.5))
