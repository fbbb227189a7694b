"""The person's whole file (fieldkit/summary/access.py) as a printable A4 PDF.

The page furniture is the summaries' (fieldkit/summary/pdf.py): the confidentiality
marking, the case reference, who printed it and when, page N/M; and on every page the
right-of-access marking (« Droit d'accès — article 15 du RGPD »). Every text that came
from a person is escaped (control, bidi and invisible characters written out) before it
is laid out, as everywhere else (DESIGN §11).
"""

from __future__ import annotations

from fieldkit.display import escape, short_id
from fieldkit.i18n import t
from fieldkit.summary.access import (
    FieldValue,
    FollowUpRecord,
    SubjectAccess,
    amendment_heading,
    holder_line,
    printed_line,
    title,
)
from fieldkit.summary.assemble import day, labelled
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

_AMENDED = Style(size=8.5, bold=True, color=(140, 70, 0))
_SEALED = Style(size=8.5, color=MARK)


def render_access_pdf(document: SubjectAccess) -> bytes:
    """The file as the bytes of an A4 PDF."""
    return render_document(lambda fonts: _AccessPDF(document, fonts))


def _text(value: str) -> str:
    return escape(value, True)


class _AccessPDF(PagedPDF):
    def __init__(self, document: SubjectAccess, fonts: Fonts) -> None:
        super().__init__(
            fonts,
            reference=document.reference,
            printed=_text(printed_line(document)),
            at=document.printed_at,
            banner=t("access.marking"),
        )
        self.document = document

    def render(self) -> None:
        d = self.document
        self.add_page()
        self._heading(title(d), _text(d.display_name))
        self._intro()
        self._fields(t("access.section.fields"), d.fields)
        self._followups()
        self.decisions_table(d.decisions)
        self._conflicts()
        self._accesses()

    def _intro(self) -> None:
        parts = [(holder_line(self.document), BODY), (t("access.rights"), SMALL)]
        if self.document.sealed:
            parts.append((t("access.sealed_count", count=self.document.sealed), _SEALED))
        self._table(t("access.section.about"), None, [[self._cell(WIDTH, parts)]])

    def _value(self, field: FieldValue) -> tuple[str, Style]:
        return (_text(field.value), _SEALED if field.sealed else BODY)

    def _fields(self, heading: str, fields: list[FieldValue]) -> None:
        rows = [
            [self._cell(50, [(field.label, BOLD)]), self._cell(WIDTH - 50, [self._value(field)])]
            for field in fields
        ]
        self._table(heading, None, rows)

    def _followups(self) -> None:
        heading = t("access.section.followups")
        records = self.document.followups
        note = t("access.followups_count", count=len(records))
        rows = [[self._cell(WIDTH, [(note, SMALL)])]]
        if not records:
            self._table(heading, None, rows)
            return
        widths = (40, WIDTH - 40)
        header = self._header_row(widths, [t("summary.col.date"), t("access.col.texts")])
        rows += [self._record_row(record, widths) for record in records]
        self._table(heading, header, rows, header_after=1)

    def _record_row(self, record: FollowUpRecord, widths: tuple[float, float]) -> list[Cell]:
        left = [
            (day(record.occurred_on), BOLD),
            (_text(record.recorded_by), SMALL),
            (short_id(record.id), SMALL),
        ]
        if record.for_cell:
            left.append((t("field.for_cell"), SMALL))
        right = [(t("access.original"), BOLD)]
        right += [self._labelled(field) for field in record.original if not self._empty(field)]
        for amendment in record.amendments:
            right.append((amendment_heading(amendment), _AMENDED))
            right += [self._labelled(field) for field in amendment.changes]
        return [self._cell(widths[0], left), self._cell(widths[1], right)]

    def _labelled(self, field: FieldValue) -> tuple[str, Style]:
        text, style = self._value(field)
        return (labelled(field.label, text), style)

    @staticmethod
    def _empty(field: FieldValue) -> bool:
        return not field.sealed and field.value == t("summary.none")

    def _conflicts(self) -> None:
        heading = t("access.section.conflicts")
        conflicts = self.document.conflicts
        if not conflicts:
            self._table(heading, None, [[self._cell(WIDTH, [(t("access.no_conflicts"), SMALL)])]])
            return
        widths = (40, (WIDTH - 40) / 2, (WIDTH - 40) / 2)
        header = [t("summary.col.field"), t("access.col.kept"), t("summary.col.other")]
        rows = []
        for conflict in conflicts:
            kept = [(_text(conflict.kept_value), BODY)]
            other = [(_text(conflict.other_value), BODY)]
            if conflict.kept_by:
                kept.append((t("summary.by", name=conflict.kept_by), SMALL))
            if conflict.other_by:
                other.append((t("summary.by", name=conflict.other_by), SMALL))
            if conflict.resolved:
                kept.append((t("access.resolved"), SMALL))
            rows.append(
                [
                    self._cell(widths[0], [(conflict.label, BOLD)]),
                    self._cell(widths[1], kept),
                    self._cell(widths[2], other),
                ]
            )
        self._table(heading, self._header_row(widths, header), rows)

    def _accesses(self) -> None:
        from fieldkit.dates import show_moment

        heading = t("access.section.accesses")
        entries = self.document.accesses
        note = t(f"access.accesses_note.{self.document.holder}")
        rows = [[self._cell(WIDTH, [(note, SMALL)])]]
        if not entries:
            rows.append([self._cell(WIDTH, [(t("access.no_accesses"), SMALL)])])
            self._table(heading, None, rows)
            return
        widths = (38, 45, WIDTH - 83)
        labels = [t("access.col.when"), t("access.col.who"), t("access.col.what")]
        for entry in entries:
            what = [(entry.what, BODY)]
            if entry.detail:
                what.append((_text(entry.detail), SMALL))
            rows.append(
                [
                    self._cell(widths[0], [(show_moment(entry.at, local=False), BODY)]),
                    self._cell(widths[1], [(_text(entry.by), BODY)]),
                    self._cell(widths[2], what),
                ]
            )
        self._table(heading, self._header_row(widths, labels), rows, header_after=1)
