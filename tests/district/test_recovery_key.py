"""The district's recovery key through the CLI, on both backends: `district init` prints
generation 1's sheet, `recovery-key new` the next, `recovery-key list` their public
halves; the district keeps no private half in any form, and refuses a sheet of another
key."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from fieldkit.crypto.identity import Identity
from fieldkit.crypto.recovery import decode_sheet
from fieldkit.district import recovery
from fieldkit.errors import REFUSED, USAGE, Refused
from fieldkit.store.access import Credentials, data_key
from tests.conftest import PASSPHRASE
from tests.helpers import decrypt_sqlcipher_pages, decrypt_sqlcipher_wal
from tests.pg import Cluster
from tests.recovery_sheets import sheet_lines, sheet_text
from tests.world import DISTRICT_NAME, Fieldkit, credentials, use_fast_kdf

fk = Fieldkit()


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fast_kdf(monkeypatch)


def _init(home: Path, *extra: str) -> dict:
    return fk.json(home, "district", "init", "--name", DISTRICT_NAME, *extra)


def test_init_prints_generation_one_owner_only_and_keeps_its_public_half(tmp_path: Path):
    home, sheet = tmp_path / "district", tmp_path / "coffre" / "feuille.pdf"
    sheet.parent.mkdir()
    created = _init(home, "--recovery-sheet", str(sheet))
    assert created["recovery_sheet"] == str(sheet)
    assert stat.S_IMODE(sheet.stat().st_mode) == 0o600
    generation, key = decode_sheet(sheet_text(sheet))
    assert generation == 1
    assert created["recovery_fingerprint"] == key.public.fingerprint
    listed = fk.json(home, "district", "recovery-key", "list")
    assert listed == [
        {
            "generation": 1,
            "grantee": "recovery-1",
            "fingerprint": key.public.fingerprint_hex,
            "created_at": listed[0]["created_at"],
        }
    ]
    with DistrictStore_open(home) as store:
        assert recovery.current(store) == (1, key.public)
        assert recovery.match_sheet(store, key) == 1
        events = [e for e in store.audit_events() if e.action == "recovery-key-new"]
        assert [(e.object_type, e.object_id) for e in events] == [("recovery-key", "1")]


def DistrictStore_open(home: Path):
    from fieldkit.district.store import DistrictStore

    return DistrictStore.open(home, credentials())


def test_init_says_in_french_where_the_sheet_is_and_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    monkeypatch.chdir(tmp_path)
    out = fk.ok(tmp_path / "district", "district", "init", "--name", "District du Rhône").stdout
    [written] = list(tmp_path.glob("recovery-sheet-district-du-rhone-1-*.pdf"))
    flat = " ".join(out.split())
    assert f"Feuille de récupération (génération 1) écrite dans {written}." in flat
    assert "rangez-la dans le coffre du responsable de traitement" in flat
    assert "supprimez le fichier" in flat


def test_the_sheet_is_never_written_over_a_file_nor_in_the_district_folder(tmp_path: Path):
    home = tmp_path / "district"
    taken = tmp_path / "taken.pdf"
    taken.write_bytes(b"a letter")
    refused = fk.run(home, "district", "init", "--name", "D", "--recovery-sheet", str(taken))
    assert refused.exit_code == USAGE and "already exists" in refused.stderr
    assert taken.read_bytes() == b"a letter" and not home.exists()  # nothing was created
    home.mkdir()
    inside = fk.run(
        home, "district", "init", "--name", "D", "--recovery-sheet", str(home / "s.pdf")
    )
    assert inside.exit_code == USAGE and "inside the district's folder" in inside.stderr
    assert list(home.iterdir()) == []
    _init(home, "--recovery-sheet", str(tmp_path / "one.pdf"))
    again = fk.run(home, "district", "recovery-key", "new", "--recovery-sheet", str(taken))
    assert again.exit_code == USAGE
    assert [g["generation"] for g in fk.json(home, "district", "recovery-key", "list")] == [1]


def test_a_new_generation_has_its_own_sheet_and_the_older_one_still_matches(tmp_path: Path):
    home = tmp_path / "district"
    _init(home, "--recovery-sheet", str(tmp_path / "one.pdf"))
    new = fk.json(
        home, "district", "recovery-key", "new", "--recovery-sheet", str(tmp_path / "two.pdf")
    )
    assert new["generation"] == 2 and new["grantee"] == "recovery-2"
    first = decode_sheet(sheet_text(tmp_path / "one.pdf"))
    second = decode_sheet(sheet_text(tmp_path / "two.pdf"))
    assert (first[0], second[0]) == (1, 2)
    assert second[1].public.fingerprint == new["fingerprint"]
    listed = fk.json(home, "district", "recovery-key", "list")
    assert [g["fingerprint"] for g in listed] == [
        first[1].public.fingerprint_hex,
        second[1].public.fingerprint_hex,
    ]
    text = fk.ok(home, "district", "recovery-key", "list").stdout
    assert "recovery-2" in text and second[1].public.fingerprint in " ".join(text.split())
    with DistrictStore_open(home) as store:
        assert recovery.current(store) == (2, second[1].public)
        assert recovery.match_sheet(store, first[1]) == 1
        assert [e.object_id for e in store.audit_events() if e.action == "recovery-key-new"] == [
            "1",
            "2",
        ]


def test_a_sheet_of_another_key_is_refused(tmp_path: Path):
    home = tmp_path / "district"
    _init(home, "--recovery-sheet", str(tmp_path / "one.pdf"))
    with DistrictStore_open(home) as store, pytest.raises(Refused) as caught:
        recovery.match_sheet(store, Identity.generate())
    assert caught.value.exit_code == REFUSED
    assert caught.value.key == "recovery.not_this_district"


def test_the_private_half_is_nowhere_in_the_district_store(
    tmp_path: Path,
    district_backend: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
):
    home = tmp_path / "district"
    _init(home, "--recovery-sheet", str(tmp_path / "one.pdf"))
    fk.ok(home, "district", "recovery-key", "new", "--recovery-sheet", str(tmp_path / "two.pdf"))
    secrets: list[bytes] = []
    for sheet in ("one.pdf", "two.pdf"):
        lines = sheet_lines(tmp_path / sheet)
        key = decode_sheet("\n".join(lines))[1].to_bytes()
        # The private key's bytes, each of its three seeds, in hex and base64, and the
        # sheet's own characters, line by line.
        parts = [key, key[5:37], key[37:101], key[101:133]]
        secrets += parts
        secrets += [p.hex().encode() for p in parts]
        secrets += [base64.b64encode(p).rstrip(b"=") for p in parts]
        secrets += ["".join(line.split()[1:-1]).encode() for line in lines]
        secrets += [line.split()[1].encode() + b" " + line.split()[2].encode() for line in lines]
    if district_backend == "sqlcipher":
        monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
        with DistrictStore_open(home):
            raw_key = data_key(home, "district", Credentials()).data_key
            raw = decrypt_sqlcipher_pages(home / "district.db", raw_key)
            wal = home / "district.db-wal"
            if wal.exists():
                raw += decrypt_sqlcipher_wal(wal, raw_key)
        assert b"recovery_key.2" in raw  # the search sees the settings
        assert [s for s in secrets if s in raw] == []
    else:
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        dump = cluster.pg_dump(district_backend).encode()
        assert b"recovery_key.2" in dump
        assert [s for s in secrets if s in dump] == []
    # Nor anywhere in the district's folder.
    for path in home.rglob("*"):
        if path.is_file():
            assert [s for s in secrets[:4] if s in path.read_bytes()] == []
