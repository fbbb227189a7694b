"""Every example of the workers' guides runs, in order, as the guide shows it.

The guides are docs/guide-intervenant.md (French) and the "A day's work" section of
docs/guide.md (English). Their ```sh blocks are run one after the other by bash, in a
real world: a district served by a real `district serve` over HTTPS on 127.0.0.1, a
worker "Léa Martin" with a code in hand and no store yet, and a colleague already
enrolled on one of her cases. The shell's exported variables carry from block to
block, so `eval "$(fieldkit unlock)"` opens the session for the blocks after it.

The conventions a guide uses, all visible in its source:

- a ```sh block must exit 0, unless an HTML comment `<!-- exemple: code N -->` right
  before it says it exits N;
- ```text blocks are what the screen shows (menus, editor): they are not run;
- `‹code›` is the enrolment code the district handed over, `‹adresse›` (`‹address›`) the
  district server's address printed on the enrolment sheet, `‹id›` the short id of the
  follow-up recorded last on the device, `‹conflit›` the id of the open conflict;
- `<!-- test: NAME -->` before a block makes the world do something a person does
  elsewhere at that moment (a colleague's change), named in HOOKS below.

A block fails the test when its exit code is not the expected one, when it writes a
traceback, or, in the French guide, when its output has a word of the English screens
(Usage, Options, Error, …) or a worker id.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE
from tests.e2e.daywork import DayWorld
from tests.e2e.guides import ENGLISH_WORDS, WORKER_ID, Example, examples
from tests.world import use_fast_kdf

ROOT = Path(__file__).resolve().parents[2]
BASH_TIMEOUT = 120


def section(text: str, title: str) -> str:
    """The part of a Markdown text under `## title`, up to the next `## `."""
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


class GuideRun:
    """Léa's shell through the guide: the world, and the variables carried between blocks."""

    def __init__(self, root: Path, language: str) -> None:
        self.world = DayWorld(root, language)
        self.env = dict(
            self.world.env,
            FIELDKIT_PASSPHRASE=PASSPHRASE,
            GUIDE_CODE=self.world.code,
            GUIDE_SERVER=self.world.net.server.url,
        )

    def run(self, example: Example) -> tuple[int, str, str]:
        # A placeholder is looked up when the command that holds it runs, so that a block
        # may record a follow-up and then amend it.
        body = example.body
        for token, value in PLACEHOLDERS.items():
            body = body.replace(token, value)
        state = self.world.home.parent / "guide-env.json"
        keep = f"python3 -c 'import json,os;print(json.dumps(dict(os.environ)))' > {state}"
        script = f"{LOOKUPS}\n{body}\nstatus=$?\n{keep}\nexit $status\n"
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=BASH_TIMEOUT,
            cwd=self.world.home.parent,
        )
        if state.exists():
            self.env = json.loads(state.read_text())
            state.unlink()
        return done.returncode, done.stdout, done.stderr


# What each placeholder stands for, read by the shell when the command runs.
PLACEHOLDERS = {
    "‹code›": '"$GUIDE_CODE"',
    "‹adresse›": '"$GUIDE_SERVER"',
    "‹address›": '"$GUIDE_SERVER"',
    "‹id›": "$(guide_last_followup)",
    "‹conflit›": "$(guide_open_conflict)",
    "‹conflict›": "$(guide_open_conflict)",
}
LOOKUPS = """
guide_last_followup() {
    fieldkit followup list --json | python3 -c 'import json, sys
items = json.load(sys.stdin)
print(max(items, key=lambda f: f["hlc"])["id"][:8])'
}
guide_open_conflict() {
    fieldkit conflicts list --json | python3 -c 'import json, sys
(conflict,) = json.load(sys.stdin)
print(conflict["id"])'
}
"""

HOOKS: dict[str, Callable[[DayWorld], None]] = {
    "un-collegue-modifie-la-situation": DayWorld.colleague_changes_situation,
    "a-colleague-changes-the-situation": DayWorld.colleague_changes_situation,
    "la-cellule-decide": DayWorld.group_decides,
}


