"""The confidentiality charter through the real CLI (issue 17), bundles carried by file,
on both district backends: the District Officer sets a version, each worker is offered
it at sync, reads it, accepts it (signed with its device's key); the district keeps the
acceptance and its signature verifies with the worker's key. A new version makes the
worker pending, its work is taken all the same, and its acceptance clears the flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldkit.crypto.charter import charter_hash
from fieldkit.district import charter
from fieldkit.errors import USAGE
from fieldkit.store import audit
from fieldkit.store import charter as device_charter
from tests.e2e.conftest import Cli
from tests.world import file_sync

pytestmark = pytest.mark.usefixtures("district_backend")

V1 = "# Charte de confidentialité\n\nJe ne divulgue rien des dossiers suivis.\n"
V2 = V1 + "\nJe ne garde aucune copie hors de l'appareil [bold]chiffré[/bold].\n"


def _set(cli: Cli, tmp_path: Path, text: str, version: str) -> dict:
    path = tmp_path / f"charte-{version}.md"
    path.write_text(text, encoding="utf-8")
    return cli.district("charter", "set", str(path), "--version", version)


def _sync_text(cli: Cli, who: str, tag: str) -> str:
    """One round trip by file; the worker's text report of the reply."""
    home, world = cli.world.homes[who], cli.world
    out, back = world.root / f"{who}-{tag}.fkb", world.root / f"{who}-{tag}-back.fkb"
    cli.json(who, "sync", "--to-file", str(out))
    cli.district("sync-file", str(out), str(back))
    result = cli.fk.run(home, "sync", "--from-file", str(back), session=world.sessions[who])
    assert result.exit_code == 0, result.output
    return result.stdout + result.stderr


def _worker(cli: Cli, who: str) -> dict:
    listed = cli.district("worker", "list")
    return next(w for w in listed if w["id"] == cli.world.worker_ids[who])


