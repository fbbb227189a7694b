"""`district seal-team-texts` on a district whose history holds team texts in clear, written
by versions before issue 16: follow-ups, an amendment, a withdrawal, a conflict on the
situation settled, a refusal. The team reads everything as before; the district's file
(its decrypted pages and WAL, or its PostgreSQL dump with the sealed columns opened with
the district's own key) no longer holds the text; a second run does nothing; both are
audited. On both district backends (tests/district/conftest.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from fieldkit.crypto.columns import ColumnCipher
from fieldkit.district.migrate import SEALED
from fieldkit.errors import USAGE
from fieldkit.replica import changelog, meta
from fieldkit.store import team
from fieldkit.store.access import Credentials, data_key
from tests.conftest import PASSPHRASE
from tests.helpers import decrypt_sqlcipher_pages, decrypt_sqlcipher_wal
from tests.pg import Cluster
from tests.world import Fieldkit, World, cli_world, file_sync, use_fast_kdf

MARKERS = {
    "followup": "MARQUEUR-SUIVI-7Q4",
    "next_steps": "MARQUEUR-ETAPES-2K9",
    "amended": "MARQUEUR-AMENDE-5H1",
    "withdrawn": "MARQUEUR-RETRAIT-8Z3",
    "situation_a": "MARQUEUR-SITUATION-A-3P6",
    "situation_b": "MARQUEUR-SITUATION-B-6W2",
    "related": "MARQUEUR-PROCHE-1D8",
    "refused": "MARQUEUR-REFUS-4M7",
}
CELL_TEXT = "MARQUEUR-CELLULE-9R5"  # addressed to the cell: stays readable at the district


def _clear_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers write as versions before sealing did: team texts in clear."""
    monkeypatch.setattr(team, "seal", lambda store, entity, entity_id, case_id, fields: fields)


def _sync(fk: Fieldkit, world: World, tag: str, *who: str) -> None:
    for name in who or ("a", "b"):
        file_sync(fk, world, name, f"{tag}-{name}")


def _readings(fk: Fieldkit, world: World, who: str) -> dict[str, Any]:
    home, ref = world.homes[who], world.reference
    case = fk.json(home, "case", "show", ref)
    followups = fk.json(home, "followup", "list", ref)
    found = fk.json(home, "conflicts", "list", "--all")
    return {"case": case, "followups": followups, "conflicts": found}


