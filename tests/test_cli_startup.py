"""What a command pays at start-up (issue 7): command groups load when used, option values
are coerced by click (no pydantic), and no private typer module is imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from fieldkit.cli import GROUPS, app
from fieldkit.errors import ERROR, USAGE


def _modules_after(*args: str) -> tuple[int, list[str]]:
    code = (
        "import json, sys\n"
        "from fieldkit.cli import app\n"
        "try:\n"
        f"    app({list(args)!r})\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print(json.dumps([code, sorted(sys.modules)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    code_, modules = json.loads(out.stdout.splitlines()[-1])
    return code_, modules


def test_the_root_help_lists_every_group_without_loading_them():
    code, modules = _modules_after("--help")
    assert code == 0
    assert not [
        m
        for m in modules
        if m.startswith(("fieldkit.commands.cases", "fieldkit.commands.district"))
    ]
    result = CliRunner().invoke(app, ["--help"])
    listed = [line.split()[0] for line in result.output.splitlines() if line.startswith("  ")]
    for name in GROUPS:
        assert name in listed


def test_a_command_loads_its_own_group_only(tmp_path: Path):
    code, modules = _modules_after("--home", str(tmp_path / "none"), "case", "list")
    assert code == ERROR  # no store there
    assert "fieldkit.commands.cases" in modules
    assert "fieldkit.commands.district" not in modules
    code, modules = _modules_after("--home", str(tmp_path), "config", "show", "--json")
    assert code == 0
    assert not [m for m in modules if m == "pydantic" or m.startswith("pydantic.")]


def test_lazy_groups_run_and_show_their_help(tmp_path: Path):
    runner = CliRunner()
    district = runner.invoke(app, ["district", "case", "list", "--help"])
    assert district.exit_code == 0 and "--status" in district.output
    serve = runner.invoke(app, ["district", "serve", "--help"])  # registered on load
    assert serve.exit_code == 0 and "--insecure-http" in serve.output
    typo = runner.invoke(app, ["distric"])
    assert typo.exit_code == USAGE and "district" in typo.output


def _probe() -> typer.Typer:
    probe = typer.Typer()

    @probe.command()
    def show(
        name: str = typer.Argument(...),
        home: Path | None = typer.Option(None, "--home"),
        days: int = typer.Option(7, "--days"),
        tag: list[str] | None = typer.Option(None, "--tag"),
        flag: bool = typer.Option(False, "--flag", envvar="PROBE_FLAG"),
    ) -> None:
        print(json.dumps([name, str(home), type(home).__name__, days, tag, flag]))

    return probe


def test_plain_values_are_coerced_by_click():
    runner = CliRunner()
    probe = _probe()
    ok = runner.invoke(
        probe, ["Lina", "--home", "/tmp/x", "--days", "12", "--tag", "a", "--tag", "b"]
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output) == ["Lina", "/tmp/x", "PosixPath", 12, ["a", "b"], False]
    defaults = runner.invoke(probe, ["Lina"], env={"PROBE_FLAG": "yes"})
    assert json.loads(defaults.output) == ["Lina", "None", "NoneType", 7, None, True]
    # click's integers are whole numbers written as such (typer 0.29's pydantic took "5.0").
    assert runner.invoke(probe, ["Lina", "--days", "5.0"]).exit_code == USAGE
    bad = runner.invoke(probe, ["Lina", "--days", "douze"])
    assert bad.exit_code == USAGE and "douze" in bad.output
    bad_flag = runner.invoke(probe, ["Lina"], env={"PROBE_FLAG": "peut-être"})
    assert bad_flag.exit_code == USAGE
