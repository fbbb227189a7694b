"""Dates as people type them: ISO (2026-11-29), French (29/11/2026 or 29/11/26), or a word.

Core and commands read every typed date through `parse_day`, so that a date means the
same wherever it is given: "01/12/26" is 1 December 2026, never the year 26, and a
year outside EARLIEST_YEAR..LATEST_YEAR is refused with a message naming the field.
"""

from __future__ import annotations

from datetime import date, timedelta

from fieldkit.errors import InvalidValue

# No date of a follow-up, a review or a referral falls outside these years: one that
# does is a typing slip (a year 26 or 20026), not a date to store and sync.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100
# A year of two digits or fewer in dd/mm/yy is in this century: 26 is 2026.
CENTURY = 2000

_RELATIVE = {
    "today": 0,
    "aujourd'hui": 0,
    "aujourdhui": 0,
    "yesterday": -1,
    "hier": -1,
    "tomorrow": 1,
    "demain": 1,
}


def parse_day(text: str, field: str, today: date | None = None) -> date:
    """The date `text` means, or InvalidValue naming `field`."""
    value = text.strip().lower()
    today = today or date.today()
    if value in _RELATIVE:
        return today + timedelta(days=_RELATIVE[value])
    try:
        if value.startswith(("+", "-")) and value[-1:] in ("d", "j") and value[1:-1].isdigit():
            days = int(value[1:-1])
            day = today + timedelta(days=days if value[0] == "+" else -days)
        elif "/" in value:
            day_text, month_text, year_text = value.split("/")
            year = int(year_text)
            if len(year_text.strip()) <= 2:
                year += CENTURY
            day = date(year, int(month_text), int(day_text))
        else:
            day = date.fromisoformat(value)
    except (ValueError, OverflowError):  # OverflowError: +99999999d runs past year 9999
        raise InvalidValue("value.bad_date", field=field, value=text) from None
    return check_year(day, field)


def check_year(day: date, field: str) -> date:
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidValue(
            "value.year_out_of_range",
            field=field,
            year=day.year,
            earliest=EARLIEST_YEAR,
            latest=LATEST_YEAR,
        )
    return day
