"""The message catalogues, one module per area (see fieldkit/i18n.py)."""

from fieldkit.messages import (
    cell,
    charter,
    core,
    district,
    enrolment,
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
    units.MESSAGES,
    charter.MESSAGES,
    enrolment.MESSAGES,
)
