"""The session token and the seal of the data key for a working session.

A token is `TOKEN_PREFIX` + base64url(session id (12 bytes) || secret (32 bytes)).
The data key is sealed with AES-256-GCM under HKDF-SHA256(secret), bound as associated
data to the store, the session and its expiry, so that a session file alone opens
nothing and an edited expiry no longer opens. Where the sealed key is kept, and when
it expires, is the store's job (fieldkit/store/session.py). Byte format:
docs/protocol.md, "The session token".
"""

from __future__ import annotations

import base64
import secrets

TOKEN_PREFIX = "fks1_"
SESSION_ID_BYTES = 12
SESSION_SECRET_BYTES = 32
SESSION_KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # AES-GCM's 96-bit nonce
SESSION_LABEL = "fieldkit-session"
SESSION_VERSION = 1


def new_token() -> tuple[str, str, bytes]:
    """A fresh token, with the session id (hex) and the secret it carries."""
    session_id = secrets.token_hex(SESSION_ID_BYTES)
    secret = secrets.token_bytes(SESSION_SECRET_BYTES)
    token = TOKEN_PREFIX + base64.urlsafe_b64encode(bytes.fromhex(session_id) + secret).decode()
    return token, session_id, secret


def parse_token(token: str) -> tuple[str, bytes] | None:
    """(session id in hex, secret) of a well-formed token, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    try:
        raw = base64.urlsafe_b64decode(token[len(TOKEN_PREFIX) :].encode())
    except ValueError:
        return None
    if len(raw) != SESSION_ID_BYTES + SESSION_SECRET_BYTES:
        return None
    return raw[:SESSION_ID_BYTES].hex(), raw[SESSION_ID_BYTES:]


def _session_key(secret: bytes, store_id: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(
        algorithm=hashes.SHA256(),
        length=SESSION_KEY_BYTES,
        salt=None,
        info=f"{SESSION_LABEL}/{store_id}".encode(),
    ).derive(secret)


def _aad(store_id: str, session_id: str, expires: int) -> bytes:
    return f"{SESSION_LABEL}/{SESSION_VERSION}/{store_id}/{session_id}/{expires}".encode()


def seal_data_key(
    data_key: bytes, secret: bytes, store_id: str, session_id: str, expires: int
) -> tuple[bytes, bytes]:
    """(nonce, sealed): the data key sealed for this session of this store."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(_session_key(secret, store_id)).encrypt(
        nonce, data_key, _aad(store_id, session_id, expires)
    )
    return nonce, sealed


def open_data_key(
    nonce: bytes, sealed: bytes, secret: bytes, store_id: str, session_id: str, expires: int
) -> bytes | None:
    """The data key sealed by `seal_data_key` with these same values, else None."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(_session_key(secret, store_id)).decrypt(
            nonce, sealed, _aad(store_id, session_id, expires)
        )
    except (InvalidTag, ValueError):
        return None
