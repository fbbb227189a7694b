"""Reading a guide's examples: its ```sh blocks, with the notes before them.

The conventions, visible in each guide's source:

- a ```sh block must exit 0, unless an HTML comment `<!-- exemple: code N -->` right
  before it says it exits N;
- ```text blocks are what the screen shows (menus, editor): they are not run;
- `<!-- test: NAME -->` before a block makes the world do something a person does
  elsewhere at that moment (a colleague's change, a worker enrolling), named by each
  guide's test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BLOCK = re.compile(
    r"(?:<!--\s*(?P<note>[^>]*?)\s*-->\s*\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S
)
# Words of the English screens that a French run must never show.
ENGLISH_WORDS = re.compile(r"\b(Usage|Options|Error|Aborted|Missing|Invalid|required|default)\b")
WORKER_ID = re.compile(r"\bwk-[0-9a-z]+")


@dataclass
class Example:
    number: int
    body: str
    expected_code: int
    hook: str | None


def examples(text: str) -> list[Example]:
    found = []
    for match in BLOCK.finditer(text):
        if match["lang"] != "sh":
            continue
        note = match["note"] or ""
        code = re.fullmatch(r"exemple: code (\d+)|example: code (\d+)", note)
        hook = re.fullmatch(r"test: (\S+)", note)
        found.append(
            Example(
                number=len(found) + 1,
                body=match["body"],
                expected_code=int(next(g for g in code.groups() if g)) if code else 0,
                hook=hook[1] if hook else None,
            )
        )
    return found
