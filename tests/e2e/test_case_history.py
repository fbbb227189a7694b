"""`case show` on screen shows the latest follow-ups and says how many there are; --limit
chooses, and --json keeps the whole history for scripts (issue 7: a long history is not
read whole for a glance)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from typer.testing import CliRunner

from fieldkit.cli import app
from fieldkit.crypto import keyfile
from fieldkit.errors import USAGE
from fieldkit.model import FollowUpKind
from fieldkit.store.access import Credentials
from fieldkit.store.worker import WorkerStore
from tests.conftest import PASSPHRASE, cli_env
from tests.helpers import open_case

TODAY = date.today()


def _worker_with_history(home: Path, monkeypatch, count: int) -> str:
    monkeypatch.setattr(
        keyfile,
        "KDF_PARAMS",
        {"algorithm": "argon2id", "memory_kib": 8192, "iterations": 1, "lanes": 1},
    )
    WorkerStore.create(home, PASSPHRASE).close()
    with WorkerStore.open(home, Credentials(prompt=lambda: PASSPHRASE)) as store:
        case = open_case(store, reference="CO-2026-0042").case_id
        for n in range(count):
            store.add_followup(
                case,
                kind=FollowUpKind.PHONE_CALL,
                summary=f"Appel numéro {n:02d}",
                occurred_on=TODAY - timedelta(days=count - n),
                today=TODAY,
            )
    return "CO-2026-0042"


def test_case_show_lists_the_latest_and_says_how_many(tmp_path: Path, monkeypatch):
    home = tmp_path / "home"
    ref = _worker_with_history(home, monkeypatch, 25)
    runner = CliRunner()
    env = cli_env(home)

    shown = runner.invoke(app, ["case", "show", ref], env=env)
    assert shown.exit_code == 0, shown.output
    assert "the 20 latest of 25" in shown.output
    assert "Appel numéro 24" in shown.output and "Appel numéro 05" in shown.output
    assert "Appel numéro 04" not in shown.output

    three = runner.invoke(app, ["case", "show", ref, "--limit", "3"], env=env)
    assert "the 3 latest of 25" in three.output and "Appel numéro 21" not in three.output

    everything = runner.invoke(app, ["case", "show", ref, "--limit", "0"], env=env)
    assert "Follow-ups (25)" in everything.output and "Appel numéro 00" in everything.output

    scripted = runner.invoke(app, ["case", "show", ref, "--json"], env=env)
    assert len(json.loads(scripted.stdout)["followups"]) == 25

    negative = runner.invoke(app, ["case", "show", ref, "--limit", "-1"], env=env)
    assert negative.exit_code == USAGE
