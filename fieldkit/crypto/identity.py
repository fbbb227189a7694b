"""A replica's long-term keys: Ed25519 to sign, ML-KEM-768+X25519 (HPKE) to receive.

`Identity` holds the private keys (serialised by `to_bytes` for the encrypted store),
`PublicIdentity` what peers pin and compare by fingerprint. Formats: docs/protocol.md,
"Keys".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519

SIGNING_KEY_BYTES = 32
MLKEM_PUBLIC_BYTES = 1184
X25519_KEY_BYTES = 32
HPKE_PUBLIC_BYTES = MLKEM_PUBLIC_BYTES + X25519_KEY_BYTES  # 1216: X-Wing public key
SIGNATURE_BYTES = 64
ED25519_SEED_BYTES = 32
MLKEM_SEED_BYTES = 64

FINGERPRINT_DOMAIN = b"fieldkit/identity-fingerprint/v1"
IDENTITY_MAGIC = b"FKID"
IDENTITY_VERSION = 1
_IDENTITY_LAYOUT = struct.Struct(
    f">{len(IDENTITY_MAGIC)}sB{ED25519_SEED_BYTES}s{MLKEM_SEED_BYTES}s{X25519_KEY_BYTES}s"
)
IDENTITY_BYTES = _IDENTITY_LAYOUT.size  # 133
_KEY_LENGTH = struct.Struct(">I")  # the length prefix of each key in the fingerprint


def _b64decode(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a base64 string")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ValueError(f"{name} is not valid base64") from exc


@dataclass(frozen=True)
class PublicIdentity:
    """A replica's public keys, validated on construction (ValueError if not keys).

    ``signing`` is the raw Ed25519 public key (32 bytes); ``hpke`` the ML-KEM-768 public
    key (1184 bytes) followed by the X25519 public key (32 bytes), as X-Wing encodes it.
    """

    signing: bytes = field(repr=False)
    hpke: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.signing, bytes) or len(self.signing) != SIGNING_KEY_BYTES:
            raise ValueError("signing key must be 32 bytes")
        if not isinstance(self.hpke, bytes) or len(self.hpke) != HPKE_PUBLIC_BYTES:
            raise ValueError(f"HPKE key must be {HPKE_PUBLIC_BYTES} bytes")
        # Parse once so that a bad key fails here, not at the first sync.
        _ = self._signing_key, self._hpke_key

    def __repr__(self) -> str:
        return f"PublicIdentity(fingerprint={self.fingerprint_hex[:16]}…)"

    @cached_property
    def _signing_key(self) -> ed25519.Ed25519PublicKey:
        return ed25519.Ed25519PublicKey.from_public_bytes(self.signing)

    @cached_property
    def _hpke_key(self) -> hpke.MLKEM768X25519PublicKey:
        try:
            kem = mlkem.MLKEM768PublicKey.from_public_bytes(self.hpke[:MLKEM_PUBLIC_BYTES])
            dh = x25519.X25519PublicKey.from_public_bytes(self.hpke[MLKEM_PUBLIC_BYTES:])
        except Exception as exc:  # the backend's error type varies; the cause does not
            raise ValueError("not a valid ML-KEM-768+X25519 public key") from exc
        return hpke.MLKEM768X25519PublicKey(kem, dh)

    @cached_property
    def fingerprint_bytes(self) -> bytes:
        """SHA-256 over the domain label and both length-prefixed keys (32 bytes)."""
        digest = hashlib.sha256(FINGERPRINT_DOMAIN)
        for key in (self.signing, self.hpke):
            digest.update(_KEY_LENGTH.pack(len(key)))
            digest.update(key)
        return digest.digest()

    @property
    def fingerprint_hex(self) -> str:
        """The fingerprint as 64 lowercase hex digits, as bundle headers carry it."""
        return self.fingerprint_bytes.hex()

    @property
    def fingerprint(self) -> str:
        """The fingerprint for people to compare: 16 groups of 4 hex digits."""
        text = self.fingerprint_hex
        return " ".join(text[i : i + 4] for i in range(0, len(text), 4))

    def to_dict(self) -> dict[str, str]:
        return {
            "signing": base64.b64encode(self.signing).decode("ascii"),
            "hpke": base64.b64encode(self.hpke).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, data: Any) -> PublicIdentity:
        """The inverse of `to_dict`; ValueError for anything else."""
        if not isinstance(data, dict) or set(data) != {"signing", "hpke"}:
            raise ValueError("public identity must have exactly the keys signing and hpke")
        return cls(
            signing=_b64decode(data["signing"], "signing"),
            hpke=_b64decode(data["hpke"], "hpke"),
        )

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Whether `signature` is this replica's Ed25519 signature of `message`."""
        if not isinstance(signature, bytes) or len(signature) != SIGNATURE_BYTES:
            return False
        try:
            self._signing_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def hpke_public_key(self) -> hpke.MLKEM768X25519PublicKey:
        """The key to pass to `hpke.Suite.encrypt` to encrypt to this replica."""
        return self._hpke_key


class Identity:
    """A replica's private keys. Keep it inside the encrypted store; never log it."""

    def __init__(
        self,
        signing: ed25519.Ed25519PrivateKey,
        kem: mlkem.MLKEM768PrivateKey,
        dh: x25519.X25519PrivateKey,
    ) -> None:
        self._signing = signing
        self._kem = kem
        self._dh = dh
        self._hpke = hpke.MLKEM768X25519PrivateKey(kem, dh)
        self.public = PublicIdentity(
            signing=signing.public_key().public_bytes_raw(),
            hpke=kem.public_key().public_bytes_raw() + dh.public_key().public_bytes_raw(),
        )

    def __repr__(self) -> str:
        return f"Identity(fingerprint={self.public.fingerprint_hex[:16]}…)"

    @classmethod
    def generate(cls) -> Identity:
        return cls(
            ed25519.Ed25519PrivateKey.generate(),
            mlkem.MLKEM768PrivateKey.generate(),
            x25519.X25519PrivateKey.generate(),
        )

    def to_bytes(self) -> bytes:
        """``FKID``, version 1, Ed25519 seed (32), ML-KEM seed (64), X25519 key (32)."""
        return _IDENTITY_LAYOUT.pack(
            IDENTITY_MAGIC,
            IDENTITY_VERSION,
            self._signing.private_bytes_raw(),
            self._kem.private_bytes_raw(),
            self._dh.private_bytes_raw(),
        )

    @classmethod
    def from_bytes(cls, data: Any) -> Identity:
        """The inverse of `to_bytes`; ValueError for anything else."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValueError("identity must be bytes")
        data = bytes(data)
        if len(data) != IDENTITY_BYTES:
            raise ValueError("identity has the wrong length")
        magic, version, signing, kem, dh = _IDENTITY_LAYOUT.unpack(data)
        if magic != IDENTITY_MAGIC:
            raise ValueError("not a fieldkit identity")
        if version != IDENTITY_VERSION:
            raise ValueError(f"unsupported identity version {version}")
        try:
            return cls(
                ed25519.Ed25519PrivateKey.from_private_bytes(signing),
                mlkem.MLKEM768PrivateKey.from_seed_bytes(kem),
                x25519.X25519PrivateKey.from_private_bytes(dh),
            )
        except Exception as exc:  # the backend's error type varies; the cause does not
            raise ValueError("identity holds an invalid key") from exc

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature (64 bytes) of `message`."""
        return self._signing.sign(message)

    def hpke_private_key(self) -> hpke.MLKEM768X25519PrivateKey:
        """The key to pass to `hpke.Suite.decrypt` for bundles sent to this replica."""
        return self._hpke
