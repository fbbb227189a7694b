"""The common world of the tests: isolated homes, a passphrase, the CLI runner, the two
district backends, and the hostile texts that people's text is tested with."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fieldkit import i18n
from fieldkit.district.backend import DATABASE_ENV
from tests.pg import Cluster, pg_cluster  # noqa: F401

PASSPHRASE = "trois mots pour tester le coffre"

# Texts that act on a terminal or in rich markup unless shown as data (fieldkit/display.py).
TITLE_AND_CLEAR = "\x1b]0;X\x07\x1b[2J"
CLIPBOARD = "\x1b]52;c;aGk=\x07"
RLO = "\u202e"
LINK = "[link=https://x]clic[/link]"
NOTE = "Vu avec la CPE [/] et le [urgent] référent"


@pytest.fixture(autouse=True, scope="session")
def _own_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The session's current folder, for fixtures wider than a test (see below)."""
    started = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("session-cwd"))
    yield
    os.chdir(started)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> Iterator[None]:
    """No test sees the developer's stores, session, language or runtime dir, nor
    writes in the current folder (where `district init` writes its recovery sheet)."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
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


# The district backends: the SQLCipher file and PostgreSQL. A test runs on each when it
# uses `district_backend`: every test of tests/district/ (its conftest), and elsewhere
# those marked `pytest.mark.usefixtures("district_backend")` (the exchange tests, the
# end-to-end server tests). On PostgreSQL each test has a new empty database in a
# throw-away cluster started once per test process, given to `district init` /
# `DistrictStore.create` through FIELDKIT_DISTRICT_DATABASE. A module narrows the
# backends with `DISTRICT_BACKENDS`, a test with the `sqlcipher_only` marker.
# PostgreSQL tests skip, saying why, only when no server can be started here.
BACKENDS = ("sqlcipher", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlcipher_only: a test of the SQLCipher file itself")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "district_backend" not in metafunc.fixturenames:
        return
    backends = getattr(metafunc.module, "DISTRICT_BACKENDS", BACKENDS)
    if metafunc.definition.get_closest_marker("sqlcipher_only"):
        backends = ("sqlcipher",)
    metafunc.parametrize("district_backend", backends, indirect=True)


@pytest.fixture
def district_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """'sqlcipher', or the DSN of this test's own PostgreSQL database."""
    if request.param == "sqlcipher":
        monkeypatch.delenv(DATABASE_ENV, raising=False)
        yield "sqlcipher"
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    dsn = cluster.create_database()
    monkeypatch.setenv(DATABASE_ENV, dsn)
    try:
        yield dsn
    finally:
        cluster.drop_database(dsn)
