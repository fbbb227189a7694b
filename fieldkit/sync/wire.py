"""The HTTP wire between a worker and the district server, in one table both sides read.

The media type of a bundle, and which HTTP status carries which error: the server
(fieldkit/district/server.py) answers an error with `answer(exc)`, the worker
(fieldkit/sync/transport.py) turns a status and its JSON body back into an error with
`error_for(status, body)`. docs/server.md lists the statuses for a reader.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fieldkit.errors import (
    FieldkitError,
    IntegrityError,
    Offline,
    Refused,
    UsageError,
    disk_full,
)
from fieldkit.i18n import t

BUNDLE_MEDIA_TYPE = "application/vnd.fieldkit.bundle"

OK = 200
BAD_REQUEST = 400
REFUSED = 403
REJECTED = 409
TOO_LARGE = 413
TOO_MANY = 429
INTERNAL_ERROR = 500
UNAVAILABLE = 503

# The longest part of a server's message the worker repeats in its own.
REASON_LIMIT = 200


@dataclass(frozen=True)
class WireError:
    """One kind of error on the wire: the server sends `error` (and its subclasses) with
    `status`; the worker raises `error` again with its own message `key`, whose
    parameters are among `params` ("status", and "reason": the server's message)."""

    status: int
    error: type[FieldkitError]
    key: str
    params: tuple[str, ...]


# Most specific first: the server answers with the first row whose class the error is.
ERRORS: tuple[WireError, ...] = (
    # A refusal: an unknown or revoked worker, an enrolment code used or expired. A revoked
    # worker's 403 carries a signed wipe notice instead of JSON (fieldkit/sync/transport.py).
    WireError(REFUSED, Refused, "sync.server_refused", ("reason",)),
    # A bundle that failed verification or decoding (bad signature, replay, malformed).
    WireError(REJECTED, IntegrityError, "sync.server_rejected", ("reason",)),
    # The district cannot take the sync now (a full disk, a fault): nothing of the worker's
    # is lost, its changes stay queued and `sync --watch` tries again. Every 5xx is this.
    WireError(UNAVAILABLE, Offline, "sync.server_unavailable", ("status",)),
    # Any other error of the protocol. Every other 4xx (413 too large, 404) is this.
    WireError(BAD_REQUEST, UsageError, "sync.server_error", ("status", "reason")),
)

# Statuses the server sends by itself, never for an error raised (fieldkit/district/server.py):
# too many enrolment attempts from one address or for one code, try again in a minute.
THROTTLED = WireError(TOO_MANY, Offline, "sync.server_throttled", ("status",))

_BY_STATUS = {row.status: row for row in (*ERRORS, THROTTLED)}


def row_for(exc: FieldkitError) -> WireError:
    """The row the server answers `exc` with: its class's, else a bad request."""
    for row in ERRORS:
        if isinstance(exc, row.error):
            return row
    return _BY_STATUS[BAD_REQUEST]


def body(key: str, message: str) -> dict[str, str]:
    """The JSON body of an error answer: the message in the server's language and its key."""
    return {"error": message, "code": key}


def answer(exc: FieldkitError) -> tuple[int, dict[str, str]]:
    """The status and JSON body the server answers a FieldkitError with."""
    return row_for(exc).status, body(exc.key, exc.message)


def fault(exc: BaseException) -> tuple[int, dict[str, str]]:
    """The status and body for an unexpected failure: 503 for a full disk, else 500, with a
    fixed message, never the exception's text (it could quote case data)."""
    if disk_full(exc):
        return UNAVAILABLE, body("serve.disk_full", t("serve.disk_full"))
    return INTERNAL_ERROR, body("serve.internal_error", t("serve.internal_error"))


TOO_LARGE_BODY = {"error": "too large"}


def error_for(status: int, content: bytes) -> FieldkitError:
    """The error a worker raises for an error answer (status 400 or above)."""
    row = _BY_STATUS.get(status) or _BY_STATUS[UNAVAILABLE if status >= 500 else BAD_REQUEST]
    given: dict[str, Any] = {"status": status, "reason": reason(content)}
    return row.error(row.key, **{name: given[name] for name in row.params})


def reason(content: bytes) -> str:
    """The server's message from an error body, shortened; empty when there is none."""
    try:
        return str(json.loads(content).get("error", ""))[:REASON_LIMIT]
    except (ValueError, AttributeError):  # not JSON, or JSON that is not an object
        return ""
