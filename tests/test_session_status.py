"""The session's status line on a narrow terminal (fieldkit/commands/session.py Status):
the least needed parts go first, never a word cut in the middle."""

from __future__ import annotations

from fieldkit.commands.session import Status


def _status() -> Status:
    return Status(
        worker="Léa Martin",
        case="CO-2026-0001",
        pending=3,
        conflicts=1,
        last_sync="2026-12-03T10:42:00+00:00",
        online=False,
    )


def test_everything_is_shown_when_it_fits():
    whole = _status().line()
    assert _status().line(len(whole)) == whole
    assert whole.startswith("Léa Martin · case CO-2026-0001 · 3 changes to sync · 1 conflict")


def test_the_name_goes_first_then_the_last_sync_and_what_matters_stays():
    whole = _status().line()
    narrower = _status().line(len(whole) - 1)
    assert "Léa Martin" not in narrower and "last sync" in narrower
    narrowest = _status().line(60)
    assert "last sync" not in narrowest
    for part in ("CO-2026-0001", "3 changes to sync", "1 conflict", "offline"):
        assert part in narrowest
    assert all(len(_status().line(w)) <= max(w, len(narrowest)) for w in range(20, 120))
