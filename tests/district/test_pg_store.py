"""The district on PostgreSQL as an operator sees it: what a dump of the database shows
(no personal data), a sealed value moved between rows, the DSN's password never shown,
an unreachable database, a key file that does not belong to the database."""

from __future__ import annotations

import json
import re
import stat
from datetime import date
from pathlib import Path

import psycopg
import pytest

from fieldkit.crypto.casekeys import is_sealed
from fieldkit.district.backend import DATABASE_CONFIG, DATABASE_ENV
from fieldkit.district.store import DistrictStore
from fieldkit.errors import ERROR, USAGE, StoreError
from fieldkit.model import FollowUpKind
from fieldkit.replica import sealing
from fieldkit.store import team
from tests.district.conftest import crafted, followup_fields, send
from tests.pg import Cluster
from tests.world import CASE_NAME, WORKERS, Fieldkit, cli_world, credentials, file_sync

DISTRICT_BACKENDS = ("postgresql",)
FOLLOWUP_TEXT = "Marqueur-suivi confidentiel Zéphyrine"
AMENDED_TEXT = "Marqueur-correction Quentin-Octave"
SITUATION_A = "Marqueur-situation-A Hortense"
SITUATION_B = "Marqueur-situation-B Barnabé"
REFUSED_TEXT = "Marqueur-refus Gwendoline"
GOAL = "Marqueur-objectif Philibert"


@pytest.fixture
def fk() -> Fieldkit:
    return Fieldkit()


def test_a_dump_of_the_database_shows_no_personal_data(
    tmp_path: Path, fk: Fieldkit, district_backend: str, pg_cluster: Cluster, monkeypatch
) -> None:
    from tests.world import use_fast_kdf

    use_fast_kdf(monkeypatch)
    world = cli_world(tmp_path, fk)
    ref = world.reference
    # A follow-up, its amendment, a goal, and two concurrent edits: a conflict.
    added = fk.json(
        world.homes["a"], "followup", "add", ref, "--kind", "interview", "--summary", FOLLOWUP_TEXT
    )
    fk.ok(world.homes["a"], "followup", "amend", added["id"], "--summary", AMENDED_TEXT)
    fk.ok(world.homes["a"], "case", "update", ref, "--situation", SITUATION_A, "--goal", GOAL)
    fk.ok(world.homes["b"], "case", "update", ref, "--situation", SITUATION_B)
    for who in ("a", "b", "a", "b"):
        file_sync(fk, world, who, f"round-{who}-{len(list(tmp_path.iterdir()))}")
    # A refused change, kept whole by the district: on a case not assigned to the worker.
    with world.open_district() as district, world.open_worker("a") as a:
        other = district.add_case(name="Autre Personne-Marqueur", unit="UT Sud")
        fields = followup_fields(a, REFUSED_TEXT)
        change = crafted(a, entity_id="e" * 32, case_id=other.id, fields=fields)
        _, reply, _ = send(district, a, [change])
        assert [r.reason for r in reply.refused] == ["not-assigned"]
        # Everything is there, readable through the store: the district's own fields in
        # clear, the team texts as sealed values that a team member's keys open (DESIGN §9).
        case, history = district.case(ref)
        assert case.display_name == CASE_NAME
        assert is_sealed(case.goals) and is_sealed(case.situation)
        keys = team.keyring(a, case.id)
        assert GOAL in [g.text for g in sealing.open_case(case, keys).goals]
        assert all(is_sealed(f.current().summary) for f in history)
        opened = [sealing.open_followup(f, keys) for f in history]
        assert AMENDED_TEXT in [f.current().summary for f in opened]
        conflicts = district.conflicts()
        assert conflicts and all(is_sealed(c.loser_value) for c in conflicts)
        losers = {sealing.open_conflict(c, keys)[0].loser_value for c in conflicts}
        assert losers & {SITUATION_A, SITUATION_B}
        assert district.refusals()[-1].reason == "not-assigned"

    dump = pg_cluster.pg_dump(district_backend)
    markers = [
        CASE_NAME,
        *CASE_NAME.split(),
        "Signalement",
        FOLLOWUP_TEXT,
        AMENDED_TEXT,
        SITUATION_A,
        SITUATION_B,
        REFUSED_TEXT,
        GOAL,
        "Personne-Marqueur",
        "Marqueur",
        "District de test",  # the district's name, a setting
        *WORKERS.values(),
        "UT Nord",
    ]
    found = [m for m in markers if m.lower() in dump.lower()]
    assert found == []
    # Sealed values are there, and the clear metadata the docs list.
    assert dump.count("fk1:") > 50
    assert ref in dump and added["id"] in dump
    # No private key in clear either: the district's identity is a sealed setting.
    assert not re.search(r"BEGIN [A-Z ]*PRIVATE KEY", dump)


