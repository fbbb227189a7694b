"""Sync by file through the real CLI: two workers, one district, concurrent work, conflicts.

Everything goes through `fieldkit` (typer's CliRunner, real SQLCipher stores, real
key derivation for the main session); bundles travel as files, as on removable media.
Also: every kind of bad bundle is refused with its exit code, one line on stderr, and
leaves the receiving store byte for byte as it was; a revoked device hands over and wipes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldkit.errors import INTEGRITY, REFUSED
from fieldkit.store.access import Credentials, data_key
from tests.conftest import PASSPHRASE
from tests.e2e.conftest import Cli, flipped, refused, snapshot
from tests.helpers import decrypt_sqlcipher_pages, decrypt_sqlcipher_wal
from tests.world import Fieldkit, cli_world, file_sync


def test_two_workers_converge_by_file_and_settle_their_conflict(tmp_path: Path):
    fk = Fieldkit()
    world = cli_world(tmp_path, fk)  # enrolment by file: fingerprints compared in there
    cli = Cli(fk, world)
    ref = world.reference
    for who in ("a", "b"):
        [held] = cli.json(who, "case", "list")
        assert held["reference"] == ref
        assert {a["id"]: a["lead"] for a in held["assignees"]} == {
            world.worker_ids["a"]: True,
            world.worker_ids["b"]: False,
        }

    # Offline, both record follow-ups and rewrite the same field.
    cli.note("a", "home-visit", "Visite au domicile, la mère est présente")
    cli.note("b", "phone-call", "Appel au lycée")
    cli.note("b", "concern", "Propos inquiétants rapportés", "--concern-level", "high")
    cli.ok("a", "case", "update", ref, "--situation", "Situation selon A")
    cli.ok("b", "case", "update", ref, "--situation", "Situation selon B")

    # Round 1: both bundles written before the district sees either; it takes B's first.
    a_out, b_out = tmp_path / "a-r1.fkb", tmp_path / "b-r1.fkb"
    a_back, b_back = tmp_path / "a-r1-reply.fkb", tmp_path / "b-r1-reply.fkb"
    assert cli.json("a", "sync", "--to-file", str(a_out))["sent"] == 2
    assert cli.json("b", "sync", "--to-file", str(b_out))["sent"] == 3
    at_b = cli.district("sync-file", str(b_out), str(b_back))
    at_a = cli.district("sync-file", str(a_out), str(a_back))
    assert (at_b["applied"], at_b["refused"]) == (3, 0)
    assert (at_a["applied"], at_a["refused"]) == (2, 0)
    got_a = cli.json("a", "sync", "--from-file", str(a_back))
    got_b = cli.json("b", "sync", "--from-file", str(b_back))
    assert (got_a["received"], got_a["conflicts"]) == (3, 1)  # B's work came back with A's
    assert got_b["received"] == 0  # B's reply was built before A's bundle arrived

    # The high concern is flagged at the district.
    listed = cli.district("case", "list")
    assert [(c["reference"], c["high_concerns"]) for c in listed] == [(ref, 1)]

    # More rounds, in different orders.
    cli.sync("b", "a", tag="r2")
    cli.sync("a", "b", tag="r3")
    cli.sync("b", "a", tag="r4")

    everywhere = cli.district_followups()
    assert len(everywhere) == 3
    assert cli.followups("a") == cli.followups("b") == everywhere

    conflicts = cli.district_conflicts()
    assert len(conflicts) == 1
    assert cli.conflicts("a") == cli.conflicts("b") == conflicts
    [conflict] = cli.json("b", "conflicts", "list")
    assert {conflict["winner_value"], conflict["loser_value"]} == {
        "Situation selon A",
        "Situation selon B",
    }
    # The situation is the team's: the district relays it sealed and shows none of it.
    assert cli.district_case()["situation"] == ""
    kept = cli.case("a")["situation"]
    assert kept == conflict["winner_value"]
    assert cli.case("a")["situation"] == cli.case("b")["situation"] == kept

    # A settles it with a new text; the resolution syncs like any change.
    settled = "Situation commune après la réunion d'équipe"
    resolved = cli.json("a", "conflicts", "resolve", conflicts[0][:8], "--text", settled)
    assert resolved["resolved"] is True
    cli.sync("a", "b", tag="r5")
    cli.sync("b", "a", tag="r6")

    assert cli.case("a")["situation"] == cli.case("b")["situation"] == settled
    assert "situation" in cli.district_case()["unreadable"]
    assert cli.case("a")["situation"] == cli.case("b")["situation"] == settled
    assert cli.district_conflicts() == cli.conflicts("a") == cli.conflicts("b") == []
    assert [c["open_conflicts"] for c in cli.district("case", "list")] == [0]
    for who in ("a", "b"):
        status = cli.json(who, "status")
        assert (status["unsynced_changes"], status["open_conflicts"]) == (0, 0)


@pytest.mark.parametrize("keep", ["mine", "theirs"])
def test_a_conflict_settled_with_mine_or_theirs_is_settled_everywhere(quick: Cli, keep: str):
    ref = quick.world.reference
    written = {"a": "2030-01-15", "b": "2030-02-20"}
    for who, when in written.items():
        quick.ok(who, "case", "update", ref, "--next-review", when)
    quick.sync("a", "b", tag="r1")
    quick.sync("a", "b", tag="r2")
    [conflict_id] = quick.conflicts("a")
    assert quick.conflicts("b") == quick.district_conflicts() == [conflict_id]

    quick.ok("b", "conflicts", "resolve", conflict_id, "--keep", keep)
    expected = written["b"] if keep == "mine" else written["a"]
    quick.sync("b", "a", tag="r3")
    quick.sync("b", "a", tag="r4")
    for shown in (quick.district_case(), quick.case("a"), quick.case("b")):
        assert (shown["next_review"], shown["conflicts"]) == (expected, [])


# Bad bundles


def positions(data: bytes, spread: int) -> list[int]:
    """Every byte of the fixed prefix, the lengths and the signature's ends, and `spread` more."""
    header_len = int.from_bytes(data[9:13], "big")
    ct_at = 13 + header_len
    fixed = [*range(13), ct_at, ct_at + 1, ct_at + 2, ct_at + 3, len(data) - 64, len(data) - 1]
    step = max(1, len(data) // spread)
    return sorted(set(fixed) | set(range(13, len(data), step)))


def sender_span(data: bytes) -> range:
    """Where the header's sender id is: a changed id names nobody the district knows."""
    start = data.index(b'"sender":"') + len(b'"sender":"')
    return range(start, data.index(b'"', start))


def test_a_tampered_or_truncated_worker_bundle_is_refused_and_changes_nothing(quick: Cli):
    quick.note("a", "interview", "Entretien au local")
    root = quick.world.root
    bundle, bad, reply = root / "a.fkb", root / "bad.fkb", root / "reply.fkb"
    quick.ok("a", "sync", "--to-file", str(bundle))
    data = bundle.read_bytes()
    before = snapshot(quick.world.district_home)
    sender = sender_span(data)
    for position in positions(data, spread=40):
        bad.write_bytes(flipped(data, position))
        result = quick.district_run("sync-file", str(bad), str(reply))
        expected = (REFUSED, INTEGRITY) if position in sender else (INTEGRITY,)
        assert result.exit_code in expected, (position, result.stderr)
        refused(result, result.exit_code)
        assert not reply.exists()
        assert snapshot(quick.world.district_home) == before, position
    for size in (0, 5, 8, 12, 13, 100, len(data) // 2, len(data) - 64, len(data) - 1):
        bad.write_bytes(data[:size])
        assert "rejected" in refused(
            quick.district_run("sync-file", str(bad), str(reply)), INTEGRITY
        )
        assert snapshot(quick.world.district_home) == before, size
    bad.write_bytes(data + b"\x00")
    refused(quick.district_run("sync-file", str(bad), str(reply)), INTEGRITY)
    assert snapshot(quick.world.district_home) == before

    # The genuine bundle still goes through.
    assert quick.district("sync-file", str(bundle), str(reply))["applied"] == 1


def test_a_replayed_bundle_or_an_older_reply_is_refused(quick: Cli):
    quick.note("a", "interview", "Entretien au local")
    root = quick.world.root
    bundle, reply, again = root / "a.fkb", root / "a-reply.fkb", root / "again.fkb"
    quick.ok("a", "sync", "--to-file", str(bundle))
    quick.district("sync-file", str(bundle), str(reply))
    before = snapshot(quick.world.district_home)
    assert "counter" in refused(quick.district_run("sync-file", str(bundle), str(again)), INTEGRITY)
    assert snapshot(quick.world.district_home) == before
    assert not again.exists()

    # The same reply twice is "already applied" (tests/e2e/test_truthful_errors.py); one
    # older than the last applied is a rollback, refused.
    quick.ok("a", "sync", "--from-file", str(reply))
    file_sync(quick.fk, quick.world, "a", "later")
    before = snapshot(quick.world.homes["a"])
    assert "counter" in refused(quick.run("a", "sync", "--from-file", str(reply)), INTEGRITY)
    assert snapshot(quick.world.homes["a"]) == before


def test_a_reply_for_another_worker_or_tampered_is_refused_and_changes_nothing(quick: Cli):
    root = quick.world.root
    bundle, reply, bad = root / "a.fkb", root / "a-reply.fkb", root / "bad.fkb"
    quick.ok("a", "sync", "--to-file", str(bundle))
    quick.district("sync-file", str(bundle), str(reply))
    data = reply.read_bytes()

    before = snapshot(quick.world.homes["b"])
    assert "recipient" in refused(quick.run("b", "sync", "--from-file", str(reply)), INTEGRITY)
    assert snapshot(quick.world.homes["b"]) == before

    before = snapshot(quick.world.homes["a"])
    for position in positions(data, spread=25):
        bad.write_bytes(flipped(data, position))
        refused(quick.run("a", "sync", "--from-file", str(bad)), INTEGRITY)
        assert snapshot(quick.world.homes["a"]) == before, position
    for size in (0, 9, 40, len(data) - 1):
        bad.write_bytes(data[:size])
        refused(quick.run("a", "sync", "--from-file", str(bad)), INTEGRITY)
        assert snapshot(quick.world.homes["a"]) == before, size
    quick.ok("a", "sync", "--from-file", str(reply))  # the genuine one still applies


def test_a_revoked_worker_hands_over_its_unsynced_work_then_wipes(
    quick: Cli, monkeypatch: pytest.MonkeyPatch
):
    world = quick.world
    marker = "MARQUEUR-REMIS-AU-DISTRICT"
    unsynced = quick.note("b", "family-contact", f"Appel {marker}")
    assert quick.district_run("worker", "revoke", world.worker_ids["b"]).exit_code == 0

    bundle, notice = world.root / "b.fkb", world.root / "wipe.fkb"
    quick.ok("b", "sync", "--to-file", str(bundle))
    before = snapshot(world.district_home)
    line = refused(quick.district_run("sync-file", str(bundle), str(notice)), REFUSED)
    assert world.worker_ids["b"] in line
    assert notice.exists()
    assert snapshot(world.district_home) == before  # refused: nothing of it applied

    result = quick.run("b", "sync", "--from-file", str(notice), "--json")
    refused(result, REFUSED)
    report = json.loads(result.stdout)
    handover = Path(report["handover"])
    assert report["handover_files"] == [str(handover)]
    assert handover.exists() and handover.parent == world.homes["b"]
    assert handover.stat().st_mode & 0o077 == 0
    assert quick.json("b", "case", "list") == quick.json("b", "followup", "list") == []
    refused(quick.run("b", "sync", "--to-file", str(world.root / "b2.fkb")), REFUSED)

    # The wiped text is gone from the store's bytes, free pages and WAL included.
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
    key = data_key(world.homes["b"], "worker", Credentials()).data_key
    raw = decrypt_sqlcipher_pages(world.homes["b"] / "worker.db", key)
    wal = world.homes["b"] / "worker.db-wal"
    if wal.exists():
        raw += decrypt_sqlcipher_wal(wal, key)
    assert marker.encode() not in raw
    monkeypatch.delenv("FIELDKIT_PASSPHRASE")

    # Without the coordinator's consent the handover is refused like any bundle of B...
    imported = world.root / "handover-reply.fkb"
    refused(quick.district_run("sync-file", str(handover), str(imported)), REFUSED)
    # ...with it, B's last work reaches the district.
    done = quick.district("sync-file", str(handover), str(imported), "--accept-revoked")
    assert (done["applied"], done["refused"]) == (1, 0)
    assert unsynced in quick.district_followups()
