"""Every message exists in English and French, and the code only uses messages that exist.

The English is in fieldkit/messages/ (the msgids), the French in the gettext catalogue
fieldkit/locale/fr/LC_MESSAGES/fieldkit.po, compiled to the .mo that runs (fieldkit/i18n.py).

The source scan reads fieldkit/ with `ast`: keys given to `t(...)`, `t_n(...)`, `warn(...)`
and to the core's exceptions (`raise NotFound("case.not_found", ...)`), prefixes given to
`label(...)` or built in `t(f"kind.{...}")`, and any other string literal shaped like a
key of an existing namespace (e.g. a prompt key handed to a helper).
"""

from __future__ import annotations

import ast
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import click
import pytest
import typer
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from typer.testing import CliRunner

import fieldkit
from fieldkit import i18n
from fieldkit.cli import GROUPS, app
from fieldkit.errors import ERROR, NOT_FOUND, OK, USAGE
from fieldkit.i18n import LOCALE_DIR, catalogue, current_language, t, t_n, text
from fieldkit.messages.plural import Plural
from fieldkit.model import (
    CASE_FIELDS,
    Attendance,
    CaseStatus,
    ConcernLevel,
    FollowUpKind,
    GoalState,
    Participation,
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
    "CODE",
    "Total",
    "Situation",
    "Date",
    "Id",
    "#",
    "Action",
    "District",
    "district",
    "{name} [{id}]",
    "contact",
    "—",
    "page {n}/{total}",
    "{number}. {text} — {state}",  # a measure of the group: layout only (issue 17)
}
# The values a dynamic key prefix is completed with, where the code builds keys from a model.
DYNAMIC = {
    "kind": [k.value for k in FollowUpKind],
    "status": [s.value for s in CaseStatus],
    "priority": [p.value for p in Priority],
    "referral": [r.value for r in ReferralDomain],
    "concern": [c.value for c in ConcernLevel],
    "goal": [g.value for g in GoalState],
    "attendance": [a.value for a in Attendance],
    "participation": [p.value for p in Participation],
    "field": list(CASE_FIELDS),
    "agenda": ["review", "contact"],
    "duration": ["day", "hour", "minute"],
    "sync.notice": ["recover-grant-team", "recover-subject-access"],
}
PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "fieldkit.po"
MO = PO.with_suffix(".mo")


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
            if literal and (name in errors or name in ("t", "t_n", "warn")):
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
            if name in ("t", "t_n") and isinstance(first, ast.JoinedStr) and first.values:
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


@cache
def po() -> dict[tuple[str | None, str], tuple[str | tuple[str, ...], str | tuple[str, ...]]]:
    """(msgctxt, msgid) -> (msgid or (singular, plural), msgstr or its forms), from the .po."""
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="fr", domain="fieldkit")
    assert catalog.num_plurals == 2 and catalog.plural_expr == "(n > 1)"
    entries = {}
    for message in catalog:
        if message.id:
            first = message.id if isinstance(message.id, str) else message.id[0]
            entries[(message.context, first)] = (message.id, message.string)
    return entries


def english_forms(english: str | Plural) -> tuple[str, ...]:
    return tuple(english) if isinstance(english, Plural) else (english,)


def french_forms(key: str) -> tuple[str, ...]:
    english = catalogue()[key]
    forms = po().get((key, english_forms(english)[0]))
    assert forms is not None, f"{key}: no French in {PO.name}"
    msgid, msgstr = forms
    assert tuple(english_forms(english)) == (msgid if isinstance(msgid, tuple) else (msgid,)), (
        f"{key}: the .po translates another English text"
    )
    return msgstr if isinstance(msgstr, tuple) else (msgstr,)


def placeholders(text_: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text_) + re.findall(r"%\((\w+)\)s", text_))


def test_every_message_has_a_french_translation():
    for key, english in catalogue().items():
        forms = french_forms(key)
        assert len(forms) == len(english_forms(english)), key
        assert all(form.strip() for form in forms), f"{key}: no French"
        assert all(form.strip() for form in english_forms(english)), f"{key}: no English"


def test_every_french_entry_belongs_to_a_message():
    stale = [ctx for ctx, _ in po() if ctx is not None and ctx not in catalogue()]
    assert stale == [], "French for messages that no longer exist"


def test_french_is_a_translation_not_a_copy():
    copies = [key for key in catalogue() if english_forms(catalogue()[key]) == french_forms(key)]
    unexpected = [key for key in copies if english_forms(catalogue()[key])[0] not in SAME_IN_BOTH]
    assert unexpected == [], f"French identical to English: {unexpected}"
    assert len(copies) <= len(catalogue()) // 10


# click's type names are English words ("integer"): its French message leaves them out.
LEFT_OUT = {"{value!r} is not a valid {number_type}.": "number_type"}


