"""Where a store's key file lives, reading and writing it, and the passphrase policy.

The key file's content (the KDF, the wrapped data key, its JSON form) is
fieldkit/crypto/keyfile.py; this module only finds, reads and atomically writes the
file (the owner-only file helpers are fieldkit/paths.py).
"""

from __future__ import annotations

from pathlib import Path

from fieldkit.crypto.keyfile import KeyFile, normalize
from fieldkit.errors import InvalidValue, StoreError
from fieldkit.paths import check_home, write_private_file

MIN_PASSPHRASE_LENGTH = 12
_COMMON_PASSPHRASES = frozenset(
    {
        "123456789012",
        "1234567890123",
        "azertyuiopqs",
        "azertyuiop123",
        "motdepasse123",
        "motdepasse1234",
        "password1234",
        "password12345",
        "passwordpassword",
        "qwertyuiop123",
        "iloveyou1234",
        "jetaime123456",
        "soleil123456",
        "bonjour123456",
        "administrateur",
        "administrator",
        "changeme1234",
        "fieldkit1234",
        "fieldkitfieldkit",
        "correcthorsebatterystaple",
    }
)


def check_passphrase(passphrase: str) -> None:
    """Refuse passphrases that are too short or too guessable, with the reason."""
    passphrase = normalize(passphrase)
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise InvalidValue("passphrase.too_short", min=MIN_PASSPHRASE_LENGTH)
    folded = passphrase.strip().lower()
    if folded in _COMMON_PASSPHRASES:
        raise InvalidValue("passphrase.common")
    if len(set(folded)) < 5:
        raise InvalidValue("passphrase.too_simple")
    digits = "01234567890123456789"
    letters = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
    if folded in digits or folded in letters or folded in "azertyuiopqsdfghjklmwxcvbn":
        raise InvalidValue("passphrase.too_simple")


def keyfile_path(home: Path, kind: str) -> Path:
    return home / f"{kind}-key.json"


def read_keyfile(home: Path, kind: str) -> KeyFile:
    path = keyfile_path(home, kind)
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        check_home(home)
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
