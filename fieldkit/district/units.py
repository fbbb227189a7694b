"""The district's Territorial Units (issue 17): the managed list the units of cases and
workers come from, the check that refuses a unit not on it (suggesting the closest one),
the free-text units found on cases and workers that are not on it, and renaming, which
moves the cases (district-owned changes: the devices get them) and the workers.

Owns the `units` table (fieldkit/district/schema.py). Unit names are sealed on PostgreSQL
like the workers' units (docs/postgresql.md), so they are compared here, in Python.

While the list is empty (a new district, or one from before issue 17) a unit is taken as
typed: the district works as before until its District Officer declares the first unit;
from then on every case and worker unit must be on the list (docs/guide.md, "Unités").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from difflib import SequenceMatcher

from fieldkit import rules
from fieldkit.choices import fold
from fieldkit.dates import now_stamp
from fieldkit.errors import InvalidValue, NotFound, UsageError
from fieldkit.replica.columns import seal, unseal
from fieldkit.store import audit
from fieldkit.store.db import Connection, transaction

UNITS_SCHEMA = """
CREATE TABLE units (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""

# How alike a typed unit and a listed one must be (difflib's ratio, accents and case
# ignored) for the listed one to be suggested: « UT Nrod » gives « UT Nord » (0.86),
# « UT Sud » does not give « UT Nord » (0.62).
SUGGEST_CUTOFF = 0.75


@dataclass(frozen=True)
class Unit:
    id: str
    name: str


@dataclass(frozen=True)
class UnitUse:
    """A unit and how many cases and workers carry it; for a unit not on the list, the
    listed unit it most likely means."""

    name: str
    cases: int = 0
    workers: int = 0
    listed: bool = True
    suggestion: str | None = None

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "cases": self.cases,
            "workers": self.workers,
            "listed": self.listed,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True)
class Renamed:
    old: str
    new: str
    cases: int
    workers: int
    listed: str  # what became of the list: "renamed", "merged", "added" or "kept"


def _units(conn: Connection) -> list[Unit]:
    rows = conn.execute("SELECT id, name FROM units").fetchall()
    found = [Unit(r[0], unseal(conn, "units", "name", r[0], r[1])) for r in rows]
    return sorted(found, key=lambda u: (fold(u.name), u.name))


def names(conn: Connection) -> list[str]:
    """The units on the list, in alphabetical order (accents and case ignored)."""
    return [u.name for u in _units(conn)]


def closest(text: str, known: list[str]) -> str | None:
    """The listed unit most like `text`, accents and case ignored; None if none is close."""
    wanted = fold(text)
    best, score = None, SUGGEST_CUTOFF
    for name in known:
        ratio = SequenceMatcher(None, wanted, fold(name)).ratio()
        if ratio >= score:
            best, score = name, ratio
    return best


def check(conn: Connection, name: str) -> str:
    """The unit as the list spells it, for a unit a person typed (accents and case
    ignored: « ut nord » gives « UT Nord »). A unit not on the list: InvalidValue, with
    the closest listed unit when there is one. An empty list checks nothing: the name
    is taken as typed (see the module's docstring)."""
    text = name.strip()
    if not text:
        raise InvalidValue("value.missing", field="unit")
    rules.check_text("unit", text)
    known = names(conn)
    if not known:
        return text
    for listed in known:
        if fold(listed) == fold(text):
            return listed
    suggestion = closest(text, known)
    if suggestion is not None:
        raise InvalidValue("unit.unknown_suggest", field="unit", value=text, suggestion=suggestion)
    raise InvalidValue("unit.unknown", field="unit", value=text, known=", ".join(known))


def add(conn: Connection, name: str) -> Unit:
    """A unit on the list; one already there (accents and case ignored) is refused."""
    text = name.strip()
    if not text:
        raise InvalidValue("value.missing", field="unit")
    rules.check_text("unit", text)
    with transaction(conn):
        for unit in _units(conn):
            if fold(unit.name) == fold(text):
                raise UsageError("unit.exists", name=unit.name)
        unit = Unit("un-" + uuid.uuid4().hex[:12], text)
        _insert(conn, unit)
        audit.record(conn, "district", "unit-add", "unit", unit.id)
    return unit


