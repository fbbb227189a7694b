"""A district's meetings move with it from its file to PostgreSQL (`district migrate`):
the attendees' names sealed there, the frozen minutes and their hash unchanged, the
institutions it added kept, and the meeting goes on being amended and closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pg import Cluster
from tests.world import Fieldkit, use_fast_kdf

DISTRICT_BACKENDS = ("sqlcipher",)


def test_meetings_move_to_postgresql_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_cluster: Cluster
) -> None:
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    home = tmp_path / "district"
    fk.json(home, "district", "init", "--name", "District test")
    fk.json(home, "district", "case", "add", "--name", "Amélie Durand", "--unit", "UT Nord")
    fk.json(home, "district", "institution", "add", "Maison des adolescents")
    ref = fk.json(home, "district", "meeting", "new", "2026-04-02", "--title", "Point")["reference"]
    fk.json(home, "district", "meeting", "agenda", ref, "--add", "CO-2026-0001")
    args = ["--institution", "maison des adolescents"]
    fk.json(home, "district", "meeting", "attendee", ref, "--add", "Marc Juge", *args)
    closed = fk.json(home, "district", "meeting", "close", ref)
    before = fk.json(home, "district", "meeting", "show", ref)
    moved = fk.json(home, "district", "migrate", "--to", pg_cluster.create_database())
    assert moved["verified"] is True and moved["tables"]["meeting_attendees"] == 1
    assert fk.json(home, "district", "meeting", "show", ref) == before
    assert before["closed_sha256"] == closed["sha256"]
    fk.json(home, "district", "meeting", "amend", ref, "--reason", "Participant oublié")
    fk.json(
        home, "district", "meeting", "attendee", ref, "--add", "Léa Roy", "--institution", "CAF"
    )
    again = fk.json(home, "district", "meeting", "close", ref)
    assert again["sha256"] != closed["sha256"]
    names = [i["name"] for i in fk.json(home, "district", "institution", "list")]
    assert "Maison des adolescents" in names and "préfecture" in names
