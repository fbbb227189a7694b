"""The printable PDF, read back with poppler's pdftotext and pdfinfo."""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from fieldkit.summary import pdf as pdf_module
from fieldkit.summary.assemble import CaseSummary
from fieldkit.summary.pdf import MissingGlyphsWarning, render_pdf
from tests.summary.conftest import World, build_world, followup_id, summarise

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
    reason="pdftotext/pdfinfo not installed (Debian package poppler-utils)",
)
MARKING_FR = "CONFIDENTIEL — diffusion restreinte"
MARKING_EN = "CONFIDENTIAL — restricted distribution"
ID = re.compile(r"FU-\d{4}")
CONCERN_ID = re.compile(r"Réf\. : (FU-\d{4})")
END = re.compile(r"Fin du compte rendu n° (\d{4})\.")


@dataclass
class Printed:
    summary: CaseSummary
    data: bytes
    pages: list[str]  # pdftotext's text of each page, spaces normalised
    info: dict[str, str]


def _read(data: bytes, directory: Path) -> tuple[list[str], dict[str, str]]:
    path = directory / "summary.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # One form feed after each page; non-breaking spaces read as spaces.
    pages = [" ".join(page.split()) for page in text.split("\f")[:-1]]
    info_text = subprocess.run(
        ["pdfinfo", str(path)], check=True, capture_output=True, text=True
    ).stdout
    info = {}
    for line in info_text.splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return pages, info


def _print(world: World, directory: Path, **options) -> Printed:
    summary = summarise(world, **options)
    data = render_pdf(summary)
    return Printed(summary, data, *_read(data, directory))


@pytest.fixture(scope="module")
def printed(world: World, tmp_path_factory: pytest.TempPathFactory) -> Printed:
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        pytest.skip("pdftotext/pdfinfo not installed (Debian package poppler-utils)")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("FIELDKIT_LANG", "fr")
        return _print(world, tmp_path_factory.mktemp("pdf"))


def test_render_pdf_gives_the_same_pdf_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    summary = summarise(build_world(3))
    data = render_pdf(summary)
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert render_pdf(summary) == data


@needs_poppler
def test_every_page_carries_marking_reference_printer_and_number(printed: Printed) -> None:
    total = int(printed.info["Pages"])
    assert total == len(printed.pages)
    assert total > 10  # a long history flows over many pages
    for number, page in enumerate(printed.pages, start=1):
        assert MARKING_FR in page, number
        assert "CO-2026-0042" in page, number
        assert "Imprimé par Claire Dubois le 15/04/2026 10:30" in page, number
        assert f"page {number}/{total}" in page, number


@needs_poppler
def test_page_is_a4_and_metadata_holds_the_reference_only(printed: Printed) -> None:
    assert printed.info["Page size"].startswith("595.28 x 841.89 pts (A4)")
    assert printed.info["Title"] == "CO-2026-0042"
    for key in ("Author", "Subject", "Keywords"):
        assert key not in printed.info
    assert printed.info["Metadata Stream"] == "no"
    assert "Lefèvre" not in " ".join(printed.info.values())
    assert "Dubois" not in " ".join(printed.info.values())


@needs_poppler
def test_accents_and_other_scripts_are_intact(printed: Printed) -> None:
    text = " ".join(printed.pages)
    for phrase in (
        "Émilie Lefèvre-Nguyễn",
        "« repartir à zéro »",
        "cœur du conflit familial",
        "François Lœuillet",
        "Ольга Петрова",
        "UT Nord — Saint-Éloi",
        "Signalement / inquiétude",
        "Visite à domicile",
        "Rectifié 2 fois : par",
        "le 21/04/2025",
        "Situation fragile : rupture avec la famille élargie.",
    ):
        assert phrase in text, phrase


@needs_poppler
def test_every_followup_is_printed_once_in_the_history_newest_first(printed: Printed) -> None:
    text = " ".join(printed.pages)
    history = text.index("Historique du suivi")
    found = [m.group(0) for m in ID.finditer(text, history) if not _is_concern_ref(text, m)]
    assert found == [followup_id(n) for n in range(230, 0, -1)]


def _is_concern_ref(text: str, match: re.Match[str]) -> bool:
    return text[max(0, match.start() - 7) : match.start()] == "Réf. : "