def test_a_sealed_value_moved_to_another_row_does_not_open(
    tmp_path: Path, district_backend: str, monkeypatch
) -> None:
    from tests.world import api_world, use_fast_kdf

    use_fast_kdf(monkeypatch)
    world = api_world(tmp_path)
    with world.open_worker("a") as a:
        for text in ("Première", "Seconde"):
            a.add_followup(
                world.case_id,
                kind=FollowUpKind.INTERVIEW,
                summary=text,
                occurred_on=date.today(),
                today=date.today(),
            )
    with world.open_district() as district, world.open_worker("a") as a:
        from tests.world import api_sync

        api_sync(district, a)
        assert len(district.case(world.case_id)[1]) == 2
    with psycopg.connect(district_backend, autocommit=True) as raw:
        (first, data1), (second, data2) = raw.execute(
            "SELECT id, data FROM followups ORDER BY id"
        ).fetchall()
        raw.execute("UPDATE followups SET data = %s WHERE id = %s", (data2, first))
        raw.execute("UPDATE followups SET data = %s WHERE id = %s", (data1, second))
    with world.open_district() as district, pytest.raises(StoreError) as caught:
        district.case(world.case_id)
    assert caught.value.key == "store.value_damaged"
    result = Fieldkit().run(world.district_home, "district", "case", "show", world.reference)
    assert result.exit_code == ERROR
    assert "damaged" in result.stderr and "Traceback" not in result.output


def test_the_dsn_password_is_never_shown_and_the_config_is_owner_only(
    tmp_path: Path, fk: Fieldkit, district_backend: str, pg_cluster: Cluster, monkeypatch
) -> None:
    from tests.world import use_fast_kdf

    use_fast_kdf(monkeypatch)
    monkeypatch.delenv(DATABASE_ENV)
    # The test cluster trusts local connections, so any password is accepted.
    with_password = district_backend.replace("fieldkit@", "fieldkit:Secret-Passw0rd@")
    home = tmp_path / "district"
    result = fk.run(home, "district", "init", "--name", "D", "--database", with_password)
    assert result.exit_code == 0, result.output
    assert "Secret-Passw0rd" not in result.output and "fieldkit:***@" in result.output
    # A second district on the same database is refused, its files removed.
    again = fk.run(
        tmp_path / "again", "district", "init", "--name", "E", "--database", with_password
    )
    assert again.exit_code == USAGE and "not empty" in again.stderr
    assert "Secret" not in again.output + again.stderr
    assert not (tmp_path / "again" / "district.key").exists()
    other = pg_cluster.create_database().replace("fieldkit@", "fieldkit:Secret-Passw0rd@")
    created = fk.json(tmp_path / "json", "district", "init", "--name", "E", "--database", other)
    assert "Secret" not in json.dumps(created) and created["database"].startswith("postgresql://")
    config = home / DATABASE_CONFIG
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert not (home / "district.db").exists()
    listing = fk.json(home, "district", "worker", "list")
    assert listing == []


def test_a_bad_or_unreachable_database_is_one_clear_line(
    tmp_path: Path, fk: Fieldkit, district_backend: str, monkeypatch
) -> None:
    monkeypatch.delenv(DATABASE_ENV)
    bad = fk.run(tmp_path / "d1", "district", "init", "--name", "D", "--database", "mysql://x")
    assert bad.exit_code == USAGE and "postgresql://" in bad.stderr
    closed = "postgresql://u:Secret-Passw0rd@127.0.0.1:1/fieldkit"
    down = fk.run(tmp_path / "d2", "district", "init", "--name", "D", "--database", closed)
    assert down.exit_code == ERROR, down.output
    assert "cannot reach" in down.stderr and "Secret" not in down.output + down.stderr
    assert "Traceback" not in down.output
    assert not (tmp_path / "d2" / "district.key").exists()  # nothing half-made


def test_a_key_file_of_another_district_does_not_open_the_database(
    tmp_path: Path, district_backend: str, monkeypatch
) -> None:
    from tests.conftest import PASSPHRASE
    from tests.world import use_fast_kdf

    use_fast_kdf(monkeypatch)
    first, second = tmp_path / "first", tmp_path / "second"
    DistrictStore.create(first, PASSPHRASE, "Premier", None).close()
    monkeypatch.delenv(DATABASE_ENV)
    DistrictStore.create(second, PASSPHRASE, "Second", None).close()
    (second / DATABASE_CONFIG).write_bytes((first / DATABASE_CONFIG).read_bytes())
    with pytest.raises(StoreError):
        DistrictStore.open(second, credentials())
    with DistrictStore.open(first, credentials()) as district:
        assert district.name == "Premier"
