"""What people type means what they meant (issue 12 §5), through the real CLI.

- `conflicts resolve --keep` takes mine|theirs in English or French (mien, sien, le mien,
  l'autre; case and accents aside) and refuses anything else; a new text is `--text`
  (or `--text -` on stdin), confirmed at a terminal after both values are shown; a
  settled conflict stays listed under `--all` with its two original values, who settled
  it and when, the same on every replica.
- Dates: dd/mm/yy is 20yy; a year before 1900 or after 2100 is refused naming the field,
  wherever a date is read (worker and district); a referral dated in the future is refused.
- `--debug` keeps the exit code of the error and only adds the traceback.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fieldkit.cli import app
from fieldkit.commands.conflicts import keep_choice
from fieldkit.errors import (
    ERROR,
    INTEGRITY,
    LOCKED,
    NOT_FOUND,
    OFFLINE,
    REFUSED,
    USAGE,
    InvalidValue,
)
from tests.conftest import PASSPHRASE
from tests.e2e.conftest import Cli, free_port, refused, snapshot
from tests.world import UNIT, WORKERS, Fieldkit, cli_world, use_fast_kdf

A_TEXT, B_TEXT = "Situation selon A", "Situation selon B"


def quick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    return Cli(fk, cli_world(tmp_path, fk, sessions=True))


def situation_conflict(q: Cli) -> str:
    """A and B rewrite the situation offline; B's write is the later one, so it is kept."""
    ref = q.world.reference
    q.ok("a", "case", "update", ref, "--situation", A_TEXT)
    q.ok("b", "case", "update", ref, "--situation", B_TEXT)
    q.sync("a", "b", tag="c1")
    q.sync("a", "b", tag="c2")
    [conflict_id] = q.conflicts("a")
    assert q.conflicts("b") == [conflict_id]
    return conflict_id


# --keep


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("mine", "mine"),
        ("MINE", "mine"),
        ("theirs", "theirs"),
        ("mien", "mine"),
        ("Mien", "mine"),
        ("le mien", "mine"),
        ("Le  Mien", "mine"),
        ("sien", "theirs"),
        ("le sien", "theirs"),
        ("l'autre", "theirs"),
        ("L’Autre", "theirs"),
        ("l’AUTRE", "theirs"),
        ("autre", "theirs"),
        ("mién", "mine"),
        ("sïen", "theirs"),
    ],
)
def test_keep_reads_mine_or_theirs_in_english_or_french(typed: str, meant: str):
    assert keep_choice(typed) == meant


@pytest.mark.parametrize("typed", ["", "mi", "le", "nouveau texte", "mienne", "yours"])
def test_keep_refuses_any_other_word_naming_the_option(typed: str):
    with pytest.raises(InvalidValue) as caught:
        keep_choice(typed)
    assert caught.value.params["field"] == "--keep"


@pytest.mark.parametrize(("typed", "kept"), [("le mien", A_TEXT), ("L’autre", B_TEXT)])
def test_keep_in_french_keeps_a_value_never_the_word(quick: Cli, typed: str, kept: str):
    conflict_id = situation_conflict(quick)
    settled = quick.json("a", "conflicts", "resolve", conflict_id, "--keep", typed)
    assert settled["resolved"] is True
    assert quick.case("a")["situation"] == kept
    # Both values are still there under --all, untouched by the choice.
    [listed] = quick.json("a", "conflicts", "list", "--all")
    assert {listed["winner_value"], listed["loser_value"]} == {A_TEXT, B_TEXT}


def test_an_unknown_keep_word_is_refused_and_changes_nothing(quick: Cli):
    conflict_id = situation_conflict(quick)
    before = snapshot(quick.world.homes["a"])
    line = refused(quick.run("a", "conflicts", "resolve", conflict_id, "--keep", "moi"), USAGE)
    assert "--keep" in line and "--text" in line
    assert snapshot(quick.world.homes["a"]) == before
    french = quick.fk.runner.invoke(
        app,
        ["--home", str(quick.world.homes["a"]), "conflicts", "resolve", conflict_id],
        env={"FIELDKIT_SESSION": quick.world.sessions["a"], "FIELDKIT_LANG": "fr"},
    )
    assert "--keep mien|sien" in refused(french, USAGE)  # neither --keep nor --text


# --text, and what a settled conflict shows


