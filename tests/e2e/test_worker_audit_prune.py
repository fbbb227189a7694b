"""`fieldkit audit prune` on a device (issue 19): the trail verifies from the signed
checkpoint; an event edited after it, or the checkpoint itself, fails with exit 7; no
prune without a confirmation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fieldkit.cli import app
from fieldkit.errors import ERROR, INTEGRITY, USAGE
from fieldkit.replica import meta
from fieldkit.store import access, audit
from fieldkit.store.access import Credentials
from fieldkit.store.db import connect, db_path, transaction
from tests.conftest import PASSPHRASE
from tests.world import Fieldkit, use_fast_kdf

TOMORROW = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()


@pytest.fixture
def fk() -> Fieldkit:
    return Fieldkit()


@pytest.fixture
def home(tmp_path: Path, fk: Fieldkit, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_fast_kdf(monkeypatch)
    worker = tmp_path / "w"
    fk.json(worker, "init")
    for _ in range(3):
        fk.ok(worker, "status")
    return worker


def _raw(home: Path):
    key = access.data_key(home, "worker", Credentials(prompt=lambda: PASSPHRASE)).data_key
    return connect(db_path(home, "worker"), key)


def _stderr_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_prune_then_verify_from_the_checkpoint(fk: Fieldkit, home: Path):
    count = fk.json(home, "audit", "verify")["events"]
    assert fk.json(home, "audit", "prune", "--yes")["pruned"] == 0  # nothing a year old
    pruned = fk.json(home, "audit", "prune", "--before", TOMORROW, "--yes")
    assert pruned["pruned"] >= count
    env = {"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_LANG": "fr"}
    shown = fk.runner.invoke(app, ["--home", str(home), "audit", "verify"], env=env)
    assert shown.exit_code == 0, shown.stderr
    assert "chaîne vérifiée depuis le point de contrôle du" in shown.stdout
    assert f"({pruned['pruned']} événements élagués)" in shown.stdout
    events = fk.json(home, "audit", "show", "--limit", "0")
    assert events[0]["action"] == "audit-prune"
    assert events[0]["detail"] == f"pruned={pruned['pruned']}"
    text = fk.ok(home, "audit", "show").stdout
    assert "audit pruned" in text


def test_an_edited_event_after_the_checkpoint_or_an_edited_checkpoint_exit_7(
    fk: Fieldkit, home: Path
):
    fk.json(home, "audit", "prune", "--before", TOMORROW, "--yes")
    fk.ok(home, "status")
    first = fk.json(home, "audit", "show", "--limit", "0")[1]["seq"]
    conn = _raw(home)
    try:
        conn.execute("UPDATE audit SET actor = 'quelqu-un' WHERE seq = ?", (first,))
        result = fk.run(home, "audit", "verify")
        assert result.exit_code == INTEGRITY
        assert f"event {first}" in _stderr_line(result)
        conn.execute("UPDATE audit SET actor = ? WHERE seq = ?", (_actor(fk, home), first))

        stored = json.loads(meta.get(conn, audit.CHECKPOINT_KEY))
        stored["checkpoint"]["last_at"] = "2020-01-01T00:00:00+00:00"
        with transaction(conn):
            meta.put(conn, audit.CHECKPOINT_KEY, json.dumps(stored))
    finally:
        conn.close()
    result = fk.run(home, "audit", "verify")
    assert result.exit_code == INTEGRITY
    assert "checkpoint was altered" in _stderr_line(result)
    as_json = fk.run(home, "audit", "verify", "--json")
    assert as_json.exit_code == INTEGRITY
    assert json.loads(as_json.stdout)["checkpoint"]["signature_ok"] is False


def _actor(fk: Fieldkit, home: Path) -> str:
    return fk.json(home, "audit", "show", "--limit", "0")[0]["actor"]


def test_no_prune_without_a_confirmation(fk: Fieldkit, home: Path, monkeypatch):
    count = fk.json(home, "audit", "verify")["events"]
    refused = fk.run(home, "audit", "prune", "--before", TOMORROW)
    assert refused.exit_code == USAGE
    assert "--yes" in _stderr_line(refused)
    monkeypatch.setattr("fieldkit.commands.audit.is_interactive", lambda: True)
    args = ["--home", str(home), "audit", "prune", "--before", TOMORROW]
    no = fk.runner.invoke(app, args, env={"FIELDKIT_PASSPHRASE": PASSPHRASE}, input="\n")
    assert no.exit_code == ERROR and "Nothing removed" in no.stderr
    assert fk.json(home, "audit", "verify")["checkpoint"] is None
    assert fk.json(home, "audit", "verify")["events"] > count  # only the opens since


def test_a_day_in_the_future_and_keys_without_a_file_are_refused(fk: Fieldkit, home: Path):
    later = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    result = fk.run(home, "audit", "prune", "--before", later, "--yes")
    assert result.exit_code == USAGE and "future" in _stderr_line(result)
    result = fk.run(home, "audit", "verify", "--public-key", "k.json")
    assert result.exit_code == USAGE and "--file" in _stderr_line(result)


def test_the_device_has_its_own_audit_retention(fk: Fieldkit, home: Path):
    assert fk.json(home, "audit", "retention")["days"] == 365
    kept = fk.json(home, "audit", "retention", "--days", "200")
    assert kept["days"] == 200 and kept["default"] is False
    result = fk.run(home, "audit", "retention", "--reason", "sans durée")
    assert result.exit_code == USAGE
