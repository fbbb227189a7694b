"""What is ahead on a case, and how its dates read, through the real CLI: the summary's
next contact is `agenda`'s, overdue reviews and contacts are said in words in `case list`
and `case show`, the concern level now shows in `case show`, the situation is in every
summary format, history rows carry short ids, and an emoji in a PDF is never a `?`."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from fieldkit.dates import show_day
from tests.e2e.conftest import Cli
from tests.helpers import pdf_streams

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext not installed (poppler-utils)"
)

TODAY = date.today()
HEX32 = re.compile(r"\b[0-9a-f]{32}\b")
SITUATION = "Reprise de la scolarité en janvier ; la mère reste inquiète du réseau en ligne."


def _fr(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _in(monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", lang)


def _days(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


def _planned(quick: Cli) -> date:
    """A case whose follow-ups planned several contacts, one of them amended since."""
    quick.note(
        "a", "interview", "Premier entretien.", "--date", _days(-20), "--next-contact", _days(-10)
    )
    quick.note("a", "call", "Appel.", "--date", _days(-8), "--next-contact", _days(5))
    latest = quick.note(
        "a", "home-visit", "Visite.", "--date", _days(-3), "--next-contact", _days(12)
    )
    quick.note("a", "interview", "Point rapide.", "--date", _days(-1))
    quick.ok("a", "followup", "amend", latest, "--next-contact", _days(9))
    return TODAY + timedelta(days=9)


def _summary_md(quick: Cli) -> str:
    return quick.ok("a", "case", "summary", quick.world.reference, "--format", "md").stdout


def test_the_summary_next_contact_is_the_agendas(quick: Cli, monkeypatch) -> None:
    planned = _planned(quick)
    ref = quick.world.reference

    agenda = quick.json("a", "agenda", "--days", "30")
    contacts = [i for i in agenda if i["what"] == "contact" and i["reference"] == ref]
    assert [i["due"] for i in contacts] == [planned.isoformat()]
    summary = quick.json("a", "case", "summary", ref)
    assert summary["next_contact"] == planned.isoformat()
    # Not the soonest contact ever written (+5 days), which an earlier summary showed.
    assert summary["next_contact_overdue"] is False

    for lang, shown in (("fr", _fr(planned)), ("en", planned.isoformat())):
        _in(monkeypatch, lang)
        agenda_text = quick.ok("a", "agenda", "--days", "30").stdout
        assert shown in agenda_text
        md = _summary_md(quick)
        label = "Prochain contact :" if lang == "fr" else "Next contact:"
        assert f"- {label} {shown}\n" in md
        show = quick.ok("a", "case", "show", ref).stdout
        assert shown in show


def test_an_overdue_review_and_contact_are_said_in_words(quick: Cli, monkeypatch) -> None:
    ref = quick.world.reference
    quick.ok("a", "case", "update", ref, "--next-review", _days(-2))
    quick.note("a", "interview", "Entretien.", "--date", _days(-9), "--next-contact", _days(-4))

    _in(monkeypatch, "fr")
    listing = quick.ok("a", "case", "list").stdout
    row = next(line for line in listing.splitlines() if ref in line)
    assert _fr(TODAY - timedelta(days=2)) in row
    assert "revue en retard, contact en retard" in row
    show = quick.ok("a", "case", "show", ref).stdout
    assert f"{_fr(TODAY - timedelta(days=2))} (revue en retard)" in show
    assert f"{_fr(TODAY - timedelta(days=4))} (contact en retard)" in show
    assert "(en retard)" in _summary_md(quick)

    _in(monkeypatch, "en")
    listing = quick.ok("a", "case", "list").stdout
    assert "review overdue, contact overdue" in next(r for r in listing.splitlines() if ref in r)
    show = quick.ok("a", "case", "show", ref).stdout
    assert f"{_days(-2)} (review overdue)" in show
    assert f"{_days(-4)} (contact overdue)" in show
    # --json keeps ISO dates and no words.
    listed = quick.json("a", "case", "list")
    assert [c["next_review"] for c in listed if c["reference"] == ref] == [_days(-2)]

    # A contact made since is no longer overdue, anywhere.
    quick.note("a", "call", "Rappel fait.", "--date", _days(0))
    listing = quick.ok("a", "case", "list").stdout
    row = next(line for line in listing.splitlines() if ref in line)
    assert "contact overdue" not in row and "review overdue" in row


def test_case_show_and_summary_give_the_concern_level_now(quick: Cli, monkeypatch) -> None:
    ref = quick.world.reference
    quick.note(
        "a", "concern", "Propos inquiétants.", "--date", _days(-6), "--concern-level", "high"
    )
    quick.note("a", "concern", "Situation apaisée.", "--date", _days(-2), "--concern-level", "low")
    quick.note("a", "call", "Appel sans évaluation.", "--date", _days(-1))

    _in(monkeypatch, "fr")
    show = quick.ok("a", "case", "show", ref).stdout
    assert re.search(r"Niveau d'inquiétude actuel\s+Faible", show), show
    assert "- Niveau d'inquiétude actuel : Faible" in _summary_md(quick)
    _in(monkeypatch, "en")
    assert re.search(r"Concern level now\s+Low", quick.ok("a", "case", "show", ref).stdout)
    assert quick.json("a", "case", "summary", ref)["concern_level"] == "low"


@needs_poppler
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_summary_format_holds_the_situation_and_no_long_id(
    quick: Cli, monkeypatch, tmp_path: Path, lang: str
) -> None:
    ref = quick.world.reference
    quick.ok("a", "case", "update", ref, "--situation", SITUATION)
    first = quick.note("a", "interview", "Entretien du matin.", "--date", _days(-3))
    quick.note("a", "concern", "Inquiétude.", "--date", _days(-2), "--concern-level", "medium")
    _in(monkeypatch, lang)

    text = quick.ok("a", "case", "summary", ref).stdout
    md = _summary_md(quick)
    target = tmp_path / "synthese.pdf"
    quick.ok("a", "case", "summary", ref, "-f", "pdf", "-o", str(target))
    pdf = _pdftotext(target)

    heading = "## Situation"
    assert f"{heading}\n\n{SITUATION}\n" in md
    for shown in (" ".join(text.split()), " ".join(pdf.split())):
        assert SITUATION in shown
    day = show_day(TODAY - timedelta(days=3)) if lang == "en" else _fr(TODAY - timedelta(days=3))
    assert day in md and day in pdf and day in text
    for output in (text, md, pdf):
        assert not HEX32.search(output), HEX32.search(output)
    # The short reference printed is one `followup show` takes.
    assert len(first) == 32 and first[:8] in pdf and first[:8] in md
    shown = quick.json("a", "followup", "show", first[:8])
    assert shown["id"] == first


def _pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def embedded_codepoints(data: bytes) -> set[int]:
    """Every character some font embedded in the PDF has a glyph for (their cmaps)."""
    from fontTools.ttLib import TTFont

    codes: set[int] = set()
    for raw in pdf_streams(data):
        try:
            font = TTFont(io.BytesIO(raw))
        except Exception:  # not a font: a page's content, an image
            continue
        if "cmap" in font:
            codes |= set(font.getBestCmap() or {})
    return codes


@needs_poppler
def test_an_emoji_in_a_followup_is_never_a_question_mark(
    quick: Cli, monkeypatch, tmp_path: Path
) -> None:
    ref = quick.world.reference
    _in(monkeypatch, "fr")
    quick.note("a", "interview", "Bonne nouvelle 😀 ✅ à fêter ★ ; mot 中 noté.")
    target = tmp_path / "emoji.pdf"
    result = quick.ok("a", "case", "summary", ref, "-f", "pdf", "-o", str(target))
    pdf = " ".join(_pdftotext(target).split())
    line = pdf[pdf.index("Bonne nouvelle") :][:120]
    fonts = embedded_codepoints(target.read_bytes())

    # Each emoji or symbol is drawn by a font embedded in the PDF, or written by name.
    for char, name in (("😀", "[grinning face]"), ("✅", "[white heavy check mark]"), ("★", "")):
        if ord(char) in fonts:
            assert char in line, (char, line)
        else:
            assert name and name in line, (char, line)
    before_cjk = line[: line.index("mot")]
    assert "?" not in before_cjk, line
    # A CJK character: drawn when a CJK font is installed, else the advice says which.
    advice = "Noto Sans CJK"
    if ord("中") in fonts:
        assert "中" in line and advice not in result.stderr
    else:
        assert advice in result.stderr

    # No CJK text, no CJK advice, whatever else is missing.
    quick.ok(
        "a",
        "followup",
        "amend",
        quick.json("a", "followup", "list", ref)[0]["id"],
        "--summary",
        "Bonne nouvelle 😀 ✅ ★",
    )
    again = tmp_path / "sans-cjk.pdf"
    result = quick.ok("a", "case", "summary", ref, "-f", "pdf", "-o", str(again))
    assert advice not in result.stderr
    assert "?" not in " ".join(_pdftotext(again).split()).split("Bonne nouvelle")[1][:60]
