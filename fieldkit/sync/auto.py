"""auto_sync: after a write, a short sync in the background, when the worker turned it on.

Off by default (`fieldkit config set auto_sync on`). The write itself never waits
for the network and never fails because of it: a detached `fieldkit sync --auto`
gets through or gives up quietly within `auto_sync_timeout` seconds; the changes
stay queued either way. The background process needs the same credentials without
a prompt, so it starts only when the store is unlocked for a session (`fieldkit
unlock`) or the passphrase is in the environment. It skips its turn when another
sync of the store is running (the sync lock).

The write commands (fieldkit/commands/) call `after_write` once the store committed
the write: the store itself never starts a process (issue 13).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from fieldkit.errors import FieldkitError
from fieldkit.replica import meta
from fieldkit.store.access import PASSPHRASE_ENV
from fieldkit.store.session import SESSION_ENV

if TYPE_CHECKING:
    from fieldkit.store.worker import WorkerStore

# Set by the interactive session (fieldkit/commands/session.py), which syncs in a thread
# of its own process with the data key it holds: no process to start, no session file.
in_process: Callable[[WorkerStore], None] | None = None


def after_write(store: WorkerStore) -> bool:
    """Start the background sync if it applies; True when one was started."""
    from fieldkit import config

    try:
        settings = config.load(store.home)
    except FieldkitError:
        return False  # a damaged settings file never stops a write; `config show` says why
    if not settings.auto_sync:
        return False
    if in_process is not None:
        if not can_run(store, unattended=True):
            return False
        in_process(store)
        return True
    if not can_run(store):
        return False
    command = [sys.executable, "-m", "fieldkit", "--home", str(store.home), "sync", "--auto"]
    subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not killed by the terminal's Ctrl-C, not waited for
        close_fds=True,
    )
    return True


def can_run(store: WorkerStore, *, unattended: bool = False) -> bool:
    """Enrolled with a server, not revoked, and able to open the store without a person
    (`unattended`: the caller holds the key)."""
    district = json.loads(meta.get(store.conn, "district") or "{}")
    enrolled = store.worker_id is not None and bool(district.get("url"))
    revoked = meta.get(store.conn, "revoked") == "1"
    unattended = unattended or bool(os.environ.get(SESSION_ENV) or os.environ.get(PASSPHRASE_ENV))
    return enrolled and not revoked and unattended
