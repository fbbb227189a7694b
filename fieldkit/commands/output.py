"""What the summary and report commands share: the format and target options, and the
lines on stderr after the document went out (missing glyphs, the export reminder)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fieldkit.commands.common import environment, err_console
from fieldkit.errors import InvalidValue, UsageError
from fieldkit.i18n import t

if TYPE_CHECKING:
    from fieldkit.summary.export import OutputFormat, Target

# OutputFormat's document values; fieldkit.summary.export (pydantic, rich) is imported
# only by the commands that produce a document.
DOCUMENT_FORMATS = ("text", "md", "pdf")


# A file named with one of these, and no --format: the format its name says.
_BY_SUFFIX = {".pdf": "pdf", ".md": "md"}


def output_format(value: str | None, as_json: bool, output: Path | None = None) -> OutputFormat:
    """--format text|md|pdf, or --json; without them, the format the output file's name
    says (`-o dupre.pdf` is a PDF, not text in a file named .pdf), else text."""
    from fieldkit.summary.export import OutputFormat

    if as_json:
        if value is not None:
            raise UsageError("export.json_or_format")
        return OutputFormat.JSON
    if value is None and output is not None:
        value = _BY_SUFFIX.get(output.suffix.lower())
    wanted = (value or OutputFormat.TEXT).strip().lower()
    if wanted not in DOCUMENT_FORMATS:
        choices = ", ".join(DOCUMENT_FORMATS)
        raise InvalidValue("value.bad_choice", field="--format", value=value, choices=choices)
    return OutputFormat(wanted)


def stdout_is_terminal() -> bool:
    return bool(environment().stdout_isatty)


def choose_target(output: Path | None, fmt: OutputFormat, force: bool) -> Target:
    from fieldkit.summary.export import Target

    return Target.choose(
        output, fmt, force=force, terminal=stdout_is_terminal(), stdout=environment().stdout
    )


@contextmanager
def glyph_warnings() -> Iterator[None]:
    """Turn the PDF's MissingGlyphsWarning into one line on stderr."""
    from fieldkit.summary.pdf import MissingGlyphsWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MissingGlyphsWarning)
        yield
    shown = False
    for item in caught:
        if issubclass(item.category, MissingGlyphsWarning):
            if not shown:
                err_console().print(f"fieldkit: {item.message}", markup=False)
                shown = True
        else:
            warnings.showwarning(item.message, item.category, item.filename, item.lineno)


def after_output(target: Target) -> None:
    """Remind the user that an exported document is no longer protected by the store."""
    if not target.exported:
        return
    out = err_console()
    if target.path is not None:
        out.print(t("export.written", path=str(target.path)), markup=False)
        out.print(t("export.reminder_file"), markup=False)
    else:
        out.print(t("export.reminder_stdout"), markup=False)
