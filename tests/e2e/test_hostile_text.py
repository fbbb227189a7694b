"""A co-worker's text never reaches a terminal as control sequences nor as markup (issue 12).

One world, built through the library: a district whose name, workers, case and
follow-up all hold escape sequences (window title, clear screen, OSC 52 clipboard), a
bidi override, rich markup that would make a hyperlink, and an ordinary note with
brackets. Every command that shows them exits 0 and shows them written out, literally;
`--json` gives the exact text back.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fieldkit.cli import app
from fieldkit.district.store import DistrictStore
from fieldkit.errors import NOT_FOUND
from fieldkit.model import ConcernLevel, FollowUpKind
from fieldkit.store.worker import WorkerStore
from tests.conftest import CLIPBOARD, LINK, NOTE, PASSPHRASE, RLO, TITLE_AND_CLEAR
from tests.world import api_sync, credentials, enrol_api, use_fast_kdf

# One line: a name, a unit, a partner. Several lines: a summary, a reason, a situation.
ONE_LINE = f"{NOTE} {TITLE_AND_CLEAR} {CLIPBOARD} {RLO} {LINK}"
LINES = f"{NOTE}\n{TITLE_AND_CLEAR} {CLIPBOARD}\n{RLO} {LINK}"
# How they read on screen, each piece on one line of output.
SHOWN = (NOTE, "\\x1b]0;X\\x07\\x1b[2J", "\\x1b]52;c;aGk=\\x07", "<U+202E>", LINK)
# What a terminal would act on: ESC, BEL, the one-byte CSI, the bidi override.
ACTIVE = ("\x1b", "\x07", "\x9b", RLO)


@dataclass
class Hostile:
    district: Path
    worker: Path  # the lead, who wrote the follow-up
    other: Path  # the co-worker, whose situation conflicts with the lead's
    reference: str
    followup: str


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    root = tmp_path_factory.mktemp("hostile")
    today = date.today()
    homes = {"a": root / "a", "b": root / "b"}
    with pytest.MonkeyPatch.context() as patch:
        use_fast_kdf(patch)
        with DistrictStore.create(root / "district", PASSPHRASE, ONE_LINE, None) as district:
            ids = {}
            for who, home in homes.items():
                worker, code = district.add_worker(f"{who} {ONE_LINE}", ONE_LINE)
                ids[who] = worker.id
                with WorkerStore.create(home, PASSPHRASE) as store:
                    enrol_api(district, store, code)
            case = district.add_case(
                name=ONE_LINE,
                unit=ONE_LINE,
                reason=LINES,
                referral_source="other",
                referral_detail=ONE_LINE,
                next_review=today + timedelta(days=3),
            )
            district.assign(case.id, ids["a"], lead=True)
            district.assign(case.id, ids["b"])
            for who in homes:
                with WorkerStore.open(homes[who], credentials()) as store:
                    api_sync(district, store)
            with WorkerStore.open(homes["a"], credentials()) as store:
                item = store.add_followup(
                    case.reference,
                    kind=FollowUpKind.CONCERN,
                    summary=LINES,
                    occurred_on=today,
                    today=today,
                    partners=[ONE_LINE],
                    next_steps=LINES,
                    next_contact=today + timedelta(days=2),
                    concern_level=ConcernLevel.HIGH,
                )
                store.update_case(
                    case.reference, situation=LINES, goals=[ONE_LINE], related=[ONE_LINE]
                )
            with WorkerStore.open(homes["b"], credentials()) as store:
                store.update_case(case.reference, situation=f"{ONE_LINE} (b)")
            for who in ("a", "b", "a"):
                with WorkerStore.open(homes[who], credentials()) as store:
                    api_sync(district, store)
    with WorkerStore.open(homes["b"], credentials()) as store:
        assert store.conflicts(False), "the two situations should conflict on b"
    return Hostile(root / "district", homes["a"], homes["b"], case.reference, item.id)


def _run(home: Path, *args: str):
    # Wide: a table cell is never folded, so each piece of text stays on one line.
    env = {"FIELDKIT_PASSPHRASE": PASSPHRASE, "FIELDKIT_SESSION": None, "COLUMNS": "3000"}
    return CliRunner().invoke(app, ["--home", str(home), *args], env=env)


def _shown_safely(result, pieces=SHOWN) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    for active in ACTIVE:
        assert active not in result.stdout, repr(active)
        assert active not in result.stderr, repr(active)
    for piece in pieces:
        assert piece in result.stdout, piece
    return result.stdout


WORKER_COMMANDS = {
    "case list": ("case", "list"),
    "case show": ("case", "show", "{reference}"),
    "followup list": ("followup", "list"),
    "followup show": ("followup", "show", "{followup}"),
    "agenda": ("agenda",),
    "status": ("status",),
}


@pytest.mark.parametrize("command", WORKER_COMMANDS)
def test_worker_commands_show_hostile_text_escaped_and_literally(
    hostile: Hostile, command: str
) -> None:
    args = [a.format(**vars(hostile)) for a in WORKER_COMMANDS[command]]
    _shown_safely(_run(hostile.worker, *args))


def test_case_show_shows_every_field_of_the_case_written_out(hostile: Hostile) -> None:
    out = _shown_safely(_run(hostile.worker, "case", "show", hostile.reference))
    # The title, the unit, the goal and the related person are one line each.
    assert out.count(f"{NOTE} \\x1b]0;X\\x07\\x1b[2J \\x1b]52;c;aGk=\\x07 <U+202E> {LINK}") >= 4
    # Reason, situation and follow-up summary keep their lines.
    assert out.count("<U+202E> [link=https://x]clic[/link]") >= 7


def test_followup_show_keeps_the_lines_of_the_summary_and_next_steps(hostile: Hostile) -> None:
    out = _shown_safely(_run(hostile.worker, "followup", "show", hostile.followup))
    lines = [line for line in out.splitlines() if "\\x1b]0;X\\x07\\x1b[2J \\x1b]52;c;" in line]
    # Who recorded it (the worker's name, hostile here too), summary, next steps, partner
    # (the partner on its one line).
    assert len(lines) == 4


def test_conflicts_list_shows_both_values_escaped(hostile: Hostile) -> None:
    out = _shown_safely(_run(hostile.other, "conflicts", "list"))
    assert f"{LINK} (b)" in out


def _json(home: Path, *args: str):
    result = _run(home, *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_json_keeps_the_exact_text(hostile: Hostile) -> None:
    shown = _json(hostile.worker, "case", "show", hostile.reference)
    assert shown["display_name"] == ONE_LINE
    assert shown["unit"] == ONE_LINE
    assert shown["reason"] == LINES
    assert shown["situation"] in (LINES, f"{ONE_LINE} (b)")  # whichever the merge kept
    assert shown["followups"][0]["summary"] == LINES
    assert shown["followups"][0]["partners"] == [ONE_LINE]
    assert _json(hostile.worker, "case", "list")[0]["display_name"] == ONE_LINE
    followup = _json(hostile.worker, "followup", "show", hostile.followup)
    assert followup["summary"] == LINES and followup["next_steps"] == LINES
    at_district = _json(hostile.district, "district", "case", "show", hostile.reference)
    assert at_district["display_name"] == ONE_LINE
    # The summary is the team's: the district holds it sealed and shows none of it.
    assert at_district["followups"][0]["summary"] == ""
    assert "summary" in at_district["followups"][0]["unreadable"]
    summary = _json(hostile.worker, "case", "summary", hostile.reference)
    assert summary["display_name"] == ONE_LINE
    assert summary["history"][0]["summary"] == LINES


DISTRICT_COMMANDS = {
    "district case list": ("district", "case", "list"),
    "district case show": ("district", "case", "show", "{reference}"),
    "district worker list": ("district", "worker", "list"),
}


@pytest.mark.parametrize("command", DISTRICT_COMMANDS)
def test_district_commands_show_hostile_text_escaped_and_literally(
    hostile: Hostile, command: str
) -> None:
    args = [a.format(**vars(hostile)) for a in DISTRICT_COMMANDS[command]]
    _shown_safely(_run(hostile.district, *args))


# A text document is laid out 100 columns wide (a pipe is no terminal): long pieces may
# be wrapped, the short ones stay whole.
SHORT_PIECES = ("[urgent]", "[/]", "<U+202E>", "\\x1b[2J", "clic[/link]")


def test_the_text_summary_shows_hostile_text_escaped(hostile: Hostile) -> None:
    _shown_safely(_run(hostile.worker, "case", "summary", hostile.reference), SHORT_PIECES)


def test_the_text_report_shows_hostile_text_escaped(hostile: Hostile) -> None:
    result = _run(hostile.district, "district", "report", "--with-cases")
    _shown_safely(result, SHORT_PIECES)


@pytest.mark.parametrize(
    ("who", "args"),
    [("worker", ("case", "summary", "{reference}")), ("district", ("district", "report"))],
)
def test_a_text_file_shows_hostile_text_escaped(
    hostile: Hostile, tmp_path: Path, who: str, args: tuple[str, ...]
) -> None:
    target = tmp_path / "document.txt"
    home = getattr(hostile, who)
    result = _run(home, *(a.format(**vars(hostile)) for a in args), "-o", str(target))
    assert result.exit_code == 0, result.stderr
    _file_is_safe(target, SHORT_PIECES)


# In Markdown the pieces are escaped once more, so that a viewer shows them as typed.
MARKDOWN = (
    r"Vu avec la CPE \[/\] et le \[urgent\] référent",
    r"\\x1b\]0;X\\x07\\x1b\[2J",
    r"\\x1b\]52;c;aGk=\\x07",
    r"\<U+202E\>",
    r"\[link=https://x\]clic\[/link\]",
)


def _file_is_safe(path: Path, pieces: tuple[str, ...]) -> str:
    text = path.read_text(encoding="utf-8")
    for active in ACTIVE:
        assert active not in text, repr(active)
    for piece in pieces:
        assert piece in text, piece
    return text


def test_the_markdown_summary_shows_hostile_text_escaped(hostile: Hostile, tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    args = ("case", "summary", hostile.reference, "-f", "md", "-o", str(target))
    result = _run(hostile.worker, *args)
    assert result.exit_code == 0, result.stderr
    text = _file_is_safe(target, MARKDOWN)
    assert "[link=https://x]" not in text.replace(r"\[link=https://x\]", "")


def test_the_markdown_report_shows_hostile_text_escaped(hostile: Hostile, tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    args = ("district", "report", "--with-cases", "-f", "md", "-o", str(target))
    result = _run(hostile.district, *args)
    assert result.exit_code == 0, result.stderr
    _file_is_safe(target, MARKDOWN)


def _pdf_text(path: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(out.split())


@pytest.mark.skipif(
    subprocess.run(["which", "pdftotext"], capture_output=True).returncode != 0,
    reason="pdftotext not installed (Debian package poppler-utils)",
)
def test_the_pdf_summary_shows_hostile_text_escaped(hostile: Hostile, tmp_path: Path) -> None:
    target = tmp_path / "summary.pdf"
    result = _run(
        hostile.worker, "case", "summary", hostile.reference, "-f", "pdf", "-o", str(target)
    )
    assert result.exit_code == 0, result.stderr
    text = _pdf_text(target)
    for piece in ("[urgent]", "<U+202E>", "\\x1b]0;X\\x07\\x1b[2J", "\\x1b]52;c;aGk=\\x07"):
        assert piece in text, piece
    assert RLO not in text and "\x1b" not in text


def test_an_error_quoting_what_was_typed_shows_it_escaped(hostile: Hostile) -> None:
    result = _run(hostile.worker, "case", "show", f"{TITLE_AND_CLEAR}[/]{RLO}")
    assert result.exit_code == NOT_FOUND
    assert "\\x1b]0;X\\x07\\x1b[2J[/]<U+202E>" in result.stderr
    assert "\x1b" not in result.stderr and RLO not in result.stderr
