"""What `district worker add` writes and says: the district identity file for the stick,
the enrolment sheet (PDF), and the lines telling the District Officer what to hand over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fieldkit.commands.common import console, say
from fieldkit.dates import show_moment
from fieldkit.display import escape
from fieldkit.errors import UsageError
from fieldkit.i18n import t

if TYPE_CHECKING:
    from fieldkit.district.enrolment import Issued


@dataclass
class Written:
    expires: str  # ISO 8601, UTC
    identity_file: str | None
    sheet: str | None


def check_place(path: Path) -> None:
    """That a file can be made there: an existing folder, no file of that name yet."""
    if not path.parent.expanduser().is_dir():
        raise UsageError("file.folder_missing", path=str(path.parent))
    if path.exists() or path.is_symlink():
        raise UsageError("enrol.file_exists", path=str(path))


def write(
    issued: Issued,
    district: str,
    url: str | None,
    fingerprint: str,
    identity_file: Path | None,
    sheet: Path | None,
) -> Written:
    from fieldkit.paths import write_new_file

    expires = datetime.fromtimestamp(issued.expires, UTC)
    written = Written(expires=expires.isoformat(timespec="seconds"), identity_file=None, sheet=None)
    if identity_file is not None:
        _new_file(write_new_file, identity_file, issued.document)
        written.identity_file = str(identity_file)
    if sheet is not None:
        from fieldkit.commands.output import glyph_warnings
        from fieldkit.summary.enrolment_sheet import EnrolmentSheet, render_enrolment_sheet

        page = EnrolmentSheet(
            district=district,
            worker_name=issued.worker.name,
            worker_id=issued.worker.id,
            code=issued.code,
            district_fingerprint=fingerprint,
            server=url,
            expires=expires,
            charter_version=issued.charter.version if issued.charter else None,
            charter_sha256=issued.charter.sha256 if issued.charter else None,
            made_at=datetime.now(UTC).astimezone(),
        )
        with glyph_warnings():
            data = render_enrolment_sheet(page)
        _new_file(write_new_file, sheet, data)
        written.sheet = str(sheet)
    return written


def _new_file(write_new_file, path: Path, data: bytes) -> None:
    try:
        write_new_file(path, data)
    except FileExistsError:
        raise UsageError("enrol.file_exists", path=str(path)) from None
    except (FileNotFoundError, NotADirectoryError):
        raise UsageError("file.folder_missing", path=str(path.parent)) from None


def tell(issued: Issued, fingerprint: str, url: str | None, hours: int, written: Written) -> None:
    out = console()
    out.print(t("district.worker_added", name=escape(issued.worker.name), id=issued.worker.id))
    expires = show_moment(datetime.fromtimestamp(issued.expires, UTC))
    out.print(t("enrol.add.code_intro", hours=hours, expires=expires))
    say(issued.code)
    out.print(t("district.fingerprint", fingerprint=fingerprint))
    if issued.charter is not None:
        out.print(
            t(
                "enrol.add.charter",
                version=escape(issued.charter.version),
                sha256=issued.charter.sha256,
            )
        )
    out.print(t("enrol.add.hand_over"))
    if url:
        out.print(t("enrol.add.online", url=escape(url)))
    if written.identity_file:
        out.print(t("enrol.add.by_file", path=escape(written.identity_file)))
    elif not url:
        out.print(t("enrol.add.need_file"))
    if written.sheet:
        out.print(t("enrol.add.sheet", path=escape(written.sheet)))
