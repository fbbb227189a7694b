"""Where stores live: --home, else FIELDKIT_HOME, else the platform's user data directory;
and how a file of the tool is written there: owner-only, atomically, fsynced.

One home may hold a worker store and a district store side by side (their files
are named by kind), which is how `make demo` runs both on one machine.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fieldkit.errors import StoreError


def resolve_home(override: Path | None) -> Path:
    if override is not None:
        return override.expanduser()
    env = os.environ.get("FIELDKIT_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("fieldkit", appauthor=False)


def check_home(home: Path) -> None:
    """A store's home, when it exists, is a folder: a file there is a wrong --home, not a
    damaged key file."""
    if home.exists() and not home.is_dir():
        raise StoreError("store.home_not_folder", path=str(home))


def write_new_file(path: Path, data: bytes) -> None:
    """Create `path` (never over an existing file), owner-only, with `data` on disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def write_private_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically with mode 0600."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    write_new_file(tmp, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
