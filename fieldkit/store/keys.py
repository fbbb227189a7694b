"""The key hierarchy of a store (DESIGN §3), and nothing else.

passphrase -> Argon2id (salted, parameters stored) -> key-encryption key (KEK)
-> AES-256-GCM unwraps a random 256-bit data key -> SQLCipher raw key.

The key file holds only the salt, the KDF parameters and the wrapped data key;
changing the passphrase rewraps the data key and leaves the database alone.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from fieldkit.errors import InvalidValue, StoreError, WrongPassphrase

KEYFILE_FORMAT = "fieldkit-keyfile"
KEYFILE_VERSION = 1
DATA_KEY_BYTES = 32
SALT_BYTES = 16
NONCE_BYTES = 12
# OWASP's first recommended Argon2id profile: 64 MiB, 3 passes, 4 lanes (~0.1-0.3 s here).
KDF_PARAMS = {"algorithm": "argon2id", "memory_kib": 65536, "iterations": 3, "lanes": 4}
# Bounds for parameters read from a key file, so a tampered file cannot make us spin or swap.
_KDF_LIMITS = {"memory_kib": (8192, 4 * 1024 * 1024), "iterations": (1, 64), "lanes": (1, 64)}

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


@dataclass(frozen=True)
class KeyFile:
    kind: str  # "worker" | "district"
    store_id: str
    kdf: dict
    salt: bytes
    wrapped_key: bytes  # nonce || AES-GCM ciphertext of the data key

    def aad(self) -> bytes:
        # Binds the wrapped key to this store: a key file cannot be swapped between stores.
        return f"{KEYFILE_FORMAT}/{KEYFILE_VERSION}/{self.kind}/{self.store_id}".encode()

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": KEYFILE_FORMAT,
                "version": KEYFILE_VERSION,
                "kind": self.kind,
                "store_id": self.store_id,
                "kdf": self.kdf,
                "salt": base64.b64encode(self.salt).decode(),
                "wrapped_key": base64.b64encode(self.wrapped_key).decode(),
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> KeyFile:
        try:
            data = json.loads(text)
            if data.get("format") != KEYFILE_FORMAT or data.get("version") != KEYFILE_VERSION:
                raise ValueError("format")
            kdf = data["kdf"]
            if kdf.get("algorithm") != "argon2id":
                raise ValueError("kdf")
            for name, (low, high) in _KDF_LIMITS.items():
                if not isinstance(kdf.get(name), int) or not low <= kdf[name] <= high:
                    raise ValueError(name)
            salt = base64.b64decode(data["salt"], validate=True)
            wrapped = base64.b64decode(data["wrapped_key"], validate=True)
            if len(salt) != SALT_BYTES or len(wrapped) != NONCE_BYTES + DATA_KEY_BYTES + 16:
                raise ValueError("lengths")
            kind, store_id = data["kind"], data["store_id"]
            if kind not in ("worker", "district") or not isinstance(store_id, str):
                raise ValueError("kind")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreError("store.keyfile_damaged") from exc
        return cls(kind=kind, store_id=store_id, kdf=kdf, salt=salt, wrapped_key=wrapped)


def derive_kek(passphrase: str, salt: bytes, kdf: dict) -> bytes:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    return Argon2id(
        salt=salt,
        length=32,
        iterations=kdf["iterations"],
        lanes=kdf["lanes"],
        memory_cost=kdf["memory_kib"],
    ).derive(normalize(passphrase).encode("utf-8"))


def normalize(passphrase: str) -> str:
    """NFC, so that an accented passphrase typed on another system derives the same key."""
    return unicodedata.normalize("NFC", passphrase)


def _wrap(data_key: bytes, kek: bytes, aad: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, data_key, aad)


def _unwrap(wrapped: bytes, kek: bytes, aad: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
    except InvalidTag:
        raise WrongPassphrase("passphrase.wrong") from None


def create_keyfile(passphrase: str, kind: str, store_id: str) -> tuple[KeyFile, bytes]:
    """A new key file and the fresh data key it wraps."""
    data_key = secrets.token_bytes(DATA_KEY_BYTES)
    salt = secrets.token_bytes(SALT_BYTES)
    draft = KeyFile(kind=kind, store_id=store_id, kdf=dict(KDF_PARAMS), salt=salt, wrapped_key=b"")
    wrapped = _wrap(data_key, derive_kek(passphrase, salt, draft.kdf), draft.aad())
    return replace(draft, wrapped_key=wrapped), data_key


def unlock_keyfile(keyfile: KeyFile, passphrase: str) -> bytes:
    """The data key, or WrongPassphrase."""
    kek = derive_kek(passphrase, keyfile.salt, keyfile.kdf)
    return _unwrap(keyfile.wrapped_key, kek, keyfile.aad())


def rewrap_keyfile(keyfile: KeyFile, data_key: bytes, new_passphrase: str) -> KeyFile:
    """The same data key under a new passphrase, with a new salt and current parameters."""
    salt = secrets.token_bytes(SALT_BYTES)
    draft = replace(keyfile, kdf=dict(KDF_PARAMS), salt=salt, wrapped_key=b"")
    return replace(
        draft, wrapped_key=_wrap(data_key, derive_kek(new_passphrase, salt, draft.kdf), draft.aad())
    )


def keyfile_path(home: Path, kind: str) -> Path:
    return home / f"{kind}-key.json"


def check_home(home: Path) -> None:
    """A store's home, when it exists, is a folder: a file there is a wrong --home, not a
    damaged key file."""
    if home.exists() and not home.is_dir():
        raise StoreError("store.home_not_folder", path=str(home))


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
