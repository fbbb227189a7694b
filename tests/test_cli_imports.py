"""The CLI imports only what a command uses (issue 7: CLI latency).

`fieldkit --help` must not pay for the store, sync, pydantic or cryptography; the few
constants the command modules hard-code for that reason must agree with their sources.
"""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

HEAVY = (
    "fieldkit.store",
    "fieldkit.sync",
    "fieldkit.replica",
    "fieldkit.district",
    "fieldkit.summary",
    "fieldkit.model",
    "cryptography",
    "sqlcipher3",
    "pydantic",
    "httpx",
    "fastapi",
    "uvicorn",
    "prompt_toolkit",
)


def _loaded_after(statement: str) -> list[str]:
    code = (
        f"import json, sys\n{statement}\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_importing_the_cli_loads_no_store_sync_or_pydantic():
    assert _loaded_after("import fieldkit.cli") == []


def test_the_enums_are_the_models_enums():
    from fieldkit import enums, model

    for name in (
        "CaseStatus",
        "Priority",
        "FollowUpKind",
        "ReferralDomain",
        "ConcernLevel",
        "GoalState",
        "WorkerStatus",
    ):
        assert getattr(model, name) is getattr(enums, name)
    assert _loaded_after("import fieldkit.enums") == []


def test_hard_coded_constants_agree_with_the_store():
    from fieldkit.commands import district as district_cmd
    from fieldkit.commands import store_admin as store_admin_cmd
    from fieldkit.district.workers import DEFAULT_CODE_TTL_HOURS
    from fieldkit.store.access import PASSPHRASE_ENV
    from fieldkit.store.session import DEFAULT_TTL_SECONDS

    assert district_cmd.DEFAULT_CODE_TTL_HOURS == DEFAULT_CODE_TTL_HOURS
    assert store_admin_cmd.PASSPHRASE_ENV == PASSPHRASE_ENV
    assert store_admin_cmd.DEFAULT_TTL_SECONDS == DEFAULT_TTL_SECONDS


def test_hard_coded_server_bounds_agree_with_the_limits():
    from dataclasses import asdict

    from fieldkit.commands import server as server_cmd
    from fieldkit.district.limits import Limits

    for name, value in asdict(Limits()).items():
        assert getattr(server_cmd.DEFAULTS, name) == value, name


def test_an_unknown_option_is_a_usage_error(tmp_path):
    from fieldkit.cli import app
    from fieldkit.errors import USAGE

    result = CliRunner().invoke(app, ["--home", str(tmp_path), "case", "list", "--bogus"])
    assert result.exit_code == USAGE
    assert "unexpected error" not in result.output
