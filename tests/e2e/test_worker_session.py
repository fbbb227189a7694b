"""A worker's day through the real CLI: a real SQLCipher store in a temp dir, real key derivation.

Cases arrive as the district's sync would deliver them (tests/helpers.py); everything
else goes through `fieldkit` itself: typer's CliRunner in process, and a real
subprocess where the process matters (exit code, stderr, no traceback).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fieldkit.cli import app
from fieldkit.errors import ERROR, INTEGRITY, LOCKED, NOT_FOUND, USAGE
from fieldkit.store import access
from fieldkit.store.access import FAILED_UNLOCKS, Credentials
from fieldkit.store.db import connect, db_path
from fieldkit.store.keys import read_keyfile
from fieldkit.store.session import sessions_dir
from tests.conftest import PASSPHRASE, cli_env
from tests.helpers import decrypt_sqlcipher_pages, open_case_in_home

TODAY = date.today()
NEW_PASSPHRASE = "une autre phrase pour le coffre de test"


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


class Worker:
    """One worker's store, driven through the CLI."""

    def __init__(self, runner: CliRunner, home: Path) -> None:
        self.runner = runner
        self.home = home
        self.session: str | None = None

    def env(self, **extra: str | None) -> dict[str, str | None]:
        if self.session is not None:
            env: dict[str, str | None] = {
                "FIELDKIT_HOME": str(self.home),
                "FIELDKIT_SESSION": self.session,
            }
        else:
            env = dict(cli_env(self.home))
        env.update(extra)
        return env

    def run(self, *args: str, input: str | None = None, **env: str | None) -> Result:
        return self.runner.invoke(app, list(args), input=input, env=self.env(**env))

    def ok(self, *args: str, input: str | None = None, **env: str | None) -> Result:
        result = self.run(*args, input=input, **env)
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result

    def json(self, *args: str, input: str | None = None, **env: str | None):
        return json.loads(self.ok(*args, "--json", input=input, **env).stdout)

    def unlock(self, *extra: str) -> str:
        result = self.runner.invoke(app, ["unlock", *extra], env=cli_env(self.home))
        assert result.exit_code == 0, result.output
        line = result.stdout.strip()
        assert line.startswith("export FIELDKIT_SESSION=")
        return line.removeprefix("export FIELDKIT_SESSION=")