@needs_poppler
def test_no_row_is_cut_across_pages(printed: Printed) -> None:
    """A row's first line (its date and id) and its last lines are on the same page.

    The id heads the row's left column; the text ends with its own numbered words, and
    the details (next steps, next contact, amendment) close the right column.
    """
    entries = {e.id: e for e in printed.summary.history}
    for number, page in enumerate(printed.pages, start=1):
        ids = Counter(ID.findall(page))
        ends = Counter(f"FU-{n}" for n in END.findall(page))
        assert ids == ends, f"page {number}: {ids - ends} / {ends - ids}"
        concern_refs = Counter(CONCERN_ID.findall(page))
        rows = list((ids - concern_refs).elements())
        expected_steps = sum(1 for i in rows if entries[i].next_steps)
        expected_contacts = sum(1 for i in rows if entries[i].next_contact)
        expected_amended = sum(1 for i in rows if entries[i].amendments)
        assert page.count("Suites à donner :") == expected_steps, number
        assert page.count("Prochain contact :") == expected_contacts, number
        assert page.count("Rectifié") == expected_amended, number


@needs_poppler
def test_continued_pages_repeat_the_section_title_and_table_header(printed: Printed) -> None:
    later = [page for page in printed.pages if "Historique du suivi (suite)" in page]
    assert len(later) >= 10
    assert all("Date · Type · Par Détails" in page for page in later)


@needs_poppler
def test_english_pdf_is_marked_in_english(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "en")
    printed = _print(build_world(60), tmp_path)
    assert len(printed.pages) == int(printed.info["Pages"]) > 1
    for number, page in enumerate(printed.pages, start=1):
        assert MARKING_EN in page
        assert MARKING_FR not in page
        assert f"page {number}/{len(printed.pages)}" in page
        assert "Printed by Claire Dubois on 2026-04-15 10:30" in page
    assert "Follow-up history" in printed.pages[-1] or "(continued)" in printed.pages[-1]


@needs_poppler
def test_since_limits_the_printed_history(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    printed = _print(build_world(230), tmp_path, since=date(2026, 3, 1))
    text = " ".join(printed.pages)
    assert "Limité aux suivis depuis le 01/03/2026 : 20 sur 230." in text
    assert "Signalements depuis le 01/03/2026 uniquement." in text
    assert followup_id(211) in text and followup_id(230) in text
    assert followup_id(210) not in text


@needs_poppler
def test_a_row_taller_than_a_page_is_cut_but_complete(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    world = build_world(3)
    world.followups[1].summary = " ".join(
        f"Phrase numéro {n} du long compte rendu." for n in range(600)
    )
    printed = _print(world, tmp_path)
    text = " ".join(printed.pages)
    assert len(printed.pages) >= 3
    for n in (0, 299, 599):
        assert f"Phrase numéro {n} du long compte rendu." in text
    for number, page in enumerate(printed.pages, start=1):
        assert MARKING_FR in page and f"page {number}/{len(printed.pages)}" in page


@needs_poppler
def test_without_a_unicode_font_it_falls_back_to_helvetica_and_warns(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    monkeypatch.setattr(pdf_module, "packaged_fonts", lambda directory: None)
    monkeypatch.setattr(pdf_module, "system_fonts", lambda: None)
    with pytest.warns(MissingGlyphsWarning, match=r"^12 caractère.*pymupdf-fonts"):
        printed = _print(build_world(8), tmp_path)
    text = " ".join(printed.pages)
    # cp1252 still prints French: accents, œ, guillemets and dashes.
    assert "Émilie Lefèvre-Nguy?n" in text
    assert "« repartir à zéro »" in text and "cœur du conflit" in text
    assert "Tante : ????? ???????" in text
    assert MARKING_FR in printed.pages[0]


def test_a_full_unicode_font_raises_no_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    with warnings.catch_warnings():
        warnings.simplefilter("error", MissingGlyphsWarning)
        render_pdf(summarise(build_world(8)))


@needs_poppler
def test_with_no_font_for_them_emoji_print_by_name_and_cjk_advice_only_for_cjk(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    monkeypatch.setattr(pdf_module, "packaged_fonts", lambda directory: None)
    monkeypatch.setattr(pdf_module, "system_fonts", lambda: None)
    world = build_world(2)
    world.followups[0].summary = "Bonne nouvelle ✅ 😀 👍🏽 fin."
    with pytest.warns(MissingGlyphsWarning) as caught:
        printed = _print(world, tmp_path)
    text = " ".join(printed.pages)
    assert "Bonne nouvelle [white heavy check mark] [grinning face] [thumbs up sign] fin." in text
    assert all("CJK" not in str(w.message) for w in caught)

    world.followups[0].summary = "Mot 中 noté."
    with pytest.warns(MissingGlyphsWarning, match="Noto Sans CJK"):
        _print(world, tmp_path)
