"""The commands and options the guides name in their prose exist.

The guides' ```sh examples are run by tests/e2e/test_guide_examples.py. Their prose
names commands inline too (`followup amend ID --summary -`); each such span that starts
with a command of the CLI (with or without `fieldkit`) must name a real command, and
each `--option` in it must be one of that command's options (or a root option), so
that a renamed or removed option cannot stay taught.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import typer

from fieldkit import cli

ROOT = Path(__file__).resolve().parents[1]
GUIDES = ["docs/guide.md", "docs/guide-intervenant.md", "docs/guide-referent.md", "README.md"]
INLINE = re.compile(r"`([^`\n]+)`")
FENCED = re.compile(r"```\w*\n.*?```", re.S)
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")


def root_command() -> click.Group:
    return typer.main.get_command(cli.app)


def subcommand(group: click.Command, name: str) -> click.Command | None:
    if not isinstance(group, click.Group):
        return None
    with click.Context(group) as ctx:
        return group.get_command(ctx, name)


def resolve(words: list[str]) -> tuple[click.Command, list[str]] | None:
    """The command the leading words name and the words consumed; None when the span
    does not start with a command."""
    if words and words[0] == "fieldkit":
        words = words[1:]
    command: click.Command = root_command()
    path: list[str] = []
    for word in words:
        found = subcommand(command, word)
        if found is None:
            break
        command, path = found, [*path, word]
    return (command, path) if path else None


def option_names(command: click.Command) -> set[str]:
    return {name for param in command.params for name in param.opts + param.secondary_opts}


def spans(path: str) -> list[str]:
    text = FENCED.sub("", (ROOT / path).read_text(encoding="utf-8"))
    return [m[1] for m in INLINE.finditer(text)]


@pytest.mark.parametrize("guide", GUIDES)
def test_every_option_the_guide_names_belongs_to_its_command(guide: str) -> None:
    root_options = option_names(root_command())
    wrong: list[str] = []
    checked = 0
    for span in spans(guide):
        resolved = resolve(span.split())
        if resolved is None:
            continue
        command, _path = resolved
        checked += 1
        known = option_names(command) | root_options
        wrong += [f"{span!r}: {opt}" for opt in OPTION.findall(span) if opt not in known]
    assert checked >= 5, f"{guide}: too few command examples found ({checked})"
    assert not wrong, f"{guide} names options its commands do not have: {wrong}"


def test_the_check_finds_an_option_that_does_not_exist() -> None:
    command, path = resolve(["fieldkit", "followup", "add", "CASE", "--kind", "entretien"])
    assert path == ["followup", "add"]
    assert "--kind" in option_names(command)
    assert "--no-such-option" not in option_names(command)
    assert resolve(["ls", "-l"]) is None