def _history(fk: Fieldkit, world: World, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The district's history in clear, through the CLI of both workers."""
    a, b, ref = world.homes["a"], world.homes["b"], world.reference
    with monkeypatch.context() as m:
        _clear_writes(m)
        first = fk.json(
            a,
            "followup",
            "add",
            ref,
            "--kind",
            "interview",
            "--summary",
            MARKERS["followup"],
            "--next-steps",
            MARKERS["next_steps"],
        )
        fk.ok(a, "followup", "amend", first["id"], "--summary", MARKERS["amended"])
        gone = fk.json(a, "followup", "add", ref, "--kind", "phone-call", "--summary", "Appel")
        fk.ok(a, "followup", "withdraw", gone["id"], "--reason", MARKERS["withdrawn"])
        fk.ok(a, "case", "update", ref, "--related", MARKERS["related"])
        # A conflict on the situation, settled by A.
        fk.ok(a, "case", "update", ref, "--situation", MARKERS["situation_a"])
        fk.ok(b, "case", "update", ref, "--situation", MARKERS["situation_b"])
        _sync(fk, world, "h1")
        _sync(fk, world, "h2")
        [conflict] = fk.json(a, "conflicts", "list")
        fk.ok(a, "conflicts", "resolve", conflict["id"], "--keep", "mine")
        # A follow-up addressed to the cell (its text is the cell's, in clear on purpose).
        fk.ok(b, "followup", "add", ref, "--kind", "case-review", "--summary", "Revue")
        _sync(fk, world, "h3")
        # A refusal: B records while the district has taken the case away from it.
        d = world.district_home
        fk.ok(d, "district", "case", "unassign", ref, world.worker_ids["b"])
        fk.ok(b, "followup", "add", ref, "--kind", "home-visit", "--summary", MARKERS["refused"])
        _sync(fk, world, "h4", "b")
        fk.ok(d, "district", "case", "assign", ref, world.worker_ids["b"])
        _sync(fk, world, "h5")
        _sync(fk, world, "h6")
    [refusal] = fk.json(d, "district", "refusals", "list")
    return {"refusal": refusal["id"], "followup": first["id"]}


def _district_bytes(world: World, backend: str, request: pytest.FixtureRequest) -> bytes:
    """What the district's storage holds, as a thief with its key would read it."""
    key = data_key(world.district_home, "district", Credentials(prompt=lambda: PASSPHRASE))
    if backend == "sqlcipher":
        path = world.district_home / "district.db"
        raw = decrypt_sqlcipher_pages(path, key.data_key)
        wal = Path(f"{path}-wal")
        if wal.exists():
            raw += decrypt_sqlcipher_wal(wal, key.data_key)
        return raw
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return _opened_dump(cluster.pg_dump(backend), ColumnCipher(key.data_key)).encode()


def _opened_dump(dump: str, cipher: ColumnCipher) -> str:
    """The dump with every sealed column opened with the district's own key: what the
    district itself could read of it."""
    out = [dump]
    for block in dump.split("\nCOPY ")[1:]:
        header, _, body = block.partition("\n")
        found = re.match(r"public\.(\w+) \((.*)\) FROM stdin;", header)
        if found is None or found.group(1) not in SEALED:
            continue
        table, names = found.group(1), [n.strip().strip('"') for n in found.group(2).split(",")]
        for line in body.split("\n"):
            if line == "\\.":
                break
            row = dict(zip(names, line.split("\t"), strict=True))
            for column, row_key in SEALED[table].items():
                value = row.get(column)
                if value and value != "\\N":
                    text = value.encode().decode("unicode_escape").encode("latin-1").decode()
                    out.append(cipher.unseal(table, column, row_key(row), text))
    return "\n".join(out)


def test_sealing_keeps_every_reading_and_removes_the_clear_text(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    district_backend: str,
    request: pytest.FixtureRequest,
):
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    world = cli_world(tmp_path, fk)
    made = _history(fk, world, monkeypatch)
    d, ref = world.district_home, world.reference
    before = {who: _readings(fk, world, who) for who in ("a", "b")}
    assert before["a"]["followups"] and before["a"]["conflicts"]
    held = _district_bytes(world, district_backend, request)
    assert [m for m in MARKERS.values() if m.encode() not in held] == []  # the check sees text

    done = fk.json(d, "district", "seal-team-texts", "--yes")
    assert [c["reference"] for c in done["cases"]] == [ref]
    assert done["changes"] >= 6 and done["refusals"] == 1
    assert done["grants"] == 3  # the two members and the recovery key of `district init`
    if district_backend != "sqlcipher":
        assert done["vacuumed"] is True

    held = _district_bytes(world, district_backend, request)
    assert [m for m in MARKERS.values() if m.encode() in held] == []
    # The district's views still work, and show none of it.
    for args in (
        ("case", "show", ref, "--json"),
        ("case", "list", "--json"),
        ("refusals", "list", "--json"),
        ("refusals", "show", made["refusal"], "--json"),
        ("report",),
    ):
        shown = fk.ok(d, "district", *args).stdout
        assert [m for m in MARKERS.values() if m in shown] == [], args

    # Each device takes the sealed copy at its next sync, and reads it all as before.
    for who in ("a", "b"):
        _, report = file_sync(fk, world, who, f"s1-{who}")
        assert report["retaken"] == 1 and report["conflicts"] == 0
    _sync(fk, world, "s2")
    after = {who: _readings(fk, world, who) for who in ("a", "b")}
    assert after == before
    for who in ("a", "b"):
        with world.open_worker(who) as store:
            assert meta.get(store.conn, "resync_needed") is None
            logged = json.dumps(
                [c.fields for c in changelog.all_of_case(store.conn, world.case_id)]
            )
            assert MARKERS["followup"] not in logged  # the district's sealed copy, taken
            assert team.keyring(store, world.case_id)

    # A second run finds nothing and changes nothing; both runs are audited.
    with world.open_district() as store:
        last = changelog.last_idx(store.conn)
    again = fk.json(d, "district", "seal-team-texts", "--yes")
    assert again["cases"] == [] and again["changes"] == 0 and again["grants"] == 0
    with world.open_district() as store:
        assert changelog.last_idx(store.conn) == last
        runs = [e for e in store.audit_events() if e.action == "seal-team-texts"]
        assert len(runs) == 2
        assert store.verify_audit()[1] is None
    _sync(fk, world, "s3")
    assert {who: _readings(fk, world, who) for who in ("a", "b")} == before


def test_a_clear_change_queued_on_a_device_is_sealed_before_it_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    world = cli_world(tmp_path, fk)
    a, ref = world.homes["a"], world.reference
    with monkeypatch.context() as m:
        _clear_writes(m)
        fk.ok(a, "followup", "add", ref, "--kind", "interview", "--summary", MARKERS["followup"])
        fk.ok(a, "case", "update", ref, "--situation", MARKERS["situation_a"])
    before = _readings(fk, world, "a")
    _sync(fk, world, "q1", "a")
    with world.open_district() as store:
        logged = json.dumps([c.fields for c in changelog.all_of_case(store.conn, world.case_id)])
    assert MARKERS["followup"] not in logged and MARKERS["situation_a"] not in logged
    assert _readings(fk, world, "a") == before
    _sync(fk, world, "q2", "b")
    b_case = fk.json(world.homes["b"], "case", "show", ref)
    assert b_case["situation"] == MARKERS["situation_a"]


def test_without_yes_and_without_a_terminal_nothing_is_sealed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    world = cli_world(tmp_path, fk, first_sync=False)
    result = fk.run(world.district_home, "district", "seal-team-texts")
    assert result.exit_code == USAGE
    assert "--yes" in result.stderr
    with world.open_district() as store:
        assert not [e for e in store.audit_events() if e.action == "seal-team-texts"]
