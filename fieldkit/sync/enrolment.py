"""Enrolment: the one-time code the district hands over, and the worker's signed request.

The code (format 2, issue 17) is 32 Crockford base32 symbols in 8 groups of 4: an 80-bit
one-time secret and an 80-bit commitment to the district identity document. Everything
else travels in band, from the server or from a file on the stick, and is checked
against the commitment before anything is sent: the district's id, name, URL, public
keys, the server certificate's fingerprint, the worker's id, the code's expiry and the
charter to accept. `open_code` turns the code and a checked document into the
`EnrolmentCode` that the rest of enrolment works from.

The long code of format 1 (`FK1-…`) carried all of it; it still works until it expires.

The request proves possession of the secret (an HMAC, the secret itself never travels
back: fieldkit/crypto/enrolment.py) and of the worker's signing key (a self-signature),
and carries the signed charter acceptance when the district has a charter.
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
from fieldkit.crypto.charter import CharterAcceptance
from fieldkit.crypto.identity import SIGNATURE_BYTES, Identity, PublicIdentity
from fieldkit.errors import BundleRejected, IntegrityError, InvalidValue

CODE_PREFIX = "FK1-"
MAX_CODE_CHARS = 8192
ENROL_MAGIC = b"FKENROL1"
MAX_ENROL_BYTES = 64 * 1024
_LENGTH = struct.Struct(">I")


class CharterOffer(BaseModel):
    """The charter the district asks the worker to accept, as the identity document has it."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(max_length=40)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    text: str = Field(max_length=200_000)


class EnrolmentCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district_id: str = Field(max_length=64)
    district_name: str = Field(max_length=200)
    url: str | None = Field(default=None, max_length=500)
    tls_fingerprint: str | None = Field(default=None, max_length=128)
    district_keys: dict[str, str]
    worker_id: str = Field(max_length=64)
    # 32 hex digits in a long code (format 1), 20 from a short one (format 2).
    secret: str = Field(pattern=r"^(?:[0-9a-f]{20}|[0-9a-f]{32})$")
    expires: int
    charter: CharterOffer | None = None

    def district_identity(self) -> PublicIdentity:
        return PublicIdentity.from_dict(self.district_keys)


def encode_code(code: EnrolmentCode) -> str:
    raw = zlib.compress(code.model_dump_json(exclude={"charter"}).encode(), 9)
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


# The short code (format 2)

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
_FOLD = {"I": "1", "L": "1", "O": "0"}
_VALUE = {char: n for n, char in enumerate(ALPHABET)}
CODE_BYTES = enrolment_proof.SECRET_BYTES + enrolment_proof.COMMITMENT_BYTES
CODE_SYMBOLS = CODE_BYTES * 8 // 5  # 32
GROUP = 4
SEPARATOR = "-"
MAX_SHORT_CODE_CHARS = 40
IDENTITY_FORMAT = "fieldkit-district-identity/2"
MAX_IDENTITY_BYTES = 256 * 1024


def is_long_code(text: str) -> bool:
    """Whether `text` is a long code of format 1 (`FK1-…`), else it is read as a short one."""
    return "".join(text.split()).upper().startswith(CODE_PREFIX)


def encode_short(secret: bytes, commitment: bytes) -> str:
    """The code to hand over: 8 groups of 4 symbols, 39 characters."""
    raw = secret + commitment
    if len(raw) != CODE_BYTES:
        raise ValueError("secret and commitment are 10 bytes each")
    number = int.from_bytes(raw, "big")
    symbols = [ALPHABET[(number >> (5 * (CODE_SYMBOLS - 1 - i))) & 31] for i in range(CODE_SYMBOLS)]
    groups = ["".join(symbols[i : i + GROUP]) for i in range(0, CODE_SYMBOLS, GROUP)]
    return SEPARATOR.join(groups)


