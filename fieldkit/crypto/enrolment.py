"""The enrolment secret's hash and the proof that a worker holds the secret.

The district keeps only `secret_hash(secret)`; the worker answers with an HMAC-SHA256,
keyed with that hash, over its worker id, replica id and key fingerprint, so the
secret itself never travels back. Byte format: docs/protocol.md, "Enrolment request and
reply".
"""

from __future__ import annotations

import hashlib
import hmac

SECRET_LABEL = "fieldkit-enrol-secret"
PROOF_LABEL = "fieldkit-enrol"
PROOF_VERSION = 1


def secret_hash(secret: str) -> str:
    """What the district keeps of the one-time secret (64 hex digits)."""
    return hashlib.sha256(f"{SECRET_LABEL}/{secret}".encode()).hexdigest()


def _proof_of(key: bytes, worker_id: str, replica_id: str, fingerprint_hex: str) -> str:
    message = f"{PROOF_LABEL}/{PROOF_VERSION}/{worker_id}/{replica_id}/{fingerprint_hex}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def proof(secret: str, worker_id: str, replica_id: str, fingerprint_hex: str) -> str:
    """The worker's proof of the secret (64 hex digits)."""
    # Keyed with the secret's hash, which is all the district stores.
    return _proof_of(bytes.fromhex(secret_hash(secret)), worker_id, replica_id, fingerprint_hex)


def check_proof(
    stored_hash: str, worker_id: str, replica_id: str, fingerprint_hex: str, given: str
) -> bool:
    """Whether `given` is the proof for the secret whose hash the district stored."""
    expected = _proof_of(bytes.fromhex(stored_hash), worker_id, replica_id, fingerprint_hex)
    return hmac.compare_digest(expected, given)