def test_placeholders_are_the_same_in_both_languages():
    """A French text drops or adds no placeholder: fieldkit's messages and click's."""
    for (context, _), (msgid, msgstr) in po().items():
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        strs = msgstr if isinstance(msgstr, tuple) else (msgstr,)
        assert all(s.strip() for s in strs), f"{context or ''}: {ids[0]!r} not translated"
        for english, french in zip(ids, strs, strict=True):
            expected = [p for p in placeholders(english) if p != LEFT_OUT.get(english)]
            assert expected == placeholders(french), (context, english, french)


class Anything:
    """A parameter that accepts any format spec (a date's `%d/%m/%Y` as well as `>8`)."""

    def __format__(self, spec: str) -> str:
        return "x"


def test_every_message_formats_in_both_languages(monkeypatch):
    for language in ("en", "fr"):
        monkeypatch.setenv("FIELDKIT_LANG", language)
        i18n.reset()
        for key, english in catalogue().items():
            names = {n for form in english_forms(english) for n in PLACEHOLDER.findall(form) if n}
            params: dict = {name: Anything() for name in names}
            for n in (0, 1, 2) if isinstance(english, Plural) else (None,):
                if n is not None:
                    params["count"] = n
                assert t(key, **params).strip(), key


def test_the_compiled_catalogue_is_the_one_of_its_source():
    """The .mo that runs is the .po compiled (`make catalogues`): not stale, not missing."""
    assert MO.exists(), f"{MO} missing: run `make catalogues`"
    with PO.open("rb") as handle:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(handle, locale="fr", domain="fieldkit"))
    assert MO.read_bytes() == compiled.getvalue(), f"{MO.name} is stale: run `make catalogues`"


def test_the_french_that_runs_is_the_catalogue():
    for key, english in catalogue().items():
        forms = french_forms(key)
        if isinstance(english, Plural):
            assert (text(key, "fr", 1), text(key, "fr", 2)) == forms, key
            assert text(key, "en", 1) == english.one and text(key, "en", 0) == english.other
        else:
            assert (text(key, "fr"),) == forms, key
            assert text(key, "en") == english, key


def known(key: str) -> bool:
    return key in catalogue()


def test_every_key_the_code_uses_exists():
    found = list(used_keys())
    assert len(found) > 100  # the scan sees the code
    missing = [(where, key) for where, key in found if not known(key)]
    assert missing == []


def test_every_key_shaped_literal_in_the_code_exists():
    missing = [(w, key) for w, key in key_shaped_literals() if not known(key)]
    assert missing == []


def test_a_missing_key_is_an_error_not_a_key_shown():
    with pytest.raises(KeyError):
        t("no.such.message")


def test_every_counted_message_has_both_forms_and_shows_its_count():
    counted = [key for key, english in catalogue().items() if isinstance(english, Plural)]
    assert len(counted) >= 20
    for key in counted:
        # The singular may say "this case" rather than "1 case"; the plural shows the count.
        for form in (catalogue()[key].other, french_forms(key)[1]):
            assert "{count}" in form, (key, form)


# Messages with a count whose words do not change with it ("Dossiers (3)", "Rectifié 3 fois").
INVARIANT = re.compile(r"\(\{count\}\)|\{count\}×|\{count\} fois|\{count\} of your")
MANY_ONLY = {"sync.handover_many"}  # said for 2 files or more; one file has its own message


def test_a_count_is_always_said_with_its_plural_form():
    """No "(s)": every message with a {count} is counted (Plural), or its words do not change."""
    for key, english in catalogue().items():
        for form in (*english_forms(english), *french_forms(key)):
            assert not re.search(r"(?<!http)\((s|e|es)\)", form), (key, form)
        if not isinstance(english, Plural) and "{count}" in english and key not in MANY_ONLY:
            assert INVARIANT.search(english), f"{key}: a count without its plural form"


def test_every_counted_message_is_read_with_its_count():
    """t("KEY", ...) of a counted message gives it `count`: t_n, or count= in the call."""
    counted = {key for key, english in catalogue().items() if isinstance(english, Plural)}
    for path, tree in modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args or _callee(node) != "t":
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and first.value in counted:
                given = {kw.arg for kw in node.keywords}
                assert "count" in given or None in given, f"{path.name}:{node.lineno}"


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


def test_the_language_is_resolved_once_until_reset(monkeypatch):
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    assert t("help.config_show") == "Afficher vos réglages."
    monkeypatch.setenv("FIELDKIT_LANG", "en")
    assert t("help.config_show") == "Afficher vos réglages."  # not re-read at each message
    i18n.reset()
    assert t("help.config_show") == "Show your settings."


def test_each_cli_invocation_resolves_its_language(runner: CliRunner, tmp_path: Path):
    for language, expected in (("fr", "aucun coffre fieldkit"), ("en", "no fieldkit store")):
        result = runner.invoke(
            app, ["case", "list"], env=cli_env(tmp_path / "none", FIELDKIT_LANG=language)
        )
        assert expected in result.stderr
    assert "LANGUAGE" not in os.environ  # set for click during the invocation only


