"""The exceptions the core raises; each carries a translated message and its exit code.

The CLI turns them into one line on stderr and the exit code (see cli.py). Messages
carry identifiers and counts, never names or free text from a case.
"""

from __future__ import annotations

from typing import Any

from fieldkit.i18n import t, t_n

OK = 0
ERROR = 1
USAGE = 2
LOCKED = 3
NOT_FOUND = 4
OFFLINE = 5
REFUSED = 6
INTEGRITY = 7


class FieldkitError(Exception):
    """Base: a message key from the catalogue, its parameters and an exit code."""

    exit_code = ERROR

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(key)

    @property
    def message(self) -> str:
        return t(self.key, **self.params)

    def __str__(self) -> str:
        return self.message


# Warnings: what the core must tell a person without stopping the command (an audit event
# deferred on a full disk). The CLI prints them on stderr when the command ends: all of
# them after a success; only the `urgent` ones (something could not be kept) before an
# error's line, which already says what went wrong.
_warnings: list[tuple[str, bool]] = []


def warn(key: str, *, urgent: bool = False, **params: Any) -> None:
    _warnings.append((t(key, **params), urgent))


def take_warnings(failed: bool = False) -> list[str]:
    """The warnings given since the last call, to print; forgets them."""
    taken = [message for message, urgent in _warnings if urgent or not failed]
    _warnings.clear()
    return taken


class UsageError(FieldkitError):
    exit_code = USAGE


class InvalidValue(UsageError):
    """A value given by the user is not valid; the message names the field."""


class Locked(FieldkitError):
    exit_code = LOCKED


class WrongPassphrase(Locked):
    pass


class NotFound(FieldkitError):
    exit_code = NOT_FOUND


class Offline(FieldkitError):
    exit_code = OFFLINE


class Busy(FieldkitError):
    """Another process holds what this one needs (a sync of the same store)."""


class Refused(FieldkitError):
    exit_code = REFUSED


class ClockSkew(FieldkitError):
    """A replica's clock is too far from another's for their changes to be merged safely.

    Raised with `ahead_ms`; the message says it as a duration a person reads."""

    @property
    def message(self) -> str:
        params = dict(self.params)
        params["duration"] = duration(int(params.pop("ahead_ms", 0)))
        return t(self.key, **params)


_DAY_MS, _HOUR_MS, _MINUTE_MS = 86_400_000, 3_600_000, 60_000


def duration(ms: int) -> str:
    """A clock difference in the current language: whole days, else hours, else minutes."""
    for unit, size in (("day", _DAY_MS), ("hour", _HOUR_MS), ("minute", _MINUTE_MS)):
        if ms >= size or unit == "minute":
            n = max(1, (ms + size // 2) // size)  # the nearest whole unit
            return t_n(f"duration.{unit}", n)
    raise AssertionError("unreachable")


class IntegrityError(FieldkitError):
    exit_code = INTEGRITY


class BundleRejected(IntegrityError):
    """A bundle failed verification or decoding; nothing from it was applied."""


class StoreError(FieldkitError):
    """The store file is missing, not a fieldkit store, or damaged."""


# SQLite's SQLITE_IOERR and SQLITE_FULL (low byte of extended codes too), PostgreSQL's
# disk_full (SQLSTATE 53100), and the OS's "no space" and "quota exceeded".
_SQLITE_DISK_CODES = (10, 13)
_PG_DISK_STATES = ("53100",)


def disk_full(exc: BaseException | None) -> bool:
    """Whether `exc` (or what caused it) is a write the disk refused, not damaged data."""
    import errno

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        code = getattr(exc, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in _SQLITE_DISK_CODES:
            return True
        if getattr(exc, "sqlstate", None) in _PG_DISK_STATES:
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False
