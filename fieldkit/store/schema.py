"""Ordered schema migrations, keyed on PRAGMA user_version.

Worker and district stores share the replicated tables (cases, follow-ups,
changes, conflicts, audit); the district adds its own in fieldkit/district/.
Append new steps at the end; never edit a step that has shipped.
"""

from fieldkit.replica.cases import CASES_SCHEMA
from fieldkit.replica.changelog import CHANGES_SCHEMA
from fieldkit.replica.conflicts import CONFLICT_RESOLUTION_SCHEMA, CONFLICTS_SCHEMA
from fieldkit.replica.decisions import DECISIONS_SCHEMA
from fieldkit.replica.followups import FOLLOWUPS_SCHEMA, WITHDRAWN_COLUMN
from fieldkit.replica.grants import GRANTS_SCHEMA
from fieldkit.replica.meta import META_SCHEMA
from fieldkit.store.audit import AUDIT_SCHEMA
from fieldkit.store.refusals import REFUSALS_SCHEMA
from fieldkit.store.team import CASE_KEYS_SCHEMA

REPLICA_SCHEMA = ";\n".join(
    s.strip()
    for s in (
        META_SCHEMA,
        CASES_SCHEMA,
        CONFLICTS_SCHEMA,
        FOLLOWUPS_SCHEMA,
        CHANGES_SCHEMA,
        AUDIT_SCHEMA,
    )
)

# 2: the agenda finds each case's latest planned contact with one seek per case, instead
# of ranking every follow-up that ever planned one (issue 7: flat as the store grows).
AGENDA_INDEX = (
    "CREATE INDEX followups_latest_contact ON followups (case_id, occurred_on, hlc)"
    " WHERE next_contact IS NOT NULL"
)

# 3 (worker), 4 (district): a settled conflict keeps who settled it, when, and the value
# it was settled on (issue 12). Shared by both stores: they hold the same conflicts.
CONFLICT_RESOLUTION = CONFLICT_RESOLUTION_SCHEMA.strip()

# 4: the device keeps its own copy of each change the district refused, until the
# coordinator's decision comes back (issue 12 §3).
# 5 (worker), 6 (district): a withdrawn follow-up is flagged for the agenda (issue 14).
WORKER_MIGRATIONS: list[str] = [
    REPLICA_SCHEMA,
    AGENDA_INDEX,
    CONFLICT_RESOLUTION,
    REFUSALS_SCHEMA.strip(),
    WITHDRAWN_COLUMN,
    # 6: the case keys' grants, and the keys this device opened or made (issue 16).
    GRANTS_SCHEMA.strip() + ";\n" + CASE_KEYS_SCHEMA.strip(),
    # 7: the Prevention Group's decisions and their measures, as the district sends them
    # (issue 17).
    DECISIONS_SCHEMA.strip(),
]
