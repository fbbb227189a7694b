"""Sync bundles: frame, sign, encrypt, verify and decode them, and nothing else.

The cipher suite is fieldkit/crypto/envelope.py and the signing keys
fieldkit/crypto/identity.py; this module holds the framing. The payload is opaque
bytes here; what it holds is the sync layer's business. The byte layout, the order of
the checks and the limits are specified in docs/protocol.md.
Replayed or rolled-back counters and revoked senders are the caller's checks: they
need the store's state, which this module does not see.
"""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fieldkit.crypto.envelope import (
    DEFAULT_SUITE,
    SUPPORTED_SUITES,
    Undecryptable,
    open_for,
    seal_to,
)
from fieldkit.crypto.identity import SIGNATURE_BYTES, Identity, PublicIdentity
from fieldkit.errors import BundleRejected
from fieldkit.replica import clock

BUNDLE_MAGIC = b"FKBUNDLE"
BUNDLE_VERSION = 1
BUNDLE_KINDS = frozenset({"sync", "reply", "enrol-request", "enrol-reply", "wipe"})

MAX_BUNDLE_BYTES = 64 * 1024 * 1024
MAX_PAYLOAD_BYTES = 256 * 1024 * 1024  # after decompression
MAX_HEADER_BYTES = 16 * 1024
MAX_CHANGES = 200_000
MAX_INT = 2**63 - 1  # every integer field fits a signed 64-bit column elsewhere

_PREFIX = struct.Struct(">8sBI")  # magic, version, header length
_LENGTH = struct.Struct(">I")  # ciphertext length
PREFIX_BYTES = _PREFIX.size  # 13
MIN_BUNDLE_BYTES = PREFIX_BYTES + _LENGTH.size + SIGNATURE_BYTES  # 81, empty header and body
COMPRESSION_LEVEL = 6

ReplicaId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$")]
Fingerprint = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]


