"""Each district module runs SQL only on the tables it owns; it calls the owner for the rest.

Read from the source: every table a statement names (after FROM, INTO, UPDATE, JOIN,
DELETE FROM) in a module of fieldkit/district/ must be one of that module's own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import fieldkit.district

DISTRICT_BACKENDS = ("sqlcipher",)  # reads source files only

DISTRICT = Path(fieldkit.district.__file__).parent

OWNED: dict[str, set[str]] = {
    "workers.py": {"workers"},
    "cases.py": {"assignments", "references_used"},
    "refusals.py": {"refusals"},
    "meetings.py": {
        "meetings",
        "meeting_items",
        "meeting_attendees",
        "meeting_events",
        "institutions",
    },
    "charter.py": {"charters", "charter_acceptances"},
    "enrolment.py": {"enrol_offers"},
    "units.py": {"units"},
    # Issue 19, retention: the rules, the intermediate archive, the anonymised counts.
    "retention_rules.py": {"retention_rules"},
    "archive.py": {"archived_cases"},
    "anonymised.py": {"retention_statistics"},
    "postgres.py": {"information_schema"},  # its own version table, and the catalogue
}
# The schema declares every table; the backend move copies each table whole.
WHOLE_STORE = {"schema.py", "migrate.py"}

_NAMED = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+\"?([a-z_]+)")


def tables_named(source: str) -> set[str]:
    return set(_NAMED.findall(source)) - {"sqlite_master"}


@pytest.mark.parametrize(
    "module",
    sorted(p.name for p in DISTRICT.glob("*.py") if p.name not in WHOLE_STORE),
)
def test_a_district_module_runs_sql_only_on_its_own_tables(module):
    named = tables_named((DISTRICT / module).read_text())
    assert named <= OWNED.get(module, set()), (module, sorted(named))


def test_the_check_sees_a_statement_on_another_module_s_table():
    assert tables_named('conn.execute("SELECT status FROM cases WHERE id = ?")') == {"cases"}
    assert tables_named('"UPDATE workers SET counter_out = counter_out + 1"') == {"workers"}
