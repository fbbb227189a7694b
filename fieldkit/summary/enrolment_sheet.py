"""The enrolment sheet (issue 17) as a one-page A4 PDF: the short code in large grouped
letters, the same code as a QR code (segno), what the worker compares (the district's
fingerprint, the charter's hash), the expiry and the worker's name, in the screen's
language.

The page furniture (confidentiality marking, fonts) is the summaries' (pdf.py), the QR
code drawn as the recovery sheet draws its own (recovery_sheet.py). The code is a
one-time secret: the sheet is handed over in person and destroyed once used.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from fieldkit.dates import show_day, show_moment
from fieldkit.i18n import t
from fieldkit.summary.pdf import _MARGIN, MARK, WIDTH, Fonts, Style, render_document
from fieldkit.summary.sheet import SheetPDF, qr_png

_CODE_FONT = "courier"  # a core font: the code is ASCII, every character as wide
_QR_SIZE = 55.0  # mm


@dataclass(frozen=True)
class EnrolmentSheet:
    """What the sheet shows; `code` is the one-time secret (never log it)."""

    district: str
    worker_name: str
    worker_id: str
    code: str
    district_fingerprint: str
    server: str | None
    expires: datetime
    charter_version: str | None
    charter_sha256: str | None
    made_at: datetime

    def __repr__(self) -> str:
        return f"EnrolmentSheet(worker={self.worker_id})"


def render_enrolment_sheet(sheet: EnrolmentSheet) -> bytes:
    """The sheet as the bytes of a one-page A4 PDF."""
    return render_document(lambda fonts: _SheetPDF(sheet, fonts))


class _SheetPDF(SheetPDF):
    def __init__(self, sheet: EnrolmentSheet, fonts: Fonts) -> None:
        reference = t("enrol.sheet.reference", id=sheet.worker_id)
        printed = t("enrol.sheet.made", day=show_day(sheet.made_at.date()))
        super().__init__(fonts, reference=reference, printed=printed, at=sheet.made_at)
        self.sheet = sheet

    def render(self) -> None:
        sheet = self.sheet
        self.add_page()
        self._heading(t("enrol.sheet.title"), sheet.district)
        facts = [
            (t("enrol.sheet.worker"), sheet.worker_name),
            (t("enrol.sheet.expires"), show_moment(sheet.expires)),
        ]
        if sheet.server:
            facts.append((t("enrol.sheet.server"), sheet.server))
        self._facts(facts)
        self.ln(3)
        self._paragraph(t("enrol.sheet.warning"), Style(size=10, bold=True, color=MARK))
        self.ln(2)
        self._title(t("enrol.sheet.code_title"))
        self.set_font(_CODE_FONT, "B", 22)
        self.set_text_color(20, 20, 20)
        groups = sheet.code.split("-")
        for line in ("  ".join(groups[:4]), "  ".join(groups[4:])):
            self.set_x(_MARGIN + 2)
            self.cell(WIDTH - 4, 11, line)
            self.ln(11)
        self.ln(3)
        top = self.get_y()
        self.image(io.BytesIO(qr_png(sheet.code)), x=_MARGIN, y=top, w=_QR_SIZE, h=_QR_SIZE)
        self.set_xy(_MARGIN + _QR_SIZE + 5, top + 1)
        self._paragraph(t("enrol.sheet.qr_note"), Style(size=9), width=WIDTH - _QR_SIZE - 5, x=None)
        self.set_y(max(self.get_y(), top + _QR_SIZE) + 4)
        self._title(t("enrol.sheet.compare_title"))
        compare = [(t("enrol.sheet.fingerprint"), sheet.district_fingerprint)]
        if sheet.charter_sha256:
            version = sheet.charter_version or ""
            compare.append((t("enrol.sheet.charter", version=version), sheet.charter_sha256))
        for label, value in compare:
            self._paragraph(label, Style(size=9.5, bold=True))
            self.set_font(_CODE_FONT, "", 10)
            self.set_x(_MARGIN + 2)
            self.cell(WIDTH - 4, 5.5, value)
            self.ln(7)
        self._title(t("enrol.sheet.how_title"))
        for key in ("enrol.sheet.how_online", "enrol.sheet.how_file", "enrol.sheet.destroy"):
            self._paragraph("• " + t(key), Style(size=9.5))