class BundleHeader(BaseModel):
    """The clear, signed part of a bundle. JSON field names are the attribute names."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    kind: str
    sender: ReplicaId
    recipient: ReplicaId
    sender_key: Fingerprint
    recipient_key: Fingerprint
    bundle_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")] = Field(
        default_factory=lambda: uuid.uuid4().hex
    )
    counter: Annotated[int, Field(ge=1, le=MAX_INT)]
    ack: Count = 0
    cursor: Count = 0
    created_ms: Count = Field(default_factory=lambda: clock.wall_clock_ms())
    suite: Annotated[str, Field(max_length=64, pattern=r"^[A-Z0-9-]+$")] = DEFAULT_SUITE
    changes: Annotated[int, Field(ge=0, le=MAX_CHANGES)] = 0
    digest: Annotated[str, Field(max_length=256, pattern=r"^[\x21-\x7e]*$")] = ""

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in BUNDLE_KINDS:
            raise ValueError("unknown bundle kind")
        return value

    def to_bytes(self) -> bytes:
        """The canonical encoding: compact JSON, keys sorted, ASCII only."""
        return json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=True
        ).encode("ascii")


@dataclass(frozen=True)
class _Parsed:
    header: BundleHeader
    info: bytes  # magic .. end of header: the HPKE info
    ciphertext: bytes
    signed: bytes  # magic .. end of ciphertext
    signature: bytes


def encode_bundle(
    header: BundleHeader, payload: bytes, sender: Identity, recipient: PublicIdentity
) -> bytes:
    """The bundle carrying `payload` from `sender` to `recipient`, signed and encrypted.

    ValueError if the header's key fingerprints are not those of `sender` and
    `recipient`; BundleRejected (payload_too_large or too_large) if the result would
    exceed what a receiver accepts, so that the caller splits its changes instead.
    """
    if header.sender_key != sender.public.fingerprint_hex:
        raise ValueError("header.sender_key is not the sender's fingerprint")
    if header.recipient_key != recipient.fingerprint_hex:
        raise ValueError("header.recipient_key is not the recipient's fingerprint")
    if header.suite not in SUPPORTED_SUITES:
        raise ValueError("unsupported cipher suite")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise BundleRejected("bundle.payload_too_large", limit=MAX_PAYLOAD_BYTES)
    header_bytes = header.to_bytes()
    if len(header_bytes) > MAX_HEADER_BYTES:
        raise ValueError("header too large")
    info = _PREFIX.pack(BUNDLE_MAGIC, BUNDLE_VERSION, len(header_bytes)) + header_bytes
    ciphertext = seal_to(recipient, zlib.compress(payload, COMPRESSION_LEVEL), info)
    signed = info + _LENGTH.pack(len(ciphertext)) + ciphertext
    if len(signed) + SIGNATURE_BYTES > MAX_BUNDLE_BYTES:
        raise BundleRejected(
            "bundle.too_large", size=len(signed) + SIGNATURE_BYTES, limit=MAX_BUNDLE_BYTES
        )
    return signed + sender.sign(signed)


def read_header(data: bytes) -> BundleHeader:
    """The header of a bundle, UNVERIFIED: use it only to find the sender's key.

    Checks the framing and the header's fields, nothing cryptographic. Raises
    BundleRejected, and nothing else, for any input.
    """
    return _parse(data).header


def head_length(prefix: bytes) -> int:
    """How many of a bundle's first bytes hold its header and its ciphertext's length,
    from its first PREFIX_BYTES: what a server reads before it decides to read the rest.
    Raises BundleRejected, and nothing else, for any input."""
    if not isinstance(prefix, bytes | bytearray) or len(prefix) < PREFIX_BYTES:
        raise BundleRejected("bundle.malformed")
    magic, version, header_len = _PREFIX.unpack_from(prefix)
    _check_prefix(magic, version, header_len)
    return PREFIX_BYTES + header_len + _LENGTH.size


def read_head(head: bytes) -> tuple[BundleHeader, int]:
    """The header of a bundle, UNVERIFIED, and the bundle's whole declared length, from
    its first `head_length()` bytes, before the body is read (fieldkit/district/server.py).

    BundleRejected ("bundle.too_large") when the declared length is over the limit, and
    nothing but BundleRejected for any input. The caller reads exactly the declared
    length and passes the whole bundle to `open_bundle`, which checks everything again.
    """
    need = head_length(head[:PREFIX_BYTES])
    if len(head) != need:
        raise BundleRejected("bundle.malformed")
    (ct_len,) = _LENGTH.unpack_from(head, need - _LENGTH.size)
    total = need + ct_len + SIGNATURE_BYTES
    if total > MAX_BUNDLE_BYTES:
        raise BundleRejected("bundle.too_large", size=total, limit=MAX_BUNDLE_BYTES)
    header = _parse_header(bytes(head[PREFIX_BYTES : need - _LENGTH.size]))
    if header.suite not in SUPPORTED_SUITES:
        raise BundleRejected("bundle.unsupported_suite")
    return header, total


def open_bundle(
    data: bytes,
    *,
    recipient: Identity,
    recipient_id: str,
    sender_key: Callable[[str], PublicIdentity | None],
) -> tuple[BundleHeader, bytes]:
    """Verify, decrypt and decompress a bundle addressed to `recipient_id`.

    `sender_key(sender_id)` returns the key on record for a sender, or None if there is
    none; it is the caller's place to refuse revoked senders (it may raise its own
    error, which propagates). The signature is verified before anything is decrypted.
    Returns the verified header and the payload; raises BundleRejected, and nothing
    else, for any input bytes. The caller still has to reject a replayed or
    rolled-back ``counter`` and a ``bundle_id`` it has already applied.
    """
    parsed = _parse(data)
    header = parsed.header
    if header.recipient != recipient_id:
        raise BundleRejected("bundle.wrong_recipient")
    if header.recipient_key != recipient.public.fingerprint_hex:
        raise BundleRejected("bundle.recipient_key_mismatch")
    key = sender_key(header.sender)
    if key is None:
        raise BundleRejected("bundle.unknown_sender", sender=header.sender)
    if header.sender_key != key.fingerprint_hex:
        raise BundleRejected("bundle.sender_key_mismatch", sender=header.sender)
    if not key.verify(parsed.signature, parsed.signed):
        raise BundleRejected("bundle.bad_signature")
    try:
        compressed = open_for(recipient, parsed.ciphertext, parsed.info)
    except Undecryptable as exc:
        raise BundleRejected("bundle.undecryptable") from exc
    return header, _decompress(compressed)


def read_bundle(stream: IO[bytes]) -> bytes:
    """Read one bundle from a binary stream, never more than its declared lengths.

    For file and HTTP transports: a declared length over the limits is refused before
    its bytes are read, and bytes after the signature are refused. Only framing is
    checked; pass the result to `open_bundle`.
    """
    prefix = _read_exactly(stream, PREFIX_BYTES)
    magic, version, header_len = _PREFIX.unpack(prefix)
    _check_prefix(magic, version, header_len)
    head = prefix + _read_exactly(stream, header_len + _LENGTH.size)
    (ct_len,) = _LENGTH.unpack_from(head, PREFIX_BYTES + header_len)
    total = len(head) + ct_len + SIGNATURE_BYTES
    if total > MAX_BUNDLE_BYTES:
        raise BundleRejected("bundle.too_large", size=total, limit=MAX_BUNDLE_BYTES)
    data = head + _read_exactly(stream, ct_len + SIGNATURE_BYTES)
    if stream.read(1):
        raise BundleRejected("bundle.malformed")
    return data


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = stream.read(min(remaining, 1 << 20))
        if not chunk:
            raise BundleRejected("bundle.malformed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _check_prefix(magic: bytes, version: int, header_len: int) -> None:
    if magic != BUNDLE_MAGIC:
        raise BundleRejected("bundle.bad_magic")
    if version != BUNDLE_VERSION:
        raise BundleRejected("bundle.unsupported_version", version=version)
    if header_len > MAX_HEADER_BYTES:
        raise BundleRejected("bundle.malformed")


def _parse(data: Any) -> _Parsed:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BundleRejected("bundle.malformed")
    size = memoryview(data).nbytes
    if size > MAX_BUNDLE_BYTES:
        raise BundleRejected("bundle.too_large", size=size, limit=MAX_BUNDLE_BYTES)
    data = data if isinstance(data, bytes) else memoryview(data).tobytes()
    if not (data.startswith(BUNDLE_MAGIC) or BUNDLE_MAGIC.startswith(data)):
        raise BundleRejected("bundle.bad_magic")
    if len(data) > len(BUNDLE_MAGIC) and data[len(BUNDLE_MAGIC)] != BUNDLE_VERSION:
        raise BundleRejected("bundle.unsupported_version", version=data[len(BUNDLE_MAGIC)])
    if len(data) < MIN_BUNDLE_BYTES:
        raise BundleRejected("bundle.malformed")
    magic, version, header_len = _PREFIX.unpack_from(data)
    _check_prefix(magic, version, header_len)
    header_end = PREFIX_BYTES + header_len
    if header_end + _LENGTH.size > len(data):
        raise BundleRejected("bundle.malformed")
    (ct_len,) = _LENGTH.unpack_from(data, header_end)
    ct_start = header_end + _LENGTH.size
    ct_end = ct_start + ct_len
    if ct_end + SIGNATURE_BYTES != len(data):
        raise BundleRejected("bundle.malformed")
    header = _parse_header(data[PREFIX_BYTES:header_end])
    if header.suite not in SUPPORTED_SUITES:
        raise BundleRejected("bundle.unsupported_suite")
    return _Parsed(
        header=header,
        info=data[:header_end],
        ciphertext=data[ct_start:ct_end],
        signed=data[:ct_end],
        signature=data[ct_end:],
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two readers must never disagree on a signed header: a repeated key is refused.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_header(raw: bytes) -> BundleHeader:
    try:
        fields = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
        )
        if not isinstance(fields, dict):
            raise ValueError("header is not a JSON object")
        return BundleHeader.model_validate(fields)
    except (ValueError, RecursionError, ValidationError) as exc:
        raise BundleRejected("bundle.malformed") from exc


def _decompress(compressed: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        payload = inflater.decompress(compressed, MAX_PAYLOAD_BYTES + 1)
    except zlib.error as exc:
        raise BundleRejected("bundle.bad_compression") from exc
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise BundleRejected("bundle.payload_too_large", limit=MAX_PAYLOAD_BYTES)
    if not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
        raise BundleRejected("bundle.bad_compression")
    return payload
