"""Sending a summary or a report out of the store: the rules every export keeps (DESIGN §8).

- On a terminal a document is a view; anywhere else (a file with `-o`, or standard
  output sent to a pipe or a file) it is an export. Both are audited, before any byte
  is written, so that an output the audit trail could not record never happens.
- A file is created owner-only (0600) and atomically, and an existing file is never
  replaced unless the user said so (`--force`).
- Nothing here touches the network.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TextIO, TypeVar

from pydantic import BaseModel

from fieldkit.display import make_console
from fieldkit.errors import FieldkitError, UsageError
from fieldkit.paths import write_new_file, write_private_file

if TYPE_CHECKING:
    from rich.console import Console

STDOUT = "-"
# Width of the text rendering written to a file or a pipe (a terminal uses its own).
TEXT_FILE_WIDTH = 100


class OutputFormat(StrEnum):
    TEXT = "text"
    MD = "md"
    PDF = "pdf"
    JSON = "json"


@dataclass(frozen=True)
class Target:
    """Where a document goes: a file, or standard output (a terminal or not)."""

    path: Path | None = None  # None: standard output
    force: bool = False
    terminal: bool = False  # standard output is a terminal (path is None)
    stdout: TextIO | None = None  # the command's standard output; None: the process's

    @classmethod
    def choose(
        cls,
        output: Path | None,
        fmt: OutputFormat,
        *,
        force: bool,
        terminal: bool,
        stdout: TextIO | None = None,
    ) -> Target:
        """The target for `-o output`, checked before anything is read or written.

        A PDF is never sent to a terminal; an existing file is refused without `force`.
        """
        if output is None or str(output) == STDOUT:
            if fmt is OutputFormat.PDF and terminal:
                raise UsageError("export.pdf_needs_file")
            return cls(None, terminal=terminal, stdout=stdout)
        check_target(output, force=force)
        return cls(output, force=force)

    @property
    def exported(self) -> bool:
        return self.path is not None or not self.terminal

    @property
    def action(self) -> str:
        """The audit action: "export" when the document leaves the terminal."""
        return "export" if self.exported else "view"

    def detail(self, fmt: OutputFormat) -> str:
        """The format and the kind of destination, for the audit trail (never the path)."""
        if self.path is not None:
            return f"{fmt} file"
        return f"{fmt} {'terminal' if self.terminal else 'stdout'}"

    def write(self, data: bytes) -> None:
        if self.path is not None:
            write_private(self.path, data, force=self.force)
            return
        out = self.stdout if self.stdout is not None else sys.stdout
        out.flush()
        out.buffer.write(data)
        out.buffer.flush()


def check_target(path: Path, *, force: bool) -> None:
    """Refuse a target that is a directory, in a missing directory, or (without force) taken."""
    if path.is_dir():
        raise FieldkitError("export.is_directory", path=str(path))
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FieldkitError("export.no_directory", path=str(parent))
    if not force and (path.exists() or path.is_symlink()):
        raise FieldkitError("export.exists", path=str(path))


def write_private(path: Path, data: bytes, *, force: bool) -> None:
    """Write `data` to a new owner-only file at `path`, atomically.

    Without `force` an existing file (or symlink) at `path` is never replaced, even one
    that appeared after `check_target`; with it, the file is replaced by a new one.
    """
    try:
        if force:
            write_private_file(path, data)
        else:
            _create_private(path, data)
    except FileExistsError:
        raise FieldkitError("export.exists", path=str(path)) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise FieldkitError("export.write_failed", path=str(path), reason=reason) from None


def _create_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    write_new_file(tmp, data)
    try:
        try:
            # A hard link puts the whole file in place at once and fails if `path` exists.
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:
            # No hard links on this file system (FAT on a USB stick): create in place,
            # still exclusively.
            write_new_file(path, data)
    finally:
        tmp.unlink(missing_ok=True)
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory if str(directory) else ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a directory; the file itself is synced
    finally:
        os.close(fd)


Document = TypeVar("Document", bound=BaseModel)


@dataclass(frozen=True)
class Renderers(Generic[Document]):
    """The three renderings of one kind of document."""

    text: Callable[[Document, Console], None]
    markdown: Callable[[Document], str]
    pdf: Callable[[Document], bytes]


def deliver(
    document: Document,
    fmt: OutputFormat,
    target: Target,
    renderers: Renderers[Document],
    *,
    audit: Callable[[str, str], None],
    console: Console,
) -> None:
    """Render `document` to `target`, calling `audit(action, detail)` before any output."""
    if fmt is OutputFormat.TEXT and target.path is None:
        audit(target.action, target.detail(fmt))
        renderers.text(document, console)
        return
    data = render_bytes(document, fmt, renderers)
    audit(target.action, target.detail(fmt))
    target.write(data)


def render_bytes(document: Document, fmt: OutputFormat, renderers: Renderers[Document]) -> bytes:
    if fmt is OutputFormat.PDF:
        return renderers.pdf(document)
    if fmt is OutputFormat.MD:
        return renderers.markdown(document).encode()
    if fmt is OutputFormat.JSON:
        data = document.model_dump(mode="json")
        return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    # Text in a file: what the terminal shows, without colours, at a fixed width.
    buffer = io.StringIO()
    # People's text goes in as rich Text; a str is never read as markup (make_console).
    plain = make_console(buffer, width=TEXT_FILE_WIDTH, no_color=True)
    renderers.text(document, plain)
    return buffer.getvalue().encode()
