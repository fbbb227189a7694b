"""`district recover` through the CLI, on both backends: with the printed sheet, the
district gives a case's keys again to a team that lost every device, or writes the
person's whole file; each use is audited and told to the team; a mistyped line or a
sheet of another district is refused, saying why."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pexpect
import pytest

from fieldkit.cli import app
from fieldkit.crypto.identity import Identity
from fieldkit.crypto.recovery import encode_sheet
from fieldkit.errors import REFUSED, USAGE
from fieldkit.replica import changelog
from tests.conftest import PASSPHRASE
from tests.recovery_sheets import sheet_lines
from tests.world import UNIT, Fieldkit, World, cli_world, file_sync, use_fast_kdf

fk = Fieldkit()
MARKER = "Marqueur-équipe-7c1f : entretien au collège, la mère présente"


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fast_kdf(monkeypatch)


@pytest.fixture
def world(tmp_path: Path) -> World:
    """Two workers on a case; A records a team note and syncs, B syncs it."""
    world = cli_world(tmp_path)
    fk.ok(
        world.homes["a"],
        "followup",
        "add",
        world.reference,
        "--kind",
        "interview",
        "--summary",
        MARKER,
    )
    file_sync(fk, world, "a", "note")
    file_sync(fk, world, "b", "note")
    return world


def _sheet(tmp_path: Path) -> Path:
    """The district's sheet as a text file: its lines as typed from the paper."""
    [pdf] = list(Path.cwd().glob("recovery-sheet-*-1-*.pdf"))
    typed = tmp_path / "typed-sheet.txt"
    typed.write_text("\n".join(sheet_lines(pdf)) + "\n")
    return typed


def _recover(world: World, *args: str):
    return fk.run(world.district_home, "district", "recover", world.reference, *args)


def _reads_marker(world: World, who: str) -> bool:
    shown = fk.json(world.homes[who], "followup", "list", world.reference)
    return MARKER in json.dumps(shown, ensure_ascii=False)


def _add_worker(world: World, who: str, name: str) -> str:
    """A third worker, enrolled by file, assigned to the case, synced once."""
    identity = world.root / f"{who}-district.json"
    args = ["--name", name, "--unit", UNIT, "--to-file", str(identity)]
    added = fk.json(world.district_home, "district", "worker", "add", *args)
    home = world.root / who
    world.homes[who] = home
    fk.json(home, "init")
    request, answer = world.root / f"{who}-enrol.fkb", world.root / f"{who}-enrol-reply.fkb"
    args = ["--district-file", str(identity), "--to-file", str(request)]
    fk.json(home, "enrol", added["enrolment_code"], *args)
    fk.json(world.district_home, "district", "sync-file", str(request), str(answer))
    fk.json(home, "enrol", "--from-file", str(answer))
    fk.ok(world.district_home, "district", "case", "assign", world.reference, added["id"])
    return added["id"]


def test_the_team_reads_it_and_the_district_does_not(world: World):
    assert _reads_marker(world, "b")
    shown = fk.json(world.district_home, "district", "case", "show", world.reference)
    assert MARKER not in json.dumps(shown, ensure_ascii=False)


def test_subject_access_writes_the_whole_file_audited_and_told_to_the_team(
    world: World, tmp_path: Path
):
    sheet = _sheet(tmp_path)
    out = tmp_path / "dossier-complet.md"
    done = _recover(world, "--sheet-file", str(sheet), "--subject-access", "-o", str(out), "--json")
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["generation"] == 1 and report["unreadable"] == 0
    assert MARKER in out.read_text()
    assert out.stat().st_mode & 0o077 == 0
    pdf = tmp_path / "dossier-complet.pdf"
    # The sheet from standard input, as `--sheet -` reads it from a pipe.
    args = ["--sheet", "-", "--subject-access", "-o", str(pdf)]
    by_stdin = fk.runner.invoke(
        app,
        ["--home", str(world.district_home), "district", "recover", world.reference, *args],
        input=sheet.read_text(),
        env={"FIELDKIT_PASSPHRASE": PASSPHRASE},
    )
    assert by_stdin.exit_code == 0, by_stdin.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    with world.open_district() as district:
        actions = [e.action for e in district.audit_events() if e.object_id == world.case_id]
    assert actions.count("recover-subject-access") == 2
    file_sync(fk, world, "b", "after")
    with world.open_worker("b") as b:
        notices = changelog.of_case(b.conn, world.case_id, "notice")
    assert [n.fields["action"] for n in notices] == ["recover-subject-access"] * 2