def test_set_offered_accepted_at_sync_then_a_new_version_pending_until_accepted(
    quick: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    cli = quick
    made = _set(cli, tmp_path, V1, "2026-1")
    assert made["sha256"] == charter_hash(V1)
    assert _worker(cli, "a")["charter"] == {
        "version": None,
        "sha256": None,
        "at": None,
        "pending": True,
    }
    said = _sync_text(cli, "a", "offer")
    assert (
        "Nouvelle charte de confidentialité (version 2026-1) : lisez-la avec "
        "`fieldkit charter show` et acceptez-la avec `fieldkit charter accept`." in said
    )
    shown = cli.json("a", "charter", "show")["charter"]
    assert (shown["version"], shown["text"], shown["status"]) == ("2026-1", V1, "pending")
    assert cli.json("a", "status")["charter"]["status"] == "pending"
    assert "2026-1" in cli.ok("a", "status").stdout

    queued = cli.json("a", "charter", "accept", "--accept-charter", made["sha256"])
    assert queued["status"] == "queued" and queued["sha256"] == made["sha256"]
    file_sync(cli.fk, cli.world, "a", "accepted")
    state = _worker(cli, "a")["charter"]
    assert (state["version"], state["sha256"], state["pending"]) == (
        "2026-1",
        made["sha256"],
        False,
    )
    assert cli.json("a", "status")["charter"]["status"] == "accepted"
    # What the district keeps verifies with the worker's own key.
    with cli.world.open_district() as district, cli.world.open_worker("a") as worker:
        kept = charter.acceptances(district.conn, cli.world.worker_ids["a"])
        assert len(kept) == 1 and kept[0].verify(worker.identity().public)
        assert device_charter.queued(worker.conn) is None

    # A new version: pending again; the worker's follow-up is taken while it waits.
    second = _set(cli, tmp_path, V2, "2026-2")
    assert _worker(cli, "a")["charter"]["pending"] is True
    monkeypatch.setenv("COLUMNS", "200")
    table = cli.fk.ok(cli.world.district_home, "district", "worker", "list").stdout
    assert "charte en attente" in table
    note = cli.note("a", "interview", "Entretien pendant que la charte attend")
    said = _sync_text(cli, "a", "v2")
    assert "version 2026-2" in said
    assert note in cli.district_followups()
    shown = cli.json("a", "charter", "show")["charter"]
    assert shown["text"] == V2  # as data: the brackets are text, not markup
    assert "[bold]chiffré[/bold]" in cli.ok("a", "charter", "show").stdout
    cli.json("a", "charter", "accept", "--accept-charter", second["sha256"])
    file_sync(cli.fk, cli.world, "a", "v2-accepted")
    state = _worker(cli, "a")["charter"]
    assert (state["version"], state["pending"]) == ("2026-2", False)
    shown = cli.district("charter", "show")["charter"]
    assert (shown["version"], shown["accepted"], shown["pending"]) == ("2026-2", 1, 1)
    old = cli.district("charter", "show", "--version", "2026-1")["charter"]
    assert (old["text"], old["current"], old["accepted"]) == (V1, False, 1)


def test_a_wrong_sha256_is_refused_and_nothing_is_queued(quick: Cli, tmp_path: Path):
    cli = quick
    _set(cli, tmp_path, V1, "v1")
    file_sync(cli.fk, cli.world, "a", "offer")
    wrong = cli.run("a", "charter", "accept", "--accept-charter", charter_hash(V2))
    assert wrong.exit_code == USAGE, wrong.output
    assert "--accept-charter" in wrong.stderr
    # Not at a terminal, without the hash: nothing is accepted either.
    blind = cli.run("a", "charter", "accept")
    assert blind.exit_code == USAGE
    with cli.world.open_worker("a") as worker:
        assert device_charter.queued(worker.conn) is None
    assert cli.json("a", "charter", "show")["charter"]["status"] == "pending"
    file_sync(cli.fk, cli.world, "a", "after")
    assert _worker(cli, "a")["charter"]["pending"] is True


def test_the_district_refuses_a_charter_it_cannot_take(quick: Cli, tmp_path: Path):
    cli = quick
    empty = tmp_path / "vide.md"
    empty.write_text(" \n\n", encoding="utf-8")
    refused = cli.district_run("charter", "set", str(empty), "--version", "v1")
    assert refused.exit_code == USAGE
    binary = tmp_path / "charte.pdf"
    binary.write_bytes(b"%PDF-1.4\n\xff\xfe\x00")
    assert cli.district_run("charter", "set", str(binary), "--version", "v1").exit_code == USAGE
    big = tmp_path / "grande.md"
    big.write_text("x" * (65 * 1024), encoding="utf-8")
    assert cli.district_run("charter", "set", str(big), "--version", "v1").exit_code == USAGE
    _set(cli, tmp_path, V1, "v1")
    other = tmp_path / "autre.md"
    other.write_text(V2, encoding="utf-8")
    taken = cli.district_run("charter", "set", str(other), "--version", "v1")
    assert taken.exit_code == USAGE and "v1" in taken.stderr
    assert cli.district("charter", "show")["charter"]["text"] == V1
    with cli.world.open_district() as district:
        assert [e.action for e in audit.events(district.conn)].count("charter-set") == 1


def test_worker_list_fits_80_columns_with_whole_short_ids(
    quick: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    cli = quick
    _set(cli, tmp_path, V1, "2026-1")
    for lang in ("fr", "en"):
        monkeypatch.setenv("FIELDKIT_LANG", lang)
        monkeypatch.setenv("COLUMNS", "80")
        out = cli.fk.ok(cli.world.district_home, "district", "worker", "list").stdout
        lines = out.splitlines()
        assert lines and all(len(line) <= 80 for line in lines), out
        for worker_id in cli.world.worker_ids.values():
            assert any(worker_id[:8] in line for line in lines), out
        flag = ("charte en attente" if lang == "fr" else "charter pending").split()
        assert all(word in out for word in flag), out
    full = cli.district("worker", "list")
    assert {w["id"] for w in full} == set(cli.world.worker_ids.values())
