"""Every message exists in English and French, and the code only uses messages that exist.

The source scan reads fieldkit/ with `ast`: keys given to `t(...)`, to the core's
exceptions (`raise NotFound("case.not_found", ...)`), prefixes given to `label(...)`
or built in `t(f"kind.{...}")`, and any other string literal shaped like a key of an
existing namespace (e.g. a prompt key handed to a helper).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fieldkit
from fieldkit.cli import app
from fieldkit.i18n import PLURAL_FORMS, catalogue, current_language, t, t_n
from fieldkit.model import (
    CASE_FIELDS,
    CaseStatus,
    ConcernLevel,
    FollowUpKind,
    GoalState,
    Priority,
    ReferralDomain,
)
from tests.conftest import cli_env

SOURCE = Path(fieldkit.__file__).parent
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")
KEY_SHAPE = re.compile(r"^[a-z][a-z_-]*(\.[a-z0-9_-]+)+$")
# Words that are the same in both languages.
SAME_IN_BOTH = {
    "{count} minute",
    "{count} minutes",
    "Total",
    "Situation",
    "Date",
    "Id",
    "#",
    "Action",
    "District",
    "contact",
    "—",
    "page {n}/{total}",
}
# The values a dynamic key prefix is completed with, where the code builds keys from a model.
DYNAMIC = {
    "kind": [k.value for k in FollowUpKind],
    "status": [s.value for s in CaseStatus],
    "priority": [p.value for p in Priority],
    "referral": [r.value for r in ReferralDomain],
    "concern": [c.value for c in ConcernLevel],
    "goal": [g.value for g in GoalState],
    "field": list(CASE_FIELDS),
    "agenda": ["review", "contact"],
}


@cache
def modules() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        for path in sorted(SOURCE.rglob("*.py"))
        if "messages" not in path.relative_to(SOURCE).parts
    ]


def error_classes() -> set[str]:
    """FieldkitError and every class the source derives from it."""
    names = {"FieldkitError"}
    grown = True
    while grown:
        grown = False
        for _, tree in modules():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
                    bases |= {b.attr for b in node.bases if isinstance(b, ast.Attribute)}
                    if bases & names:
                        names.add(node.name)
                        grown = True
    return names


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def used_keys() -> Iterator[tuple[str, str]]:
    """(where, key) for every literal key the source hands to t() or to a core exception."""
    errors = error_classes()
    for path, tree in modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name, first = _callee(node), node.args[0]
            literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
            if literal and (name in errors or name == "t"):
                yield f"{path.relative_to(SOURCE)}:{node.lineno}", first.value


def dynamic_prefixes() -> Iterator[tuple[str, str]]:
    """(where, prefix) for label("prefix", ...) and t(f"prefix.{...}")."""
    for path, tree in modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name, first = _callee(node), node.args[0]
            where = f"{path.relative_to(SOURCE)}:{node.lineno}"
            if name == "label" and isinstance(first, ast.Constant):
                yield where, first.value
            if name == "t" and isinstance(first, ast.JoinedStr) and first.values:
                head = first.values[0]
                if isinstance(head, ast.Constant) and head.value.endswith("."):
                    yield where, head.value[:-1]


def key_shaped_literals() -> Iterator[tuple[str, str]]:
    namespaces = {key.split(".")[0] for key in catalogue()}
    for path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value
                if KEY_SHAPE.match(value) and value.split(".")[0] in namespaces:
                    yield f"{path.relative_to(SOURCE)}:{node.lineno}", value


def test_every_message_has_english_and_french():
    for key, texts in catalogue().items():
        assert isinstance(texts, tuple) and len(texts) == 2, key
        english, french = texts
        assert english.strip(), f"{key}: no English"
        assert french.strip(), f"{key}: no French"


def test_french_is_a_translation_not_a_copy():
    copies = [key for key, (english, french) in catalogue().items() if english == french]
    unexpected = [key for key in copies if catalogue()[key][0] not in SAME_IN_BOTH]
    assert unexpected == [], f"French identical to English: {unexpected}"
    assert len(copies) <= len(catalogue()) // 10


def test_placeholders_are_the_same_in_both_languages():
    for key, (english, french) in catalogue().items():
        assert sorted(PLACEHOLDER.findall(english)) == sorted(PLACEHOLDER.findall(french)), key


class Anything:
    """A parameter that accepts any format spec (a date's `%d/%m/%Y` as well as `>8`)."""

    def __format__(self, spec: str) -> str:
        return "x"


def test_every_message_formats_in_both_languages(monkeypatch):
    for language in ("en", "fr"):
        monkeypatch.setenv("FIELDKIT_LANG", language)
        for key, (english, _) in catalogue().items():
            params = {name: Anything() for name in PLACEHOLDER.findall(english) if name}
            assert t(key, **params).strip(), key


def known(key: str) -> bool:
    """A key of the catalogue, or a counted message with its forms (`KEY.one`, `KEY.other`)."""
    return key in catalogue() or all(f"{key}.{form}" in catalogue() for form in PLURAL_FORMS)


def test_every_key_the_code_uses_exists():
    found = list(used_keys())
    assert len(found) > 100  # the scan sees the code
    missing = [(where, key) for where, key in found if not known(key)]
    assert missing == []


def test_every_key_shaped_literal_in_the_code_exists():
    missing = [(w, key) for w, key in key_shaped_literals() if not known(key)]
    assert missing == []


def test_every_counted_message_has_both_forms_and_shows_its_count():
    counted = {key.rsplit(".", 1)[0] for key in catalogue() if key.endswith(".one")}
    assert len(counted) >= 10
    for key in counted:
        assert known(key), key
        assert "{count}" in catalogue()[f"{key}.other"][0], key


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", ["0 conflit", "1 conflit", "2 conflits"]),
        ("en", ["0 conflicts", "1 conflict", "2 conflicts"]),
    ],
)
def test_a_count_takes_the_form_of_its_language(monkeypatch, language, expected):
    monkeypatch.setenv("FIELDKIT_LANG", language)
    assert [t_n("sync.count.conflicts", n) for n in (0, 1, 2)] == expected
    # An error raised with a count reads in the same form.
    assert t("sync.offline", count=1).endswith(("1 change queued", "1 modification en attente"))


