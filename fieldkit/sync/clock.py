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


def wall_clock_ms() -> int:
    """Milliseconds since the Unix epoch by the system clock."""
    return time.time_ns() // 1_000_000


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

    A remote clock that runs ahead (even by years) is accepted as it is: the clock only
    ever moves forward, so a change made here after seeing a remote change always sorts
    after it, which the last-writer-wins merge needs. The cost is that this replica then
    stamps with the remote's physical time until its own clock catches up; ``ahead_ms``
    says by how much, for a status line or a log. Timestamps after year 9999 come from
    no real clock (a corrupt or forged value); ``observe`` ignores them rather than pin
    the clock at the end of its range, and never raises for a well-formed timestamp.
    """

    def __init__(
        self,
        last: str | None = None,
        now_ms: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self._now_ms = now_ms
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
