"""The application's environment (fieldkit/commands/common.py `AppState`): every command's
input and output goes through the streams of its run, a test can give its own, and the
one rich console fieldkit makes is fieldkit.display's."""

from __future__ import annotations

import ast
import io
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fieldkit
from fieldkit.cli import app
from fieldkit.commands.common import AppState, environment
from fieldkit.errors import ERROR, USAGE
from fieldkit.i18n import current_language
from tests.conftest import PASSPHRASE

SOURCE = Path(fieldkit.__file__).parent


def _given(**fields: object) -> AppState:
    return AppState(stdout=io.StringIO(), stderr=io.StringIO(), **fields)  # type: ignore[arg-type]


def test_a_command_writes_to_the_streams_of_the_environment_it_is_given(tmp_path: Path) -> None:
    env = _given()
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "config", "show"], obj=env)

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "auto_sync = false" in env.stdout.getvalue()  # type: ignore[attr-defined]
    assert env.stderr.getvalue() == ""  # type: ignore[attr-defined]


def test_an_error_line_goes_to_the_stderr_of_the_environment(tmp_path: Path) -> None:
    env = _given()
    result = CliRunner().invoke(
        app,
        ["--home", str(tmp_path), "case", "show", "CO-2026-0001"],
        obj=env,
        env={"FIELDKIT_PASSPHRASE": PASSPHRASE},
    )

    assert result.exit_code == ERROR
    line = env.stderr.getvalue()  # type: ignore[attr-defined]
    assert line.startswith("fieldkit: ") and len(line.splitlines()) == 1
    assert "fieldkit init" in line
    assert result.stderr == "" and env.stdout.getvalue() == ""  # type: ignore[attr-defined]


def test_text_read_from_stdin_comes_from_the_stdin_of_the_environment(tmp_path: Path) -> None:
    # `--summary -` reads the environment's stdin: on a home with no store, the reading
    # happens (the runner's own input is empty) before the store is opened and refused.
    env = _given(stdin=io.StringIO("Entretien au collège\n"))
    args = ["--home", str(tmp_path), "followup", "add", "CO-2026-0001", "-k", "interview"]
    result = CliRunner().invoke(app, [*args, "--summary", "-"], obj=env)

    assert result.exit_code == ERROR and "fieldkit init" in env.stderr.getvalue()  # type: ignore[attr-defined]
    assert env.stdin.read() == ""  # consumed


def test_a_run_without_a_given_environment_uses_the_runner_streams_and_its_terminals(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "config", "show"])
    assert result.exit_code == 0 and "auto_sync = false" in result.stdout

    # No terminal in a runner: a missing value is a usage error, not a prompt.
    args = ["--home", str(tmp_path), "followup", "add", "CO-2026-0001", "-s", "Vu"]
    assert CliRunner().invoke(app, args).exit_code == USAGE


def test_an_environment_given_as_a_terminal_asks_for_what_is_missing(tmp_path: Path) -> None:
    env = AppState(stdin_isatty=True, stderr_isatty=True)
    args = ["--home", str(tmp_path), "followup", "add", "CO-2026-0001", "-s", "Vu"]
    result = CliRunner().invoke(app, args, obj=env, input="nope\nnope\nnope\n")

    assert "Kind" in result.output  # the prompt for --kind, answered on the runner's stdin
    assert result.exit_code == USAGE  # "nope" is no kind, three times


def test_the_environment_asks_each_stream_whether_it_is_a_terminal() -> None:
    leader, follower = os.openpty()
    with os.fdopen(follower, "w") as terminal:
        env = AppState(stdin=terminal, stdout=io.StringIO(), stderr=terminal).complete()  # type: ignore[arg-type]
        assert (env.stdin_isatty, env.stdout_isatty, env.stderr_isatty) == (True, False, True)
        assert env.interactive
    os.close(leader)
    piped = AppState(stdin=io.StringIO(), stderr=terminal).complete()  # type: ignore[arg-type]
    assert not piped.stdin_isatty and not piped.stderr_isatty  # a closed stream: no terminal
    assert not piped.interactive


def test_the_environment_holds_the_language_of_the_process() -> None:
    assert AppState().complete().language == current_language()
    assert AppState(language="fr").complete().language == "fr"


def test_outside_a_run_the_environment_is_the_process_streams_as_they_are_now() -> None:
    CliRunner().invoke(app, ["--version"])
    CliRunner().invoke(app, ["config", "show"])
    env = environment()
    assert env.stdout is sys.stdout and env.stdin is sys.stdin and env.stderr is sys.stderr


def test_the_consoles_read_no_markup_and_are_made_once_per_environment() -> None:
    env = _given()
    assert env.console is env.console and env.err_console is env.err_console
    env.console.print("[bold]:smile: [link=http://x]texte[/link]")
    assert env.stdout.getvalue() == "[bold]:smile: [link=http://x]texte[/link]\n"  # type: ignore[attr-defined]


def _calls(tree: ast.AST, name: str, *, methods: bool = True) -> list[int]:
    """The lines calling `name(...)`, or also `x.name(...)` with `methods`."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == name)
            or (methods and isinstance(node.func, ast.Attribute) and node.func.attr == name)
        )
    ]


def test_only_fieldkit_display_makes_a_rich_console() -> None:
    makers = {
        str(path.relative_to(SOURCE)): lines
        for path in sorted(SOURCE.rglob("*.py"))
        if (lines := _calls(ast.parse(path.read_text(encoding="utf-8")), "Console"))
    }
    assert list(makers) == ["display.py"]


@pytest.mark.parametrize("path", sorted((SOURCE / "commands").glob("*.py")), ids=lambda p: p.name)
def test_commands_reach_the_standard_streams_only_through_the_environment(path: Path) -> None:
    if path.name == "common.py":  # where the environment takes them from the process
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    streams = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in ("stdin", "stdout", "stderr")
        and isinstance(node.value, ast.Name)
        and node.value.id == "sys"
    ]
    assert streams == []
    assert _calls(tree, "print", methods=False) == []  # the builtin; a console's is fine