def _insert(conn: Connection, unit: Unit) -> None:
    conn.execute(
        "INSERT INTO units (id, name, created_at) VALUES (?, ?, ?)",
        (unit.id, seal(conn, "units", "name", unit.id, unit.name), now_stamp()),
    )


def uses(conn: Connection) -> list[UnitUse]:
    """Every unit on the list with its counts, then (listed False) each unit text found on
    cases or workers that is not spelt as on the list, with the listed unit it may mean.
    Archived cases are not counted (fieldkit/district/archive.py)."""
    from fieldkit.district import cases, workers

    case_counts = _counts(cases.units_in_use(conn, archived=False))
    worker_counts = _counts(workers.units_in_use(conn))
    known = names(conn)
    shown = [UnitUse(name, case_counts.pop(name, 0), worker_counts.pop(name, 0)) for name in known]
    by_fold = {fold(name): name for name in known}
    for text in sorted(set(case_counts) | set(worker_counts), key=lambda n: (fold(n), n)):
        suggestion = by_fold.get(fold(text)) or closest(text, known)
        shown.append(
            UnitUse(
                text,
                case_counts.get(text, 0),
                worker_counts.get(text, 0),
                listed=False,
                suggestion=suggestion,
            )
        )
    return shown


def unknown(conn: Connection) -> list[UnitUse]:
    """The unit texts on cases and workers that are not on the list (to map them)."""
    return [use for use in uses(conn) if not use.listed]


def _counts(units: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for unit in units:
        counts[unit] = counts.get(unit, 0) + 1
    return counts


def rename(conn: Connection, old: str, new: str) -> Renamed:
    """`old` becomes `new` everywhere: on the list, on every case (open or closed) and on
    every worker whose unit is `old`, accents and case ignored.

    `old` may be on the list or a free text of `unit list --unknown`. `new` already on
    the list: `old` is merged into it (the list keeps `new` as it is spelt there). Else
    `new` takes `old`'s place on the list, or is added to it.
    """
    from fieldkit.district import cases, workers

    target_text = new.strip()
    if not target_text:
        raise InvalidValue("value.missing", field="unit")
    rules.check_text("unit", target_text)
    old_key = fold(old)
    with transaction(conn):
        listed = _units(conn)
        source = next((u for u in listed if fold(u.name) == old_key), None)
        target = next((u for u in listed if fold(u.name) == fold(target_text)), None)
        carried = [u for u in cases.units_in_use(conn) + workers.units_in_use(conn)]
        if source is None and not any(fold(u) == old_key for u in carried):
            raise NotFound("unit.not_found", name=old.strip())
        if target is not None and target != source:
            target_text = target.name  # merged into a listed unit: spelt as the list has it
        if source is not None and target is not None and target != source:
            conn.execute("DELETE FROM units WHERE id = ?", (source.id,))
            outcome, unit_id = "merged", target.id
        elif source is not None:
            conn.execute(
                "UPDATE units SET name = ? WHERE id = ?",
                (seal(conn, "units", "name", source.id, target_text), source.id),
            )
            outcome, unit_id = ("kept" if source.name == target_text else "renamed"), source.id
        elif target is None:
            unit = Unit("un-" + uuid.uuid4().hex[:12], target_text)
            _insert(conn, unit)
            outcome, unit_id = "added", unit.id
        else:
            outcome, unit_id = "kept", target.id
        moved_cases = cases.move_unit(conn, old_key, target_text, fold)
        moved_workers = workers.move_unit(conn, old_key, target_text, fold)
        detail = f"cases={moved_cases} workers={moved_workers} list={outcome}"
        audit.record(conn, "district", "unit-rename", "unit", unit_id, detail)
    return Renamed(old.strip(), target_text, moved_cases, moved_workers, outcome)
