"""Where stores live: --home, else FIELDKIT_HOME, else the platform's user data directory.

One home may hold a worker store and a district store side by side (their files
are named by kind), which is how `make demo` runs both on one machine.
"""

from __future__ import annotations

import os
from pathlib import Path


def resolve_home(override: Path | None) -> Path:
    if override is not None:
        return override.expanduser()
    env = os.environ.get("FIELDKIT_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("fieldkit", appauthor=False)
