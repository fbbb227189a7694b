"""The confidentiality charter's hash and a worker's signed acceptance of it (issue 17).

The district stores the charter's text; what a worker accepts is that exact text, named
by its SHA-256 over the UTF-8 bytes as stored. The device signs, with its Ed25519
signing key, the message

    b"fieldkit-charter/1/" + sha256_hex + b"/" + worker_id + b"/" + at

where `at` is the acceptance time in UTC, ISO 8601 to the second with a "Z"
(`2026-12-02T09:30:00Z`). The district verifies the signature with the worker's
public key and keeps it, so that anyone holding that key can check it later.
Byte format: docs/protocol.md, "Charter acceptance".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from fieldkit.crypto.identity import Identity, PublicIdentity

LABEL = "fieldkit-charter"
VERSION = 1
_SHA256 = r"^[0-9a-f]{64}$"
_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def charter_hash(text: str) -> str:
    """The charter's name in acceptances: SHA-256 of its UTF-8 text, 64 hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stamp(moment: datetime) -> str:
    """An acceptance time as it is signed: UTC, to the second, with a "Z"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def message(sha256: str, worker_id: str, at: str) -> bytes:
    """The bytes a device signs to accept the charter named by `sha256`."""
    return f"{LABEL}/{VERSION}/{sha256}/{worker_id}/{at}".encode()


class CharterAcceptance(BaseModel):
    """A worker's acceptance of one charter text, as it travels and as the district keeps it."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(max_length=40)
    sha256: str = Field(pattern=_SHA256)
    worker_id: str = Field(max_length=64)
    at: str = Field(max_length=20)
    signature: str = Field(max_length=200)  # base64 Ed25519 signature over `message(...)`

    def verify(self, public: PublicIdentity) -> bool:
        """Whether the worker holding `public` signed this acceptance."""
        if not _AT.match(self.at):
            return False
        try:
            signature = base64.b64decode(self.signature, validate=True)
        except (binascii.Error, ValueError):
            return False
        return public.verify(signature, message(self.sha256, self.worker_id, self.at))


def accept(
    identity: Identity, version: str, sha256: str, worker_id: str, moment: datetime
) -> CharterAcceptance:
    """The device's signed acceptance of the charter text named by `sha256`."""
    at = stamp(moment)
    signature = identity.sign(message(sha256, worker_id, at))
    return CharterAcceptance(
        version=version,
        sha256=sha256,
        worker_id=worker_id,
        at=at,
        signature=base64.b64encode(signature).decode(),
    )
