"""The district's retention rules (issue 19), each with its legal basis as the processing
register words it: the active period, the intermediate archive, the optional PJJ-style
rule and the end (deletion or anonymisation).

fieldkit proposes the CNIL frameworks' periods as defaults and quotes them (the
`retention.basis.*` messages); a district that departs from a default writes its own
basis, which `retention show` then shows instead. Only the rules a district set are rows
of `retention_rules`; the others are their defaults. Nothing is applied here: see
`district retention apply` (fieldkit/district/retention.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fieldkit.dates import now_stamp
from fieldkit.errors import InvalidValue, UsageError
from fieldkit.store import audit
from fieldkit.store.db import Connection, transaction

RULES_SCHEMA = """
CREATE TABLE retention_rules (
    rule TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    basis TEXT NOT NULL,
    set_at TEXT NOT NULL
)
"""

ACTIVE = "active-period"  # years after the last contact from the person
ARCHIVE = "archive-period"  # years after closure, in the intermediate archive
PJJ = "pjj"  # on: kept 5 years after closure or to the 21st birthday, whichever is later
END = "end"  # what happens at the end of the archive: delete or anonymise
RULES = (ACTIVE, ARCHIVE, PJJ, END)

DEFAULTS = {ACTIVE: "2", ARCHIVE: "5", PJJ: "off", END: "delete"}
YEAR_BOUNDS = {ACTIVE: (1, 10), ARCHIVE: (0, 30)}
SWITCH = ("on", "off")
# The words a person may type for a choice, in either language.
ALIASES = {
    "anonymize": "anonymise",
    "anonymiser": "anonymise",
    "anonymisation": "anonymise",
    "supprimer": "delete",
    "suppression": "delete",
    "oui": "on",
    "non": "off",
    "yes": "on",
    "no": "off",
}
ENDS = ("delete", "anonymise")
# The PJJ-style rule: 5 years after closure, or until the person turns 21 when later.
PJJ_YEARS = 5
PJJ_AGE = 21
BASIS_LIMIT = 2_000
SET_ACTION = "retention-set"
# The kinds of follow-up that are a contact from the person (the active period's start).
CONTACT_KINDS = ("interview", "home-visit", "phone-call", "family-contact")


@dataclass(frozen=True)
class Rule:
    """One rule as the district applies it: its value, and the basis of that value (None:
    the default's, quoted from the frameworks in the reader's language)."""

    rule: str
    value: str
    default: str
    basis: str | None = None
    set_at: str | None = None

    @property
    def is_default(self) -> bool:
        return self.basis is None

    def as_json(self, default_basis: str) -> dict[str, object]:
        return {
            "rule": self.rule,
            "value": self.value,
            "default": self.default,
            "is_default": self.is_default,
            "basis": self.basis if self.basis is not None else default_basis,
            "set_at": self.set_at,
        }


@dataclass(frozen=True)
class Rules:
    """The four rules, read once."""

    active_years: int
    archive_years: int
    pjj: bool
    end: str
    listed: tuple[Rule, ...]


def read(conn: Connection) -> Rules:
    stored = {
        rule: (value, basis, set_at)
        for rule, value, basis, set_at in conn.execute(
            "SELECT rule, value, basis, set_at FROM retention_rules"
        )
    }
    listed = []
    for rule in RULES:
        if rule in stored:
            value, basis, set_at = stored[rule]
            listed.append(Rule(rule, value, DEFAULTS[rule], basis, set_at))
        else:
            listed.append(Rule(rule, DEFAULTS[rule], DEFAULTS[rule]))
    values = {r.rule: r.value for r in listed}
    return Rules(
        active_years=int(values[ACTIVE]),
        archive_years=int(values[ARCHIVE]),
        pjj=values[PJJ] == "on",
        end=values[END],
        listed=tuple(listed),
    )


def normalised(rule: str, value: str) -> str:
    """The value as stored, or InvalidValue naming the rule and what it takes."""
    if rule not in RULES:
        raise UsageError("retention.unknown_rule", rule=rule, rules=", ".join(RULES))
    given = value.strip().lower()
    if rule in YEAR_BOUNDS:
        low, high = YEAR_BOUNDS[rule]
        if not given.isdigit() or not low <= int(given) <= high:
            raise InvalidValue("retention.bad_years", rule=rule, low=low, high=high, value=value)
        return str(int(given))
    allowed = SWITCH if rule == PJJ else ENDS
    given = ALIASES.get(given, given)
    if given not in allowed:
        raise InvalidValue(
            "retention.bad_choice", rule=rule, choices=", ".join(allowed), value=value
        )
    return given


def put(conn: Connection, rule: str, value: str, basis: str | None) -> Rule:
    """Set one rule (audited). A value other than the default needs its basis, in the
    register's words: the controller justifies departing from the frameworks. Set back to
    its default without a basis, the rule quotes the frameworks again."""
    stored = normalised(rule, value)
    text = (basis or "").strip() or None
    if text is not None and len(text) > BASIS_LIMIT:
        raise InvalidValue("value.too_long", field="basis", limit=BASIS_LIMIT)
    if text is None and stored != DEFAULTS[rule]:
        raise UsageError("retention.needs_basis", rule=rule, default=DEFAULTS[rule])
    with transaction(conn):
        if text is None:
            conn.execute("DELETE FROM retention_rules WHERE rule = ?", (rule,))
        else:
            conn.execute(
                "INSERT INTO retention_rules (rule, value, basis, set_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (rule) DO UPDATE SET value = excluded.value,"
                " basis = excluded.basis, set_at = excluded.set_at",
                (rule, stored, text, now_stamp()),
            )
        detail = f"rule={rule} value={stored} basis={'district' if text else 'default'}"
        audit.record(conn, "district", SET_ACTION, "retention", rule, detail)
    return next(r for r in read(conn).listed if r.rule == rule)


def add_years(day: date, years: int) -> date:
    """The same day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def archive_end(rules: Rules, closed_on: date, birth_year: int | None) -> date:
    """The first day a case closed on `closed_on` leaves the archive for the end.

    The archive period after closure; with the PJJ-style rule, no earlier than 5 years
    after closure nor than the year after the person's 21st birthday (only the birth year
    is known: the whole year of the birthday is kept, so never a day before it).
    """
    end = add_years(closed_on, rules.archive_years)
    if rules.pjj:
        end = max(end, add_years(closed_on, PJJ_YEARS))
        if birth_year is not None:
            end = max(end, date(birth_year + PJJ_AGE + 1, 1, 1))
    return end
