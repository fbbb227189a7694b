"""Case keys, sealed values and grants: what lets only a case team read its notes.

- A **case key** is 32 random bytes. Its key id (`kid`) is a commitment to the key and
  to its case: SHA-256 over a domain label, the case id and the key, first 16 bytes in
  hex. A grantee that opens a grant checks the key against the id.
- A **sealed value** is one field's value (its JSON, padded) under a case key with
  ChaCha20-Poly1305. Its associated data binds the format version, the case id, the
  entity, the entity id, the field's name and the key id, so that it opens only where
  it was written. As text: ``sv1.<kid>.<base64url(nonce || ciphertext)>``.
- A **grant** is a case key sealed with HPKE (the bundles' X-Wing suite) to one
  member's receiving key, its `info` binding the case id, key id, grantee id and
  grantee fingerprint, and signed with the granting replica's Ed25519 key.

Byte for byte in docs/protocol.md, "Sealed values and grants". Nothing here knows a
store: the callers keep the keys (fieldkit/store/team.py) and the grants
(fieldkit/replica/grants.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import struct
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from fieldkit.crypto.envelope import Undecryptable, open_for, seal_to
from fieldkit.crypto.identity import Identity, PublicIdentity

KEY_BYTES = 32
KID_HEX = 32
NONCE_BYTES = 12
TAG_BYTES = 16
PAD_TO = 32  # plaintexts are padded with spaces to a multiple of this many bytes

SEALED_PREFIX = "sv1."
KID_DOMAIN = b"fieldkit/case-key-id/v1"
VALUE_DOMAIN = b"fieldkit/sealed-value/v1"
GRANT_DOMAIN = b"fieldkit/case-key-grant/v1"
GRANT_SIGNATURE_DOMAIN = b"fieldkit/case-key-grant-signature/v1"

# The greatest sealed value accepted, in characters: a text at the longest a rule allows
# (fieldkit/rules.py) as escaped JSON, padded, in base64 (fieldkit/rules.py, SEALED_LIMIT).
MAX_SEALED_CHARS = 200_000
_SEALED = re.compile(r"sv1\.([0-9a-f]{32})\.([A-Za-z0-9_-]+)")
_LENGTH = struct.Struct(">I")


class Unopenable(ValueError):
    """A sealed value or a grant that does not open here: no key, a wrong key, a value
    moved from elsewhere, or bytes that were changed."""


def _parts(*parts: str) -> bytes:
    """Each part as its UTF-8 bytes with a 4-byte big-endian length before it."""
    out = bytearray()
    for part in parts:
        data = part.encode("utf-8")
        out += _LENGTH.pack(len(data)) + data
    return bytes(out)


@dataclass(frozen=True)
class CaseKey:
    """One case key of one case: the key, its id and its epoch (1, 2, … as members left)."""

    case_id: str
    kid: str
    epoch: int
    key: bytes = field(repr=False)

    @classmethod
    def new(cls, case_id: str, epoch: int) -> CaseKey:
        key = os.urandom(KEY_BYTES)
        return cls(case_id, key_id(case_id, key), epoch, key)


def key_id(case_id: str, key: bytes) -> str:
    """The key id that commits to this key of this case (32 hex digits)."""
    return hashlib.sha256(KID_DOMAIN + _parts(case_id) + key).hexdigest()[:KID_HEX]


def value_context(case_id: str, entity: str, entity_id: str, name: str, kid: str) -> bytes:
    """The associated data of a sealed value."""
    return VALUE_DOMAIN + _parts(case_id, entity, entity_id, name, kid)


def seal_value(key: CaseKey, entity: str, entity_id: str, name: str, value: Any) -> str:
    """The sealed value of `value` (any JSON value) for this field of this record."""
    plain = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    data = plain.encode("utf-8")
    data += b" " * (-len(data) % PAD_TO)
    nonce = os.urandom(NONCE_BYTES)
    context = value_context(key.case_id, entity, entity_id, name, key.kid)
    sealed = ChaCha20Poly1305(key.key).encrypt(nonce, data, context)
    body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
    return f"{SEALED_PREFIX}{key.kid}.{body}"


def is_sealed(value: Any) -> bool:
    """Whether `value` has the shape of a sealed value (not whether it opens)."""
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def sealed_kid(value: str) -> str:
    """The key id a sealed value names; Unopenable when it is not well formed."""
    return _split(value)[0]


def well_formed(value: Any) -> bool:
    """What a replica without the key can check: the shape, the id and the length."""
    try:
        _split(value)
    except Unopenable:
        return False
    return True


def _split(value: Any) -> tuple[str, bytes]:
    if not isinstance(value, str) or len(value) > MAX_SEALED_CHARS:
        raise Unopenable("not a sealed value")
    found = _SEALED.fullmatch(value)
    if found is None:
        raise Unopenable("not a sealed value")
    body = found.group(2)
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise Unopenable("not a sealed value") from exc
    if len(raw) < NONCE_BYTES + TAG_BYTES + PAD_TO:
        raise Unopenable("not a sealed value")
    return found.group(1), raw


def open_value(key: CaseKey, entity: str, entity_id: str, name: str, value: str) -> Any:
    """The value sealed by `seal_value` for this very field of this record."""
    kid, raw = _split(value)
    if kid != key.kid:
        raise Unopenable("sealed under another key")
    context = value_context(key.case_id, entity, entity_id, name, kid)
    try:
        data = ChaCha20Poly1305(key.key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context)
        return json.loads(data.decode("utf-8"))
    except Exception as exc:  # InvalidTag, or a plaintext that is not JSON
        raise Unopenable("sealed value does not open") from exc


# Grants


@dataclass(frozen=True)
class Grant:
    """A case key sealed to one grantee, as a grant change's fields carry it."""

    case_id: str
    kid: str
    epoch: int
    grantee: str  # a worker id, or "recovery-N" for the recovery key of generation N
    grantee_key: str  # the grantee's identity fingerprint, 64 hex digits
    granter: str  # a worker id, or "district"
    sealed_key: bytes = field(repr=False)
    signature: bytes = field(repr=False)

    def fields(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "epoch": self.epoch,
            "grantee": self.grantee,
            "grantee_key": self.grantee_key,
            "granter": self.granter,
            "sealed_key": base64.b64encode(self.sealed_key).decode("ascii"),
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    @classmethod
    def from_fields(cls, case_id: str, data: dict[str, Any]) -> Grant:
        """A grant from a change's fields; ValueError when they are not a grant's."""
        expected = {"kid", "epoch", "grantee", "grantee_key", "granter"}
        if set(data) != expected | {"sealed_key", "signature"}:
            raise ValueError("not a grant's fields")
        for name in ("kid", "grantee", "grantee_key", "granter"):
            if not isinstance(data[name], str) or not data[name] or len(data[name]) > 100:
                raise ValueError(f"grant {name} is not an id")
        if not re.fullmatch(r"[0-9a-f]{32}", data["kid"]):
            raise ValueError("grant kid is not a key id")
        if not re.fullmatch(r"[0-9a-f]{64}", data["grantee_key"]):
            raise ValueError("grant grantee_key is not a fingerprint")
        epoch = data["epoch"]
        if not isinstance(epoch, int) or isinstance(epoch, bool) or not 1 <= epoch < 2**31:
            raise ValueError("grant epoch is not a number")
        try:
            sealed = base64.b64decode(data["sealed_key"], validate=True)
            signature = base64.b64decode(data["signature"], validate=True)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise ValueError("grant holds bad base64") from exc
        if not 0 < len(sealed) <= 4096 or len(signature) != 64:
            raise ValueError("grant has the wrong length")
        return cls(
            case_id,
            data["kid"],
            epoch,
            data["grantee"],
            data["grantee_key"],
            data["granter"],
            sealed,
            signature,
        )

    def info(self) -> bytes:
        return grant_info(self.case_id, self.kid, self.grantee, self.grantee_key)

    def signed_message(self) -> bytes:
        return (
            GRANT_SIGNATURE_DOMAIN
            + _parts(
                self.case_id,
                self.kid,
                str(self.epoch),
                self.grantee,
                self.grantee_key,
                self.granter,
            )
            + self.sealed_key
        )


def grant_info(case_id: str, kid: str, grantee: str, grantee_key: str) -> bytes:
    """The HPKE `info` of a grant."""
    return GRANT_DOMAIN + _parts(case_id, kid, grantee, grantee_key)


def make_grant(
    key: CaseKey, grantee: str, grantee_public: PublicIdentity, granter: str, signer: Identity
) -> Grant:
    """The grant of `key` to `grantee`, signed by the granting replica's identity."""
    fingerprint = grantee_public.fingerprint_hex
    info = grant_info(key.case_id, key.kid, grantee, fingerprint)
    sealed = seal_to(grantee_public, key.key, info)
    unsigned = Grant(key.case_id, key.kid, key.epoch, grantee, fingerprint, granter, sealed, b"")
    signature = signer.sign(unsigned.signed_message())
    return Grant(key.case_id, key.kid, key.epoch, grantee, fingerprint, granter, sealed, signature)


def open_grant(grant: Grant, recipient: Identity, granter_public: PublicIdentity) -> CaseKey:
    """The case key a grant holds for `recipient`, after every check: the granter's
    signature, the grantee's fingerprint, the HPKE seal and the key id's commitment."""
    if not granter_public.verify(grant.signature, grant.signed_message()):
        raise Unopenable("grant signature does not verify")
    if grant.grantee_key != recipient.public.fingerprint_hex:
        raise Unopenable("grant is for another key")
    try:
        key = open_for(recipient, grant.sealed_key, grant.info())
    except Undecryptable as exc:
        raise Unopenable("grant does not open") from exc
    if len(key) != KEY_BYTES or key_id(grant.case_id, key) != grant.kid:
        raise Unopenable("grant holds a key that is not its key id's")
    return CaseKey(grant.case_id, grant.kid, grant.epoch, key)