def test_a_conflict_settled_with_a_new_text_keeps_both_originals_everywhere(quick: Cli):
    conflict_id = situation_conflict(quick)
    settled_text = "Situation commune après la réunion d'équipe"
    resolve_args = ["--home", str(quick.world.homes["a"]), "conflicts", "resolve", conflict_id[:8]]
    result = quick.fk.runner.invoke(
        app,
        [*resolve_args, "--text", "-", "--json"],
        input=settled_text + "\n",
        env={"FIELDKIT_SESSION": quick.world.sessions["a"], "FIELDKIT_PASSPHRASE": None},
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["resolved"] is True
    quick.sync("a", "b", tag="s1")
    quick.sync("b", "a", tag="s2")

    assert quick.case("a")["situation"] == quick.case("b")["situation"] == settled_text
    assert quick.district_case()["situation"] == ""  # the team's text: sealed there
    shown = {}
    for who in ("a", "b"):
        assert quick.json(who, "conflicts", "list") == []
        [shown[who]] = quick.json(who, "conflicts", "list", "--all")
    with quick.world.open_district() as district:
        [at_district] = district.conflicts(include_resolved=True)
    assert shown["a"] == shown["b"]
    # The district holds the same conflict, its values sealed.
    assert (at_district.id, at_district.resolved) == (shown["a"]["id"], True)
    conflict = shown["a"]
    assert (conflict["winner_value"], conflict["winner_author"]) == (
        B_TEXT,
        quick.world.worker_ids["b"],
    )
    assert (conflict["loser_value"], conflict["loser_author"]) == (
        A_TEXT,
        quick.world.worker_ids["a"],
    )
    assert conflict["resolved"] is True
    assert conflict["resolved_by"] == quick.world.worker_ids["a"]
    assert conflict["resolved_at"].startswith(time.strftime("%Y-", time.gmtime()))

    table = quick.ok("b", "conflicts", "list", "--all").stdout
    assert A_TEXT in table and B_TEXT in table and WORKERS["a"] in table
    assert quick.world.worker_ids["a"] not in table  # names on screen, ids in --json


def test_a_date_conflict_settled_by_text_reads_the_date_as_typed(quick: Cli):
    ref = quick.world.reference
    quick.ok("a", "case", "update", ref, "--next-review", "2027-01-15")
    quick.ok("b", "case", "update", ref, "--next-review", "2027-02-20")
    quick.sync("a", "b", tag="d1")
    quick.sync("a", "b", tag="d2")
    [conflict_id] = quick.conflicts("a")
    quick.ok("a", "conflicts", "resolve", conflict_id, "--text", "01/03/27")
    assert quick.case("a")["next_review"] == "2027-03-01"


def run_at_terminal(home: Path, session: str, args: list[str], answer: str) -> tuple[int, str]:
    """`fieldkit ARGS` with its standard streams on a pseudo-terminal, answering `answer`."""
    main, secondary = pty.openpty()
    env = dict(os.environ, FIELDKIT_SESSION=session, NO_COLOR="1", COLUMNS="200")
    env.pop("FIELDKIT_PASSPHRASE", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fieldkit", "--home", str(home), *args],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        close_fds=True,
    )
    os.close(secondary)
    seen = b""
    answered = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if not answered and b"[y/N]" in seen:
            os.write(main, answer.encode() + b"\n")
            answered = True
        if proc.poll() is not None and not ready:
            break
    code = proc.wait(timeout=30)
    os.close(main)
    return code, seen.decode("utf-8", "replace")


def test_at_a_terminal_a_new_text_is_confirmed_after_showing_both_values(quick: Cli):
    conflict_id = situation_conflict(quick)
    home, session = quick.world.homes["a"], quick.world.sessions["a"]
    args = ["conflicts", "resolve", conflict_id, "--text", "Texte arrêté ensemble"]

    code, shown = run_at_terminal(home, session, args, "n")
    assert code == ERROR, shown
    assert A_TEXT in shown and B_TEXT in shown and "Texte arrêté ensemble" in shown
    assert quick.conflicts("a") == [conflict_id]  # declined: still open, nothing written
    assert quick.case("a")["situation"] == B_TEXT

    code, shown = run_at_terminal(home, session, args, "y")
    assert code == 0, shown
    assert quick.conflicts("a") == []
    assert quick.case("a")["situation"] == "Texte arrêté ensemble"


def test_at_a_terminal_the_confirmation_writes_out_control_characters(quick: Cli):
    conflict_id = situation_conflict(quick)
    home, session = quick.world.homes["a"], quick.world.sessions["a"]
    args = ["conflicts", "resolve", conflict_id, "--text", "Texte\x1b[2J arrêté"]

    code, shown = run_at_terminal(home, session, args, "n")
    assert code == ERROR, shown
    assert "Texte\\x1b[2J arrêté" in shown  # written out, as every screen does
    assert "\x1b[2J" not in shown  # never sent to the terminal to act on
    assert quick.case("a")["situation"] == B_TEXT


# Dates


def test_a_two_digit_year_is_this_century_and_not_overdue(quick: Cli):
    ref = quick.world.reference
    quick.ok("a", "case", "update", ref, "--next-review", "01/01/27")
    assert quick.case("a")["next_review"] == "2027-01-01"
    agenda = quick.json("a", "agenda", "--days", "60")
    assert [(item["due"], item["overdue"]) for item in agenda] == [("2027-01-01", False)]


@pytest.mark.parametrize("typed", ["01/01/1850", "0026-01-01", "31/12/2101", "1/1/026", "+99999d"])
def test_a_year_out_of_range_is_refused_naming_the_field(quick: Cli, typed: str):
    ref = quick.world.reference
    before = quick.case("a")["next_review"]
    line = refused(quick.run("a", "case", "update", ref, "--next-review", typed), USAGE)
    assert "--next-review" in line
    assert quick.case("a")["next_review"] == before
    assert quick.json("a", "status")["unsynced_changes"] == 0  # nothing to sync either
    add = ["followup", "add", ref, "--kind", "interview", "--summary", "Entretien"]
    assert "--next-contact" in refused(quick.run("a", *add, "--next-contact", typed), USAGE)


def test_district_dates_follow_the_same_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    home = tmp_path / "district"
    fk.json(home, "district", "init", "--name", "District Nord")
    base = ["district", "case", "add", "--name", "Amélie Durand", "--unit", UNIT]
    added = fk.json(home, *base, "--referral-date", "15/03/25", "--next-review", "1/2/27")
    shown = fk.json(home, "district", "case", "show", added["reference"])
    assert (shown["referral_date"], shown["next_review"]) == ("2025-03-15", "2027-02-01")
    assert added["reference"].split("-")[1] == "2025"

    for option, typed in [
        ("--referral-date", "01/01/1899"),
        ("--referral-date", "0026-03-15"),
        ("--next-review", "01/01/2150"),
        ("--referral-date", "+3d"),  # a referral in the future
    ]:
        result = fk.run(home, *base, option, typed)
        assert option in refused(result, USAGE), typed
    assert len(fk.json(home, "district", "case", "list")) == 1


def test_the_district_s_case_rules_name_the_flag_that_was_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The case rules live in fieldkit/rules.py under field names; the person reads the
    flag they typed, one flag per message."""
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    home = tmp_path / "district"
    fk.json(home, "district", "init", "--name", "District Nord")
    name, unit = ["--name", "Amélie Durand"], ["--unit", UNIT]
    for args, flag in [
        ([*name, "--unit", "  "], "--unit"),
        (["--name", "", *unit], "--name"),
        ([*name, *unit, "--birth-year", "1850"], "--birth-year"),
        ([*name, *unit, "--reason", "x" * 2_001], "--reason"),
    ]:
        line = refused(fk.run(home, "district", "case", "add", *args), USAGE)
        assert flag in line and "display_name" not in line and "birth_year" not in line
    line = refused(fk.run(home, "district", "worker", "add", "--name", "Léa", "--unit", ""), USAGE)
    assert "--unit" in line
    assert fk.json(home, "district", "case", "list") == []


# --debug


def test_debug_keeps_every_exit_code_and_adds_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    district, worker = tmp_path / "district", tmp_path / "worker"
    dead = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    fk.json(district, "district", "init", "--name", "District Nord", "--url", dead)
    identity = tmp_path / "district.json"
    args = ["--name", "Léa", "--unit", UNIT, "--to-file", str(identity)]
    code = fk.json(district, "district", "worker", "add", *args)
    fk.json(worker, "init")
    request, reply = tmp_path / "enrol.fkb", tmp_path / "enrol-reply.fkb"
    args = ["--district-file", str(identity), "--to-file", str(request)]
    fk.json(worker, "enrol", code["enrolment_code"], *args)
    fk.json(district, "district", "sync-file", str(request), str(reply))
    garbage = tmp_path / "garbage.fkb"
    garbage.write_bytes(b"FKB" + b"\x00" * 200)
    (tmp_path / "wrong").write_text("pas la bonne phrase de passe\n")

    cases = [
        (ERROR, worker, ["init"]),
        (USAGE, worker, ["case", "update", "CO-2026-0001", "--next-review", "bientôt"]),
        (LOCKED, worker, ["--passphrase-file", str(tmp_path / "wrong"), "case", "list"]),
        (NOT_FOUND, worker, ["case", "show", "CO-1999-0001"]),
        (OFFLINE, worker, ["enrol", code["enrolment_code"], "--server", dead]),
        (REFUSED, district, ["district", "sync-file", str(request), str(tmp_path / "r2.fkb")]),
        (INTEGRITY, district, ["district", "sync-file", str(garbage), str(tmp_path / "r3.fkb")]),
    ]
    for expected, home, args in cases:
        env = {"FIELDKIT_PASSPHRASE": PASSPHRASE}
        if "--passphrase-file" in args:
            env = {"FIELDKIT_PASSPHRASE": None}
        plain = fk.runner.invoke(app, ["--home", str(home), *args], env=env)
        line = refused(plain, expected)
        debug = fk.runner.invoke(
            app,
            ["--home", str(home), "--debug", *args],
            env=env,
        )
        assert debug.exit_code == expected, (args, debug.exit_code, debug.stderr)
        assert "Traceback" in debug.stderr, args
        assert debug.stderr.strip().splitlines()[-1] == line, args
