"""The export rules of fieldkit/summary/export.py: where a document may go, and how a file
is written (owner-only, atomic, never replacing one unless forced)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fieldkit.errors import FieldkitError, UsageError
from fieldkit.summary import export
from fieldkit.summary.export import OutputFormat, Target, write_private


def test_a_terminal_is_a_view_and_anything_else_an_export(tmp_path: Path) -> None:
    terminal = Target.choose(None, OutputFormat.TEXT, force=False, terminal=True)
    pipe = Target.choose(None, OutputFormat.MD, force=False, terminal=False)
    dash = Target.choose(Path("-"), OutputFormat.MD, force=False, terminal=False)
    file = Target.choose(tmp_path / "s.pdf", OutputFormat.PDF, force=False, terminal=True)

    assert (terminal.action, terminal.detail(OutputFormat.TEXT)) == ("view", "text terminal")
    assert (pipe.action, pipe.detail(OutputFormat.MD)) == ("export", "md stdout")
    assert dash == pipe
    assert (file.action, file.detail(OutputFormat.PDF)) == ("export", "pdf file")


def test_a_pdf_never_goes_to_a_terminal() -> None:
    with pytest.raises(UsageError):
        Target.choose(None, OutputFormat.PDF, force=False, terminal=True)
    assert Target.choose(None, OutputFormat.PDF, force=False, terminal=False).exported


@pytest.mark.parametrize(
    ("setup", "key"),
    [
        (lambda p: p.write_text("x"), "export.exists"),
        (lambda p: p.symlink_to(p.parent / "elsewhere"), "export.exists"),
        (lambda p: p.mkdir(), "export.is_directory"),
    ],
)
def test_targets_that_are_refused(tmp_path: Path, setup, key: str) -> None:
    path = tmp_path / "summary.pdf"
    setup(path)
    with pytest.raises(FieldkitError) as caught:
        Target.choose(path, OutputFormat.PDF, force=False, terminal=False)
    assert caught.value.key == key


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FieldkitError) as caught:
        Target.choose(tmp_path / "nope" / "s.md", OutputFormat.MD, force=False, terminal=False)
    assert caught.value.key == "export.no_directory"


def test_files_are_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_private(tmp_path / "a.md", b"data", force=False)
        (tmp_path / "b.md").write_bytes(b"old")
        (tmp_path / "b.md").chmod(0o644)
        write_private(tmp_path / "b.md", b"new", force=True)
    finally:
        os.umask(old)
    for name, data in (("a.md", b"data"), ("b.md", b"new")):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
        assert (tmp_path / name).read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.md"]  # no temp files


def test_a_file_that_appears_after_the_check_is_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "s.md"
    target = Target.choose(path, OutputFormat.MD, force=False, terminal=False)
    path.write_text("someone else's")

    with pytest.raises(FieldkitError) as caught:
        target.write(b"summary")
    assert caught.value.key == "export.exists"
    assert path.read_text() == "someone else's"
    assert [p.name for p in tmp_path.iterdir()] == ["s.md"]


def test_without_hard_links_the_file_is_still_created_exclusively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")  # as on FAT

    monkeypatch.setattr(export.os, "link", no_links)
    write_private(tmp_path / "s.md", b"summary", force=False)

    assert (tmp_path / "s.md").read_bytes() == b"summary"
    assert stat.S_IMODE((tmp_path / "s.md").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["s.md"]
    with pytest.raises(FieldkitError):
        write_private(tmp_path / "s.md", b"again", force=False)