def test_every_dynamic_prefix_is_complete():
    found = list(dynamic_prefixes())
    assert {"kind", "status", "agenda"} <= {prefix for _, prefix in found}
    for where, prefix in found:
        values = DYNAMIC.get(prefix)
        if values is None:
            assert any(key.startswith(prefix + ".") for key in catalogue()), (where, prefix)
            continue
        missing = [v for v in values if f"{prefix}.{v}" not in catalogue()]
        assert missing == [], (where, prefix)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"FIELDKIT_LANG": "fr"}, "fr"),
        ({"FIELDKIT_LANG": "fr_FR.UTF-8"}, "fr"),
        ({"FIELDKIT_LANG": "en", "LANG": "fr_FR.UTF-8"}, "en"),
        ({"LANG": "fr_BE.UTF-8"}, "fr"),
        ({"LC_ALL": "fr_FR.UTF-8", "LANG": "en_GB.UTF-8"}, "fr"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_the_language_follows_fieldkit_lang_then_the_locale(monkeypatch, env, expected):
    monkeypatch.delenv("LANG", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert current_language() == expected


def test_an_error_reads_in_french(runner: CliRunner, tmp_path: Path):
    english = runner.invoke(app, ["case", "list"], env=cli_env(tmp_path / "none"))
    french = runner.invoke(
        app, ["case", "list"], env=cli_env(tmp_path / "none", FIELDKIT_LANG="fr")
    )
    assert english.exit_code == french.exit_code == 1
    assert "no fieldkit store" in english.stderr
    assert "aucun coffre fieldkit" in french.stderr


def test_unknown_case_reads_in_french(runner: CliRunner, tmp_path: Path):
    home = tmp_path / "home"
    assert runner.invoke(app, ["init"], env=cli_env(home)).exit_code == 0
    result = runner.invoke(
        app, ["case", "show", "CO-1999-0001"], env=cli_env(home, FIELDKIT_LANG="fr")
    )
    assert result.exit_code == 4
    assert result.stderr.strip() == "fieldkit: aucun dossier CO-1999-0001 dans ce coffre"


def _help(*args: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "fieldkit", *args, "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return " ".join(result.stdout.split())  # the help wraps lines at the terminal's width


def test_help_is_in_french_when_asked():
    french = _help(FIELDKIT_LANG="fr")
    english = _help(FIELDKIT_LANG="en")
    assert "dans un coffre chiffré" in french
    assert "Ouvrir une session de travail" in french
    assert "in an encrypted store" in english
    assert "dans un coffre chiffré" not in english
    french_add = _help("followup", "add", LANG="fr_FR.UTF-8")
    assert "Enregistrer un suivi" in french_add
    assert "Ce qui s'est passé" in french_add
