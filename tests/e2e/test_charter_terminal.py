"""Accepting the charter at a real terminal (a pseudo-terminal, pexpect): the text is
shown, then « j'accepte » (French) or "I accept" (English) must be typed; any other
answer accepts nothing (issue 17)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from fieldkit.errors import REFUSED
from fieldkit.store import charter as device_charter
from tests.world import Fieldkit, World, cli_world, file_sync, use_fast_kdf

TEXT = "Charte : je ne divulgue rien des dossiers [rouge]suivis[/rouge].\n"
TIMEOUT = 60


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as patch:
        use_fast_kdf(patch)
        fk = Fieldkit()
        world = cli_world(tmp_path_factory.mktemp("charter"), fk, sessions=True)
        path = world.root / "charte.md"
        path.write_text(TEXT, encoding="utf-8")
        fk.json(world.district_home, "district", "charter", "set", str(path), "--version", "v1")
        for who in world.homes:
            file_sync(fk, world, who, "offer")
        yield world


def _spawn(world: World, who: str, language: str) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    env.update(
        FIELDKIT_SESSION=world.sessions[who],
        FIELDKIT_LANG=language,
        NO_COLOR="1",
        LANG="C.UTF-8",
    )
    return pexpect.spawn(
        sys.executable,
        ["-m", "fieldkit", "--home", str(world.homes[who]), "charter", "accept"],
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(40, 120),
    )


def _queued(world: World, who: str):
    with world.open_worker(who) as worker:
        return device_charter.queued(worker.conn)


def _ends(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def test_another_answer_accepts_nothing_then_j_accepte_does(world: World):
    child = _spawn(world, "a", "fr")
    child.expect_exact("[rouge]suivis[/rouge]")  # the text shown as it is
    child.expect_exact("tapez « j'accepte »")
    child.sendline("oui")
    child.expect_exact("charte non acceptée")
    assert _ends(child) == REFUSED
    assert _queued(world, "a") is None

    child = _spawn(world, "a", "fr")
    child.expect_exact("tapez « j'accepte »")
    child.sendline("J’accepte")  # the typographic apostrophe and a capital do too
    child.expect_exact("Charte version v1 acceptée")
    assert _ends(child) == 0
    assert _queued(world, "a").version == "v1"


def test_i_accept_in_english(world: World):
    child = _spawn(world, "b", "en")
    child.expect_exact('type "I accept"')
    child.sendline("I accept")
    child.expect_exact("Charter version v1 accepted")
    assert _ends(child) == 0
    acceptance = _queued(world, "b")
    assert acceptance.worker_id == world.worker_ids["b"]
    with world.open_worker("b") as worker:
        assert acceptance.verify(worker.identity().public)


def test_the_answer_is_read_only_at_a_terminal(world: World, tmp_path: Path):
    result = Fieldkit().run(world.homes["b"], "charter", "accept", session=world.sessions["b"])
    # Accepted already (queued): said, nothing asked.
    assert result.exit_code == 0 and "v1" in result.stdout
