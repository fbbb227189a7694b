"""A meeting of the prevention group through the real CLI and a real server, on both
district backends (issue 17): the agenda proposes the right cases with their reasons,
attendees with an unsigned charter are flagged, a decision reaches the team, the minutes'
PDF (read with pdftotext) names no person followed unless asked and carries the marking
on every page, and closing freezes the meeting until it is amended."""

from __future__ import annotations

import shutil
import stat
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from fieldkit.errors import REFUSED, USAGE
from tests.e2e.conftest import Net
from tests.world import CASE_NAME, UNIT

pytestmark = [
    pytest.mark.usefixtures("district_backend"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext not installed"),
]

TODAY = date.today()
NAMES = (CASE_NAME, "Bastien Roux", "Chloé Marchand", "Denis Petit")


def pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


def test_a_meeting_from_agenda_to_frozen_minutes(net: Net, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    amelie = net.new_case(CASE_NAME, "a", "b")
    later = (TODAY + timedelta(days=10)).isoformat()
    bastien = net.district(
        "case", "add", "--name", NAMES[1], "--unit", UNIT, "--next-review", later
    )["reference"]
    chloe = net.new_case(NAMES[2], "a")
    net.fk.ok(net.district_home, "district", "case", "close", chloe, "--reason", "Fin")
    denis = net.new_case(NAMES[3], "b")
    net.sync("a")
    args = ["followup", "add", amelie, "--kind", "concern", "--concern-level", "high"]
    net.json("a", *args, "--summary", "Propos inquiétants", "--date", TODAY.isoformat())
    net.sync("a")

    net.district("meeting", "new", (TODAY - timedelta(days=1)).isoformat())
    meeting = net.district(
        "meeting", "new", (TODAY + timedelta(days=14)).isoformat(), "--kind", "restreinte"
    )
    ref = meeting["reference"]
    assert meeting["kind"] == "restricted"
    agenda = net.district("meeting", "agenda", ref, "--remove", denis)
    reasons = {i["reference"]: [r["code"] for r in i["reasons"]] for i in agenda["items"]}
    assert reasons == {
        amelie: ["opened", "high-concern"],
        bastien: ["review-due", "opened"],
    }
    assert all(NAMES[0] not in str(i) for i in agenda["items"])
    # The removal holds at the next proposal.
    again = net.district("meeting", "agenda", ref)
    assert {i["reference"] for i in again["items"]} == {amelie, bastien}

    net.district(
        "meeting",
        "attendee",
        ref,
        "--add",
        "Sophie Lambert",
        "--institution",
        "prefecture",
        "--charter-signed",
        "2026-01-05",
    )
    refused = net.fk.run(
        net.district_home,
        "district",
        "meeting",
        "attendee",
        ref,
        "--add",
        "Marc Juge",
        "--institution",
        "parquett",
    )
    assert refused.exit_code == USAGE and "parquet" in refused.stderr
    net.district("meeting", "attendee", ref, "--add", "Marc Juge", "--institution", "parquet")
    for n in range(30):  # enough attendees for the minutes to run over several pages
        net.district(
            "meeting",
            "attendee",
            ref,
            "--add",
            f"Membre {n}",
            "--institution",
            "CAF",
            "--charter-signed",
            "2026-02-01",
        )
    shown = net.district("meeting", "show", ref)
    flagged = [a["name"] for a in shown["attendees"] if a["charter_missing"]]
    assert flagged == ["Marc Juge"]

    review = (TODAY + timedelta(days=60)).isoformat()
    decided = net.district(
        "meeting",
        "decide",
        ref,
        amelie,
        "--measure",
        "Consultation au CMP",
        "--measure",
        "Reprise de la scolarité",
        "--referent",
        "Maison des adolescents",
        "--next-review",
        review,
    )
    assert [m["number"] for m in decided["measures"]] == [1, 2]
    net.sync("b")
    assert net.json("b", "case", "show", amelie)["next_review"] == review

    minutes = net.root / "cr.pdf"
    net.fk.ok(
        net.district_home,
        "district",
        "meeting",
        "minutes",
        ref,
        "--format",
        "pdf",
        "-o",
        str(minutes),
    )
    assert stat.S_IMODE(minutes.stat().st_mode) == 0o600
    pages = pdf_pages(minutes)
    assert len(pages) >= 2
    for page in pages:
        assert "CONFIDENTIEL" in page
    text = " ".join(" ".join(pages).split())  # a cell's words may wrap over lines
    for name in NAMES:
        assert name not in text and "Durand" not in text
    assert amelie in text and "(A. D.)" in text
    assert "NON SIGNÉE" in text and "Marc Juge" in text
    assert "inquiétude élevée depuis la dernière réunion" in text
    assert "Consultation au CMP" in text and "Maison des adolescents" in text

    named = net.root / "cr-noms.pdf"
    net.fk.ok(
        net.district_home,
        "district",
        "meeting",
        "minutes",
        ref,
        "--format",
        "pdf",
        "-o",
        str(named),
        "--with-names",
    )
    assert CASE_NAME in " ".join(" ".join(pdf_pages(named)).split())

    closed = net.district("meeting", "close", ref)
    late = net.fk.run(
        net.district_home,
        "district",
        "meeting",
        "decide",
        ref,
        bastien,
        "--measure",
        "Suivi éducatif",
    )
    assert late.exit_code == REFUSED and "amend" in late.stderr
    net.district("meeting", "amend", ref, "--reason", "Décision oubliée")
    net.district("meeting", "decide", ref, bastien, "--measure", "Suivi éducatif")
    reclosed = net.district("meeting", "close", ref)
    assert reclosed["sha256"] != closed["sha256"]
    shown = net.district("meeting", "show", ref)
    assert [e["what"] for e in shown["events"]] == ["close", "amend", "close"]
    assert shown["events"][1]["reason"] == "Décision oubliée"
    final = net.root / "cr-final.md"
    net.fk.ok(
        net.district_home, "district", "meeting", "minutes", ref, "--format", "md", "-o", str(final)
    )
    body = final.read_text(encoding="utf-8")
    assert "Décision oubliée" in body and "Suivi éducatif" in body
    assert reclosed["sha256"] in body
