"""The `net` fixture: a district served by a real `district serve` subprocess, two workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_server import Net
from tests.world import WORKERS, Fieldkit, use_fast_kdf


@pytest.fixture
def net(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    use_fast_kdf(monkeypatch)
    world = Net(tmp_path, Fieldkit())
    world.server.start()
    try:
        for who in WORKERS:
            world.enrol(who)
        yield world
    finally:
        world.server.stop()