def decode_short(text: str) -> tuple[bytes, bytes]:
    """(secret, commitment) of a short code, typed in any case, with or without its
    hyphens or spaces; I and L are read as 1 and O as 0. InvalidValue for anything else."""
    if len(text) > 4 * MAX_SHORT_CODE_CHARS:
        raise InvalidValue("enrol.bad_code")
    symbols = [_FOLD.get(c, c) for c in text.upper() if c not in " \t\r\n-"]
    if len(symbols) != CODE_SYMBOLS or any(c not in _VALUE for c in symbols):
        raise InvalidValue("enrol.bad_code")
    number = 0
    for char in symbols:
        number = number << 5 | _VALUE[char]
    raw = number.to_bytes(CODE_BYTES, "big")
    return raw[: enrolment_proof.SECRET_BYTES], raw[enrolment_proof.SECRET_BYTES :]


class DistrictIdentity(BaseModel):
    """The district identity document (format 2): what travels in band, committed to by
    the short code. Its exact bytes are what the commitment covers."""

    model_config = ConfigDict(extra="forbid")

    format: str = Field(pattern=r"^fieldkit-district-identity/2$")
    district_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    url: str | None = Field(default=None, max_length=500)
    tls_fingerprint: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    keys: dict[str, str]
    worker_id: str = Field(max_length=64)
    expires: int
    charter: CharterOffer | None = None


def identity_document(identity: DistrictIdentity) -> bytes:
    """The document's bytes: JSON, keys sorted, no spaces, UTF-8 (not ASCII-escaped)."""
    data = identity.model_dump(mode="json")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def open_code(text: str, document: bytes, *, seen_tls: str | None = None) -> EnrolmentCode:
    """The enrolment a short code and a district identity document make, once the document
    is checked against the code's commitment (IntegrityError otherwise: a substituted file
    or server). With `seen_tls`, the fingerprint of the certificate the document came
    over, which must be the one the document names."""
    secret, commitment = decode_short(text)
    if len(document) > MAX_IDENTITY_BYTES or not enrolment_proof.commitment_matches(
        secret, document, commitment
    ):
        raise IntegrityError("enrol.identity_mismatch")
    try:
        identity = DistrictIdentity.model_validate_json(document)
        PublicIdentity.from_dict(identity.keys)
    except (ValidationError, ValueError):
        raise IntegrityError("enrol.identity_mismatch") from None
    if seen_tls is not None and seen_tls.lower() != (identity.tls_fingerprint or ""):
        raise IntegrityError("enrol.tls_mismatch")
    return EnrolmentCode(
        district_id=identity.district_id,
        district_name=identity.name,
        url=identity.url,
        tls_fingerprint=identity.tls_fingerprint,
        district_keys=identity.keys,
        worker_id=identity.worker_id,
        secret=enrolment_proof.secret_text(secret),
        expires=identity.expires,
        charter=identity.charter,
    )


def lookup_of(text: str) -> str:
    """The value the worker sends the server to fetch its identity document."""
    secret, _ = decode_short(text)
    return enrolment_proof.lookup(secret)


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
    charter: CharterAcceptance | None = None
    created_ms: int = Field(default_factory=lambda: time.time_ns() // 1_000_000)

    def identity(self) -> PublicIdentity:
        return PublicIdentity.from_dict(self.keys)


def build_request(
    code: EnrolmentCode,
    identity: Identity,
    replica_id: str,
    charter: CharterAcceptance | None = None,
) -> bytes:
    public = identity.public
    request = EnrolRequest(
        district_id=code.district_id,
        worker_id=code.worker_id,
        replica_id=replica_id,
        keys=public.to_dict(),
        proof=enrolment_proof.proof(
            code.secret, code.worker_id, replica_id, public.fingerprint_hex
        ),
        charter=charter,
    )
    # Without a charter the request's bytes are those of format 1 (no "charter" key).
    body = json.dumps(
        request.model_dump(exclude_none=True), sort_keys=True, separators=(",", ":")
    ).encode()
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
