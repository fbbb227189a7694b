"""The hybrid logical clock (HLC) that orders changes across replicas.

A timestamp is the string ``f"{wall_ms:015d}-{counter:06d}"``: milliseconds since the
Unix epoch and a logical counter, fixed width so that plain string comparison is the
clock's order (the merge compares strings; the store sorts them as TEXT).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

WALL_DIGITS = 15
COUNTER_DIGITS = 6
MAX_COUNTER = 10**COUNTER_DIGITS - 1
# 9999-12-31T23:59:59.999Z. No real clock reads later; the format itself goes on to year
# ~33658, and that headroom is what lets counter overflow always move the clock forward.
MAX_WALL_MS = 253_402_300_799_999

_HLC_RE = re.compile(r"([0-9]{15})-([0-9]{6})")

# How far ahead of a receiver's clock a change's HLC may run (docs/security.md, "Clocks").
# Beyond it the change comes from a wrong clock (a patched or broken one) and, accepted, it
# would win every later last-writer-wins merge for ever: the receiver refuses it, and it
# stays queued on its device until that device's clock is right again (issue 12 §1).
MAX_SKEW_MS = 10 * 60 * 1000


def wall_clock_ms() -> int:
    """Milliseconds since the Unix epoch by the system clock."""
    return time.time_ns() // 1_000_000


def ahead_ms(hlc: str, now_ms: int) -> int:
    """How far the physical time of `hlc` runs ahead of `now_ms` (negative when behind);
    ValueError when `hlc` is malformed."""
    return parse_hlc(hlc)[0] - now_ms


def too_far_ahead(hlc: str, now_ms: int) -> bool:
    """Whether a received stamp runs ahead of this replica's clock by more than the bound.
    A malformed stamp is not "ahead": the decoder refuses it for what it is."""
    try:
        return ahead_ms(hlc, now_ms) > MAX_SKEW_MS
    except ValueError:
        return False


def format_hlc(wall_ms: int, counter: int) -> str:
    """The timestamp string for ``(wall_ms, counter)``; ValueError when out of range."""
    if not 0 <= wall_ms < 10**WALL_DIGITS or not 0 <= counter <= MAX_COUNTER:
        raise ValueError("HLC component out of range")
    return f"{wall_ms:015d}-{counter:06d}"


def parse_hlc(s: str) -> tuple[int, int]:
    """``(wall_ms, counter)`` of a timestamp string; ValueError when it is malformed."""
    if not isinstance(s, str):
        raise ValueError("HLC timestamp must be a string")
    match = _HLC_RE.fullmatch(s)
    if match is None:
        raise ValueError("malformed HLC timestamp")
    return int(match.group(1)), int(match.group(2))


class HybridClock:
    """A replica's HLC: every timestamp it issues is greater than any it issued or saw.

    ``tick()`` stamps a local change, ``observe()`` merges a timestamp received from
    another replica, and ``last`` is what to persist so the clock survives a restart.

    The clock only ever moves forward, so a change made here after seeing a remote change
    always sorts after it, which the last-writer-wins merge needs. Receivers refuse changes
    stamped more than ``MAX_SKEW_MS`` ahead of their own clock before they are observed
    (fieldkit/district/exchange.py, fieldkit/sync/worker_side.py), so a remote clock can pull
    this one ahead by that bound at most; ``ahead_ms`` says by how much. Timestamps after
    year 9999 come from no real clock (a corrupt or forged value); ``observe`` ignores
    them rather than pin the clock at the end of its range, and never raises for a
    well-formed timestamp.
    """

    def __init__(
        self,
        last: str | None = None,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        # Looked up at each reading, so that a test can set the module's clock.
        self._now_ms = now_ms or (lambda: wall_clock_ms())
        self._wall, self._counter = parse_hlc(last) if last is not None else (0, 0)
        self._lock = threading.Lock()

    @property
    def last(self) -> str:
        """The greatest timestamp issued or observed so far."""
        return format_hlc(self._wall, self._counter)

    @property
    def ahead_ms(self) -> int:
        """How far the clock's physical part runs ahead of the local wall clock (≥ 0)."""
        return max(0, self._wall - self._physical())

    def tick(self) -> str:
        """A new timestamp for a local event, strictly greater than every one before."""
        with self._lock:
            physical = self._physical()
            if physical > self._wall:
                self._wall, self._counter = physical, 0
            elif self._counter < MAX_COUNTER:
                self._counter += 1
            else:
                # A million events in one millisecond: borrow the next millisecond.
                self._wall, self._counter = self._wall + 1, 0
            return format_hlc(self._wall, self._counter)

    def observe(self, remote: str) -> None:
        """Merge a timestamp received from another replica (ValueError if malformed)."""
        wall, counter = parse_hlc(remote)
        if wall > MAX_WALL_MS:
            return
        with self._lock:
            if (wall, counter) > (self._wall, self._counter):
                self._wall, self._counter = wall, counter

    def _physical(self) -> int:
        # A wall clock before 1970 or past year 9999 is broken; clamp it into range.
        return min(max(int(self._now_ms()), 0), MAX_WALL_MS)
