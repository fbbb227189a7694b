"""The district's audit trail kept for its period (issue 19), through the CLI, on both
backends: pruning behind a signed checkpoint, `audit verify` from it, tampering found
(exit 7), the signed export verified with the district's public key alone, and the
confirmation a prune asks for.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from fieldkit.errors import ERROR, INTEGRITY, USAGE
from fieldkit.replica import meta
from fieldkit.store import audit
from fieldkit.store.db import transaction
from tests.world import DISTRICT_NAME, Fieldkit, World, cli_world, credentials, use_fast_kdf

TOMORROW = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()


@pytest.fixture
def fk() -> Fieldkit:
    return Fieldkit()


@pytest.fixture
def home(tmp_path: Path, fk: Fieldkit, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_fast_kdf(monkeypatch)
    district = tmp_path / "district"
    fk.json(district, "district", "init", "--name", DISTRICT_NAME)
    fk.json(district, "district", "unit", "add", "UT Sud")  # a few more events
    return district


def _tamper(home: Path, sql: str, params: tuple = ()) -> None:
    from fieldkit.district.store import DistrictStore

    with DistrictStore.open(home, credentials()) as store:
        store.conn.execute(sql, params)


def _edit_checkpoint(home: Path, change) -> None:
    from fieldkit.district.store import DistrictStore

    with DistrictStore.open(home, credentials()) as store:
        stored = json.loads(meta.get(store.conn, audit.CHECKPOINT_KEY))
        change(stored)
        with transaction(store.conn):
            meta.put(store.conn, audit.CHECKPOINT_KEY, json.dumps(stored))


def _french(fk: Fieldkit, home: Path, *args: str):
    from fieldkit.cli import app

    env = {"FIELDKIT_PASSPHRASE": fk_passphrase(), "FIELDKIT_LANG": "fr"}
    result = fk.runner.invoke(app, ["--home", str(home), *args], env=env)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def _one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_prune_then_verify_passes_from_the_checkpoint_and_says_so(fk: Fieldkit, home: Path):
    before = fk.json(home, "district", "audit", "verify")
    assert before["ok"] and before["checkpoint"] is None
    nothing = fk.json(home, "district", "audit", "prune", "--yes")  # default: a year ago
    assert nothing["pruned"] == 0 and nothing["checkpoint"] is None

    pruned = fk.json(home, "district", "audit", "prune", "--before", TOMORROW, "--yes")
    assert pruned["pruned"] >= before["events"]
    assert pruned["checkpoint"]["pruned"] == pruned["pruned"]

    shown = _french(fk, home, "district", "audit", "verify")
    assert "vérifiée depuis le point de contrôle du" in shown.stdout
    assert f"{pruned['pruned']} événements élagués" in shown.stdout
    verified = fk.json(home, "district", "audit", "verify")
    assert verified["ok"] and verified["checkpoint"]["pruned"] == pruned["pruned"]
    assert verified["checkpoint"]["signature_ok"] is True

    # New events chain on; the prune itself is the first of them.
    fk.json(home, "district", "unit", "add", "UT Est")
    assert fk.json(home, "district", "audit", "verify")["ok"]


def test_an_event_edited_after_the_checkpoint_fails_with_exit_7(fk: Fieldkit, home: Path):
    fk.json(home, "district", "audit", "prune", "--before", TOMORROW, "--yes")
    fk.json(home, "district", "unit", "add", "UT Est")
    _tamper(home, "UPDATE audit SET object_id = 'autre' WHERE action = 'unit-add'")
    result = fk.run(home, "district", "audit", "verify")
    assert result.exit_code == INTEGRITY
    assert "broken at event" in _one_line(result)


def test_an_edited_checkpoint_fails_with_exit_7(fk: Fieldkit, home: Path):
    fk.json(home, "district", "audit", "prune", "--before", TOMORROW, "--yes")

    def fewer(stored: dict) -> None:
        stored["checkpoint"]["pruned"] -= 1

    _edit_checkpoint(home, fewer)
    result = fk.run(home, "district", "audit", "verify")
    assert result.exit_code == INTEGRITY
    assert "checkpoint was altered" in _one_line(result)
    assert fk.run(home, "district", "audit", "prune", "--yes").exit_code == INTEGRITY


def test_a_prune_asks_first_at_a_terminal_and_refuses_without_one(
    fk: Fieldkit, home: Path, monkeypatch: pytest.MonkeyPatch
):
    count = fk.json(home, "district", "audit", "verify")["events"]
    result = fk.run(home, "district", "audit", "prune", "--before", TOMORROW)
    assert result.exit_code == USAGE
    assert "--yes" in _one_line(result)

    monkeypatch.setattr("fieldkit.commands.audit.is_interactive", lambda: True)
    args = ["--home", str(home), "district", "audit", "prune", "--before", TOMORROW]
    env = {"FIELDKIT_PASSPHRASE": fk_passphrase()}
    from fieldkit.cli import app

    answered_no = fk.runner.invoke(app, args, env=env, input="n\n")
    assert answered_no.exit_code == ERROR
    assert "for good?" in answered_no.stderr
    assert fk.json(home, "district", "audit", "verify")["events"] == count + 0

    answered_yes = fk.runner.invoke(app, args, env=env, input="o\n")
    assert answered_yes.exit_code == 0, answered_yes.stderr
    assert fk.json(home, "district", "audit", "verify")["checkpoint"]["pruned"] >= count


def fk_passphrase() -> str:
    from tests.conftest import PASSPHRASE

    return PASSPHRASE


def test_retention_is_shown_and_set_beyond_a_year_only_with_a_reason(fk: Fieldkit, home: Path):
    shown = fk.json(home, "district", "audit", "retention")
    assert shown["days"] == 365 and shown["default"] is True
    today = datetime.now(UTC).date()
    assert shown["prune_before"] == (today - timedelta(days=365)).isoformat()
    refused = fk.run(home, "district", "audit", "retention", "--days", "730")
    assert refused.exit_code == USAGE and "--reason" in _one_line(refused)
    set_ = fk.json(
        home, "district", "audit", "retention", "--days", "730", "--reason", "Contentieux"
    )
    assert set_["days"] == 730 and set_["reason"] == "Contentieux"
    text = _french(fk, home, "district", "audit", "retention").stdout
    assert "730 jours" in text and "Contentieux" in text and "CNIL" in text


def test_an_export_verifies_with_the_public_key_alone_and_fails_after_one_byte(
    fk: Fieldkit, home: Path, tmp_path: Path
):
    fk.json(home, "district", "audit", "prune", "--before", TOMORROW, "--yes")
    fk.json(home, "district", "unit", "add", "UT Est")
    export = tmp_path / "audit.jsonl"
    done = fk.json(home, "district", "audit", "export", "-o", str(export))
    assert done["events"] == 2  # the prune and the unit
    assert stat.S_IMODE(os.stat(export).st_mode) == 0o600
    assert fk.json(home, "district", "audit", "verify")["events"] == 3  # the export audited
    again = fk.run(home, "district", "audit", "export", "-o", str(export))
    assert again.exit_code == USAGE and "exists" in _one_line(again)

    key = tmp_path / "district-key.json"
    fk.ok(home, "district", "audit", "public-key", "-o", str(key))
    auditor = tmp_path / "auditor"  # no store there: the key alone
    checked = fk.json(auditor, "audit", "verify", "--file", str(export), "--public-key", str(key))
    assert checked["ok"] and checked["events"] == 2 and checked["name"] == DISTRICT_NAME
    assert checked["pruned_before"] >= 2
    text = _french(
        fk, auditor, "audit", "verify", "--file", str(export), "--public-key", str(key)
    ).stdout
    assert "export intact : 2 événements d'audit" in text
    assert not auditor.exists()

    data = export.read_bytes()
    for position in (10, len(data) // 2, len(data) - 5):
        changed = tmp_path / f"changed-{position}.jsonl"
        changed.write_bytes(data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :])
        result = fk.run(
            auditor, "audit", "verify", "--file", str(changed), "--public-key", str(key)
        )
        assert result.exit_code == INTEGRITY, (position, result.stdout, result.stderr)
        assert "altered" in _one_line(result)
    truncated = tmp_path / "truncated.jsonl"
    lines = data.splitlines(keepends=True)
    truncated.write_bytes(b"".join(lines[:1] + lines[2:]))
    result = fk.run(auditor, "audit", "verify", "--file", str(truncated), "--public-key", str(key))
    assert result.exit_code == INTEGRITY


def test_an_export_since_a_day_and_the_key_of_another_district(
    fk: Fieldkit, home: Path, tmp_path: Path
):
    export = tmp_path / "audit.jsonl"
    later = (date.today() + timedelta(days=2)).isoformat()
    done = fk.json(home, "district", "audit", "export", "--since", later, "-o", str(export))
    assert done["events"] == 0
    other = tmp_path / "other"
    fk.json(other, "district", "init", "--name", "Autre district", "--database", "sqlcipher")
    key = tmp_path / "other-key.json"
    fk.ok(other, "district", "audit", "public-key", "-o", str(key))
    result = fk.run(tmp_path, "audit", "verify", "--file", str(export), "--public-key", str(key))
    assert result.exit_code == INTEGRITY
    assert "not signed by this district's key" in _one_line(result)
    bad_key = tmp_path / "not-a-key.json"
    bad_key.write_text("{}")
    result = fk.run(
        tmp_path, "audit", "verify", "--file", str(export), "--public-key", str(bad_key)
    )
    assert result.exit_code == USAGE
    result = fk.run(tmp_path / "nobody", "audit", "verify", "--file", str(export))
    assert result.exit_code == USAGE and "--public-key" in _one_line(result)


def test_a_worker_verifies_an_export_with_the_district_key_it_pinned_or_its_identity_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    world: World = cli_world(tmp_path, fk, first_sync=False)
    export = tmp_path / "audit.jsonl"
    fk.json(world.district_home, "district", "audit", "export", "-o", str(export))
    pinned = fk.json(world.homes["a"], "audit", "verify", "--file", str(export))
    assert pinned["ok"] and pinned["events"] >= 5
    identity = tmp_path / "a-district.json"  # what `district worker add --to-file` wrote
    args = ["--file", str(export), "--district-file", str(identity)]
    by_file = fk.json(tmp_path / "nobody", "audit", "verify", *args)
    assert by_file == pinned


def test_a_prune_keeps_the_later_events_and_the_ids_of_the_purged_cases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from fieldkit.district.store import DistrictStore
    from fieldkit.store import auditlog
    from tests.conftest import PASSPHRASE

    use_fast_kdf(monkeypatch)
    now = datetime.now(UTC).replace(microsecond=0)
    with DistrictStore.create(tmp_path / "d", PASSPHRASE, DISTRICT_NAME, None) as store:
        with transaction(store.conn):
            audit.record(store.conn, "district", "purge", "case", "case-1", "reference=X")
            for n in range(3):  # of the future: the prune runs later still
                at = now + timedelta(days=380 + n)
                audit.record(store.conn, "district", "view", "case", f"c{n}", "", at=at)
        before = (now + timedelta(days=300)).date()
        due = store.audit_to_prune(before).count
        done = auditlog.prune(store.conn, "district", before, now=now + timedelta(days=400))
        assert done.count == due >= 2
        kept = store.audit_events()
        assert [e.object_id for e in kept[:3]] == ["c0", "c1", "c2"]
        assert kept[-1].action == auditlog.PRUNE_ACTION
        assert store.check_audit().ok
        # The purge's event is gone; the case's id is not forgotten by the retention.
        assert audit.object_ids(store.conn, "district", "purge", "case") == {"case-1"}

        exported = auditlog.export(store.conn, (now + timedelta(days=381)).date())
        assert exported.count == 3 and exported.first_seq == kept[1].seq
        checked = auditlog.verify_export(exported.data, store.identity().public)
        assert checked.events == 3 and checked.pruned == done.count


@pytest.mark.sqlcipher_only
def test_a_pruned_district_moves_to_postgresql_and_still_verifies_from_its_checkpoint(
    fk: Fieldkit, home: Path, pg_cluster
):
    pruned = fk.json(home, "district", "audit", "prune", "--before", TOMORROW, "--yes")
    fk.json(home, "district", "unit", "add", "UT Est")
    before = fk.json(home, "district", "audit", "verify")
    moved = fk.json(home, "district", "migrate", "--to", pg_cluster.create_database())
    assert moved["verified"] is True
    after = fk.json(home, "district", "audit", "verify")
    assert after["ok"] and after["checkpoint"]["pruned"] == pruned["pruned"]
    assert after["events"] == before["events"]


def test_audit_show_lists_the_events_and_case_keeps_to_one_file(fk: Fieldkit, home: Path):
    """The DPO's question, « who opened this person's file, and when? », answered by
    `district audit show --case`: that case's events only, in words."""
    one = fk.json(home, "district", "case", "add", "--name", "Zoé Durand", "--unit", "UT Sud",
                  "--reason", "Test")  # fmt: skip
    other = fk.json(home, "district", "case", "add", "--name", "Paul Martin", "--unit", "UT Sud",
                    "--reason", "Test")  # fmt: skip
    fk.ok(home, "district", "case", "show", one["reference"])
    fk.ok(home, "district", "case", "show", one["reference"])
    fk.ok(home, "district", "case", "show", other["reference"])

    latest = fk.json(home, "district", "audit", "show", "--limit", "2")
    assert [e["action"] for e in latest] == ["view", "view"]
    assert latest[-1]["object_id"] == other["id"]

    events = fk.json(home, "district", "audit", "show", "--case", one["reference"])
    assert {e["object_id"] for e in events} == {one["id"]}
    assert [e["action"] for e in events].count("view") == 2
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)  # oldest first
    before = fk.json(home, "district", "audit", "show", "--limit", "0")
    shown = _french(fk, home, "district", "audit", "show", "--case", one["reference"])
    assert shown.exit_code == 0, shown.stderr
    assert "consultation" in shown.stdout and "Journal d'audit" in shown.stdout
    # Reading the journal is not itself an access to the file.
    assert fk.json(home, "district", "audit", "show", "--limit", "0") == before
