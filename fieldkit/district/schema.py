"""The district store's schema: the replicated tables every replica has, the district's
own (workers, assignments, refusals, references), and the numbered steps to the latest.

A step is never edited once released: a new one is appended (STYLE.md, "SQL is plain SQL").
"""

from __future__ import annotations

from fieldkit.district import postgres
from fieldkit.district.anonymised import STATISTICS_SCHEMA
from fieldkit.district.archive import ARCHIVE_SCHEMA
from fieldkit.district.charter import CHARTERS_SCHEMA
from fieldkit.district.retention_rules import RULES_SCHEMA
from fieldkit.district.units import UNITS_SCHEMA
from fieldkit.replica.decisions import DECISIONS_SCHEMA
from fieldkit.replica.followups import WITHDRAWN_COLUMN
from fieldkit.replica.grants import GRANTS_SCHEMA
from fieldkit.store.db import Connection, migrate
from fieldkit.store.schema import CONFLICT_RESOLUTION, REPLICA_SCHEMA

KIND = "district"

DISTRICT_SCHEMA = """
CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    status TEXT NOT NULL,
    replica_id TEXT UNIQUE,
    keys TEXT,
    fingerprint TEXT,
    secret_hash TEXT NOT NULL,
    code_expires INTEGER NOT NULL,
    code_used INTEGER NOT NULL DEFAULT 0,
    acked_seq INTEGER NOT NULL DEFAULT 0,
    counter_in INTEGER NOT NULL DEFAULT 0,
    counter_out INTEGER NOT NULL DEFAULT 0,
    last_sync TEXT,
    revoked_at TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE assignments (
    case_id TEXT NOT NULL REFERENCES cases (id),
    worker_id TEXT NOT NULL REFERENCES workers (id),
    lead INTEGER NOT NULL DEFAULT 0,
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (case_id, worker_id)
) WITHOUT ROWID;
CREATE INDEX assignments_worker ON assignments (worker_id);
CREATE TABLE refusals (
    id INTEGER PRIMARY KEY,
    worker_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    reason TEXT NOT NULL,
    change TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (origin, seq)
);
CREATE TABLE references_used (year INTEGER PRIMARY KEY, last INTEGER NOT NULL)
"""

# 2: a refusal belongs to the worker that sent the change. Keyed on (origin, seq) alone, a
# change forged by one worker under another's origin took the place of the other's own
# change, and counted in that worker's acknowledgement: its real change was then lost.
REFUSALS_PER_WORKER = """
CREATE TABLE refusals_by_worker (
    id INTEGER PRIMARY KEY,
    worker_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    reason TEXT NOT NULL,
    change TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (worker_id, origin, seq)
);
INSERT INTO refusals_by_worker SELECT id, worker_id, origin, seq, reason, change, at FROM refusals;
DROP TABLE refusals;
ALTER TABLE refusals_by_worker RENAME TO refusals
"""

# 3: the case list's high concerns and the report's per-case activity read the concerns
# and the recent follow-ups of each case through this index, not by scanning them all.
CONCERNS_INDEX = "CREATE INDEX followups_concern ON followups (concern_level, case_id, occurred_on)"

# 4: a coordinator decides on each refused change (accept once the rules allow it, or
# dismiss with a reason), and the decision travels back to the worker (issue 12 §3).
REFUSAL_DECISIONS = """
ALTER TABLE refusals ADD COLUMN status TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE refusals ADD COLUMN decided_at TEXT;
ALTER TABLE refusals ADD COLUMN decision_reason TEXT;
ALTER TABLE refusals ADD COLUMN notified INTEGER NOT NULL DEFAULT 0;
CREATE INDEX refusals_worker_status ON refusals (worker_id, status, notified)
"""

# Issue 17, enrolment a person can hand over: the identity document each pending
# worker's short code commits to, found by the lookup value the worker derives from the
# code's secret (never the secret, nor its hash). Kept as the exact bytes committed to.
ENROL_OFFERS = """
CREATE TABLE enrol_offers (
    lookup TEXT PRIMARY KEY,
    worker_id TEXT NOT NULL UNIQUE REFERENCES workers (id),
    document TEXT NOT NULL,
    expires INTEGER NOT NULL
)
"""

# 10 (issue 17): the cell's meetings, their agenda (each case with its reasons, and the
# District Officer's additions and removals), attendees (names sealed), the closings and
# amendments, and the institutions a district added to the usual ones (meetings.py).
MEETINGS = """
CREATE TABLE meetings (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    meeting_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT,
    no_contact_days INTEGER NOT NULL DEFAULT 42,
    status TEXT NOT NULL DEFAULT 'open',
    created_at TEXT NOT NULL
);
CREATE INDEX meetings_date ON meetings (meeting_date);
CREATE TABLE meeting_items (
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    case_id TEXT NOT NULL,
    reasons TEXT NOT NULL,
    manual TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (meeting_id, case_id)
) WITHOUT ROWID;
CREATE TABLE meeting_attendees (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    name TEXT NOT NULL,
    institution TEXT NOT NULL,
    charter_signed TEXT,
    added_at TEXT NOT NULL
);
CREATE INDEX meeting_attendees_meeting ON meeting_attendees (meeting_id);
CREATE TABLE meeting_events (
    id INTEGER PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    what TEXT NOT NULL,
    at TEXT NOT NULL,
    sha256 TEXT,
    reason TEXT,
    content TEXT
);
CREATE INDEX meeting_events_meeting ON meeting_events (meeting_id);
CREATE TABLE institutions (
    name TEXT PRIMARY KEY,
    added_at TEXT NOT NULL
)
"""

DISTRICT_MIGRATIONS: list[str] = [
    REPLICA_SCHEMA + ";\n" + DISTRICT_SCHEMA.strip(),
    REFUSALS_PER_WORKER.strip(),
    CONCERNS_INDEX,
    CONFLICT_RESOLUTION,
    REFUSAL_DECISIONS.strip(),
    WITHDRAWN_COLUMN,
    # 7: the case keys' grants, stored and relayed, never opened here (issue 16).
    GRANTS_SCHEMA.strip(),
    # 8: the Prevention Group's decisions and their measures (issue 17).
    DECISIONS_SCHEMA.strip(),
    # 9 (issue 17; after step 8, the decisions): the district's managed list of units.
    UNITS_SCHEMA.strip(),
    # 10: the meetings (issue 17, above); steps 8 and 9 are the decisions' and the units'.
    MEETINGS.strip(),
    # 11 (issue 17; after the decisions 8, units 9, meetings 10): the confidentiality
    # charter's versions and the workers' signed acceptances.
    CHARTERS_SCHEMA.strip(),
    # 12 (issue 17; after the charter 11): the identity documents of the short enrolment
    # codes (fieldkit/district/enrolment.py).
    ENROL_OFFERS.strip(),
    # 13 (issue 19, retention; after the enrolment's 12): the district's retention rules
    # with their bases, the intermediate archive, and the anonymised counts.
    ";\n".join(part.strip() for part in (RULES_SCHEMA, ARCHIVE_SCHEMA, STATISTICS_SCHEMA)),
]


def migrate_store(conn: Connection) -> None:
    """The district schema to its latest step, on either backend."""
    if isinstance(conn, postgres.PgConnection):
        postgres.migrate(conn, DISTRICT_MIGRATIONS)
    else:
        migrate(conn, DISTRICT_MIGRATIONS)
