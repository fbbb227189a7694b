"""Where a store's key file lives, reading and writing it, and the passphrase policy.

The key file's content (the KDF, the wrapped data key, its JSON form) is
fieldkit/crypto/keyfile.py; this module only finds, reads and atomically writes the
file (the owner-only file helpers are fieldkit/paths.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fieldkit.crypto.keyfile import KeyFile, normalize
from fieldkit.errors import InvalidValue, StoreError
from fieldkit.paths import check_home, write_private_file

MIN_PASSPHRASE_LENGTH = 12


def check_passphrase(passphrase: str, known: Iterable[str | None] = ()) -> None:
    """Refuse passphrases that are too short or too guessable, saying why.

    Guessable means fewer than 10^10 guesses in zxcvbn's estimate (fieldkit/store/strength.py),
    judged against French and English words and against `known`: the person's name, unit
    and district, where the caller knows them.
    """
    from fieldkit.store import strength

    passphrase = normalize(passphrase)
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise InvalidValue("passphrase.too_short", min=MIN_PASSPHRASE_LENGTH)
    words = [*strength.context_words(), *(word for word in known if word)]
    judged = strength.estimate(passphrase, words)
    if not judged.strong:
        raise strength.refusal(judged)


def keyfile_path(home: Path, kind: str) -> Path:
    return home / f"{kind}-key.json"


# The two kinds of store a folder may hold (fieldkit/store/worker.py, district/schema.py),
# and what a command of the other kind is told there.
STORE_KINDS = {"worker": "store.is_worker", "district": "store.is_district"}


def check_no_other_kind(home: Path, kind: str) -> None:
    """StoreError when `home` holds the other kind of store: a worker's command run on
    the district's folder (or the reverse) says so, rather than "no store here, run
    init", which would make a second store in the same folder."""
    for other, key in STORE_KINDS.items():
        if other != kind and keyfile_path(home, other).exists():
            raise StoreError(key, path=str(home))


def read_keyfile(home: Path, kind: str) -> KeyFile:
    path = keyfile_path(home, kind)
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        check_home(home)
        check_no_other_kind(home, kind)
        raise StoreError("store.missing", path=str(home)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError("store.keyfile_damaged") from exc
    keyfile = KeyFile.from_json(text)
    if keyfile.kind != kind:
        raise StoreError("store.keyfile_damaged")
    return keyfile


def write_keyfile(home: Path, keyfile: KeyFile) -> None:
    """Atomically replace the key file (write, fsync, rename), owner-only."""
    write_private_file(keyfile_path(home, keyfile.kind), keyfile.to_json().encode())
