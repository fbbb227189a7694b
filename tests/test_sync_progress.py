"""The transfer bar of `fieldkit sync`: on a terminal only, for large bundles only, and it
says when the bundle has left and the district is applying it."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from fieldkit.commands import sync as sync_command


@pytest.fixture
def screen(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    buffer = io.StringIO()
    terminal = Console(file=buffer, force_terminal=True, width=100)
    monkeypatch.setattr(sync_command, "err_console", lambda: terminal)
    return buffer


def test_a_large_bundle_shows_sending_then_applying(screen: io.StringIO) -> None:
    total = 4 * sync_command.PROGRESS_FROM_BYTES
    with sync_command._progress(True) as update:
        assert update is not None
        for sent in range(0, total + 1, total // 4):
            update(sent, total)
    shown = screen.getvalue()
    assert "Sending" in shown and "Sent; applying" in shown


def test_small_bundles_json_and_pipes_show_nothing(screen, monkeypatch) -> None:
    with sync_command._progress(True) as update:
        update(0, 1000)
        update(1000, 1000)
    assert screen.getvalue() == ""
    with sync_command._progress(False) as update:  # --json
        assert update is None
    pipe = Console(file=io.StringIO(), force_terminal=False)
    monkeypatch.setattr(sync_command, "err_console", lambda: pipe)
    with sync_command._progress(True) as update:
        assert update is None
