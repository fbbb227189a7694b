"""`fieldkit district passphrase change` through the real CLI, on both district backends.

On the SQLCipher file the change is the worker's rotation (a new data key, the database
and the TLS key re-encrypted, a journal that a kill leaves for the next command to
complete); on PostgreSQL it rewraps the same data key under the new passphrase. Either
way the old passphrase opens nothing, the new one opens the district, a weak passphrase
or a wrong current one changes nothing, and the change is in the district's audit trail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fieldkit.cli import app
from fieldkit.errors import INTEGRITY, LOCKED, OK, USAGE
from tests.conftest import PASSPHRASE
from tests.world import DISTRICT_NAME, UNIT, use_fast_kdf

pytestmark = pytest.mark.usefixtures("district_backend")

NEW = "une autre phrase pour le district de test"
THIRD = "la troisième phrase du coffre du district"


class District:
    """One district home, driven through the CLI with a passphrase of the test's choice."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.runner = CliRunner()

    def run(self, *args: str, passphrase: str | None = PASSPHRASE, **env: str | None) -> Result:
        full = {"FIELDKIT_PASSPHRASE": passphrase, "FIELDKIT_SESSION": None, **env}
        return self.runner.invoke(app, ["--home", str(self.home), "district", *args], env=full)

    def ok(self, *args: str, **kwargs) -> Result:
        result = self.run(*args, **kwargs)
        assert result.exit_code == OK, (args, result.stdout, result.stderr, result.exception)
        return result

    def json(self, *args: str, **kwargs):
        return json.loads(self.ok(*args, "--json", **kwargs).stdout)

    def files(self) -> dict[str, bytes]:
        """Every file of the home (the key file, the database, the TLS key...), as bytes."""
        return {p.name: p.read_bytes() for p in sorted(self.home.iterdir()) if p.is_file()}

    def audit(self, passphrase: str, out: Path) -> list[dict]:
        self.ok("audit", "export", "-o", str(out), passphrase=passphrase)
        lines = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
        return [line for line in lines if "action" in line]  # after the export's header


