"""The wait after failed unlocks: 1 s, 2 s, 4 s … up to 30 s before the next attempt,
read off the failed-unlock journal beside the store (so across processes), asked for by
the CLI only; a successful unlock empties the journal and ends the waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fieldkit.errors import WrongPassphrase
from fieldkit.store import access
from fieldkit.store.access import Credentials, noted_failures, unlock_delay
from fieldkit.store.keys import read_keyfile
from fieldkit.store.worker import WorkerStore
from tests.conftest import PASSPHRASE

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def failures(count: int, last: datetime = NOW) -> list[datetime]:
    return [last - timedelta(seconds=count - n) for n in range(1, count + 1)]


@pytest.mark.parametrize(
    ("count", "wait"), [(0, 0), (1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 30), (40, 30)]
)
def test_each_failure_doubles_the_next_wait_up_to_thirty_seconds(count, wait):
    assert unlock_delay(failures(count), NOW) == wait


def test_the_wait_is_counted_from_the_last_failure():
    assert unlock_delay(failures(3), NOW + timedelta(seconds=1.5)) == pytest.approx(2.5)
    assert unlock_delay(failures(3), NOW + timedelta(minutes=5)) == 0


def test_a_clock_set_back_never_lengthens_the_wait():
    assert unlock_delay(failures(2), NOW - timedelta(hours=3)) == 2


class Waits:
    """The CLI's wait, recorded instead of slept."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def attempt(home: Path, passphrase: str, wait: Waits | None) -> bytes:
    credentials = Credentials(prompt=lambda: passphrase, wait=wait)
    return access.passphrase_key(home, read_keyfile(home, "worker"), credentials)


def test_an_attempt_after_failures_waits_the_journals_delay(home, store):
    store.close()
    waits = Waits()
    for _ in range(3):
        with pytest.raises(WrongPassphrase):
            attempt(home, "pas la bonne phrase du tout", waits)
    assert len(noted_failures(home)) == 3
    # Before the 1st attempt nothing; before the 2nd and 3rd, 1 s then 2 s (less the
    # few milliseconds each attempt took).
    assert len(waits.asked) == 2
    assert 0.5 < waits.asked[0] <= 1 and 1.5 < waits.asked[1] <= 2
    attempt(home, PASSPHRASE, waits)  # the right one waits too: the wait does not know
    assert 3.5 < waits.asked[2] <= 4


def test_a_successful_unlock_ends_the_waits(home, store):
    store.close()
    with pytest.raises(WrongPassphrase):
        attempt(home, "pas la bonne phrase du tout", None)
    WorkerStore.open(home, Credentials(prompt=lambda: PASSPHRASE)).close()
    assert noted_failures(home) == []
    waits = Waits()
    attempt(home, PASSPHRASE, waits)
    assert waits.asked == []


def test_the_library_without_the_clis_wait_does_not_wait(home, store):
    store.close()
    for _ in range(2):
        with pytest.raises(WrongPassphrase):
            attempt(home, "pas la bonne phrase du tout", None)
    assert len(noted_failures(home)) == 2  # noted all the same
