"""The common world of the tests: isolated homes, a passphrase, the CLI runner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

PASSPHRASE = "trois mots pour tester le coffre"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> None:
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
        "XDG_RUNTIME_DIR",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def cli_env(home, **extra: str) -> dict[str, str]:
    env = {"FIELDKIT_HOME": str(home), "FIELDKIT_PASSPHRASE": PASSPHRASE}
    env.update(extra)
    return env
