"""What the printed sheets share (the recovery sheet, the enrolment sheet): a QR code
image, and the page's facts and paragraphs over the summaries' page furniture
(fieldkit/summary/pdf.py)."""

from __future__ import annotations

import io

from fieldkit.summary.pdf import _MARGIN, WIDTH, PagedPDF, Style


def qr_png(text: str) -> bytes:
    """`text` as a QR code (error correction M), a PNG image."""
    import segno

    code = segno.make(text, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


class SheetPDF(PagedPDF):
    """A one-page sheet: labelled facts in two columns, and paragraphs of guidance."""

    def _facts(self, facts: list[tuple[str, str]]) -> None:
        for label, value in facts:
            self._font(Style(size=10, bold=True))
            self.set_x(_MARGIN)
            self.cell(42, 6, self._clean(label))
            self._font(Style(size=10))
            self.cell(WIDTH - 42, 6, self._clean(value))
            self.ln(6)

    def _paragraph(
        self, text: str, style: Style, *, width: float = WIDTH, x: float | None = _MARGIN
    ) -> None:
        from fpdf.enums import XPos, YPos

        self._font(style)
        left = self.get_x() if x is None else x
        self.set_x(left)
        height = style.size * 0.3528 * 1.35
        self.multi_cell(width, height, self._clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)
