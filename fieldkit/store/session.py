"""Working sessions: unlock once, then commands run without the passphrase until expiry.

`fieldkit unlock` draws a random session secret and stores the data key wrapped
(AES-GCM) under a key derived from it, in a session file; the secret itself only
lives in the shell's FIELDKIT_SESSION variable. So the data key is never on disk
in clear, a session file alone is useless, and `lock` (deleting the files) ends
every session of the store at once. Session files go to XDG_RUNTIME_DIR (a tmpfs
that disappears at logout) when there is one, else to the store's home. The token and
the seal are fieldkit/crypto/session.py; this module keeps the files and the expiry.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from fieldkit.crypto.session import new_token, open_data_key, parse_token, seal_data_key
from fieldkit.errors import InvalidValue
from fieldkit.paths import write_private_file

SESSION_ENV = "FIELDKIT_SESSION"
DEFAULT_TTL_SECONDS = 10 * 3600  # a working day
MAX_TTL_SECONDS = 7 * 86400  # a week away from the office, at most


def check_ttl(ttl_seconds: int) -> None:
    """Refuse a session longer than MAX_TTL_SECONDS (or not positive)."""
    if not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        raise InvalidValue("session.ttl_too_long", field="ttl", days=MAX_TTL_SECONDS // 86400)


def sessions_dir(home: Path, store_id: str) -> Path:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir() and os.access(runtime, os.W_OK):
        return Path(runtime) / "fieldkit" / store_id
    return home / "sessions" / store_id


def start_session(
    home: Path,
    store_id: str,
    data_key: bytes,
    ttl_seconds: int,
    now: Callable[[], float] = time.time,
) -> tuple[str, int]:
    """A new session: returns (token, expiry as epoch seconds)."""
    check_ttl(ttl_seconds)

    token, session_id, secret = new_token()
    expires = int(now()) + ttl_seconds
    nonce, sealed = seal_data_key(data_key, secret, store_id, session_id, expires)
    directory = sessions_dir(home, store_id)
    directory.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # mode= is for the leaf only
    directory.mkdir(exist_ok=True, mode=0o700)
    record = {"expires": expires, "nonce": nonce.hex(), "sealed": sealed.hex()}
    write_private_file(directory / f"{session_id}.json", json.dumps(record).encode())
    return token, expires


def resume_session(
    home: Path, store_id: str, token: str, now: Callable[[], float] = time.time
) -> tuple[bytes, int] | None:
    """(data key, expiry) for a live session of this store, else None. Expired files are removed."""
    parsed = parse_token(token)
    if parsed is None:
        return None
    session_id, secret = parsed
    path = sessions_dir(home, store_id) / f"{session_id}.json"
    try:
        record = json.loads(path.read_text())
        expires = int(record["expires"])
        nonce, sealed = bytes.fromhex(record["nonce"]), bytes.fromhex(record["sealed"])
    except (OSError, ValueError, KeyError, TypeError, OverflowError):  # int(Infinity) overflows
        return None
    if now() >= expires:
        _shred(path)
        return None
    key = open_data_key(nonce, sealed, secret, store_id, session_id, expires)
    return None if key is None else (key, expires)


def end_session(home: Path, store_id: str, token: str) -> bool:
    """Remove the session file of this one token; True when there was one."""
    parsed = parse_token(token)
    if parsed is None:
        return False
    path = sessions_dir(home, store_id) / f"{parsed[0]}.json"
    if not path.exists():
        return False
    _shred(path)
    return True


def end_sessions(home: Path, store_id: str) -> int:
    """Remove every session file of the store; returns how many there were."""
    directory = sessions_dir(home, store_id)
    count = 0
    for path in directory.glob("*.json") if directory.is_dir() else ():
        _shred(path)
        count += 1
    return count


def _shred(path: Path) -> None:
    # Overwrite before unlinking; best effort on copy-on-write or journaling file systems.
    try:
        size = path.stat().st_size
        with open(path, "r+b") as handle:
            handle.write(b"\0" * size)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        pass
    path.unlink(missing_ok=True)
