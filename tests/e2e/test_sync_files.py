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
from typer.testing import Result

from fieldkit.errors import INTEGRITY, REFUSED
from tests.world import Fieldkit, World, cli_world, file_sync, use_fast_kdf


def followup_ids_at_district(fk: Fieldkit, world: World) -> list[str]:
    shown = fk.json(world.district_home, "district", "case", "show", world.reference)
    return sorted(f["id"] for f in shown["followups"])


def followup_ids_at(fk: Fieldkit, world: World, who: str) -> list[str]:
    listed = fk.json(
        world.homes[who], "followup", "list", world.reference, session=world.sessions.get(who)
    )
    return sorted(f["id"] for f in listed)


def open_conflicts_at(fk: Fieldkit, world: World, who: str) -> list[str]:
    listed = fk.json(world.homes[who], "conflicts", "list", session=world.sessions.get(who))
    return sorted(c["id"] for c in listed)


def open_conflicts_at_district(fk: Fieldkit, world: World) -> list[str]:
    shown = fk.json(world.district_home, "district", "case", "show", world.reference)
    return sorted(c["id"] for c in shown["conflicts"])


def situation_at(fk: Fieldkit, world: World, who: str) -> str:
    shown = fk.json(
        world.homes[who], "case", "show", world.reference, session=world.sessions.get(who)
    )
    return shown["situation"]


def situation_at_district(fk: Fieldkit, world: World) -> str:
    return fk.json(world.district_home, "district", "case", "show", world.reference)["situation"]


def in_worker(fk: Fieldkit, world: World, who: str, *args: str) -> Result:
    return fk.ok(world.homes[who], *args, session=world.sessions.get(who))


def test_two_workers_converge_by_file_and_settle_their_conflict(tmp_path: Path):
    fk = Fieldkit()
    world = cli_world(tmp_path, fk)  # fingerprints compared on both sides in there
    ref = world.reference
    for who in ("a", "b"):
        held = fk.json(world.homes[who], "case", "list")
        assert [c["reference"] for c in held] == [ref]
        assert {a["id"]: a["lead"] for a in held[0]["assignees"]} == {
            world.worker_ids["a"]: True,
            world.worker_ids["b"]: False,
        }

    # Offline, both record follow-ups and rewrite the same field.
    in_worker(fk, world, "a", "followup", "add", ref, "--kind", "home-visit",
              "--summary", "Visite au domicile, la mère est présente")  # fmt: skip
    in_worker(fk, world, "b", "followup", "add", ref, "--kind", "phone-call",
              "--summary", "Appel au lycée")  # fmt: skip
    in_worker(fk, world, "b", "followup", "add", ref, "--kind", "concern",
              "--concern-level", "high", "--summary", "Propos inquiétants rapportés")  # fmt: skip
    in_worker(fk, world, "a", "case", "update", ref, "--situation", "Situation selon A")
    in_worker(fk, world, "b", "case", "update", ref, "--situation", "Situation selon B")

    # Round 1: both bundles written before the district sees either; it takes B's first.
    a_out, b_out = tmp_path / "a-r1.fkb", tmp_path / "b-r1.fkb"
    assert fk.json(world.homes["a"], "sync", "--to-file", str(a_out))["sent"] == 2
    assert fk.json(world.homes["b"], "sync", "--to-file", str(b_out))["sent"] == 3
    at_b = fk.json(world.district_home, "district", "sync-file", str(b_out), str(b_out) + ".r")
    at_a = fk.json(world.district_home, "district", "sync-file", str(a_out), str(a_out) + ".r")
    assert (at_b["applied"], at_b["refused"]) == (3, 0)
    assert (at_a["applied"], at_a["refused"]) == (2, 0)
    got_a = fk.json(world.homes["a"], "sync", "--from-file", str(a_out) + ".r")
    got_b = fk.json(world.homes["b"], "sync", "--from-file", str(b_out) + ".r")
    assert got_a["received"] == 3 and got_a["conflicts"] == 1  # B's work came back with A's
    assert got_b["received"] == 0  # B's reply was built before A's bundle arrived

    # The high concern is flagged at the district.
    listed = fk.json(world.district_home, "district", "case", "list")
    assert [(c["reference"], c["high_concerns"]) for c in listed] == [(ref, 1)]

    # More rounds in different orders.
    for number, order in enumerate((("b", "a"), ("a", "b"), ("b", "a")), start=2):
        for who in order:
            file_sync(fk, world, who, f"r{number}")

    everywhere = followup_ids_at_district(fk, world)
    assert len(everywhere) == 3
    assert followup_ids_at(fk, world, "a") == everywhere
    assert followup_ids_at(fk, world, "b") == everywhere

    conflicts = open_conflicts_at_district(fk, world)
    assert len(conflicts) == 1
    assert open_conflicts_at(fk, world, "a") == conflicts
    assert open_conflicts_at(fk, world, "b") == conflicts
    [conflict] = fk.json(world.homes["b"], "conflicts", "list")
    assert {conflict["winner_value"], conflict["loser_value"]} == {
        "Situation selon A",
        "Situation selon B",
    }
    kept = situation_at_district(fk, world)
    assert situation_at(fk, world, "a") == situation_at(fk, world, "b") == kept

    # A settles it with a new text; the resolution syncs like any change.
    settled = "Situation commune après la réunion d'équipe"
    resolved = fk.json(
        world.homes["a"], "conflicts", "resolve", conflicts[0][:8], "--keep", settled
    )
    assert resolved["resolved"] is True
    for number, order in enumerate((("a", "b"), ("b", "a")), start=5):
        for who in order:
            file_sync(fk, world, who, f"r{number}")

    assert situation_at_district(fk, world) == settled
    assert situation_at(fk, world, "a") == settled
    assert situation_at(fk, world, "b") == settled
    assert open_conflicts_at_district(fk, world) == []
    assert open_conflicts_at(fk, world, "a") == []
    assert open_conflicts_at(fk, world, "b") == []
    listed = fk.json(world.district_home, "district", "case", "list")
    assert [c["open_conflicts"] for c in listed] == [0]
    for who in ("a", "b"):
        status = fk.json(world.homes[who], "status")
        assert status["unsynced_changes"] == 0 and status["open_conflicts"] == 0


