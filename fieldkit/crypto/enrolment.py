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


# The short code (format 2, issue 17): an 80-bit one-time secret and an 80-bit commitment
# to the district's identity document, so that a person can read it out or type it. The
# lengths are argued in docs/security.md, "The enrolment code"; the byte formats are in
# docs/protocol.md, "Enrolment".
SECRET_BYTES = 10
COMMITMENT_BYTES = 10
LOOKUP_LABEL = b"fieldkit-enrol-lookup/2/"
COMMIT_LABEL = b"fieldkit-enrol-commit/2/"


def secret_text(secret: bytes) -> str:
    """The secret as `secret_hash` and `proof` take it: 20 lowercase hex digits."""
    return secret.hex()


def lookup(secret: bytes) -> str:
    """What the worker sends to find its pending enrolment (32 hex digits). The server
    keeps it to find the worker; it tells nothing of the secret or of its hash."""
    return hashlib.sha256(LOOKUP_LABEL + secret).hexdigest()[:32]


def commitment(secret: bytes, document: bytes) -> bytes:
    """The code's commitment to the exact bytes of the district identity document."""
    return hashlib.sha256(COMMIT_LABEL + secret + document).digest()[:COMMITMENT_BYTES]


def commitment_matches(secret: bytes, document: bytes, expected: bytes) -> bool:
    return hmac.compare_digest(commitment(secret, document), expected)
