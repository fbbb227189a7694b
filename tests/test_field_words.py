"""Screens say words, not codes: every field name, audit action and object, every setting's
value, in both languages; a folder is « répertoire », never « dossier » (a case); a
counted word takes its plural; and a person is named, never shown as an id (issue 14)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from fieldkit import config
from fieldkit.i18n import catalogue, text
from fieldkit.model import AMENDABLE_FOLLOWUP_FIELDS, CASE_FIELDS, FollowUp, KnownWorker
from fieldkit.names import Names

SOURCE = Path(__file__).resolve().parents[1] / "fieldkit"
PO = SOURCE / "locale" / "fr" / "LC_MESSAGES" / "fieldkit.po"
LANGUAGES = ("en", "fr")


@pytest.fixture
def language(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    from fieldkit import i18n

    monkeypatch.setenv("FIELDKIT_LANG", request.param)
    i18n.reset()
    yield request.param
    i18n.reset()


# Field names


FIELDS = sorted(
    {*CASE_FIELDS, *AMENDABLE_FOLLOWUP_FIELDS, *FollowUp.model_fields}
    - {"hlc", "id", "case_id", "amendments", "unreadable"}
)


@pytest.mark.parametrize("name", FIELDS)
def test_every_field_a_screen_may_name_has_a_word_in_both_languages(name: str) -> None:
    for lang in LANGUAGES:
        word = text(f"field.{name}", lang)
        assert word and word != name and "_" not in word, (name, lang, word)


@pytest.mark.parametrize("language", ["fr"], indirect=True)
def test_updated_fields_are_listed_in_words_inside_the_sentence(language: str) -> None:
    from fieldkit.commands.render import field_names
    from fieldkit.i18n import t

    sentence = t("case.updated", fields=field_names(["situation", "next_review"]))
    assert sentence == "Dossier mis à jour : prochaine revue, situation."
    assert "next_review" not in sentence


@pytest.mark.parametrize("language", ["en"], indirect=True)
def test_updated_fields_read_as_english_words_too(language: str) -> None:
    from fieldkit.commands.render import field_names

    assert field_names(["goals", "next_review"]) == "support-plan goals, next review"


# Audit actions and objects: every one the source records


def _calls(tree: ast.AST):
    """(function name, call, enclosing function) for each call in a module."""
    stack: list[str] = []

    def visit(node: ast.AST):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            stack.append(node.name)
            for child in ast.iter_child_nodes(node):
                yield from visit(child)
            stack.pop()
            return
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = ""
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                owner = func.value.id
            yield name, owner, node, stack[-1] if stack else ""
        for child in ast.iter_child_nodes(node):
            yield from visit(child)

    yield from visit(tree)


# Where the action is in each call that records an audit event: (name, owner) -> index.
ACTION_ARGUMENT = {
    ("record", "audit"): 2,  # audit.record(conn, actor, action, object_type, object_id, ...)
    ("Event", "pending"): 1,  # pending.Event(actor, action, object_type, ...)
    ("event", ""): 0,  # store.trail.event(action, object_type, object_id)
    ("_write_case_fields", ""): 3,
    ("_write_amendment", ""): 3,
    ("record_output", ""): 1,
    ("record_use", "report"): 1,
}
OBJECT_ARGUMENT = {("record", "audit"): 3, ("Event", "pending"): 2, ("event", ""): 1}
# Functions that pass on an action their callers give (their callers are scanned).
PASS_THROUGH = {
    "_write_case_fields",
    "_write_amendment",
    "event",
    "record",
    "record_output",
    "record_use",
    "record_report",
}


def _recorded(argument: dict) -> set[str]:
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for name, owner, call, within in _calls(tree):
            index = argument.get((name, owner), argument.get((name, "")))
            if index is None or index >= len(call.args):
                continue
            arg = call.args[index]
            where = f"{path.relative_to(SOURCE)}:{call.lineno}"
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
            elif isinstance(arg, ast.Name) and arg.id in constants:
                found.add(constants[arg.id])
            else:
                assert within in PASS_THROUGH, f"{where}: an audit action the test cannot read"
    return found


def _export_actions() -> set[str]:
    """The actions of a summary's target (summary/export.py, `Target.action`)."""
    tree = ast.parse((SOURCE / "summary" / "export.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "action":
            strings = [c for c in ast.walk(node) if isinstance(c, ast.Constant)]
            return {c.value for c in strings if isinstance(c.value, str) and c.value.isalpha()}
    raise AssertionError("summary/export.py has no Target.action")


def test_the_scan_finds_the_actions_it_should() -> None:
    actions = _recorded(ACTION_ARGUMENT) | _export_actions()
    assert {
        "followup-add",
        "followup-amend",
        "sync",
        "purge",
        "wipe",
        "unlock",
        "update",
    } <= actions
    assert {"enrol-request", "view", "export", "worker-revoke", "unlock-failed"} <= actions


def test_every_audit_action_recorded_anywhere_has_a_word_in_both_languages() -> None:
    actions = _recorded(ACTION_ARGUMENT) | _export_actions()
    missing = sorted(a for a in actions if f"action.{a}" not in catalogue())
    assert missing == []
    for action in actions:
        assert text(f"action.{action}", "fr") != action  # a French word, not the code
        assert text(f"action.{action}", "en") != action or action == "sync"  # "followup-add"


def test_every_audit_object_recorded_anywhere_has_a_word() -> None:
    objects = _recorded(OBJECT_ARGUMENT)
    assert {"case", "followup", "store", "district"} <= objects
    assert sorted(o for o in objects if f"object.{o}" not in catalogue()) == []


# Settings


@pytest.mark.parametrize("key", config.keys())
def test_every_setting_says_what_each_value_means_in_both_languages(key: str) -> None:
    kind = type(getattr(config.Config(), key))
    for lang in LANGUAGES:
        if kind is bool:
            for state in ("on", "off"):
                assert text(f"config.{key}.{state}", lang)
                assert text(f"setting.{key}.{state}", lang)
        elif key in config.DURATIONS:
            assert "{duration}" in text(f"config.{key}", lang)
            assert "{duration}" in text(f"setting.{key}", lang)
        else:
            assert "{count}" in text(f"config.{key}", lang, 2)
            assert "{count}" in text(f"setting.{key}", lang, 1)


# Folders are « répertoire » in French


def test_no_french_message_about_a_folder_says_dossier() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="fr", domain="fieldkit")
    about_folders = []
    for message in catalog:
        english = " ".join(message.id) if isinstance(message.id, tuple) else message.id
        french = " ".join(message.string) if isinstance(message.string, tuple) else message.string
        if english and re.search(r"\b(director(y|ies)|folders?)\b", english, re.I):
            about_folders.append((english, french))
            assert not re.search(r"\bdossiers?\b", french, re.I), (english, french)
    assert len(about_folders) >= 8  # the scan sees them: --home, export, bundle files...
    assert any("répertoire" in french for _, french in about_folders)


# Plurals


@pytest.mark.parametrize(
    ("key", "one", "two"),
    [
        ("detail.conflicts", "1 conflit", "2 conflits"),
        ("detail.received", "1 modification reçue", "2 modifications reçues"),
        ("district.conflicts", "1 conflit", "2 conflits"),
    ],
)
def test_counts_take_their_plural_in_french(key: str, one: str, two: str) -> None:
    assert text(key, "fr", 1).format(count=1) == one
    assert text(key, "fr", 2).format(count=2) == two


# Names


@pytest.mark.parametrize("language", ["fr", "en"], indirect=True)
def test_a_name_never_shows_a_raw_id(language: str) -> None:
    names = Names(
        [
            KnownWorker(id="wk-1", name="Léa Martin"),
            KnownWorker(id="wk-2", name="Karim", revoked=True),
        ],
        device="w-00ff",
    )
    assert names.of("wk-1") == "Léa Martin"
    revoked = "Karim (révoqué)" if language == "fr" else "Karim (revoked)"
    assert names.of("wk-2") == revoked
    assert names.of("wk-9") == ("intervenant inconnu" if language == "fr" else "unknown worker")
    assert names.of("district") == ("le district" if language == "fr" else "the district")
    assert names.of("w-00ff") == ("ce poste" if language == "fr" else "this device")
    assert names.of("") == ""


def test_debug_shows_the_id_beside_the_name() -> None:
    names = Names({"wk-1": "Léa Martin"}, debug=True)
    assert names.of("wk-1") == "Léa Martin [wk-1]"
    assert "wk-9" in names.of("wk-9")


def test_a_name_the_district_sent_wins_over_the_case_label() -> None:
    from fieldkit.model import Assignee, Case

    case = Case(
        id="c" * 32,
        reference="CO-2026-0001",
        display_name="X",
        unit="U",
        assignees=[Assignee(id="wk-1", name="L. Martin"), Assignee(id="wk-3", name="Inès Roy")],
    )
    names = Names([KnownWorker(id="wk-1", name="Léa Martin", revoked=True)]).with_case(case)
    assert names.revoked("wk-1") and names.of("wk-3") == "Inès Roy"
    assert names.of("wk-1").startswith("Léa Martin")
