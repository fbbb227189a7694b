"""Dates as people type them (fieldkit/dates.py), against a fixed today: no wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fieldkit.dates import parse_day, show_day, show_iso_day, show_moment
from fieldkit.errors import InvalidValue

WEDNESDAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("demain", date(2026, 12, 3)),
        ("Après-demain", date(2026, 12, 4)),
        ("apres demain", date(2026, 12, 4)),
        ("avant-hier", date(2026, 11, 30)),
        ("tomorrow", date(2026, 12, 3)),
        ("aujourd'hui", WEDNESDAY),
        ("lundi", date(2026, 12, 7)),
        ("Lundi prochain", date(2026, 12, 7)),
        ("next monday", date(2026, 12, 7)),
        ("vendredi", date(2026, 12, 4)),
        ("mercredi", date(2026, 12, 9)),  # said on a Wednesday: the next one
        ("dans 2 semaines", date(2026, 12, 16)),
        ("in 3 days", date(2026, 12, 5)),
        ("dans 1 mois", date(2027, 1, 2)),
        ("+2s", date(2026, 12, 16)),
        ("+2w", date(2026, 12, 16)),
        ("+1m", date(2027, 1, 2)),
        ("-2j", date(2026, 11, 30)),
        ("+7d", date(2026, 12, 9)),
        ("29/11/26", date(2026, 11, 29)),
        ("2026-11-29", date(2026, 11, 29)),
    ],
)
def test_words_and_steps_mean_the_day_a_person_expects(typed, meant):
    assert parse_day(typed, "--next-contact", WEDNESDAY) == meant


def test_a_month_ahead_of_the_31st_is_the_last_day_of_a_shorter_month():
    assert parse_day("+1m", "--date", date(2027, 1, 31)) == date(2027, 2, 28)
    assert parse_day("-1m", "--date", date(2028, 3, 31)) == date(2028, 2, 29)


@pytest.mark.parametrize("typed", ["bientôt", "lundix", "dans deux semaines", "+2x", "+m"])
def test_what_is_no_date_is_refused_naming_the_field(typed):
    with pytest.raises(InvalidValue) as refused:
        parse_day(typed, "--next-contact", WEDNESDAY)
    assert refused.value.params["field"] == "--next-contact"


def test_a_step_past_the_calendar_is_refused_not_a_crash():
    for typed in ("+999999m", "+999999s"):
        with pytest.raises(InvalidValue):
            parse_day(typed, "--date", WEDNESDAY)


@pytest.mark.parametrize(
    ("lang", "day", "moment"),
    [
        ("fr", "15/03/2026", "15/03/2026 14:05"),
        ("en", "2026-03-15", "2026-03-15 14:05"),
    ],
)
def test_a_date_is_shown_in_the_languages_form_always_whole(
    lang: str, day: str, moment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", lang)
    assert show_day(date(2026, 3, 15)) == day
    assert show_day(None) == "" and show_day(None, "—") == "—"
    assert show_moment(datetime(2026, 3, 15, 14, 5, 59)) == moment
    assert show_moment(datetime(2026, 3, 15, 14, 5, 9), seconds=True) == f"{moment}:09"
    assert show_iso_day("2026-03-15") == day
    assert show_iso_day("pas une date") == "pas une date" and show_iso_day(None) == "?"


def test_a_moment_with_a_zone_is_shown_in_local_time_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    at = datetime(2026, 3, 15, 23, 30, tzinfo=UTC)
    assert show_moment(at, local=False) == "15/03/2026 23:30"
    assert show_moment(at) == show_moment(at.astimezone().replace(tzinfo=None))


@pytest.mark.parametrize(
    ("typed", "today", "meant"),
    [
        ("3/12", WEDNESDAY, date(2026, 12, 3)),
        ("29/11", WEDNESDAY, date(2026, 11, 29)),
        ("3/01", WEDNESDAY, date(2027, 1, 3)),  # said in December: next January
        ("28/12", date(2027, 1, 4), date(2026, 12, 28)),  # said in January: last December
        ("29/02", date(2027, 12, 1), date(2028, 2, 29)),  # the year that has it
    ],
)
def test_a_day_and_month_without_a_year_is_the_nearest_one(typed, today, meant):
    assert parse_day(typed, "--date", today) == meant


@pytest.mark.parametrize("typed", ["31/02", "0/5", "12/13", "3/"])
def test_an_impossible_day_and_month_is_refused(typed):
    with pytest.raises(InvalidValue):
        parse_day(typed, "--date", WEDNESDAY)
