"""The message catalogues, one module per area (see fieldkit/i18n.py)."""

from fieldkit.messages import (
    cell,
    charter,
    core,
    decisions,
    district,
    enrolment,
    meetings,
    recovery,
    store,
    summary,
    sync,
    units,
)

AREAS = (
    core.MESSAGES,
    store.MESSAGES,
    sync.MESSAGES,
    district.MESSAGES,
    summary.MESSAGES,
    cell.MESSAGES,
    recovery.MESSAGES,
    decisions.MESSAGES,
    meetings.MESSAGES,
    charter.MESSAGES,
    enrolment.MESSAGES,
    units.MESSAGES,
)
