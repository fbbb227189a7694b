"""Dates as people type them, and as they are shown to them.

Typed: ISO (2026-11-29), French (29/11/2026 or 29/11/26), a word
(demain, après-demain, lundi, lundi prochain, dans 2 semaines, and their English), or a
step from today (+7d / +7j days, +2s / +2w weeks, +1m months).

Core and commands read every typed date through `parse_day`, so that a date means the
same wherever it is given: "01/12/26" is 1 December 2026, never the year 26, and a
year outside EARLIEST_YEAR..LATEST_YEAR is refused with a message naming the field.

Shown: every date a person reads (screens, summaries, PDFs, the report) goes through
`show_day`, and every moment through `show_moment`: 15/03/2026 and 15/03/2026 14:05 in
French, 2026-03-15 and 2026-03-15 14:05 in English. Always the whole date, never a short
form such as 15/03, so that a printed page read months later is not ambiguous. `--json`
keeps ISO and never comes here.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta

from fieldkit.choices import fold
from fieldkit.errors import InvalidValue
from fieldkit.i18n import current_language

# No date of a follow-up, a review or a referral falls outside these years: one that
# does is a typing slip (a year 26 or 20026), not a date to store and sync.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100
# A year of two digits or fewer in dd/mm/yy is in this century: 26 is 2026.
CENTURY = 2000

# Words for a day near today, compared folded (no accents, words joined by hyphens).
_RELATIVE = {
    "today": 0,
    "aujourd-hui": 0,
    "aujourdhui": 0,
    "yesterday": -1,
    "hier": -1,
    "tomorrow": 1,
    "demain": 1,
    "apres-demain": 2,
    "day-after-tomorrow": 2,
    "avant-hier": -2,
}
_WEEKDAYS = {
    **{day: n for n, day in enumerate(("lundi", "mardi", "mercredi", "jeudi", "vendredi"))},
    "samedi": 5,
    "dimanche": 6,
    **{day: n for n, day in enumerate(calendar.day_name[i].lower() for i in range(7))},
}
# The unit of a step: days, weeks or months, in either language.
_UNITS = {
    **dict.fromkeys(("d", "j", "day", "days", "jour", "jours"), "days"),
    **dict.fromkeys(("s", "w", "week", "weeks", "semaine", "semaines", "sem"), "weeks"),
    **dict.fromkeys(("m", "month", "months", "mois"), "months"),
}
_STEP = re.compile(r"([+-])\s*(\d{1,6})\s*([a-z]+)")
_IN = re.compile(r"(?:dans|in)-(\d{1,6})-([a-z]+)")


def _step(today: date, sign: str, count: int, unit: str) -> date:
    n = count if sign == "+" else -count
    if unit == "days":
        return today + timedelta(days=n)
    if unit == "weeks":
        return today + timedelta(weeks=n)
    month = today.year * 12 + today.month - 1 + n
    year, month = divmod(month, 12)
    last = calendar.monthrange(year, month + 1)[1] if 1 <= year <= 9999 else 28
    return date(year, month + 1, min(today.day, last))


def _weekday(word: str) -> int | None:
    """The weekday `word` names (lundi, lundi-prochain, next-monday), else None."""
    for form in (word, word.removesuffix("-prochain"), word.removeprefix("next-")):
        if form in _WEEKDAYS:
            return _WEEKDAYS[form]
    return None


def _word_day(value: str, today: date) -> date | None:
    """The day a word or a step means, or None when `value` is neither."""
    step = _STEP.fullmatch(value)
    if step and step.group(3) in _UNITS:
        return _step(today, step.group(1), int(step.group(2)), _UNITS[step.group(3)])
    word = fold(value)
    if word in _RELATIVE:
        return today + timedelta(days=_RELATIVE[word])
    within = _IN.fullmatch(word)
    if within and within.group(2) in _UNITS:
        return _step(today, "+", int(within.group(1)), _UNITS[within.group(2)])
    weekday = _weekday(word)
    if weekday is not None:
        # The next one: "lundi" said on a Monday is a week ahead, never today.
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    return None


def _nearest(day: int, month: int, today: date) -> date:
    """A day and month without a year (« 3/12 »): in the year that puts it nearest to
    today, so that « 3/01 » said in December is next January and « 28/12 » said in
    January is last December. ValueError when no year has that day (« 31/02 »)."""
    found = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            found.append(date(year, month, day))
        except ValueError:
            continue
    if not found:
        raise ValueError(f"{day}/{month}")
    return min(found, key=lambda d: (abs((d - today).days), d))


def parse_day(text: str, field: str, today: date | None = None) -> date:
    """The date `text` means, or InvalidValue naming `field`."""
    value = text.strip().lower()
    today = today or date.today()
    try:
        worded = _word_day(value, today)
        if worded is not None:
            day = worded
        elif value.count("/") == 1:
            day_text, month_text = value.split("/")
            day = _nearest(int(day_text), int(month_text), today)
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


def now_stamp() -> str:
    """The moment a record is written, as the stores keep it: UTC, ISO, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def show_day(day: date | None, empty: str = "") -> str:
    """`day` as a person reads it in the current language (15/03/2026, 2026-03-15)."""
    if day is None:
        return empty
    if current_language() == "fr":
        return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def show_moment(
    moment: datetime | None, empty: str = "", *, seconds: bool = False, local: bool = True
) -> str:
    """`moment` as a person reads it: its day as `show_day`, then the time (15/03/2026
    14:05); `seconds` for the audit trail. In local time, unless `local` is False (a
    moment already in the zone it is to be read in, such as a summary's printing time);
    a naive datetime is taken as it is."""
    if moment is None:
        return empty
    if local and moment.tzinfo is not None:
        moment = moment.astimezone()
    clock = f"{moment:%H:%M:%S}" if seconds else f"{moment:%H:%M}"
    return f"{show_day(moment.date())} {clock}"


def show_iso_day(text: str | None) -> str:
    """A day kept as ISO text (a change's fields), shown as `show_day`; other text as it is."""
    if not text:
        return "?"
    try:
        return show_day(date.fromisoformat(text))
    except ValueError:
        return text
