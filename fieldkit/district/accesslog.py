"""The server's access log file, kept for its period (issue 19): rotated by size and by
age, its old files deleted once older than the retention.

The access log names client addresses and worker ids (never personal data of a case):
the CNIL's recommendation for access logs applies, 6 months to 1 year, up to 3 years
with a documented need. `district serve --log-file` uses `RetainedLogHandler`:

- the file is rotated when it reaches `max_bytes` (as before) and once its first line
  is older than `rotate_every` (a week, or half the retention if that is shorter);
- a rotated file is deleted once its newest line is older than the retention less
  `rotate_every`, so that no line is kept beyond the retention: each goes between
  `max_age - rotate_every` and `max_age` after it was written;
- at most `backups` rotated files are kept whatever their age, which bounds the disk
  used under a flood of requests: (backups + 1) × max_bytes.

The checks run at start-up and at each rotation (a quiet server rotates once a week, so
a deletion is at most that late, which `rotate_every` is subtracted for).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

DAY = 86_400.0
WEEK = 7 * DAY
# The start of a line as `logging.Formatter("%(asctime)s ...")` writes it (local time).
_ASCTIME = re.compile(rb"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")


class RetainedLogHandler(logging.handlers.RotatingFileHandler):
    def __init__(
        self,
        filename: Path,
        *,
        max_bytes: int,
        backups: int,
        max_age_days: int,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(filename, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        self._now = now
        self.max_age = max_age_days * DAY
        self.rotate_every = min(WEEK, self.max_age / 2)
        self.deleted = 0  # rotated files deleted for their age, since start
        self._started = _first_line_time(Path(self.baseFilename))
        if self._started is not None and self._now() - self._started >= self.rotate_every:
            self.doRollover()
        else:
            self.prune()

    def emit(self, record: logging.LogRecord) -> None:
        super().emit(record)  # may rotate first, which starts a new file
        if self._started is None:
            self._started = self._now()

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        if self._started is not None and self._now() - self._started >= self.rotate_every:
            return True
        return bool(super().shouldRollover(record))

    def doRollover(self) -> None:
        super().doRollover()
        self._started = None
        self.prune()

    def rotated(self) -> list[Path]:
        """The rotated files: FILE.1 (the newest), FILE.2…"""
        base = Path(self.baseFilename)
        found = []
        for path in base.parent.glob(base.name + ".*"):
            suffix = path.name[len(base.name) + 1 :]
            if suffix.isdigit():
                found.append((int(suffix), path))
        return [path for _, path in sorted(found)]

    def prune(self) -> int:
        """Delete the rotated files whose newest line is older than the retention allows."""
        limit = self._now() - (self.max_age - self.rotate_every)
        deleted = 0
        for path in self.rotated():
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:
                continue
        self.deleted += deleted
        return deleted


def _first_line_time(path: Path) -> float | None:
    """When the file's first line was written (its asctime), else its last change; None
    for a file that is missing or empty."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(200)
        changed = os.stat(path).st_mtime
    except FileNotFoundError:
        return None
    if not first:
        return None
    found = _ASCTIME.match(first)
    if found:
        try:
            moment = datetime.strptime(found.group(1).decode(), "%Y-%m-%d %H:%M:%S")
            return moment.timestamp()  # local time, as logging wrote it
        except ValueError:
            pass
    return changed
