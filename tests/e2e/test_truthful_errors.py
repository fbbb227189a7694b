"""Errors that tell the truth (issue 12 §7): one clear line, in the user's language, with
the right exit code, through the real CLI.

- a missing folder for a bundle file (a USB key not plugged in) says so, before anything
  is prepared or applied;
- a reply imported twice is "already applied, nothing to do" (exit 0), but only when it
  verifies as the district's: a tampered copy stays an integrity failure (exit 7);
- `--home` naming a file says it is a file, not that the key file is damaged;
- a second `district serve` on a busy port says the port is busy (not uvicorn's English
  line and exit 3, the "wrong passphrase" code);
- counts read in their singular or plural form, and the district's name is not repeated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from fieldkit.cli import app
from fieldkit.errors import ERROR, INTEGRITY, USAGE
from tests.conftest import PASSPHRASE
from tests.e2e.conftest import Cli, Server, flipped, free_port, refused, snapshot
from tests.world import Fieldkit, cli_world, use_fast_kdf


def quick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    return Cli(fk, cli_world(tmp_path, fk, sessions=True))


def in_french(cli: Cli, who: str, *args: str):
    env = {"FIELDKIT_SESSION": cli.world.sessions[who], "FIELDKIT_LANG": "fr"}
    env["FIELDKIT_PASSPHRASE"] = None
    return cli.fk.runner.invoke(app, ["--home", str(cli.world.homes[who]), *args], env=env)


def test_a_missing_usb_folder_is_named_and_nothing_is_spent(quick: Cli):
    quick.note("a", "interview", "Entretien au local")
    missing = quick.world.root / "usb-absente" / "a.fkb"
    before = snapshot(quick.world.homes["a"])
    line = refused(quick.run("a", "sync", "--to-file", str(missing)), USAGE)
    assert str(missing.parent) in line and "does not exist" in line
    assert snapshot(quick.world.homes["a"]) == before  # no bundle counter spent
    french = refused(in_french(quick, "a", "sync", "--to-file", str(missing)), USAGE)
    assert "n'existe pas" in french and "clé USB" in french
    folder = refused(quick.run("a", "sync", "--to-file", str(quick.world.root)), USAGE)
    assert "is a folder" in folder

    # At the district, a missing folder for the reply is found before the bundle applies.
    bundle = quick.world.root / "a.fkb"
    quick.ok("a", "sync", "--to-file", str(bundle))
    district_before = snapshot(quick.world.district_home)
    result = quick.district_run("sync-file", str(bundle), str(missing))
    assert str(missing.parent) in refused(result, USAGE)
    assert snapshot(quick.world.district_home) == district_before
    assert quick.district("sync-file", str(bundle), str(quick.world.root / "r.fkb"))["applied"]


def test_a_reply_imported_twice_is_already_applied_and_a_tampered_copy_is_not(quick: Cli):
    quick.note("a", "interview", "Entretien au local")
    root = quick.world.root
    bundle, reply, bad = root / "a.fkb", root / "a-reply.fkb", root / "bad.fkb"
    quick.ok("a", "sync", "--to-file", str(bundle))
    quick.district("sync-file", str(bundle), str(reply))
    assert quick.json("a", "sync", "--from-file", str(reply))["status"] == "ok"
    before = snapshot(quick.world.homes["a"])

    again = quick.run("a", "sync", "--from-file", str(reply))
    assert again.exit_code == 0, again.stderr
    assert "already applied" in again.stdout and again.stderr == ""
    assert (
        json.loads(quick.ok("a", "sync", "--from-file", str(reply), "--json").stdout)["status"]
        == "already-applied"
    )
    assert "déjà été appliquée" in in_french(quick, "a", "sync", "--from-file", str(reply)).stdout
    assert snapshot(quick.world.homes["a"]) == before

    # The same counter, but not the district's bytes: the signature check still runs.
    data = reply.read_bytes()
    for position in (20, len(data) // 2, len(data) - 1):
        bad.write_bytes(flipped(data, position))
        refused(quick.run("a", "sync", "--from-file", str(bad)), INTEGRITY)
        assert snapshot(quick.world.homes["a"]) == before

    # Importing the reply again while writing the next bundle still writes the bundle.
    quick.note("a", "phone-call", "Appel")
    both = quick.ok("a", "sync", "--from-file", str(reply), "--to-file", str(root / "a2.fkb"))
    assert "already applied" in both.stdout and "1 change." in both.stdout


@pytest.mark.parametrize(
    "args",
    [["init"], ["case", "list"], ["status"], ["district", "case", "list"], ["config", "show"]],
)
def test_a_home_that_is_a_file_is_called_a_file(runner, tmp_path: Path, args: list[str]):
    home = tmp_path / "not-a-folder"
    home.write_text("hello")
    env = {"FIELDKIT_PASSPHRASE": PASSPHRASE}
    line = refused(runner.invoke(app, ["--home", str(home), *args], env=env), ERROR)
    assert str(home) in line and "is a file, not a folder" in line
    assert "damaged" not in line
    french = runner.invoke(app, ["--home", str(home), *args], env={**env, "FIELDKIT_LANG": "fr"})
    assert "est un fichier, pas un répertoire" in refused(french, ERROR)
    assert home.read_text() == "hello"


def test_a_second_server_on_a_busy_port_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    use_fast_kdf(monkeypatch)
    home = tmp_path / "district"
    Fieldkit().json(home, "district", "init", "--name", "District Nord")
    port = free_port()
    first = Server(home, port, tls=False).start()
    try:
        command = [sys.executable, "-m", "fieldkit", "--home", str(home), "district", "serve"]
        command += ["--port", str(port), "--insecure-http"]
        env = dict(os.environ, FIELDKIT_PASSPHRASE=PASSPHRASE)
        env.pop("FIELDKIT_SESSION", None)
        for language, words in (("en", "already in use"), ("fr", "déjà utilisé")):
            second = subprocess.run(
                command,
                env={**env, "FIELDKIT_LANG": language},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert second.returncode == ERROR, second.stderr
            lines = second.stderr.strip().splitlines()
            assert len(lines) == 1 and words in lines[0] and str(port) in lines[0], lines
            assert "Traceback" not in second.stderr and "Errno" not in second.stderr
        health = httpx.get(f"{first.url}/v1/health", timeout=5)
        assert health.json()["status"] == "ok"  # the first server never noticed
    finally:
        first.stop()


def test_counts_read_in_the_singular_and_the_district_name_once(
    runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    use_fast_kdf(monkeypatch)
    env = {"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_LANG": "fr"}
    home = tmp_path / "district"
    created = runner.invoke(
        app, ["--home", str(home), "district", "init", "--name", "District Nord"], env=env
    )
    assert created.exit_code == 0, created.stderr
    assert "District District" not in created.stdout
    assert "District Nord : coffre du district créé" in created.stdout

    fk = Fieldkit()
    cli = Cli(fk, cli_world(tmp_path / "world", fk, sessions=True))
    ref = cli.world.reference
    cli.ok("a", "case", "update", ref, "--situation", "Selon A")
    cli.ok("b", "case", "update", ref, "--situation", "Selon B")
    out_b, back_b = cli.world.root / "b.fkb", cli.world.root / "b-back.fkb"
    written = in_french(cli, "b", "sync", "--to-file", str(out_b))
    assert "Paquet écrit : 1 modification." in written.stdout
    cli.district("sync-file", str(out_b), str(back_b))
    out_a, back_a = cli.world.root / "a.fkb", cli.world.root / "a-back.fkb"
    cli.ok("a", "sync", "--to-file", str(out_a))
    at_district = cli.district_run("sync-file", str(out_a), str(back_a))
    assert "1 received, 1 applied, 0 refused" in at_district.stdout
    synced = in_french(cli, "a", "sync", "--from-file", str(back_a))
    assert "1 reçue, 1 conflit, 0 dossier retiré." in synced.stdout, synced.stdout
    [listed] = cli.district("case", "list")
    assert listed["open_conflicts"] == 1
    table = cli.district_run("case", "list").stdout
    assert "1 conflict" in table and "1 conflict(s)" not in table


def _run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    return subprocess.run(
        [sys.executable, "-m", "fieldkit", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env={**base, "FIELDKIT_LANG": "fr", **env},
        timeout=60,
    )


def test_a_worker_command_on_the_districts_folder_says_whose_folder_it_is(quick: Cli):
    """Not « no store here, run fieldkit init »: followed, that hint made a worker's
    store inside the district's folder."""
    district = quick.world.district_home
    before = snapshot(district)
    for args in (["case", "list"], ["init"], ["status"]):
        done = _run(district, *args, FIELDKIT_PASSPHRASE=PASSPHRASE)
        assert done.returncode == ERROR, done.stderr
        assert "contient le coffre du district, pas celui d'un intervenant" in done.stderr
        assert f"fieldkit --home {district} district" in done.stderr
        assert "fieldkit init" not in done.stderr
    assert snapshot(district) == before  # no worker's store made beside it

    worker = quick.world.homes["a"]
    before = snapshot(worker)
    done = _run(worker, "district", "worker", "list", FIELDKIT_PASSPHRASE=PASSPHRASE)
    assert done.returncode == ERROR, done.stderr
    assert "contient le coffre d'un intervenant, pas celui du district" in done.stderr
    assert snapshot(worker) == before


def test_a_sync_names_each_case_that_left_the_device(net):
    """Not only « 1 purged »: which case left, and that its work had reached the district
    (the French is checked by tests/test_i18n.py like every message)."""
    kept = net.new_case("Paul Durand", "a")
    leaving = net.new_case("Hélène Dupré", "a")
    net.sync("a")
    net.note("a", leaving, "Appel avant le retrait")
    net.fk.ok(net.district_home, "district", "case", "unassign", leaving, net.worker_ids["a"])
    shown = net.fk.run(net.homes["a"], "sync")
    assert shown.exit_code == 0, shown.stderr
    said = " ".join(shown.stdout.split())
    assert "1 case removed" in said
    assert f"{leaving} has left this device" in said and "had reached the district" in said
    assert kept not in shown.stdout
    assert [c["reference"] for c in net.json("a", "case", "list")] == [kept]
    done = net.fk.json(net.homes["a"], "sync")
    assert done["purged_cases"] == [] and done["purged"] == 0
