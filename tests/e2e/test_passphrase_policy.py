"""The passphrase policy through the real CLI: `fieldkit init` refuses the guessable ones
with a reason, `district init` and `passphrase change` refuse the district's and the
person's own names, `passphrase suggest` draws one that `init` accepts, and a terminal
is offered a suggestion before it is asked."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from fieldkit.errors import OK, USAGE
from tests.conftest import PASSPHRASE
from tests.world import DISTRICT_NAME, WORKERS, Fieldkit, cli_world, use_fast_kdf

WEAK = [
    "P@ssw0rd2024",
    "Azerty123456",
    "qwerty123456",
    "motdepasse2024",
    "fieldkit2026",
    "Marseille2024",
    "123456789abc",
]


def fieldkit(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`fieldkit --home HOME ARGS` in its own process, without a terminal."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    return subprocess.run(
        [sys.executable, "-m", "fieldkit", "--home", str(home), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


@pytest.mark.parametrize("language", ["fr", "en"])
def test_init_refuses_each_weak_passphrase_with_its_reason(tmp_path: Path, language: str):
    reason = {"fr": "phrase de passe refusée : c'est ", "en": "passphrase refused: it is "}
    better = {"fr": "plusieurs mots tirés au hasard", "en": "several words drawn at random"}
    for number, passphrase in enumerate(WEAK):
        home = tmp_path / f"w{number}"
        done = fieldkit(home, "init", FIELDKIT_PASSPHRASE=passphrase, FIELDKIT_LANG=language)
        assert done.returncode == USAGE, (passphrase, done.stderr)
        line = done.stderr.strip()
        assert line.startswith(f"fieldkit: {reason[language]}"), line
        assert better[language] in line and "passphrase suggest" in line
        assert passphrase not in line
        assert "\n" not in line and "Traceback" not in done.stderr
        assert not home.exists() or not any(home.iterdir())


def test_a_suggestion_is_accepted_by_init(tmp_path: Path):
    drawn = fieldkit(tmp_path, "passphrase", "suggest", "--json")
    assert drawn.returncode == OK, drawn.stderr
    data = json.loads(drawn.stdout)
    assert data["words"] == 6 and len(data["passphrase"].split(" ")) == 6
    assert data["bits"] > 80 and data["list_size"] > 10_000
    home = tmp_path / "w"
    made = fieldkit(home, "init", "--json", FIELDKIT_PASSPHRASE=data["passphrase"])
    assert made.returncode == OK, made.stderr
    opened = fieldkit(home, "status", "--json", FIELDKIT_PASSPHRASE=data["passphrase"])
    assert opened.returncode == OK, opened.stderr


def test_suggest_says_its_entropy_and_keeps_to_its_bounds(tmp_path: Path):
    shown = fieldkit(tmp_path, "passphrase", "suggest", "--words", "8", FIELDKIT_LANG="fr")
    assert shown.returncode == OK
    assert len(shown.stdout.strip().split(" ")) == 8  # stdout: the passphrase alone
    assert re.search(r"8 mots tirés au hasard .* : 108 bits d'entropie", shown.stderr)
    for words in ("3", "13"):
        refused = fieldkit(tmp_path, "passphrase", "suggest", "--words", words)
        assert refused.returncode == USAGE
        assert "between 4 and 12 words" in refused.stderr


def test_the_districts_own_name_and_the_workers_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    # The district is named at its init: its name with a year is refused there...
    refused = fk.runner.invoke(
        fk_app(),
        ["--home", str(tmp_path / "d"), "district", "init", "--name", "Pontcharraud-Lavoûte"],
        env={"FIELDKIT_PASSPHRASE": "PontcharraudLavoute2026"},
    )
    assert refused.exit_code == USAGE
    assert "a name close to you followed by a year" in refused.stderr
    assert not (tmp_path / "d").exists() or not any((tmp_path / "d").iterdir())
    # ...and, once a worker is enrolled, at the worker's passphrase change: the worker's
    # store knows the district's name, the unit and the worker's own name.
    world = cli_world(tmp_path / "world", fk, first_sync=False)
    home = world.homes["a"]
    district_year = DISTRICT_NAME.replace(" ", "") + "2026"
    for new in (district_year, WORKERS["a"].replace(" ", "") + "1987"):
        changed = fk.runner.invoke(
            fk_app(),
            ["--home", str(home), "passphrase", "change"],
            env={"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_NEW_PASSPHRASE": new},
        )
        assert changed.exit_code == USAGE, (new, changed.stderr)
        assert "passphrase refused: it is a name close to you" in changed.stderr
    kept = fk.run(home, "status", "--json")
    assert kept.exit_code == OK  # the old passphrase still opens the store


def fk_app():
    from fieldkit.cli import app

    return app


def test_init_at_a_terminal_offers_a_suggestion_that_it_then_accepts(tmp_path: Path):
    home = tmp_path / "w"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    env.update(FIELDKIT_LANG="fr", NO_COLOR="1", LANG="C.UTF-8")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "fieldkit", "--home", str(home), "init"],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    child.expect_exact("Une suggestion, tirée au hasard pour vous")
    child.expect(r"\n(?:\x1b\[[0-9;]*m)?\s+([a-zéèàçù]+(?: [a-zéèàçù]+){5})")
    suggested = child.match.group(1)
    child.expect_exact("bits d'entropie")
    child.expect_exact("Nouvelle phrase de passe")
    child.sendline(suggested)
    child.expect_exact("phrase de passe")
    child.sendline(suggested)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == OK, child.before
    opened = fieldkit(home, "status", "--json", FIELDKIT_PASSPHRASE=suggested)
    assert opened.returncode == OK, opened.stderr


def test_without_a_terminal_init_offers_nothing(tmp_path: Path):
    made = fieldkit(tmp_path / "w", "init", FIELDKIT_PASSPHRASE=PASSPHRASE)
    assert made.returncode == OK, made.stderr
    assert "suggestion" not in made.stderr + made.stdout
