"""Mutated files and codes through the command line a person types.

`fieldkit sync --from-file`, `fieldkit enrol --from-file`, `fieldkit enrol CODE` and
`fieldkit district sync-file` meet damaged inputs: each answers with one line on
stderr and the documented exit code, never a traceback, writes no output file, and
leaves every file of the store byte for byte as it was. Workers use an unlocked
session, so that opening a store records nothing either.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from typer.testing import Result

from fieldkit.errors import INTEGRITY, REFUSED, USAGE, FieldkitError
from fieldkit.sync.enrolment import decode_code
from tests.security.conftest import Sandbox, tree_bytes
from tests.security.mutate import FEW, arbitrary_or_mutated, mutated_text
from tests.world import Fieldkit


def one_line(result: Result, codes: tuple[int, ...]) -> str:
    assert result.exit_code in codes, (result.exit_code, result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fieldkit: "), result.stderr
    return lines[0]


@pytest.fixture
def cli(sandbox: Sandbox, fk: Fieldkit) -> tuple[Sandbox, Fieldkit, dict[str, str]]:
    sessions = {who: fk.unlock(sandbox.homes[who]) for who in ("a", "c")}
    return sandbox, fk, sessions


@FEW
@given(data=st.data())
def test_sync_from_a_damaged_file_is_one_line_exit_7_and_touches_nothing(cli, data, tmp_path):
    world, fk, sessions = cli
    bad = tmp_path / "reply.fkb"
    bad.write_bytes(data.draw(arbitrary_or_mutated(world.reply_a, (world.bundle_a,))))
    before = tree_bytes(world.homes["a"])
    result = fk.run(world.homes["a"], "sync", "--from-file", str(bad), session=sessions["a"])
    one_line(result, (INTEGRITY,))
    assert tree_bytes(world.homes["a"]) == before


@FEW
@given(data=st.data())
def test_enrol_from_a_damaged_reply_is_one_line_and_the_worker_stays_pending(cli, data, tmp_path):
    world, fk, sessions = cli
    bad = tmp_path / "enrol-reply.fkb"
    bad.write_bytes(data.draw(arbitrary_or_mutated(world.enrol_reply_c, (world.reply_a,))))
    before = tree_bytes(world.homes["c"])
    result = fk.run(world.homes["c"], "enrol", "--from-file", str(bad), session=sessions["c"])
    one_line(result, (INTEGRITY,))
    assert tree_bytes(world.homes["c"]) == before


@FEW
@given(data=st.data())
def test_a_damaged_enrolment_code_is_one_line_exit_2(cli, data):
    world, fk, sessions = cli
    bad = data.draw(mutated_text(world.code_c))
    try:
        decode_code(bad)
    except FieldkitError:
        pass
    else:
        assume(False)  # base64 let this one through whole: not a damaged code
    assume("\x00" not in bad)  # cannot be an argument of a real process
    before = tree_bytes(world.homes["c"])
    # After "--", so that a damage leaving a leading "-" reaches the code's decoder rather
    # than click's option parser (which says "no such option", in three lines).
    result = fk.run(world.homes["c"], "enrol", "--", bad, session=sessions["c"])
    assert "code" in one_line(result, (USAGE,))
    assert tree_bytes(world.homes["c"]) == before


@FEW
@given(data=st.data())
def test_district_sync_file_refuses_damaged_input_in_one_line(cli, data, tmp_path):
    world, fk, _ = cli
    bad, out = tmp_path / "in.fkb", tmp_path / "out.fkb"
    genuine = data.draw(st.sampled_from([world.bundle_a, world.enrol_request_c]))
    bad.write_bytes(data.draw(arbitrary_or_mutated(genuine, (world.reply_a,))))
    before = tree_bytes(world.district_home)
    result = fk.run(world.district_home, "district", "sync-file", str(bad), str(out))
    one_line(result, (INTEGRITY, REFUSED))
    assert not out.exists()
    assert tree_bytes(world.district_home) == before


def test_the_genuine_files_go_through_the_same_commands(cli, tmp_path: Path):
    world, fk, sessions = cli
    reply, bundle, out = tmp_path / "reply.fkb", tmp_path / "in.fkb", tmp_path / "out.fkb"
    reply.write_bytes(world.reply_a)
    fk.ok(world.homes["a"], "sync", "--from-file", str(reply), session=sessions["a"])
    bundle.write_bytes(world.bundle_a)
    assert fk.json(world.district_home, "district", "sync-file", str(bundle), str(out))
    assert out.exists()