@pytest.fixture
def district(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> District:
    use_fast_kdf(monkeypatch)
    d = District(tmp_path / "district")
    d.ok("init", "--name", DISTRICT_NAME, "--self-signed", "--json")
    d.ok("worker", "add", "--name", "Léa Martin", "--unit", UNIT, "--json")
    return d


def on_file(district: District) -> bool:
    return not (district.home / "district-database.json").exists()


def tls_key_opens(district: District, passphrase: str) -> bool:
    """Whether `district serve`'s TLS context loads with the key this passphrase gives."""
    from fieldkit.crypto.tls import key_password
    from fieldkit.district import tls
    from fieldkit.store import access
    from fieldkit.store.access import Credentials

    key = access.data_key(district.home, "district", Credentials(prompt=lambda: passphrase))
    try:
        tls.server_context(
            district.home / tls.CERT_NAME,
            district.home / tls.KEY_NAME,
            key_password(key.data_key).decode(),
        )
    except Exception:
        return False
    return True


def test_changing_the_district_passphrase(district: District, tmp_path: Path):
    workers = district.json("worker", "list")
    old_keyfile = (district.home / "district-key.json").read_bytes()

    changed = district.json("passphrase", "change", FIELDKIT_NEW_PASSPHRASE=NEW)
    assert changed == {
        "backend": "sqlcipher" if on_file(district) else "postgresql",
        "new_data_key": on_file(district),
    }
    old = district.run("worker", "list", "--json")
    assert old.exit_code == LOCKED
    assert district.json("worker", "list", passphrase=NEW) == workers
    assert tls_key_opens(district, NEW)  # `district serve` still starts with its TLS key

    # The change is in the district's audit trail, once, without any secret.
    events = district.audit(NEW, tmp_path / "audit.jsonl")
    changes = [e for e in events if e["action"] == "passphrase-change"]
    assert len(changes) == 1 and changes[0]["actor"] == "district"
    raw = (tmp_path / "audit.jsonl").read_text()
    assert NEW not in raw and PASSPHRASE not in raw
    district.ok("audit", "verify", passphrase=NEW)

    # An old copy of the key file, with the old passphrase: on the file the database is
    # under a new data key and it opens nothing; on PostgreSQL the data key is the same,
    # and it still opens the district (docs/security.md says so).
    current_keyfile = (district.home / "district-key.json").read_bytes()
    (district.home / "district-key.json").write_bytes(old_keyfile)
    stale = district.run("worker", "list", "--json")
    if on_file(district):
        assert stale.exit_code != OK
    else:
        assert stale.exit_code == OK and json.loads(stale.stdout) == workers
    (district.home / "district-key.json").write_bytes(current_keyfile)

    # From a file, while FIELDKIT_PASSPHRASE holds the current passphrase; in French.
    new_file = tmp_path / "new-passphrase"
    new_file.write_text(THIRD + "\n")
    new_file.chmod(0o600)
    done = district.ok(
        "passphrase",
        "change",
        "--new-passphrase-file",
        str(new_file),
        passphrase=NEW,
        FIELDKIT_LANG="fr",
    )
    assert "Phrase de passe du district changée" in done.stdout
    assert ("rechiffrées" if on_file(district) else "reste la même") in done.stdout
    assert "district serve" in done.stdout
    assert district.run("worker", "list", passphrase=NEW).exit_code == LOCKED
    assert district.json("worker", "list", passphrase=THIRD) == workers


def test_a_weak_new_passphrase_is_refused_with_its_reason_and_changes_nothing(
    district: District,
):
    before = district.files()
    for weak, reason in (
        ("court", "at least 12 characters"),
        ("Azerty123456", "passphrase refused: it is "),
        # The district's own name (with a year) is judged as the worker's own words are.
        (DISTRICT_NAME.replace(" ", "") + "2026", "a name close to you followed by a year"),
    ):
        refused = district.run("passphrase", "change", FIELDKIT_NEW_PASSPHRASE=weak)
        assert refused.exit_code == USAGE, (weak, refused.stderr)
        assert reason in refused.stderr and weak not in refused.stderr
        assert "Traceback" not in refused.stderr
    french = district.run(
        "passphrase", "change", FIELDKIT_NEW_PASSPHRASE="Azerty123456", FIELDKIT_LANG="fr"
    )
    assert french.exit_code == USAGE and "phrase de passe refusée" in french.stderr
    assert district.files() == before  # not a byte of the key file, database or TLS key
    district.ok("worker", "list")  # the old passphrase opens it as before


def test_a_wrong_current_passphrase_exits_3_and_changes_nothing(district: District):
    before = district.files()
    refused = district.run(
        "passphrase",
        "change",
        passphrase="pas la bonne phrase du district",
        FIELDKIT_NEW_PASSPHRASE=NEW,
    )
    assert refused.exit_code == LOCKED
    assert "wrong passphrase" in refused.stderr
    after = district.files()
    after.pop("failed-unlocks.log")  # the attempt, noted for the audit trail (a time)
    assert after == before
    assert district.run("worker", "list", passphrase=NEW).exit_code == LOCKED
    district.ok("worker", "list")


def test_without_a_new_passphrase_a_script_is_told_and_nothing_changes(district: District):
    before = district.files()
    refused = district.run("passphrase", "change")
    assert refused.exit_code == LOCKED
    assert "FIELDKIT_NEW_PASSPHRASE" in refused.stderr
    assert district.files() == before


# A change interrupted on the SQLCipher file (the kill test of tests/e2e/test_kill.py
# draws kills at random on a worker's store; here each step is reached exactly).


def _interrupted(district: District, step: str) -> None:
    """Leave the change as a kill at `step` would: journal written ("journal"), rekey
    committed but TLS key and key file still old ("rekeyed"), new key file in place but
    journal not yet removed ("installed")."""
    from fieldkit.district import tls
    from fieldkit.district.passphrase import BOUND
    from fieldkit.store import access, rotation
    from fieldkit.store.access import Credentials
    from fieldkit.store.keys import read_keyfile

    home = district.home
    keyfile = read_keyfile(home, "district")
    old_key = access.passphrase_key(home, keyfile, Credentials(prompt=lambda: PASSPHRASE))
    under_way = rotation.start(home, keyfile, old_key, NEW)
    if step == "journal":
        return
    if step == "rekeyed":

        def killed(home: Path, old: bytes, new: bytes) -> None:
            raise KeyboardInterrupt  # the kill, once the rekey has committed

        with pytest.raises(KeyboardInterrupt):
            rotation.finish(home, under_way, old_key, bound=[killed])
        assert read_keyfile(home, "district") == keyfile  # the old key file, the old TLS key
        assert tls.KEY_NAME in district.files()
        return
    journal = rotation.journal_path(home, "district").read_bytes()
    rotation.finish(home, under_way, old_key, bound=BOUND)
    rotation.journal_path(home, "district").write_bytes(journal)


@pytest.mark.sqlcipher_only
@pytest.mark.parametrize("step", ["journal", "rekeyed", "installed"])
@pytest.mark.parametrize("opener", ["old", "new"])
def test_a_change_interrupted_at_any_step_is_completed_by_the_next_command(
    district: District, tmp_path: Path, step: str, opener: str
):
    from fieldkit.store.rotation import journal_path

    workers = district.json("worker", "list")
    _interrupted(district, step)
    passphrase = {"old": PASSPHRASE, "new": NEW}[opener]
    opened = district.run("worker", "list", "--json", passphrase=passphrase)
    if step == "installed" and opener == "old":
        # The new key file is in place: the old passphrase opens nothing any more...
        assert opened.exit_code == LOCKED
        opened = district.run("worker", "list", "--json", passphrase=NEW)  # ...the new one does
    assert opened.exit_code == OK, opened.stderr
    assert json.loads(opened.stdout) == workers
    assert "completed" in opened.stderr  # the command says it finished the change
    assert not journal_path(district.home, "district").exists()
    # Completed whole: the new passphrase and the TLS key with it; the old one no more.
    assert district.run("worker", "list", passphrase=PASSPHRASE).exit_code == LOCKED
    assert tls_key_opens(district, NEW)
    events = district.audit(NEW, tmp_path / "audit.jsonl")
    assert [e["action"] for e in events].count("passphrase-change") == 1
    district.ok("audit", "verify", passphrase=NEW)


# A running `district serve` (it keeps the data key in memory; the district has no
# sessions, each command takes the passphrase).


def test_a_running_server_must_be_restarted_after_a_change_on_the_file_only(
    net, district_backend: str
):
    """On the SQLCipher file the running server's connection is under the old data key:
    it can read nothing once the database is re-encrypted, and the worker's changes stay
    queued until it is restarted with the new passphrase. On PostgreSQL the data key is
    the same: the running server goes on, and needs the new passphrase at its next start."""
    district = District(net.district_home)
    reference = net.new_case("Paul Durand", "a")
    net.sync("a")
    before = net.note("a", reference, "Avant le changement")
    net.sync("a")
    district.ok("passphrase", "change", FIELDKIT_NEW_PASSPHRASE=NEW)
    after = net.note("a", reference, "Après le changement")
    synced = net.run("a", "sync", "--json")
    if district_backend == "sqlcipher":
        assert synced.exit_code != OK  # the server fails every request, nothing applied
        # A server error, not a different server: the pin is checked at the handshake,
        # while the connection is open, not after a closing error answer.
        assert synced.exit_code != INTEGRITY, synced.stderr
        assert "certificat" not in synced.stderr and "certificate" not in synced.stderr
        assert net.json("a", "status")["unsynced_changes"] >= 1  # the change stays queued
    else:
        assert synced.exit_code == OK, synced.stderr
    net.server.stop()
    with pytest.raises(RuntimeError, match="wrong passphrase"):
        net.server.start()  # the old passphrase no longer starts it
    net.server.passphrase = NEW
    net.server.start()
    net.sync("a")
    shown = district.json("case", "show", reference, passphrase=NEW)
    assert {before, after} <= {f["id"] for f in shown["followups"]}


def test_at_a_terminal_the_new_passphrase_is_asked_after_a_suggestion(
    district: District, monkeypatch: pytest.MonkeyPatch
):
    answers = iter([NEW, NEW])
    monkeypatch.setattr("fieldkit.commands.store_admin.is_interactive", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    # FIELDKIT_PASSPHRASE holds the current passphrase; the new one must still be asked for.
    done = district.ok("passphrase", "change")
    assert "A suggestion, drawn at random for you" in done.stderr
    assert district.run("worker", "list").exit_code == LOCKED
    district.ok("worker", "list", passphrase=NEW)

    # Typed twice, differently: nothing changes.
    answers = iter([THIRD, THIRD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    before = district.files()
    mismatch = district.run("passphrase", "change", passphrase=NEW)
    assert mismatch.exit_code == USAGE and "differ" in mismatch.stderr
    assert district.files() == before
