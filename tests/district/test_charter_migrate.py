"""A district's charter and its pending enrolments move with it from its file to
PostgreSQL (`district migrate`): the charter's text reads back the same, sealed there
like every text, and a short code handed over before the move still enrols after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pg import Cluster
from tests.world import Fieldkit, use_fast_kdf

DISTRICT_BACKENDS = ("sqlcipher",)
CHARTER = "# Charte\n\nJe garde le secret partagé — marqueur-charte.\n"


def test_the_charter_and_a_pending_code_move_to_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_cluster: Cluster
) -> None:
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    home, lea = tmp_path / "district", tmp_path / "lea"
    fk.json(home, "district", "init", "--name", "District marqueur-nom")
    (tmp_path / "charte.md").write_text(CHARTER, encoding="utf-8")
    set_ = fk.json(
        home, "district", "charter", "set", str(tmp_path / "charte.md"), "--version", "1"
    )
    identity = tmp_path / "district.fkid"
    added = fk.json(
        home,
        "district",
        "worker",
        "add",
        "--name",
        "Léa Martin",
        "--unit",
        "UT Nord",
        "--to-file",
        str(identity),
    )
    database = pg_cluster.create_database()
    moved = fk.json(home, "district", "migrate", "--to", database)
    assert moved["verified"] is True
    assert moved["tables"]["charters"] == 1 and moved["tables"]["enrol_offers"] == 1
    shown = fk.json(home, "district", "charter", "show")["charter"]
    assert shown["text"] == CHARTER and shown["sha256"] == set_["sha256"]
    dump = pg_cluster.pg_dump(database)
    assert "marqueur-charte" not in dump and "marqueur-nom" not in dump
    # The code handed over before the move: the district now on PostgreSQL takes it.
    fk.json(lea, "init")
    request, reply = tmp_path / "demande.fkb", tmp_path / "reponse.fkb"
    fk.ok(
        lea,
        "enrol",
        added["enrolment_code"],
        "--district-file",
        str(identity),
        "--to-file",
        str(request),
        "--accept-charter",
        set_["sha256"],
    )
    fk.ok(home, "district", "sync-file", str(request), str(reply))
    done = fk.json(lea, "enrol", "--from-file", str(reply))
    assert done["status"] == "enrolled"
    (worker,) = fk.json(home, "district", "worker", "list")
    assert worker["charter"]["sha256"] == set_["sha256"] and not worker["charter"]["pending"]