def run_guide(tmp_path: Path, text: str, language: str) -> dict[str, list[dict]]:
    """Run the guide's examples; Léa's follow-ups of each case afterwards, by reference."""
    guide = GuideRun(tmp_path, language)
    try:
        blocks = examples(text)
        assert blocks, "the guide has no example"
        for example in blocks:
            if example.hook:
                HOOKS[example.hook](guide.world)
            code, out, err = guide.run(example)
            where = f"example {example.number}:\n{example.body}\nstdout:\n{out}\nstderr:\n{err}"
            assert code == example.expected_code, where
            assert "Traceback" not in out + err, where
            if language == "fr":
                assert not ENGLISH_WORDS.search(out + err), where
                assert not WORKER_ID.search(out + err), where
        world = guide.world
        return {
            ref: world.json("followup", "list", ref, env=guide.env)
            for ref in (world.durand, world.petit)
        } | {"goals": world.json("case", "show", world.durand, env=guide.env)["goals"]}
    finally:
        guide.world.stop()


def amended_kinds(followups: list[dict]) -> list[tuple[str, str]]:
    """(original kind, kind now) of each follow-up whose kind was corrected."""
    return [
        (f["original"]["kind"], f["kind"]) for f in followups if f["kind"] != f["original"]["kind"]
    ]


def withdrawn(followups: list[dict]) -> list[str]:
    return [f["withdrawn_reason"] for f in followups if f["withdrawn"]]


@pytest.fixture
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fast_kdf(monkeypatch)


def test_every_example_of_the_french_workers_guide_runs(tmp_path: Path, fast_kdf) -> None:
    text = (ROOT / "docs" / "guide-intervenant.md").read_text(encoding="utf-8")
    day = run_guide(tmp_path, text, "fr")
    durand, petit = day["CO-2026-0001"], day["CO-2026-0002"]
    # What the guide says it did, it did, and to the follow-up it meant.
    assert [f["concern_level"] for f in durand if f["kind"] == "concern"] == ["high"]
    assert amended_kinds(petit) == [("interview", "phone-call")]
    assert withdrawn(petit) == ["Saisi sur le mauvais dossier."]
    assert [g["state"] for g in day["goals"]] == ["achieved", "dropped"]
    assert [f["attendance"] for f in durand if f["attendance"]] == ["excused"]
    assert [f["kind"] for f in durand if f["for_cell"]] == ["phone-call"]


def test_every_example_of_the_english_guides_day_runs(tmp_path: Path, fast_kdf) -> None:
    text = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    day = run_guide(tmp_path, section(text, "A day's work"), "en")
    petit = day["CO-2026-0002"]
    assert amended_kinds(petit) == [("interview", "phone-call")]
    assert withdrawn(petit) == ["Recorded on the wrong case."]
    assert [g["state"] for g in day["goals"]] == ["achieved"]
    durand = day["CO-2026-0001"]
    assert [f["attendance"] for f in durand if f["attendance"]] == ["excused"]
    assert [f["kind"] for f in durand if f["for_cell"]] == ["phone-call"]


def test_the_example_reader_sees_codes_hooks_and_skips_screens() -> None:
    text = (
        "```sh\nfieldkit status\n```\n"
        "```text\nType de suivi :\n```\n"
        "<!-- exemple: code 4 -->\n```sh\nfieldkit case show nobody\n```\n"
        "<!-- test: un-collegue-modifie-la-situation -->\n```sh\nfieldkit sync\n```\n"
    )
    found = examples(text)
    assert [(e.body, e.expected_code, e.hook) for e in found] == [
        ("fieldkit status\n", 0, None),
        ("fieldkit case show nobody\n", 4, None),
        ("fieldkit sync\n", 0, "un-collegue-modifie-la-situation"),
    ]
