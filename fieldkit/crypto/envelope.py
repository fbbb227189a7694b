"""The bundles' cipher suite: HPKE base mode to a replica's X-Wing key, and its inverse.

`DEFAULT_SUITE` names X-Wing (HPKE KEM 0x647A, ML-KEM-768 with X25519), HKDF-SHA256 and
ChaCha20-Poly1305. The bundle's framing, its signature's place and the order of the
checks are the sync layer's (fieldkit/sync/bundle.py); the signature itself is the
sender's Ed25519 key (fieldkit/crypto/identity.py). Byte format: docs/protocol.md.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hpke

from fieldkit.crypto.identity import Identity, PublicIdentity

DEFAULT_SUITE = "MLKEM768X25519-HKDFSHA256-CHACHA20POLY1305"
SUPPORTED_SUITES = frozenset({DEFAULT_SUITE})

_HPKE_SUITE = hpke.Suite(
    hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305
)


class Undecryptable(ValueError):
    """The ciphertext does not open with this key and this info."""


def seal_to(recipient: PublicIdentity, plaintext: bytes, info: bytes) -> bytes:
    """HPKE single-shot encryption of `plaintext` to `recipient`, bound to `info`."""
    return _HPKE_SUITE.encrypt(plaintext, recipient.hpke_public_key(), info=info)


def open_for(recipient: Identity, ciphertext: bytes, info: bytes) -> bytes:
    """The inverse of `seal_to`; Undecryptable for anything that does not open."""
    try:
        return _HPKE_SUITE.decrypt(ciphertext, recipient.hpke_private_key(), info=info)
    except Exception as exc:  # InvalidTag, or a backend error on a malformed encapsulation
        raise Undecryptable("bundle does not decrypt") from exc
