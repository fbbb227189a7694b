"""Enrolment: the one-time code the district hands over, and the worker's signed request.

The code carries what the worker needs to reach and trust the district: its id,
name, URL, public keys, the server certificate's fingerprint, the worker's id and a
one-time secret. The request proves possession of the secret (an HMAC, the secret
itself never travels back: fieldkit/crypto/enrolment.py) and of the worker's signing
key (a self-signature).
It holds public keys and ids only, so it needs no encryption. Formats: docs/protocol.md.
"""

from __future__ import annotations

import base64
import json
import struct
import time
import zlib

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fieldkit.crypto import enrolment as enrolment_proof
from fieldkit.crypto.identity import SIGNATURE_BYTES, Identity, PublicIdentity
from fieldkit.errors import BundleRejected, InvalidValue

CODE_PREFIX = "FK1-"
MAX_CODE_CHARS = 8192
ENROL_MAGIC = b"FKENROL1"
MAX_ENROL_BYTES = 64 * 1024
_LENGTH = struct.Struct(">I")


class EnrolmentCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district_id: str = Field(max_length=64)
    district_name: str = Field(max_length=200)
    url: str | None = Field(default=None, max_length=500)
    tls_fingerprint: str | None = Field(default=None, max_length=128)
    district_keys: dict[str, str]
    worker_id: str = Field(max_length=64)
    secret: str = Field(pattern=r"^[0-9a-f]{32}$")
    expires: int

    def district_identity(self) -> PublicIdentity:
        return PublicIdentity.from_dict(self.district_keys)


def encode_code(code: EnrolmentCode) -> str:
    raw = zlib.compress(code.model_dump_json().encode(), 9)
    return CODE_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_code(text: str) -> EnrolmentCode:
    text = "".join(text.split())
    if not text.startswith(CODE_PREFIX) or len(text) > MAX_CODE_CHARS:
        raise InvalidValue("enrol.bad_code")
    body = text[len(CODE_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        decompressor = zlib.decompressobj()
        data = decompressor.decompress(raw, 64 * 1024)
        if decompressor.unconsumed_tail:
            raise ValueError("too large")
        code = EnrolmentCode.model_validate_json(data)
        code.district_identity()
    except (ValueError, zlib.error, ValidationError):
        raise InvalidValue("enrol.bad_code") from None
    return code


def check_proof(stored_hash: str, request: EnrolRequest) -> bool:
    """Whether the request proves the secret whose hash the district stored."""
    return enrolment_proof.check_proof(
        stored_hash,
        request.worker_id,
        request.replica_id,
        request.identity().fingerprint_hex,
        request.proof,
    )


class EnrolRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district_id: str = Field(max_length=64)
    worker_id: str = Field(max_length=64)
    replica_id: str = Field(max_length=64)
    keys: dict[str, str]
    proof: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_ms: int = Field(default_factory=lambda: time.time_ns() // 1_000_000)

    def identity(self) -> PublicIdentity:
        return PublicIdentity.from_dict(self.keys)


def build_request(code: EnrolmentCode, identity: Identity, replica_id: str) -> bytes:
    public = identity.public
    request = EnrolRequest(
        district_id=code.district_id,
        worker_id=code.worker_id,
        replica_id=replica_id,
        keys=public.to_dict(),
        proof=enrolment_proof.proof(
            code.secret, code.worker_id, replica_id, public.fingerprint_hex
        ),
    )
    body = json.dumps(request.model_dump(), sort_keys=True, separators=(",", ":")).encode()
    signed = ENROL_MAGIC + _LENGTH.pack(len(body)) + body
    return signed + identity.sign(signed)


def named_worker(data: bytes) -> str | None:
    """The worker id an enrolment request names, UNCHECKED (no signature, no model): for
    the server's throttle and its log, before any cryptography is spent; None when the
    framing or the JSON does not parse."""
    head = len(ENROL_MAGIC) + _LENGTH.size
    if len(data) > MAX_ENROL_BYTES or len(data) < head or not data.startswith(ENROL_MAGIC):
        return None
    (length,) = _LENGTH.unpack(data[len(ENROL_MAGIC) : head])
    try:
        fields = json.loads(data[head : head + length])
    except (ValueError, RecursionError):
        return None
    worker_id = fields.get("worker_id") if isinstance(fields, dict) else None
    return worker_id if isinstance(worker_id, str) else None


def read_request(data: bytes) -> EnrolRequest:
    """Parse and check the self-signature; BundleRejected for anything else."""
    if not isinstance(data, bytes | bytearray) or len(data) > MAX_ENROL_BYTES:
        raise BundleRejected("enrol.bad_request")
    data = bytes(data)
    head = len(ENROL_MAGIC) + _LENGTH.size
    if len(data) < head + SIGNATURE_BYTES or not data.startswith(ENROL_MAGIC):
        raise BundleRejected("enrol.bad_request")
    (length,) = _LENGTH.unpack(data[len(ENROL_MAGIC) : head])
    if head + length + SIGNATURE_BYTES != len(data):
        raise BundleRejected("enrol.bad_request")
    signed, signature = data[: head + length], data[head + length :]
    try:
        request = EnrolRequest.model_validate_json(data[head : head + length])
        identity = request.identity()
    except (ValidationError, ValueError):
        raise BundleRejected("enrol.bad_request") from None
    if not identity.verify(signature, signed):
        raise BundleRejected("bundle.bad_signature")
    return request
