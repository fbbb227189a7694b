"""`fieldkit district migrate --to postgresql://…`, through the CLI: a district with
history (follow-ups, an amendment, a conflict, a refusal) moves from its file to
PostgreSQL, checked; the workers go on syncing with the same cursors; the file stays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldkit.district.backend import DATABASE_CONFIG, DATABASE_ENV
from fieldkit.errors import USAGE
from tests.district.conftest import crafted, followup_fields, send
from tests.pg import Cluster
from tests.world import Fieldkit, cli_world, file_sync, use_fast_kdf

DISTRICT_BACKENDS = ("sqlcipher",)


def district_view(fk: Fieldkit, home: Path, reference: str) -> tuple:
    return (
        fk.json(home, "district", "case", "list"),
        fk.json(home, "district", "case", "show", reference),
        fk.json(home, "district", "worker", "list"),
    )


def test_a_district_moves_to_postgresql_checked_and_keeps_syncing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_cluster: Cluster
) -> None:
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    world = cli_world(tmp_path, fk)
    ref, home = world.reference, world.district_home
    added = fk.json(world.homes["a"], "followup", "add", ref, "--kind", "interview",
                    "--summary", "Entretien au collège")  # fmt: skip
    fk.ok(world.homes["a"], "followup", "amend", added["id"], "--summary", "Entretien corrigé")
    fk.ok(world.homes["a"], "case", "update", ref, "--situation", "Vue par A")
    fk.ok(world.homes["b"], "case", "update", ref, "--situation", "Vue par B")
    for step, who in enumerate("abab"):
        file_sync(fk, world, who, f"before-{step}")
    with world.open_district() as district, world.open_worker("b") as b:
        other = district.add_case(name="Hors périmètre", unit="UT Sud")
        change = crafted(b, entity_id="d" * 32, case_id=other.id, fields=followup_fields(b, "x"))
        send(district, b, [change])
        assert len(district.conflicts()) == 1 and len(district.refusals()) == 1
    before = district_view(fk, home, ref)

    dsn = pg_cluster.create_database()
    moved = fk.json(home, "district", "migrate", "--to", dsn)
    assert moved["verified"] is True
    assert moved["tables"]["changes"] >= 5 and moved["tables"]["refusals"] == 1
    assert moved["tables"]["amendments"] == 1 and moved["tables"]["conflicts"] == 1
    config = json.loads((home / DATABASE_CONFIG).read_text())
    assert config == {"backend": "postgresql", "dsn": dsn}
    assert (home / "district.db").exists()  # kept, untouched, for the operator to remove
    assert moved["kept_file"] == str(home / "district.db")

    # The same district, read from PostgreSQL.
    assert district_view(fk, home, ref) == before
    # Workers go on with their cursors: new work flows both ways, nothing is resent.
    note = fk.json(world.homes["b"], "followup", "add", ref, "--kind", "phone-call",
                   "--summary", "Après le déménagement")  # fmt: skip
    at_district, at_b = file_sync(fk, world, "b", "after-b")
    assert (at_district["received"], at_district["applied"], at_b["status"]) == (1, 1, "ok")
    at_district, at_a = file_sync(fk, world, "a", "after-a")
    assert at_a["received"] == 1 and at_district["applied"] == 0
    shown = fk.json(world.homes["a"], "followup", "list", ref)
    assert note["id"] in [f["id"] for f in shown]

    # Moving again is refused: the district is no longer on its file.
    again = fk.run(home, "district", "migrate", "--to", pg_cluster.create_database())
    assert again.exit_code == USAGE and "already" in again.stderr


def test_migrate_refuses_a_database_that_is_not_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_cluster: Cluster
) -> None:
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    home = tmp_path / "district"
    fk.ok(home, "district", "init", "--name", "Fichier")
    busy = pg_cluster.create_database()
    monkeypatch.setenv(DATABASE_ENV, busy)
    fk.ok(tmp_path / "other", "district", "init", "--name", "Déjà là")
    result = fk.run(home, "district", "migrate", "--to", busy)
    assert result.exit_code == USAGE and "not empty" in result.stderr
    assert not (home / DATABASE_CONFIG).exists()
    assert fk.json(home, "district", "worker", "list") == []
