"""`fieldkit config`: settings kept in settings.toml, checked, and never in a write's way."""

from __future__ import annotations

import stat

import pytest

from fieldkit.errors import USAGE
from tests.conftest import PASSPHRASE
from tests.helpers import open_case_in_home
from tests.world import Fieldkit, use_fast_kdf


@pytest.fixture
def fk(monkeypatch: pytest.MonkeyPatch) -> Fieldkit:
    use_fast_kdf(monkeypatch)
    return Fieldkit()


def test_defaults_set_and_show(tmp_path, fk: Fieldkit) -> None:
    home = tmp_path / "w"
    fk.json(home, "init")
    defaults = {"auto_sync": False, "auto_sync_timeout": 20, "session_idle_lock": 900}
    assert fk.json(home, "config", "show") == defaults
    assert fk.json(home, "config", "set", "auto_sync", "oui")["auto_sync"] is True
    assert fk.json(home, "config", "set", "auto_sync_timeout", "45")["auto_sync_timeout"] == 45
    assert fk.json(home, "config", "show") == {
        **defaults,
        "auto_sync": True,
        "auto_sync_timeout": 45,
    }
    text = (home / "settings.toml").read_text(encoding="utf-8")
    assert "auto_sync = true" in text and "auto_sync_timeout = 45" in text
    assert stat.S_IMODE((home / "settings.toml").stat().st_mode) == 0o600
    shown = fk.ok(home, "config", "show").stdout
    assert "auto_sync = true" in shown
    status = fk.ok(home, "status").stdout
    assert "Automatic sync" in status and "on (fieldkit config)" in status


def test_bad_values_name_the_setting_and_change_nothing(tmp_path, fk: Fieldkit) -> None:
    home = tmp_path / "w"
    fk.json(home, "init")
    for args, named in (
        (("auto_sync", "peut-être"), "auto_sync"),
        (("auto_sync_timeout", "1"), "auto_sync_timeout"),
        (("auto_sync_timeout", "vingt"), "auto_sync_timeout"),
        (("colour", "blue"), "colour"),
    ):
        result = fk.run(home, "config", "set", *args)
        assert result.exit_code == USAGE, args
        assert named in result.stderr and "Traceback" not in result.stderr
    assert not (home / "settings.toml").exists()


def test_a_damaged_settings_file_is_reported_but_never_blocks_a_write(tmp_path, fk, monkeypatch):
    home = tmp_path / "w"
    fk.json(home, "init")
    reference = open_case_in_home(home, PASSPHRASE).fields["reference"]
    (home / "settings.toml").write_text("auto_sync = [\n", encoding="utf-8")
    shown = fk.run(home, "config", "show")
    assert shown.exit_code == USAGE and "settings.toml" in shown.stderr
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    french = fk.run(home, "config", "show")
    assert "n'est pas valide" in french.stderr
    added = fk.json(home, "followup", "add", reference, "--kind", "interview", "--summary", "x")
    assert added["id"]
    assert "réglages non valide" in fk.ok(home, "status").stdout  # status still works
    (home / "settings.toml").write_text("auto_sync = 3\n", encoding="utf-8")
    assert fk.run(home, "config", "show").exit_code == USAGE


def test_the_session_idle_lock_is_a_duration(tmp_path, fk: Fieldkit, monkeypatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    home = tmp_path / "w"
    fk.json(home, "init")
    for typed, seconds in (("15m", 900), ("1h", 3600), ("1h30", 5400), ("90s", 90), ("20", 1200)):
        assert (
            fk.json(home, "config", "set", "session_idle_lock", typed)["session_idle_lock"]
            == seconds
        )
    shown = fk.run(home, "config", "show")
    assert "session_idle_lock = 20m" in shown.stdout
    assert "la séance se verrouille après 20m d'inactivité" in shown.stdout
    for wrong in ("10s", "9h", "bientôt", "1m30"):
        result = fk.run(home, "config", "set", "session_idle_lock", wrong)
        assert result.exit_code == USAGE, wrong
        assert "durée attendue" in result.stderr
    assert fk.json(home, "config", "show")["session_idle_lock"] == 1200