def fieldkit(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """fieldkit in a real process."""
    full_env = {**os.environ, **cli_env(home), **env}
    return subprocess.run(
        [sys.executable, "-m", "fieldkit", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def snapshot(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in home.rglob("*") if p.is_file()}


@pytest.fixture
def worker(runner: CliRunner, tmp_path: Path) -> Worker:
    home = tmp_path / "worker"
    me = Worker(runner, home)
    created = me.json("init")
    assert created["path"] == str(home)
    assert len(created["fingerprint"].replace(" ", "")) >= 32
    return me


def test_a_worker_session_end_to_end(worker: Worker):
    north = open_case_in_home(
        worker.home, PASSPHRASE, reference="CO-2026-0042", next_review=TODAY - timedelta(days=1)
    )
    south = open_case_in_home(
        worker.home,
        PASSPHRASE,
        reference="CO-2026-0051",
        display_name="Sami Roussel",
        next_review=TODAY + timedelta(days=5),
    )
    worker.session = worker.unlock()

    # Follow-ups of several kinds; the long text comes from stdin, not argv.
    interview = worker.json(
        "followup",
        "add",
        "CO-2026-0042",
        "--kind",
        "interview",
        "--summary",
        "-",
        "--next-contact",
        day(2),
        input="MARK-entretien Entretien au local : il parle de son frère.\n",
    )
    assert interview["case_id"] == north.case_id
    referral = worker.json(
        "followup",
        "add",
        "co-2026-0042",
        "--kind",
        "partner-referral",
        "--referral-to",
        "psychological-care",
        "--partner",
        "CMP Nord",
        "--partner",
        "Mission locale",
        "--summary",
        "MARK-orientation Orienté vers le CMP",
        "--date",
        day(-1),
    )
    concern = worker.json(
        "followup",
        "add",
        "CO-2026-0042",
        "--kind",
        "concern",
        "--concern-level",
        "high",
        "--summary",
        "MARK-inquietude Propos inquiétants rapportés par la mère",
    )
    call = worker.json(
        "followup",
        "add",
        south.case_id,
        "-k",
        "phone-call",
        "-s",
        "MARK-appel Appel bref",
        "-d",
        day(-10),
        "--next-contact",
        day(-3),
    )
    visit = worker.json(
        "followup",
        "add",
        "CO-2026-0051",
        "--kind",
        "home-visit",
        "--summary",
        "MARK-visite Visite à domicile",
        "--date",
        day(-12),
    )

    # An amendment keeps the original.
    amended = worker.json(
        "followup", "amend", concern["id"][:8], "--summary", "MARK-rectif Texte rectifié"
    )
    assert amended["amended"] is True
    shown = worker.json("followup", "show", concern["id"])
    assert shown["amended"] is True
    assert shown["summary"] == "MARK-rectif Texte rectifié"
    assert (
        shown["original"]["summary"] == "MARK-inquietude Propos inquiétants rapportés par la mère"
    )
    assert shown["concern_level"] == "high"
    assert len(shown["amendments"]) == 1
    shown_referral = worker.json("followup", "show", referral["id"])
    assert shown_referral["referral_to"] == "psychological-care"
    assert shown_referral["partners"] == ["CMP Nord", "Mission locale"]
    assert shown_referral["occurred_on"] == day(-1)
    assert shown_referral["amended"] is False

    worker.ok(
        "case",
        "update",
        "CO-2026-0042",
        "--situation",
        "-",
        "--goal",
        "Reprendre une formation",
        input="MARK-situation Situation familiale tendue\n",
    )

    cases = worker.json("case", "list")
    assert [c["reference"] for c in cases] == ["CO-2026-0042", "CO-2026-0051"]
    assert worker.json("case", "list", "--status", "active") == cases
    assert worker.json("case", "list", "--status", "closed") == []

    case = worker.json("case", "show", "CO-2026-0042")
    assert case["id"] == north.case_id
    assert case["reference"] == "CO-2026-0042"
    assert case["status"] == "active"
    assert case["situation"] == "MARK-situation Situation familiale tendue"
    assert [g["text"] for g in case["goals"]] == ["Reprendre une formation"]
    assert {f["id"] for f in case["followups"]} == {interview["id"], referral["id"], concern["id"]}
    [in_case] = [f for f in case["followups"] if f["id"] == concern["id"]]
    assert in_case["amended"] is True and in_case["original"]["summary"].startswith("MARK-inq")

    everything = worker.json("followup", "list")
    assert len(everything) == 5
    dates = [f["occurred_on"] for f in everything]
    assert dates == sorted(dates, reverse=True)  # newest first
    in_south = worker.json("followup", "list", "CO-2026-0051")
    assert {f["id"] for f in in_south} == {call["id"], visit["id"]}

    agenda = worker.json("agenda", "--days", "7")
    assert [(i["reference"], i["what"], i["due"], i["overdue"]) for i in agenda] == [
        ("CO-2026-0051", "contact", day(-3), True),
        ("CO-2026-0042", "review", day(-1), True),
        ("CO-2026-0042", "contact", day(2), False),
        ("CO-2026-0051", "review", day(5), False),
    ]
    assert [i["reference"] for i in worker.json("agenda", "--days", "0")] == [
        "CO-2026-0051",
        "CO-2026-0042",
    ]

    # The human views render (no crash, the data is there).
    assert "CO-2026-0042" in worker.ok("case", "list").stdout
    assert "MARK-rectif" in worker.ok("case", "show", "CO-2026-0042").stdout
    assert "MARK-inquietude" in worker.ok("followup", "show", concern["id"]).stdout
    assert "CO-2026-0051" in worker.ok("agenda").stdout
    worker.ok("followup", "list")
    worker.ok("audit", "show")
    worker.ok("status")

    verified = worker.json("audit", "verify")
    assert verified["ok"] is True and verified["first_broken"] is None
    assert worker.ok("audit", "verify").exit_code == 0
    actions = [e["action"] for e in worker.json("audit", "show", "--limit", "0")]
    for action in ("init", "unlock", "session-start", "followup-add", "followup-amend", "view"):
        assert action in actions

    status = worker.json("status")
    assert status["cases"] == 2
    assert status["followups"] == 5
    assert status["unsynced_changes"] == 7  # 5 additions, 1 amendment, 1 case update
    assert status["enrolled"] is False
    assert status["session_expires"] is not None
    assert status["path"] == str(worker.home)

    # Nothing of what was written is in clear anywhere under the home...
    for name, raw in snapshot(worker.home).items():
        assert b"MARK-" not in raw, name
    # ...and the team's texts are sealed even in the decrypted pages (issue 16), which the
    # search reads: the case's reference is there in clear.
    key = access.data_key(worker.home, "worker", Credentials(prompt=lambda: PASSPHRASE)).data_key
    plain = decrypt_sqlcipher_pages(db_path(worker.home, "worker"), key)
    assert b"CO-2026" in plain
    for marker in (b"MARK-entretien", b"MARK-rectif", b"MARK-inquietude", b"MARK-situation"):
        assert marker not in plain


def test_wrong_passphrase_exits_3_and_touches_nothing(worker: Worker):
    open_case_in_home(worker.home, PASSPHRASE)
    before = snapshot(worker.home)

    result = fieldkit(worker.home, "case", "list", FIELDKIT_PASSPHRASE="pas la bonne phrase")
    assert result.returncode == LOCKED
    assert "passphrase" in one_line(result.stderr)
    assert result.stdout == ""

    after = snapshot(worker.home)
    journal = after.pop(FAILED_UNLOCKS)
    assert after == before  # byte-identical, apart from the documented journal
    assert len(journal.decode().splitlines()) == 1

    wrong = worker.run("status", FIELDKIT_PASSPHRASE="encore une mauvaise phrase")
    assert wrong.exit_code == LOCKED
    assert len((worker.home / FAILED_UNLOCKS).read_text().splitlines()) == 2

    # The next successful unlock moves the attempts into the audit trail.
    events = worker.json("audit", "show", "--limit", "0")
    assert [e["action"] for e in events].count("unlock-failed") == 2
    assert not (worker.home / FAILED_UNLOCKS).exists()
    assert worker.ok("audit", "verify").exit_code == 0


def test_changing_the_passphrase(worker: Worker, tmp_path: Path):
    change = open_case_in_home(worker.home, PASSPHRASE)
    session = worker.unlock()

    result = worker.ok("passphrase", "change", FIELDKIT_NEW_PASSPHRASE=NEW_PASSPHRASE)
    assert "(1 session ended)" in result.stdout
    old = worker.run("case", "list", "--json")
    assert old.exit_code == LOCKED
    assert (
        worker.run("case", "list", FIELDKIT_SESSION=session, FIELDKIT_PASSPHRASE=None).exit_code
        == LOCKED
    )
    cases = worker.json("case", "list", FIELDKIT_PASSPHRASE=NEW_PASSPHRASE)
    assert [c["id"] for c in cases] == [change.case_id]

    # From a file, while FIELDKIT_PASSPHRASE holds the current (old) passphrase.
    third = "la troisième phrase du coffre de test"
    new_file = tmp_path / "new-passphrase"
    new_file.write_text(third + "\n")
    new_file.chmod(0o600)
    worker.ok(
        "passphrase",
        "change",
        "--new-passphrase-file",
        str(new_file),
        FIELDKIT_PASSPHRASE=NEW_PASSPHRASE,
    )
    assert worker.run("status", FIELDKIT_PASSPHRASE=NEW_PASSPHRASE).exit_code == LOCKED
    assert worker.json("case", "list", FIELDKIT_PASSPHRASE=third)[0]["id"] == change.case_id

    # A wrong current passphrase changes nothing.
    before = read_keyfile(worker.home, "worker")
    refused = worker.run(
        "passphrase", "change", FIELDKIT_PASSPHRASE=PASSPHRASE, FIELDKIT_NEW_PASSPHRASE=third
    )
    assert refused.exit_code == LOCKED
    assert read_keyfile(worker.home, "worker") == before

    # A weak new passphrase is refused with its reason.
    weak = worker.run(
        "passphrase", "change", FIELDKIT_PASSPHRASE=third, FIELDKIT_NEW_PASSPHRASE="court"
    )
    assert weak.exit_code == USAGE
    assert read_keyfile(worker.home, "worker") == before


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o666], ids=lambda m: f"{m:04o}")
def test_a_passphrase_file_open_to_group_or_others_is_refused(
    worker: Worker, tmp_path: Path, mode: int
):
    open_case_in_home(worker.home, PASSPHRASE)
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    secret.chmod(mode)
    args = ("--passphrase-file", str(secret), "case", "list")
    for lang, words in (("en", "passphrase file refused"), ("fr", "fichier de phrase de passe")):
        refused = worker.run(*args, FIELDKIT_PASSPHRASE=None, FIELDKIT_LANG=lang)
        assert refused.exit_code == LOCKED
        line = refused.stderr.strip()
        assert len(line.splitlines()) == 1 and words in line and f"{mode:03o}" in line
        assert "chmod 600" in line and PASSPHRASE not in refused.output

    # As a new passphrase too: the key file stays as it was.
    before = read_keyfile(worker.home, "worker")
    change = worker.run("passphrase", "change", "--new-passphrase-file", str(secret))
    assert change.exit_code == LOCKED and "passphrase file refused" in change.stderr
    assert read_keyfile(worker.home, "worker") == before

    secret.chmod(0o600)  # owner-only: accepted
    assert worker.ok(*args, FIELDKIT_PASSPHRASE=None).exit_code == 0
    secret.chmod(0o400)
    assert worker.ok(*args, FIELDKIT_PASSPHRASE=None).exit_code == 0


def test_changing_the_passphrase_at_a_terminal_asks_for_the_new_one(
    worker: Worker, monkeypatch: pytest.MonkeyPatch
):
    answers = iter([NEW_PASSPHRASE, NEW_PASSPHRASE])
    monkeypatch.setattr("fieldkit.commands.store_admin.is_interactive", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    # FIELDKIT_PASSPHRASE holds the current passphrase; the new one must still be asked for.
    worker.ok("passphrase", "change")
    assert worker.run("status").exit_code == LOCKED
    assert worker.ok("status", FIELDKIT_PASSPHRASE=NEW_PASSPHRASE).exit_code == 0


def test_an_unlocked_session_replaces_the_passphrase_until_lock(worker: Worker, tmp_path: Path):
    change = open_case_in_home(worker.home, PASSPHRASE)
    worker.session = worker.unlock("--ttl", "2h")

    assert worker.json("case", "list")[0]["id"] == change.case_id
    worker.ok("followup", "add", "CO-2026-0042", "--kind", "interview", "--summary", "Vu")
    assert worker.json("status")["session_expires"] is not None

    # The session file holds the data key sealed, never in clear.
    key = access.data_key(worker.home, "worker", Credentials(prompt=lambda: PASSPHRASE)).data_key
    store_id = read_keyfile(worker.home, "worker").store_id
    files = list(sessions_dir(worker.home, store_id).iterdir())
    assert len(files) == 1
    raw = files[0].read_bytes()
    assert (
        key not in raw and key.hex().encode() not in raw and key.hex().upper().encode() not in raw
    )

    # Tampered and foreign tokens are refused.
    tampered = (
        worker.session[:-6] + ("A" if worker.session[-6] != "A" else "B") + worker.session[-5:]
    )
    assert worker.run("case", "list", FIELDKIT_SESSION=tampered).exit_code == LOCKED
    other = Worker(worker.runner, tmp_path / "other")
    other.ok("init")
    foreign = other.unlock()
    refused = worker.run("case", "list", FIELDKIT_SESSION=foreign)
    assert refused.exit_code == LOCKED
    assert "unlock" in one_line(refused.stderr)

    locked = worker.ok("lock")
    assert "unset FIELDKIT_SESSION" in locked.stdout
    assert worker.run("case", "list").exit_code == LOCKED
    assert worker.run("status").exit_code == LOCKED
    assert list(sessions_dir(worker.home, store_id).iterdir()) == []
    # the passphrase still works
    worker.session = None
    assert worker.ok("case", "list").exit_code == 0


def test_a_session_expires(worker: Worker):
    worker.session = worker.unlock("--ttl", "1s")
    time.sleep(1.2)
    expired = worker.run("case", "list")
    assert expired.exit_code == LOCKED
    assert "unlock" in one_line(expired.stderr)


def test_eval_unlock_in_a_real_shell(worker: Worker):
    open_case_in_home(worker.home, PASSPHRASE)
    env = {k: v for k, v in os.environ.items() if k != "FIELDKIT_PASSPHRASE"}
    env["FIELDKIT_HOME"] = str(worker.home)
    env["FK_PASS"] = PASSPHRASE
    fk = f"{sys.executable} -m fieldkit"
    script = (
        f'eval "$(FIELDKIT_PASSPHRASE="$FK_PASS" {fk} unlock)" && '
        f"{fk} case list --json && "
        f'eval "$({fk} lock)" && '
        f'test -z "$FIELDKIT_SESSION" && {fk} case list --json; echo "rc=$?"'
    )
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    cases = json.loads(result.stdout[: result.stdout.rindex("]") + 1])
    assert cases[0]["reference"] == "CO-2026-0042"
    assert result.stdout.strip().endswith(f"rc={LOCKED}")
    assert "Traceback" not in result.stderr


ADD = ["followup", "add", "CO-2026-0042"]
INVALID = [
    ([*ADD, "-k", "interview", "-s", "x", "--date", "2026-13-45"], "--date"),
    ([*ADD, "-k", "interview", "-s", "x", "--date", "demain"], "--date"),
    ([*ADD, "-k", "coffee", "-s", "x"], "--kind"),
    ([*ADD, "-k", "interview"], "--summary"),
    ([*ADD, "-k", "concern", "-s", "x"], "--concern-level"),
    ([*ADD, "-k", "concern", "-s", "x", "--concern-level", "extreme"], "--concern-level"),
    ([*ADD, "-k", "interview", "-s", "x", "--concern-level", "low"], "--concern-level"),
    ([*ADD, "-k", "partner-referral", "-s", "x", "--referral-to", "moon"], "--referral-to"),
    ([*ADD, "-k", "interview", "-s", "x", "--referral-to", "housing"], "--referral-to"),
    ([*ADD, "-k", "interview", "-s", "x", "--next-contact", "31/02/2026"], "--next-contact"),
    (
        [*ADD, "-k", "interview", "-s", "x", "--date", "-1d", "--next-contact", "-2d"],
        "--next-contact",
    ),
    (["case", "update", "CO-2026-0042", "--next-review", "bientôt"], "--next-review"),
    (["case", "update", "CO-2026-0042", "--next-review", "+99999999d"], "--next-review"),
    (["case", "update", "CO-2026-0042"], "--situation"),
    (["case", "list", "--status", "open"], "--status"),
    (["unlock", "--ttl", "forever"], "--ttl"),
    (["unlock", "--ttl", "0"], "--ttl"),
    (["unlock", "--ttl", "30d"], "--ttl"),
    (["unlock", "--ttl", "999999999999d"], "--ttl"),
]


def test_invalid_values_exit_2_naming_the_field(worker: Worker):
    open_case_in_home(worker.home, PASSPHRASE)
    worker.session = worker.unlock()
    for args, field in INVALID:
        result = worker.run(*args, FIELDKIT_PASSPHRASE=PASSPHRASE)
        assert result.exit_code == USAGE, (args, result.output)
        assert field in one_line(result.stderr), args
    assert worker.json("followup", "list") == []
    assert worker.json("case", "show", "CO-2026-0042")["situation"] == ""
    store_id = read_keyfile(worker.home, "worker").store_id
    assert len(list(sessions_dir(worker.home, store_id).iterdir())) == 1  # no session left behind


def test_unknown_case_and_followup_exit_4(worker: Worker):
    result = worker.run("case", "show", "CO-1999-0001")
    assert result.exit_code == NOT_FOUND
    assert "CO-1999-0001" in one_line(result.stderr)
    assert worker.run("followup", "show", "0123456789ab").exit_code == NOT_FOUND
    assert (
        worker.run("followup", "add", "CO-1999-0001", "-k", "interview", "-s", "x").exit_code
        == NOT_FOUND
    )
    assert worker.run("followup", "list", "CO-1999-0001").exit_code == NOT_FOUND


def test_no_store_is_a_clear_error(runner: CliRunner, tmp_path: Path):
    result = runner.invoke(app, ["case", "list"], env=cli_env(tmp_path / "empty"))
    assert result.exit_code == ERROR
    assert "fieldkit init" in one_line(result.stderr)
    assert runner.invoke(app, ["lock"], env=cli_env(tmp_path / "empty")).exit_code == ERROR


def test_init_refuses_a_weak_passphrase_and_a_second_store(runner: CliRunner, tmp_path: Path):
    home = tmp_path / "home"
    weak = runner.invoke(app, ["--home", str(home), "init"], env={"FIELDKIT_PASSPHRASE": "court"})
    assert weak.exit_code == USAGE
    assert "12" in one_line(weak.stderr)
    assert not home.exists() or list(home.iterdir()) == []
    none = runner.invoke(app, ["--home", str(home), "init"])
    assert none.exit_code == LOCKED
    first = runner.invoke(app, ["--home", str(home), "init"], env=cli_env(tmp_path / "elsewhere"))
    assert first.exit_code == 0
    assert not (tmp_path / "elsewhere").exists()  # --home wins over FIELDKIT_HOME
    before = snapshot(home)
    again = runner.invoke(app, ["--home", str(home), "init"], env=cli_env(home))
    assert again.exit_code == ERROR
    assert "already" in one_line(again.stderr)
    assert snapshot(home) == before


def test_a_damaged_store_gives_one_line_and_no_traceback(worker: Worker):
    open_case_in_home(worker.home, PASSPHRASE)
    path = db_path(worker.home, "worker")
    raw = bytearray(path.read_bytes())
    middle = len(raw) // 2
    raw[middle : middle + 64] = bytes(b ^ 0xA5 for b in raw[middle : middle + 64])
    path.write_bytes(bytes(raw))

    result = fieldkit(worker.home, "case", "list", COLUMNS="40")
    assert result.returncode not in (0, LOCKED)
    assert result.returncode in (ERROR, INTEGRITY)
    assert "damaged" in one_line(result.stderr)  # one line even on a narrow terminal

    debug = fieldkit(worker.home, "--debug", "case", "list")
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr


@pytest.mark.parametrize("keep", [0, 3 * 4096], ids=["emptied", "truncated"])
def test_an_emptied_or_truncated_store_is_not_rebuilt_silently(worker: Worker, keep: int):
    open_case_in_home(worker.home, PASSPHRASE)
    path = db_path(worker.home, "worker")
    with open(path, "r+b") as handle:
        handle.truncate(keep)
    for command in (["case", "list", "--json"], ["status"]):
        result = worker.run(*command)
        assert result.exit_code == ERROR, result.output
        assert "damaged" in one_line(result.stderr)
    assert path.stat().st_size == keep


def test_a_store_header_overwritten_is_refused(worker: Worker):
    path = db_path(worker.home, "worker")
    raw = bytearray(path.read_bytes())
    raw[:16] = b"SQLite format 3\x00"
    path.write_bytes(bytes(raw))
    result = worker.run("audit", "verify")
    assert result.exit_code in (ERROR, INTEGRITY)
    assert "damaged" in one_line(result.stderr)


def test_a_damaged_key_file_gives_one_line_and_no_traceback(worker: Worker):
    keyfile = worker.home / "worker-key.json"
    text = keyfile.read_bytes()
    keyfile.write_bytes(text[: len(text) // 2] + b"\x00garbage" + text[len(text) // 2 + 8 :])
    result = fieldkit(worker.home, "status")
    assert result.returncode == ERROR
    assert "key file" in one_line(result.stderr)


def _tamper_audit(home: Path, sql: str) -> None:
    key = access.data_key(home, "worker", Credentials(prompt=lambda: PASSPHRASE)).data_key
    conn = connect(db_path(home, "worker"), key)
    try:
        conn.execute(sql)
    finally:
        conn.close()


def test_audit_verify_finds_an_edited_or_deleted_event(worker: Worker, tmp_path: Path):
    open_case_in_home(worker.home, PASSPHRASE)
    worker.session = worker.unlock()
    for n in range(3):
        worker.ok("followup", "add", "CO-2026-0042", "-k", "phone-call", "-s", f"Appel {n}")
    assert worker.ok("audit", "verify").exit_code == 0
    count = len(worker.json("audit", "show", "--limit", "0"))
    assert count >= 6

    edited = Worker(worker.runner, tmp_path / "edited")
    shutil.copytree(worker.home, edited.home)
    edited.session = worker.session
    deleted = Worker(worker.runner, tmp_path / "deleted")
    shutil.copytree(worker.home, deleted.home)
    deleted.session = worker.session

    _tamper_audit(edited.home, "UPDATE audit SET actor = 'quelqu-un' WHERE seq = 4")
    result = edited.run("audit", "verify")
    assert result.exit_code == INTEGRITY
    assert "4" in one_line(result.stderr)
    as_json = edited.run("audit", "verify", "--json")
    assert as_json.exit_code == INTEGRITY
    assert json.loads(as_json.stdout) == {
        "events": 4,
        "ok": False,
        "first_broken": 4,
        "checkpoint": None,
    }

    _tamper_audit(deleted.home, "DELETE FROM audit WHERE seq = 3")
    result = deleted.run("audit", "verify")
    assert result.exit_code == INTEGRITY
    assert "event 4" in one_line(result.stderr)

    # the untouched original still verifies
    assert worker.ok("audit", "verify").exit_code == 0