def argument_names() -> set[str]:
    """The names of the CLI's arguments (their placeholders are `metavar.arg.NAME`)."""
    names = set()
    groups = [typer.main.get_group(load()) for load, _ in GROUPS.values()]
    commands = [typer.main.get_command(app), *groups]
    while commands:
        command = commands.pop()
        names |= {
            p.name for p in command.params if isinstance(p, click.Argument) and p.metavar is None
        }
        commands.extend(getattr(command, "commands", {}).values())
    return names


def test_every_dynamic_prefix_is_complete():
    found = list(dynamic_prefixes())
    assert {"kind", "status", "agenda"} <= {prefix for _, prefix in found}
    for where, prefix in found:
        values = DYNAMIC.get(prefix)
        if prefix == "metavar.arg":
            values = sorted(argument_names())
        if values is None:
            assert any(key.startswith(prefix + ".") for key in catalogue()), (where, prefix)
            continue
        missing = [v for v in values if f"{prefix}.{v}" not in catalogue()]
        assert missing == [], (where, prefix)
    assert "metavar.arg" in {prefix for _, prefix in found}


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
    assert english.exit_code == french.exit_code == ERROR
    assert "no fieldkit store" in english.stderr
    assert "aucun coffre fieldkit" in french.stderr


def test_unknown_case_reads_in_french(runner: CliRunner, tmp_path: Path):
    home = tmp_path / "home"
    assert runner.invoke(app, ["init"], env=cli_env(home)).exit_code == 0
    result = runner.invoke(
        app, ["case", "show", "CO-1999-0001"], env=cli_env(home, FIELDKIT_LANG="fr")
    )
    assert result.exit_code == NOT_FOUND
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


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fieldkit", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "100", **env},
        timeout=60,
    )


# What click and typer write in English, and what fieldkit's help said untranslated.
ENGLISH = re.compile(
    r"\b(Usage|Show|exit|Error|No such|Try|for help|required|default|Commands|COMMAND|ARGS"
    r"|TEXT|PATH|INTEGER|CASE|KEY|VALUE|WORKER|DAYS|Missing|Did you mean|Invalid|Aborted"
    r"|not a valid|one of)\b"
)


@pytest.mark.parametrize(
    ("args", "code", "french"),
    [
        (["followup", "add", "--help"], OK, ["Utilisation :", "Afficher ce message et quitter."]),
        (
            ["followup", "add", "x", "--nope"],
            USAGE,
            ["Erreur : Option inconnue '--nope'.", "Essayez"],
        ),
        (["followup", "add"], USAGE, ["Erreur : Argument manquant 'DOSSIER'."]),
        (["--help"], OK, ["Commandes", "COMMANDE [ARGUMENTS]..."]),
        (["distric"], USAGE, ["Commande inconnue 'distric'. Vouliez-vous dire 'district' ?"]),
        (["case", "lst"], USAGE, ["Vouliez-vous dire 'list' ?"]),
        (["agenda", "--days", "douze"], USAGE, ["Valeur non valide pour '--days'"]),
        (["district", "purge", "--help"], OK, ["--older-than JOURS"]),
    ],
)
def test_french_help_and_usage_errors_have_no_english_word(args, code, french):
    result = _cli(*args, FIELDKIT_LANG="fr")
    shown = result.stdout + result.stderr
    assert result.returncode == code, shown
    for words in french:
        assert words in " ".join(shown.split()), shown
    # The values a user types (interview, high...) and the option names are not words.
    prose = re.sub(r"--?[\w-]+|\b[a-z]+(-[a-z]+)+\b", " ", shown)
    for value in ("interview", "education", "other", "low", "medium", "high", "on", "off"):
        prose = re.sub(rf"\b{value}\b", " ", prose)
    assert ENGLISH.findall(prose) == [], shown


def test_the_same_help_and_errors_in_english_are_clicks():
    help_ = _cli("followup", "add", "--help", FIELDKIT_LANG="en").stdout
    assert (
        "Usage:" in help_ and "[OPTIONS] CASE" in help_ and "Show this message and exit." in help_
    )
    nope = _cli("followup", "add", "x", "--nope", FIELDKIT_LANG="en").stderr
    assert "Error: No such option '--nope'." in nope


# click's and typer's own strings that reach a user (msgids of click 8.4+ and typer 0.20+).
CLICK_SHOWN = [
    "Usage:",
    "Options",
    "Commands",
    "Arguments",
    "Show this message and exit.",
    "Error: {message}",
    "Try '{command} {option}' for help.",
    "No such option {name!r}.",
    "No such command {name!r}.",
    "Missing argument",
    "Missing option",
    "Invalid value for {param_hint}: {message}",
    "Option {name!r} requires an argument.",
    "Got unexpected extra argument ({args})",
    "Did you mean {possibility}?",
    "Aborted!",
    "required",
    "default: {default}",
]


def test_clicks_own_strings_are_in_the_french_catalogue():
    french = i18n.translation("fr")
    for msgid in CLICK_SHOWN:
        assert (None, msgid) in po(), f"{msgid!r} not in {PO.name}"
        assert french.gettext(msgid) != msgid or msgid in ("Options", "Arguments"), msgid
