"""The server's access log kept for its period (issue 19): RetainedLogHandler on a real
file, with the time injected (the clock of the handler, the files' times by os.utime)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from fieldkit.district.accesslog import DAY, WEEK, RetainedLogHandler


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _record(text: str) -> logging.LogRecord:
    return logging.LogRecord("fieldkit.server", logging.INFO, __file__, 1, text, None, None)


def _names(log: Path) -> list[str]:
    return sorted(p.name for p in log.parent.glob(log.name + "*"))


def _age(path: Path, clock: Clock, days: float) -> None:
    moment = clock.now - days * DAY
    os.utime(path, (moment, moment))


def test_the_log_rotates_once_a_week_and_old_files_go_after_the_retention(tmp_path: Path):
    log, clock = tmp_path / "access.log", Clock()
    start = clock.now
    handler = RetainedLogHandler(
        log, max_bytes=1024 * 1024, backups=60, max_age_days=365, now=clock
    )

    def written_now(path: Path) -> None:  # the file's last line is of the clock's time
        os.utime(path, (clock.now, clock.now))

    try:
        handler.emit(_record("first"))
        clock.now += 6 * DAY
        handler.emit(_record("same week"))
        assert _names(log) == ["access.log"]
        clock.now += 1 * DAY
        written_now(log)
        handler.emit(_record("a week later"))
        assert _names(log) == ["access.log", "access.log.1"]
        assert "first" in (tmp_path / "access.log.1").read_text()
        assert (tmp_path / "access.log").read_text().endswith("a week later\n")

        clock.now = start + 200 * DAY
        written_now(log)
        handler.emit(_record("mid-year"))
        assert _names(log) == ["access.log", "access.log.1", "access.log.2"]
        assert handler.deleted == 0

        # A year after the first file's last line, less the week a rotation may be late.
        clock.now = start + 7 * DAY + 365 * DAY - WEEK + 1
        written_now(log)
        handler.emit(_record("next year"))
        assert handler.deleted == 1
        assert _names(log) == ["access.log", "access.log.1", "access.log.2"]
        assert "a week later" in (tmp_path / "access.log.2").read_text()
        assert "first" not in "".join(p.read_text() for p in tmp_path.iterdir())
    finally:
        handler.close()


def test_a_rotated_file_within_the_retention_is_kept(tmp_path: Path):
    log, clock = tmp_path / "access.log", Clock()
    log.write_text("")
    for n, days in ((1, 10), (2, 200), (3, 350), (4, 360), (5, 800)):
        path = tmp_path / f"access.log.{n}"
        path.write_text(f"old {n}\n")
        _age(path, clock, days)
    (tmp_path / "access.log.keep").write_text("not a rotated file")
    _age(tmp_path / "access.log.keep", clock, 900)
    handler = RetainedLogHandler(log, max_bytes=4096, backups=60, max_age_days=365, now=clock)
    handler.close()
    # 365 days less the week a rotation may be late: 360 and 800 days go.
    assert handler.deleted == 2
    assert _names(log) == [
        "access.log",
        "access.log.1",
        "access.log.2",
        "access.log.3",
        "access.log.keep",
    ]


def test_an_old_log_found_at_start_up_is_rotated_then_deleted_with_its_age(tmp_path: Path):
    log, clock = tmp_path / "access.log", Clock()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(clock.now - 400 * DAY))
    log.write_text(f"{stamp},123 sync wk-1 200\n")
    _age(log, clock, 399)
    handler = RetainedLogHandler(log, max_bytes=4096, backups=60, max_age_days=365, now=clock)
    try:
        assert handler.deleted == 1
        assert _names(log) == ["access.log"]
        assert log.read_text() == ""
    finally:
        handler.close()


def test_size_still_rotates_and_the_count_still_bounds_the_disk(tmp_path: Path):
    log, clock = tmp_path / "access.log", Clock()
    handler = RetainedLogHandler(log, max_bytes=4096, backups=2, max_age_days=365, now=clock)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    try:
        for n in range(300):
            handler.emit(_record(f"refused request {n:04d} " + "x" * 60))
    finally:
        handler.close()
    assert _names(log) == ["access.log", "access.log.1", "access.log.2"]
    assert all(p.stat().st_size <= 4096 for p in tmp_path.iterdir())
    assert handler.deleted == 0


def test_a_short_retention_rotates_more_often(tmp_path: Path):
    log, clock = tmp_path / "access.log", Clock()
    handler = RetainedLogHandler(log, max_bytes=4096, backups=60, max_age_days=4, now=clock)
    try:
        assert handler.rotate_every == 2 * DAY
        handler.emit(_record("day 0"))
        clock.now += 2 * DAY
        handler.emit(_record("day 2"))
        assert _names(log) == ["access.log", "access.log.1"]
    finally:
        handler.close()
