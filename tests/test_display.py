"""Text that people wrote is shown as data: control and format characters written out,
brackets never read as markup, Markdown specials never read as formatting (DESIGN §11)."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from fieldkit.display import HIDDEN, escape, escaped_model, plain
from fieldkit.model import FollowUpKind
from fieldkit.summary.markdown import render_markdown
from fieldkit.summary.text import render_text
from tests.conftest import CLIPBOARD, LINK, NOTE, RLO, TITLE_AND_CLEAR
from tests.summary.conftest import build_world, summarise

# Categories shown escaped: controls, format characters, surrogates, line/paragraph separators.
HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (TITLE_AND_CLEAR, "\\x1b]0;X\\x07\\x1b[2J"),
        (CLIPBOARD, "\\x1b]52;c;aGk=\\x07"),
        (f"abc{RLO}def", "abc<U+202E>def"),
        ("\x00\x7f\x9b", "\\x00\\x7f\\x9b"),  # NUL, DEL, the one-byte CSI
        ("a\u200bb\u200fc\u2066d\u2069e\ufeff", "a<U+200B>b<U+200F>c<U+2066>d<U+2069>e<U+FEFF>"),
        ("\u00ad\u2028\U000e0001", "<U+00AD><U+2028><U+E0001>"),
        ("\ud800", "<U+D800>"),  # a lone surrogate, which no terminal could even encode
    ],
)
def test_control_bidi_and_format_characters_are_written_out(text: str, shown: str) -> None:
    assert escape(text) == shown
    assert escape(text, multiline=True) == shown


def test_markup_and_ordinary_text_are_left_as_they_are() -> None:
    for text in (NOTE, LINK, "Émilie Lefèvre-Nguyễn 😀 « entretien »", ""):
        assert escape(text) is text


def test_a_one_line_text_shows_its_line_breaks_and_tabs_escaped() -> None:
    assert escape("Camille\nMartin\tUT\r") == "Camille\\nMartin\\tUT\\r"


def test_a_multiline_text_keeps_its_lines_and_tabs() -> None:
    assert escape("un\n\tdeux\r\ntrois\x1b[2J", multiline=True) == "un\n\tdeux\ntrois\\x1b[2J"
    assert escape("a\rb", multiline=True) == "a\\rb"  # a lone CR would overwrite the line


def test_every_control_and_format_character_of_this_unicode_is_escaped() -> None:
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    matched = {ord(m.group()) for m in re.finditer(HIDDEN, everything)}
    wanted = {
        code
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in HIDDEN_CATEGORIES
    }
    assert wanted <= matched
    # Beyond them, only code points that a newer Unicode made format characters.
    for code in matched - wanted:
        assert unicodedata.category(chr(code)) == "Cn", hex(code)
    # escape() skips the texts that str.isprintable() passes: none holds one of these.
    assert not any(chr(code).isprintable() for code in matched)


def test_plain_is_a_rich_text_that_prints_markup_literally_and_no_escape_byte() -> None:
    text = plain(f"{NOTE} {LINK} {TITLE_AND_CLEAR}{RLO}")
    assert text.spans == []
    console = Console(width=300, force_terminal=True, color_system="truecolor", record=True)
    with console.capture() as captured:
        console.print(text)
    out = captured.get()
    assert f"{NOTE} {LINK} \\x1b]0;X\\x07\\x1b[2J<U+202E>" in out
    assert "\x1b]8;" not in out  # no hyperlink
    assert RLO not in out


def test_plain_keeps_lines_when_asked_and_takes_a_style() -> None:
    assert plain("a\nb", multiline=True).plain == "a\nb"
    assert plain("a\nb").plain == "a\\nb"
    assert plain(None).plain == ""
    assert str(plain("x", style="bold").style) == "bold"


def _hostile_summary():
    world = build_world(count=3)
    world.case.display_name = f"Émilie {RLO}{TITLE_AND_CLEAR}"
    world.case.reason = f"{NOTE}\n{CLIPBOARD}"
    world.case.related = [LINK]
    world.followups[0].summary = f"{NOTE}\n{LINK}\n{TITLE_AND_CLEAR}"
    world.followups[0].partners = [f"CPE\n{RLO}"]
    return summarise(world)


def test_a_document_copy_has_every_text_escaped_and_the_original_kept() -> None:
    summary = _hostile_summary()
    shown = escaped_model(summary)
    assert shown.display_name == "Émilie <U+202E>\\x1b]0;X\\x07\\x1b[2J"
    assert shown.reason == f"{NOTE}\n\\x1b]52;c;aGk=\\x07"  # a multi-line field
    assert shown.related == [LINK]
    entry = next(e for e in shown.history if e.summary.startswith(NOTE))
    assert entry.summary == f"{NOTE}\n{LINK}\n\\x1b]0;X\\x07\\x1b[2J"
    assert entry.partners == ["CPE\\n<U+202E>"]  # one line each
    assert isinstance(entry.kind, FollowUpKind)
    assert summary.display_name == f"Émilie {RLO}{TITLE_AND_CLEAR}"  # --json reads this one
    plain_summary = summarise(build_world(count=3))
    assert escaped_model(plain_summary) is plain_summary


def test_the_text_summary_prints_hostile_text_escaped_and_literally() -> None:
    console = Console(width=250, force_terminal=True, color_system="truecolor", record=True)
    with console.capture() as captured:
        render_text(_hostile_summary(), console)
    out = captured.get()
    for shown in (NOTE, LINK, "\\x1b]0;X\\x07\\x1b[2J", "\\x1b]52;c;aGk=\\x07", "<U+202E>"):
        assert shown in out
    assert "\x1b]" not in out and "\x07" not in out and RLO not in out


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark").render(markdown)


def test_person_text_in_markdown_cannot_become_a_link_heading_html_or_a_bidi_override() -> None:
    world = build_world(count=2)
    baseline = _html(render_markdown(summarise(world)))
    world.followups[0].summary = (
        "# titre\n[clic](https://x) ![img](https://x/i.png) <https://x> <b>gras</b>\n"
        f"&#x202E; &amp; {LINK} {TITLE_AND_CLEAR}{RLO}\n---\n1. liste"
    )
    world.case.display_name = "<script>alert(1)</script> [a](https://x)"
    html = _html(render_markdown(summarise(world)))
    for tag in ("<a ", "<img", "<script", "<b>", "<ol", "<hr"):
        assert html.count(tag) == baseline.count(tag), tag
    assert html.count("<h1>") == baseline.count("<h1>")
    assert html.count("<h2>") == baseline.count("<h2>")
    assert "\u202e" not in html and "\x1b" not in html and "\x07" not in html
    assert "&amp;#x202E;" in html  # the reference shows as typed, not as the character
    assert "[clic](https://x)" in html
    assert "[link=https://x]clic[/link]" in html
    assert "\\x1b]0;X\\x07\\x1b[2J&lt;U+202E&gt;" in html