def test_grant_team_gives_a_new_member_the_whole_history(world: World, tmp_path: Path):
    # Both devices are lost: nobody of the team syncs again. A new worker joins.
    _add_worker(world, "c", "Nadia Haddad")
    file_sync(fk, world, "c", "first")
    assert not _reads_marker(world, "c")
    done = _recover(world, "--sheet-file", str(_sheet(tmp_path)), "--grant-team", "--json")
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["keys"] >= 1 and report["grants"] >= 1
    assert world.worker_ids["a"] in report["members"]
    file_sync(fk, world, "c", "granted")
    assert _reads_marker(world, "c")
    # Again: nothing new to grant, and the use is audited again all the same.
    typed = str(_sheet(tmp_path))
    again = json.loads(_recover(world, "--sheet-file", typed, "--grant-team", "--json").stdout)
    assert again["grants"] == 0
    with world.open_district() as district:
        actions = [e.action for e in district.audit_events() if e.object_id == world.case_id]
    assert actions.count("recover-grant-team") == 2


def test_a_mistyped_line_is_named_in_french_and_nothing_is_done(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    sheet = _sheet(tmp_path)
    lines = sheet.read_text().splitlines()
    number, *groups, check = lines[3].split()
    groups[2] = groups[2][:2] + ("Q" if groups[2][2] != "Q" else "R") + groups[2][3:]
    lines[3] = " ".join([number, *groups, check])
    sheet.write_text("\n".join(lines))
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    out = tmp_path / "x.md"
    refused = _recover(world, "--sheet-file", str(sheet), "--subject-access", "-o", str(out))
    assert refused.exit_code == USAGE
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("fieldkit: la ligne 4 de la feuille de récupération")
    assert not out.exists()
    with world.open_district() as district:
        assert not [e for e in district.audit_events() if e.action.startswith("recover-")]


def test_a_sheet_of_another_district_is_refused(world: World, tmp_path: Path):
    other = tmp_path / "other-sheet.txt"
    other.write_text("\n".join(encode_sheet(Identity.generate(), 1)))
    refused = _recover(world, "--sheet-file", str(other), "--grant-team")
    assert refused.exit_code == REFUSED
    assert "not one of this district's recovery keys" in refused.stderr
    pdf = next(Path.cwd().glob("recovery-sheet-*-1-*.pdf"))
    as_pdf = _recover(world, "--sheet-file", str(pdf), "--grant-team")
    assert as_pdf.exit_code == USAGE and "cannot be read back" in as_pdf.stderr


def test_the_sheet_typed_at_a_terminal_is_checked_line_by_line(world: World, tmp_path: Path):
    lines = _sheet(tmp_path).read_text().splitlines()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    env.update(FIELDKIT_PASSPHRASE=PASSPHRASE, FIELDKIT_LANG="fr", NO_COLOR="1", LANG="C.UTF-8")
    home = str(world.district_home)
    args = ["-m", "fieldkit", "--home", home, "district", "recover", world.reference]
    child = pexpect.spawn(
        sys.executable,
        [*args, "--sheet", "-", "--grant-team"],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    child.expect_exact("Tapez les 6 lignes de la feuille de récupération")
    for number, line in enumerate(lines, start=1):
        child.expect_exact(f"Ligne {number} :")
        if number == 2:
            # Without its number, in small letters, one character wrong: said, asked again.
            rest = line.split(maxsplit=1)[1].lower()
            child.sendline(rest[:3] + ("q" if rest[3] != "q" else "r") + rest[4:])
            child.expect_exact("la ligne 2 de la feuille de récupération ne correspond pas")
            child.expect_exact("Ligne 2 :")
        child.sendline(line)
    child.expect(pexpect.EOF)
    shown = child.before
    child.close()
    assert child.exitstatus == 0, shown
    assert "clés transmises à l'équipe" in " ".join(shown.split())


def test_a_new_generation_opens_the_case_once_a_team_device_has_synced(
    world: World, tmp_path: Path
):
    two = tmp_path / "two.pdf"
    fk.ok(world.district_home, "district", "recovery-key", "new", "--recovery-sheet", str(two))
    typed = tmp_path / "two.txt"
    typed.write_text("\n".join(sheet_lines(two)))
    out = tmp_path / "file.md"
    before = _recover(world, "--sheet-file", str(typed), "--subject-access", "-o", str(out))
    assert before.exit_code == REFUSED and "generation 2" in before.stderr
    assert not out.exists()
    file_sync(fk, world, "a", "learns")  # the reply tells A of generation 2
    file_sync(fk, world, "a", "grants")  # A's next bundle grants its keys to it
    after = _recover(world, "--sheet-file", str(typed), "--subject-access", "-o", str(out))
    assert after.exit_code == 0, after.stderr
    assert MARKER in out.read_text()
