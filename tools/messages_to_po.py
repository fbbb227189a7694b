"""One-off: move the French of fieldkit/messages/*.py into the gettext catalogue.

Entries of the old form `"key": ("English", "French")` become `"key": "English"` and a
.po entry (msgctxt key, msgid English, msgstr French); pairs `KEY.one` / `KEY.other`
become `"KEY": Plural("singular", "plural")` and a plural .po entry. Entries already
converted keep the French the .po has for them; .po entries without msgctxt (click's and
typer's own strings) are kept as they are. Safe to run again on a merged tree.

    python tools/messages_to_po.py
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "fieldkit" / "messages"
PO = ROOT / "fieldkit" / "locale" / "fr" / "LC_MESSAGES" / "fieldkit.po"
AREAS = ("core", "store", "sync", "district", "summary")
IMPORT = "from fieldkit.messages.plural import Plural\n"


def _string(node: ast.expr) -> str:
    assert isinstance(node, ast.Constant) and isinstance(node.value, str), ast.dump(node)
    return node.value


def convert(path: Path, old_po: Catalog | None, entries: list) -> None:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    edits: list[tuple[int, int, list[str]]] = []  # (first line, last line, replacement)

    def segment(node: ast.AST) -> str:
        return ast.get_source_segment(source, node) or ""

    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict) or not node.keys:
            continue
        if not all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys):
            continue
        items = dict(zip([k.value for k in node.keys], zip(node.keys, node.values, strict=True), strict=True))
        for key, (knode, value) in items.items():
            first, last = knode.lineno, value.end_lineno
            indent = lines[first - 1][: knode.col_offset]
            assert not indent.strip(), f"{path}:{first}: entry does not start its line"
            tail = lines[last - 1].encode()[value.end_col_offset :].decode()  # offsets: bytes
            assert tail.strip() == ",", f"{path}:{last}"
            if isinstance(value, ast.Tuple):
                english, french = value.elts
                base, _, form = key.rpartition(".")
                if form == "other" and f"{base}.one" in items:
                    edits.append((first, last, []))  # folded into its `.one` entry
                    continue
                if form == "one" and f"{base}.other" in items:
                    other = items[f"{base}.other"][1]
                    assert isinstance(other, ast.Tuple)
                    text = (
                        f'{indent}"{base}": Plural(\n{indent}    {segment(english)},\n'
                        f"{indent}    {segment(other.elts[0])},\n{indent}),\n"
                    )
                    edits.append((first, last, [text]))
                    ids = (_string(english), _string(other.elts[0]))
                    entries.append((base, ids, (_string(french), _string(other.elts[1]))))
                    continue
                edits.append((first, last, [f"{indent}{segment(knode)}: {segment(english)},\n"]))
                entries.append((key, _string(english), _string(french)))
                continue
            if isinstance(value, ast.Call):  # Plural(one, other), converted before
                english_id = (_string(value.args[0]), _string(value.args[1]))
            else:
                english_id = _string(value)
            kept = old_po.get(english_id, context=key) if old_po else None
            if kept is None:
                sys.exit(f"{path}:{first}: {key} has no French in {PO}")
            entries.append((key, english_id, kept.string))
    for first, last, replacement in sorted(edits, reverse=True):
        lines[first - 1 : last] = replacement
    text = "".join(lines).replace(
        "dict[str, tuple[str, str]]", "dict[str, str | Plural]"
    )
    if "Plural(" in text and IMPORT not in text:
        head, sep, rest = text.partition('"""\n\n')  # after the module's docstring
        text = f"{head}{sep}{IMPORT}\n{rest}"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    old_po: Catalog | None = None
    if PO.exists():
        with PO.open("rb") as handle:
            old_po = read_po(handle, locale="fr", domain="fieldkit")
    entries: list = []
    for area in AREAS:
        convert(MESSAGES / f"{area}.py", old_po, entries)
    catalog = Catalog(
        locale="fr",
        domain="fieldkit",
        project="fieldkit",
        version="0.1.0",
        copyright_holder="fieldkit",
        charset="utf-8",
        fuzzy=False,
        creation_date=old_po.creation_date if old_po else None,
        header_comment=(
            "# fieldkit's messages in French: msgctxt is the message key of fieldkit/messages/,\n"
            "# msgid its English. Entries without msgctxt translate click's and typer's own\n"
            "# strings. Compiled to fieldkit.mo by `make catalogues` (Babel)."
        ),
    )
    # gettext's usual rule for French (CLDR's third form, for millions, is not used here).
    catalog.mime_headers = [("Plural-Forms", "nplurals=2; plural=(n > 1);")]
    if old_po:
        for message in old_po:
            if message.id and not message.context:
                catalog[message.id] = message
    for key, english, french in entries:
        catalog.add(english, french, context=key)
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=False)
    print(f"{len(entries)} messages; {PO.relative_to(ROOT)} written")


if __name__ == "__main__":
    main()