@pytest.mark.parametrize("keep", ["mine", "theirs"])
def test_a_conflict_settled_with_mine_or_theirs_is_settled_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: str
):
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    world = cli_world(tmp_path, fk, sessions=True)
    ref = world.reference
    in_worker(fk, world, "a", "case", "update", ref, "--next-review", "2030-01-15")
    in_worker(fk, world, "b", "case", "update", ref, "--next-review", "2030-02-20")
    for number, order in enumerate((("a", "b"), ("a", "b")), start=1):
        for who in order:
            file_sync(fk, world, who, f"r{number}")
    [conflict_id] = open_conflicts_at(fk, world, "a")
    assert open_conflicts_at(fk, world, "b") == [conflict_id]
    assert open_conflicts_at_district(fk, world) == [conflict_id]

    mine = {"a": "2030-01-15", "b": "2030-02-20"}
    resolver, other = ("b", "a")
    expected = mine[resolver] if keep == "mine" else mine[other]
    in_worker(fk, world, resolver, "conflicts", "resolve", conflict_id, "--keep", keep)
    for number, order in enumerate(((resolver, other), (resolver, other)), start=3):
        for who in order:
            file_sync(fk, world, who, f"r{number}")
    shown = fk.json(world.district_home, "district", "case", "show", ref)
    assert shown["next_review"] == expected and shown["conflicts"] == []
    for who in ("a", "b"):
        case = json.loads(in_worker(fk, world, who, "case", "show", ref, "--json").stdout)
        assert case["next_review"] == expected and case["conflicts"] == []


# Bad bundles


def snapshot(home: Path) -> dict[str, bytes]:
    """Every file of a store's home, byte for byte."""
    files = sorted(p for p in home.rglob("*") if p.is_file())
    return {str(p.relative_to(home)): p.read_bytes() for p in files}


