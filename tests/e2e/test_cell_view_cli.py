"""Through the real CLI: a worker's follow-up, sealed on the device and synced, never
reaches the district's screens, files or JSON; the district's cell view still shows the
follow-up's date, kind and author, and says that a team note is not shown."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.world import Fieldkit, cli_world, file_sync, use_fast_kdf

MARKER = "MARQUEUR-EQUIPE-7741"

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext not installed (poppler-utils)"
)


@needs_poppler
def test_a_synced_team_note_is_in_none_of_the_districts_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    world = cli_world(tmp_path, fk)
    summary = f"Entretien au domicile, {MARKER}, la mère présente."
    fk.ok(
        world.homes["a"],
        "followup",
        "add",
        world.reference,
        "--kind",
        "interview",
        "--summary",
        summary,
    )
    file_sync(fk, world, "a", "note")
    file_sync(fk, world, "b", "note")
    # The team reads it.
    shown_b = fk.ok(world.homes["b"], "case", "show", world.reference).stdout
    assert MARKER in shown_b

    home = world.district_home
    outputs = {
        "show": fk.ok(home, "district", "case", "show", world.reference).stdout,
        "show-json": fk.ok(home, "district", "case", "show", world.reference, "--json").stdout,
        "list-json": fk.ok(home, "district", "case", "list", "--json").stdout,
        "summary-json": fk.ok(
            home, "district", "case", "summary", world.reference, "--json"
        ).stdout,
        "report-json": fk.ok(home, "district", "report", "--with-cases", "--json").stdout,
    }
    for fmt in ("text", "md", "pdf"):
        for what, args in (
            ("summary", ("district", "case", "summary", world.reference)),
            ("report", ("district", "report", "--with-cases")),
        ):
            target = tmp_path / f"{what}.{fmt}"
            fk.ok(home, *args, "-f", fmt, "-o", str(target))
            if fmt == "pdf":
                outputs[f"{what}-{fmt}"] = subprocess.run(
                    ["pdftotext", "-enc", "UTF-8", str(target), "-"],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            else:
                outputs[f"{what}-{fmt}"] = target.read_text()

    for where, text in outputs.items():
        assert MARKER not in text, where
        assert "sv1." not in text, where
    assert "team note (readable by the team only)" in outputs["summary-text"]
    assert "1 note of the case team is not shown" in " ".join(outputs["summary-md"].split())
    assert "Léa Martin" in outputs["summary-text"] and "Interview" in outputs["summary-text"]
