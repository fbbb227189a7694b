"""The key hierarchy of a store (DESIGN §3): passphrase KDF, key wrap and key file format.

passphrase -> Argon2id (salted, parameters stored) -> key-encryption key (KEK)
-> AES-256-GCM unwraps a random 256-bit data key -> SQLCipher raw key.

The key file holds only the salt, the KDF parameters and the wrapped data key;
changing the passphrase rewraps the data key and leaves the database alone. Reading
and writing the file is the store's job (fieldkit/store/keys.py). Byte format:
docs/protocol.md, "The key file".
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import unicodedata
from dataclasses import dataclass, replace

from fieldkit.errors import StoreError, WrongPassphrase

KEYFILE_FORMAT = "fieldkit-keyfile"
KEYFILE_VERSION = 1
KEYFILE_KINDS = ("worker", "district")
DATA_KEY_BYTES = 32  # the SQLCipher raw key
KEK_BYTES = 32  # AES-256
SALT_BYTES = 16
NONCE_BYTES = 12  # AES-GCM's 96-bit nonce
TAG_BYTES = 16  # AES-GCM's tag
WRAPPED_KEY_BYTES = NONCE_BYTES + DATA_KEY_BYTES + TAG_BYTES  # 60
KDF_ALGORITHM = "argon2id"
# Twice the memory of OWASP's first Argon2id profile and of Bitwarden's default (64 MiB,
# 3 passes, 4 lanes): about 0.5 s on a 2-core machine, paid once a working session
# (docs/security.md, "The cost of a guess"). Each key file keeps the parameters it was
# made with, so a store made with 64 MiB still opens; a passphrase change rewraps it
# with these.
KDF_PARAMS = {"algorithm": KDF_ALGORITHM, "memory_kib": 131072, "iterations": 3, "lanes": 4}
# Bounds for parameters read from a key file, so a tampered file cannot make us spin or swap.
KDF_LIMITS = {"memory_kib": (8192, 4 * 1024 * 1024), "iterations": (1, 64), "lanes": (1, 64)}


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
            if kdf.get("algorithm") != KDF_ALGORITHM:
                raise ValueError("kdf")
            for name, (low, high) in KDF_LIMITS.items():
                if not isinstance(kdf.get(name), int) or not low <= kdf[name] <= high:
                    raise ValueError(name)
            salt = base64.b64decode(data["salt"], validate=True)
            wrapped = base64.b64decode(data["wrapped_key"], validate=True)
            if len(salt) != SALT_BYTES or len(wrapped) != WRAPPED_KEY_BYTES:
                raise ValueError("lengths")
            kind, store_id = data["kind"], data["store_id"]
            if kind not in KEYFILE_KINDS or not isinstance(store_id, str):
                raise ValueError("kind")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreError("store.keyfile_damaged") from exc
        return cls(kind=kind, store_id=store_id, kdf=kdf, salt=salt, wrapped_key=wrapped)


def derive_kek(passphrase: str, salt: bytes, kdf: dict) -> bytes:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    return Argon2id(
        salt=salt,
        length=KEK_BYTES,
        iterations=kdf["iterations"],
        lanes=kdf["lanes"],
        memory_cost=kdf["memory_kib"],
    ).derive(normalize(passphrase).encode("utf-8"))


def normalize(passphrase: str) -> str:
    """NFC, so that an accented passphrase typed on another system derives the same key."""
    return unicodedata.normalize("NFC", passphrase)


def new_data_key() -> bytes:
    """A fresh random data key."""
    return secrets.token_bytes(DATA_KEY_BYTES)


def wrap_key(data_key: bytes, kek: bytes, aad: bytes) -> bytes:
    """nonce || AES-256-GCM(kek, nonce, data_key, aad): a key wrapped under another."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, data_key, aad)


def unwrap_key(wrapped: bytes, kek: bytes, aad: bytes) -> bytes:
    """The inverse of `wrap_key`; WrongPassphrase if the key or the data do not match."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
    except InvalidTag:
        raise WrongPassphrase("passphrase.wrong") from None


def create_keyfile(passphrase: str, kind: str, store_id: str) -> tuple[KeyFile, bytes]:
    """A new key file and the fresh data key it wraps."""
    data_key = new_data_key()
    salt = secrets.token_bytes(SALT_BYTES)
    draft = KeyFile(kind=kind, store_id=store_id, kdf=dict(KDF_PARAMS), salt=salt, wrapped_key=b"")
    wrapped = wrap_key(data_key, derive_kek(passphrase, salt, draft.kdf), draft.aad())
    return replace(draft, wrapped_key=wrapped), data_key


def unlock_keyfile(keyfile: KeyFile, passphrase: str) -> bytes:
    """The data key, or WrongPassphrase."""
    kek = derive_kek(passphrase, keyfile.salt, keyfile.kdf)
    return unwrap_key(keyfile.wrapped_key, kek, keyfile.aad())


def rewrap_keyfile(keyfile: KeyFile, data_key: bytes, new_passphrase: str) -> KeyFile:
    """The same data key under a new passphrase, with a new salt and current parameters."""
    salt = secrets.token_bytes(SALT_BYTES)
    draft = replace(keyfile, kdf=dict(KDF_PARAMS), salt=salt, wrapped_key=b"")
    return replace(
        draft,
        wrapped_key=wrap_key(data_key, derive_kek(new_passphrase, salt, draft.kdf), draft.aad()),
    )
