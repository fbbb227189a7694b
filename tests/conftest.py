"""The common world of the tests: isolated homes, a passphrase, the CLI runner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from fieldkit import i18n

PASSPHRASE = "trois mots pour tester le coffre"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> Iterator[None]:
    """No test sees the developer's stores, session, language or runtime dir."""
    for var in (
        "FIELDKIT_HOME",
        "FIELDKIT_SESSION",
        "FIELDKIT_PASSPHRASE",
        "FIELDKIT_LANG",
        "FIELDKIT_NEW_PASSPHRASE",
        "FIELDKIT_DISTRICT_DATABASE",
        "LC_ALL",
        "LC_MESSAGES",
        "LANGUAGE",
        "XDG_RUNTIME_DIR",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    # The language is resolved once per process (fieldkit/i18n.py): each test resolves it
    # anew from its own environment, at its first message.
    i18n.reset()
    yield
    i18n.reset()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def cli_env(home, **extra: str) -> dict[str, str]:
    env = {"FIELDKIT_HOME": str(home), "FIELDKIT_PASSPHRASE": PASSPHRASE}
    env.update(extra)
    return env
