"""The anonymised counts a case leaves when its retention ends by anonymisation (issue 19):
per unit, year, kind and outcome, for the statistics the CIPDR asks for.

A count holds no personal data and no free text: the unit (the district's own list), a
year, and codes from fieldkit's vocabularies (fieldkit/enums.py). A referral source typed
as free text before the managed list counts as `other`. The case itself is then deleted
by the purge (fieldkit/district/retention.py).

What one case adds:
- `case`: the year it closed, the person's participation at the end (or `unknown`);
- `referral`: the year of the referral, its source;
- one per follow-up not withdrawn (as amended): the year it happened, its kind, and its
  attendance, its referral domain or its concern level (else `recorded`);
- `measure`: one per measure of the group's decisions, the year decided, its state.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from fieldkit.model import Case, Decision, FollowUp, ReferralSource
from fieldkit.store.db import Connection

STATISTICS_SCHEMA = """
CREATE TABLE retention_statistics (
    unit TEXT NOT NULL,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (unit, year, kind, outcome)
) WITHOUT ROWID
"""

Key = tuple[str, int, str, str]


@dataclass(frozen=True)
class Count:
    unit: str
    year: int
    kind: str
    outcome: str
    count: int

    def as_json(self) -> dict[str, object]:
        return {
            "unit": self.unit,
            "year": self.year,
            "kind": self.kind,
            "outcome": self.outcome,
            "count": self.count,
        }


def of_case(
    case: Case, history: list[FollowUp], decided: list[Decision], closed_year: int
) -> Counter[Key]:
    """What this case adds to the counts (see the module's docstring)."""
    unit = case.unit
    counts: Counter[Key] = Counter()
    participation = case.participation.value if case.participation else "unknown"
    counts[(unit, closed_year, "case", participation)] += 1
    referral_year = case.referral_date.year if case.referral_date else closed_year
    source = case.referral_source or "unknown"
    if source != "unknown" and source not in set(ReferralSource):
        source = ReferralSource.OTHER.value
    counts[(unit, referral_year, "referral", source)] += 1
    for original in history:
        if original.withdrawal() is not None:
            continue
        item = original.current()
        if item.attendance is not None:
            outcome = item.attendance.value
        elif item.referral_to is not None:
            outcome = item.referral_to.value
        elif item.concern_level is not None:
            outcome = item.concern_level.value
        else:
            outcome = "recorded"
        counts[(unit, item.occurred_on.year, item.kind.value, outcome)] += 1
    for decision in decided:
        for measure in decision.measures:
            counts[(unit, decision.meeting_date.year, "measure", measure.state.value)] += 1
    return counts


def add(conn: Connection, counts: Counter[Key]) -> None:
    """Add these counts to the table, inside the caller's transaction."""
    for (unit, year, kind, outcome), count in sorted(counts.items()):
        conn.execute(
            "INSERT INTO retention_statistics (unit, year, kind, outcome, count)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (unit, year, kind, outcome)"
            " DO UPDATE SET count = retention_statistics.count + excluded.count",
            (unit, year, kind, outcome, count),
        )


def listing(conn: Connection, unit: str | None = None) -> list[Count]:
    rows = conn.execute(
        "SELECT unit, year, kind, outcome, count FROM retention_statistics"
        " ORDER BY year, unit, kind, outcome"
    ).fetchall()
    return [Count(*row) for row in rows if unit is None or row[0] == unit]
