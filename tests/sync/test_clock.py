"""The hybrid logical clock: monotonic whatever the wall clock does, ordered as strings."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.replica.clock import MAX_COUNTER, MAX_WALL_MS, HybridClock, format_hlc, parse_hlc

YEAR_MS = 365 * 24 * 3600 * 1000
NOW = 1_780_000_000_000  # mid-2026

walls = st.integers(min_value=0, max_value=10**15 - 1)
counters = st.integers(min_value=0, max_value=MAX_COUNTER)
timestamps = st.builds(format_hlc, st.integers(0, MAX_WALL_MS), counters)


def scripted(*readings: int) -> Callable[[], int]:
    """A wall clock that returns `readings` in turn, then repeats the last one."""
    values: Iterator[int] = iter(readings)
    last = [readings[0]]

    def now() -> int:
        last[0] = next(values, last[0])
        return last[0]

    return now


def test_tick_takes_the_wall_clock_when_it_moves_forward() -> None:
    clock = HybridClock(now_ms=scripted(5000, 7000))
    assert clock.tick() == "000000000005000-000000"
    assert clock.tick() == "000000000007000-000000"
    assert clock.last == "000000000007000-000000"


def test_tick_stays_monotonic_when_the_wall_clock_goes_backwards() -> None:
    clock = HybridClock(now_ms=scripted(10_000, 10_000, 9_999, 500, 0, 10_001, 10_001))
    stamps = [clock.tick() for _ in range(7)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)
    assert stamps[:5] == [f"000000000010000-{n:06d}" for n in range(5)]
    assert stamps[5] == "000000000010001-000000"


def test_restored_clock_never_reissues_a_persisted_timestamp() -> None:
    first = HybridClock(now_ms=scripted(NOW))
    issued = [first.tick() for _ in range(3)]
    # The device restarts with its clock set an hour back.
    restored = HybridClock(last=first.last, now_ms=scripted(NOW - 3_600_000))
    assert restored.tick() > max(issued)


def test_observe_of_a_remote_years_ahead_is_accepted_and_later_ticks_follow_it() -> None:
    clock = HybridClock(now_ms=scripted(NOW))
    clock.tick()
    remote = format_hlc(NOW + 5 * YEAR_MS, 42)
    clock.observe(remote)
    assert clock.last == remote
    assert clock.tick() > remote
    assert clock.ahead_ms == 5 * YEAR_MS


def test_ahead_ms_returns_to_zero_once_the_wall_clock_catches_up() -> None:
    clock = HybridClock(now_ms=scripted(NOW, NOW + 2000))
    clock.observe(format_hlc(NOW + 1000, 0))
    assert clock.ahead_ms == 1000
    assert clock.ahead_ms == 0
    assert clock.tick() == format_hlc(NOW + 2000, 0)


def test_observe_of_an_older_remote_does_not_move_the_clock_back() -> None:
    clock = HybridClock(now_ms=scripted(NOW))
    mine = clock.tick()
    clock.observe(format_hlc(NOW - 10, 7))
    assert clock.last == mine
    assert clock.tick() > mine


def test_observe_ignores_a_timestamp_no_real_clock_produces() -> None:
    clock = HybridClock(now_ms=scripted(NOW))
    mine = clock.tick()
    clock.observe(format_hlc(10**15 - 1, MAX_COUNTER))
    assert clock.last == mine
    assert clock.tick() > mine


def test_counter_overflow_moves_to_the_next_millisecond() -> None:
    clock = HybridClock(last=format_hlc(NOW, MAX_COUNTER - 1), now_ms=scripted(NOW))
    assert clock.tick() == format_hlc(NOW, MAX_COUNTER)
    assert clock.tick() == format_hlc(NOW + 1, 0)
    assert clock.tick() == format_hlc(NOW + 1, 1)


def test_counter_overflow_at_the_latest_plausible_millisecond_still_advances() -> None:
    clock = HybridClock(now_ms=scripted(NOW))
    clock.observe(format_hlc(MAX_WALL_MS, MAX_COUNTER))
    assert clock.tick() == format_hlc(MAX_WALL_MS + 1, 0)


def test_a_broken_wall_clock_is_clamped_into_range() -> None:
    clock = HybridClock(now_ms=scripted(-5, 10**16))
    # A fresh clock stands at the zero timestamp, so the first tick is just above it.
    assert clock.tick() == format_hlc(0, 1)
    assert clock.tick() == format_hlc(MAX_WALL_MS, 0)


def test_ticks_from_several_threads_are_all_distinct() -> None:
    clock = HybridClock(now_ms=lambda: NOW)
    results: list[list[str]] = [[] for _ in range(4)]

    def work(out: list[str]) -> None:
        out.extend(clock.tick() for _ in range(2000))

    threads = [threading.Thread(target=work, args=(out,)) for out in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps = [s for out in results for s in out]
    assert len(set(stamps)) == len(stamps) == 8000
    for out in results:
        assert out == sorted(out)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "1-1",
        "000000000001000-00000",
        "00000000001000-000000",
        "000000000001000-0000000",
        "000000000001000_000000",
        "000000000001000-000000\n",
        " 000000000001000-000000",
        "+00000000001000-000000",
        "00000000000100a-000000",
        "٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠-٠٠٠٠٠٠",  # Arabic-Indic digits are digits, not ASCII ones
        "０００００００００００００００-００００００",
    ],
)
def test_parse_hlc_rejects_malformed_strings(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_hlc(bad)
    with pytest.raises(ValueError):
        HybridClock(now_ms=scripted(NOW)).observe(bad)
    with pytest.raises(ValueError):
        HybridClock(last=bad)


@pytest.mark.parametrize("bad", [None, 1000, b"000000000001000-000000"])
def test_parse_hlc_rejects_non_strings(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_hlc(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("wall, counter", [(-1, 0), (10**15, 0), (0, -1), (0, MAX_COUNTER + 1)])
def test_format_hlc_rejects_out_of_range_components(wall: int, counter: int) -> None:
    with pytest.raises(ValueError):
        format_hlc(wall, counter)


@settings(max_examples=200, deadline=None)
@given(walls, counters)
def test_format_and_parse_are_inverse(wall: int, counter: int) -> None:
    text = format_hlc(wall, counter)
    assert len(text) == 22
    assert parse_hlc(text) == (wall, counter)


@settings(max_examples=200, deadline=None)
@given(walls, counters, walls, counters)
def test_string_order_is_tuple_order(w1: int, c1: int, w2: int, c2: int) -> None:
    a, b = format_hlc(w1, c1), format_hlc(w2, c2)
    assert (a < b) == ((w1, c1) < (w2, c2))
    assert (a == b) == ((w1, c1) == (w2, c2))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("tick"), st.integers(0, 2 * NOW)),
            st.tuples(st.just("observe"), timestamps),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_every_tick_is_greater_than_everything_issued_or_observed(
    events: list[tuple[str, object]],
) -> None:
    wall = [0]
    clock = HybridClock(now_ms=lambda: wall[0])
    highest = ""
    for what, value in events:
        if what == "tick":
            wall[0] = value  # the wall clock jumps anywhere, backwards included
            stamp = clock.tick()
            assert stamp > highest
            highest = stamp
        else:
            clock.observe(value)
            highest = max(highest, value)
        assert clock.last == highest