def refused(result: Result, code: int) -> str:
    """The refusal's one line on stderr, after checking the exit code and that nothing crashed."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def flipped(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def positions(data: bytes, spread: int) -> list[int]:
    """Every byte of the fixed prefix, the lengths and the signature's ends, and `spread` more."""
    header_len = int.from_bytes(data[9:13], "big")
    ct_at = 13 + header_len
    fixed = [*range(13), ct_at, ct_at + 1, ct_at + 2, ct_at + 3, len(data) - 64, len(data) - 1]
    step = max(1, len(data) // spread)
    return sorted(set(fixed) | set(range(13, len(data), step)))


def sender_span(data: bytes) -> range:
    header_len = int.from_bytes(data[9:13], "big")
    header = json.loads(data[13 : 13 + header_len])
    start = data.index(b'"sender":"') + len(b'"sender":"')
    return range(start, start + len(header["sender"]))


@pytest.fixture
def quick_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Fieldkit, World]:
    """The world with cheap key derivation and a session per worker (nothing else is written)."""
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    return fk, cli_world(tmp_path, fk, sessions=True)


def test_a_tampered_or_truncated_worker_bundle_is_refused_and_changes_nothing(quick_world):
    fk, world = quick_world
    in_worker(fk, world, "a", "followup", "add", world.reference, "--kind", "interview",
              "--summary", "Entretien au local")  # fmt: skip
    bundle = world.root / "a.fkb"
    in_worker(fk, world, "a", "sync", "--to-file", str(bundle))
    data = bundle.read_bytes()
    before = snapshot(world.district_home)
    bad, reply = world.root / "bad.fkb", world.root / "reply.fkb"
    sender = sender_span(data)
    for position in positions(data, spread=40):
        bad.write_bytes(flipped(data, position))
        result = fk.run(world.district_home, "district", "sync-file", str(bad), str(reply))
        # A changed sender id names nobody the district knows: refused as unknown (6).
        expected = (REFUSED, INTEGRITY) if position in sender else (INTEGRITY,)
        assert result.exit_code in expected, (position, result.stderr)
        refused(result, result.exit_code)
        assert not reply.exists()
        assert snapshot(world.district_home) == before, position
    for size in (0, 5, 8, 12, 13, 100, len(data) // 2, len(data) - 64, len(data) - 1):
        bad.write_bytes(data[:size])
        result = fk.run(world.district_home, "district", "sync-file", str(bad), str(reply))
        assert "rejected" in refused(result, INTEGRITY)
        assert snapshot(world.district_home) == before, size
    bad.write_bytes(data + b"\x00")
    refused(fk.run(world.district_home, "district", "sync-file", str(bad), str(reply)), INTEGRITY)
    assert snapshot(world.district_home) == before

    # The genuine bundle still goes through.
    done = fk.json(world.district_home, "district", "sync-file", str(bundle), str(reply))
    assert done["applied"] == 1


def test_a_replayed_bundle_is_refused_the_second_time(quick_world):
    fk, world = quick_world
    in_worker(fk, world, "a", "followup", "add", world.reference, "--kind", "interview",
              "--summary", "Entretien au local")  # fmt: skip
    bundle, reply = world.root / "a.fkb", world.root / "a-reply.fkb"
    in_worker(fk, world, "a", "sync", "--to-file", str(bundle))
    fk.ok(world.district_home, "district", "sync-file", str(bundle), str(reply))
    before = snapshot(world.district_home)
    again = world.root / "again.fkb"
    result = fk.run(world.district_home, "district", "sync-file", str(bundle), str(again))
    assert "counter" in refused(result, INTEGRITY)
    assert snapshot(world.district_home) == before
    assert not again.exists()

    # The same on the worker's side: a reply applied twice.
    in_worker(fk, world, "a", "sync", "--from-file", str(reply))
    before = snapshot(world.homes["a"])
    result = fk.run(world.homes["a"], "sync", "--from-file", str(reply),
                    session=world.sessions["a"])  # fmt: skip
    refused(result, INTEGRITY)
    assert snapshot(world.homes["a"]) == before


def test_a_reply_for_another_worker_or_tampered_is_refused_and_changes_nothing(quick_world):
    fk, world = quick_world
    bundle, reply = world.root / "a.fkb", world.root / "a-reply.fkb"
    in_worker(fk, world, "a", "sync", "--to-file", str(bundle))
    fk.ok(world.district_home, "district", "sync-file", str(bundle), str(reply))
    data = reply.read_bytes()

    before = snapshot(world.homes["b"])
    result = fk.run(world.homes["b"], "sync", "--from-file", str(reply),
                    session=world.sessions["b"])  # fmt: skip
    assert "recipient" in refused(result, INTEGRITY)
    assert snapshot(world.homes["b"]) == before

    before = snapshot(world.homes["a"])
    bad = world.root / "bad.fkb"
    for position in positions(data, spread=25):
        bad.write_bytes(flipped(data, position))
        result = fk.run(world.homes["a"], "sync", "--from-file", str(bad),
                        session=world.sessions["a"])  # fmt: skip
        refused(result, INTEGRITY)
        assert snapshot(world.homes["a"]) == before, position
    for size in (0, 9, 40, len(data) - 1):
        bad.write_bytes(data[:size])
        result = fk.run(world.homes["a"], "sync", "--from-file", str(bad),
                        session=world.sessions["a"])  # fmt: skip
        refused(result, INTEGRITY)
        assert snapshot(world.homes["a"]) == before, size
    in_worker(fk, world, "a", "sync", "--from-file", str(reply))


def test_a_revoked_worker_hands_over_its_unsynced_work_then_wipes(
    quick_world, monkeypatch: pytest.MonkeyPatch
):
    from fieldkit.store.access import Credentials, data_key
    from tests.conftest import PASSPHRASE
    from tests.helpers import decrypt_sqlcipher_pages, decrypt_sqlcipher_wal

    fk, world = quick_world
    marker = "MARQUEUR-REMIS-AU-DISTRICT"
    added = json.loads(in_worker(fk, world, "b", "followup", "add", world.reference,
                                 "--kind", "family-contact", "--summary", f"Appel {marker}",
                                 "--json").stdout)  # fmt: skip
    fk.ok(world.district_home, "district", "worker", "revoke", world.worker_ids["b"])

    bundle, notice = world.root / "b.fkb", world.root / "wipe.fkb"
    in_worker(fk, world, "b", "sync", "--to-file", str(bundle))
    before = snapshot(world.district_home)
    result = fk.run(world.district_home, "district", "sync-file", str(bundle), str(notice))
    assert world.worker_ids["b"] in refused(result, REFUSED)
    assert notice.exists()
    assert snapshot(world.district_home) == before  # refused: nothing of it applied

    result = fk.run(world.homes["b"], "sync", "--from-file", str(notice), "--json",
                    session=world.sessions["b"])  # fmt: skip
    refused(result, REFUSED)
    report = json.loads(result.stdout)
    handover = Path(report["handover"])
    assert handover.exists() and handover.parent == world.homes["b"]
    assert handover.stat().st_mode & 0o077 == 0
    assert fk.json(world.homes["b"], "case", "list", session=world.sessions["b"]) == []
    assert fk.json(world.homes["b"], "followup", "list", session=world.sessions["b"]) == []
    again = fk.run(world.homes["b"], "sync", "--to-file", str(world.root / "b2.fkb"),
                   session=world.sessions["b"])  # fmt: skip
    refused(again, REFUSED)

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
    result = fk.run(world.district_home, "district", "sync-file", str(handover), str(imported))
    refused(result, REFUSED)
    # ...with it, B's last work reaches the district.
    done = fk.json(world.district_home, "district", "sync-file", str(handover), str(imported),
                   "--accept-revoked")  # fmt: skip
    assert (done["applied"], done["refused"]) == (1, 0)
    ids = followup_ids_at_district(fk, world)
    assert added["id"] in ids
