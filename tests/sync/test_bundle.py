"""Sync bundles: round trip, tamper and truncation rejection, limits, and the spec.

Real keys and real crypto throughout. `frame()` builds bundles by hand, following the
byte layout of docs/protocol.md, so that tests reach the checks behind the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import struct
import tracemalloc
import zlib
from typing import Any

import pytest
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldkit import errors, i18n
from fieldkit.crypto.identity import Identity, PublicIdentity
from fieldkit.errors import BundleRejected
from fieldkit.i18n import t
from fieldkit.sync import bundle as bundle_module
from fieldkit.sync.bundle import (
    BUNDLE_MAGIC,
    MAX_BUNDLE_BYTES,
    MAX_HEADER_BYTES,
    BundleHeader,
    encode_bundle,
    open_bundle,
    read_bundle,
    read_header,
)

WORKER = Identity.generate()
DISTRICT = Identity.generate()
MALLORY = Identity.generate()
SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
KNOWN = {"w-0042": WORKER.public, "district": DISTRICT.public}
PAYLOAD = b'{"changes":[{"id":"w-0042:1","op":"add"}]}'

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def header(**overrides: Any) -> BundleHeader:
    fields: dict[str, Any] = {
        "kind": "sync",
        "sender": "w-0042",
        "recipient": "district",
        "sender_key": WORKER.public.fingerprint_hex,
        "recipient_key": DISTRICT.public.fingerprint_hex,
        "counter": 7,
        "ack": 3,
        "cursor": 12,
        "changes": 1,
        "digest": "ab" * 32,
    }
    fields.update(overrides)
    return BundleHeader(**fields)


def make(payload: bytes = PAYLOAD, **overrides: Any) -> bytes:
    return encode_bundle(header(**overrides), payload, WORKER, DISTRICT.public)


def open_at_district(data: bytes) -> tuple[BundleHeader, bytes]:
    return open_bundle(data, recipient=DISTRICT, recipient_id="district", sender_key=KNOWN.get)


def rejected(data: Any, opener: Any = open_at_district) -> str:
    with pytest.raises(BundleRejected) as info:
        opener(data)
    return info.value.key


def frame(
    header_bytes: bytes,
    body: bytes,
    *,
    signer: Identity | None = WORKER,
    signature: bytes | None = None,
    version: int = 1,
    magic: bytes = BUNDLE_MAGIC,
) -> bytes:
    """A bundle assembled by hand: prefix, header, ciphertext, signature."""
    signed = (
        magic
        + bytes([version])
        + struct.pack(">I", len(header_bytes))
        + header_bytes
        + struct.pack(">I", len(body))
        + body
    )
    if signature is None:
        signature = signer.sign(signed) if signer else bytes(64)
    return signed + signature


def sealed(header_bytes: bytes, plaintext: bytes, to: PublicIdentity = DISTRICT.public) -> bytes:
    """HPKE ciphertext of `plaintext` with the info the spec prescribes for this header."""
    info = BUNDLE_MAGIC + b"\x01" + struct.pack(">I", len(header_bytes)) + header_bytes
    return SUITE.encrypt(plaintext, to.hpke_public_key(), info=info)


def split(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(header bytes, ciphertext, signature) of a well-formed bundle."""
    (header_len,) = struct.unpack_from(">I", data, 9)
    header_bytes = data[13 : 13 + header_len]
    (ct_len,) = struct.unpack_from(">I", data, 13 + header_len)
    body = data[17 + header_len : 17 + header_len + ct_len]
    return header_bytes, body, data[-64:]


BUNDLE = make()
OTHER = make(b"another payload", counter=9)


# --- round trip -------------------------------------------------------------------------


def test_bundle_round_trips_header_and_payload() -> None:
    got_header, got_payload = open_at_district(BUNDLE)
    assert got_payload == PAYLOAD
    assert got_header == read_header(BUNDLE)
    assert got_header.sender == "w-0042"
    assert (got_header.counter, got_header.ack, got_header.cursor) == (7, 3, 12)
    assert got_header.suite == "MLKEM768X25519-HKDFSHA256-CHACHA20POLY1305"


@pytest.mark.parametrize("payload", [b"", os.urandom(100_000), b"\0" * 1_000_000])
def test_any_payload_round_trips(payload: bytes) -> None:
    assert open_at_district(make(payload))[1] == payload


def test_payload_is_not_readable_in_the_bundle() -> None:
    secret = b"Situation: very distinctive follow-up text " * 20
    data = make(secret)
    assert secret[:40] not in data
    assert zlib.compress(secret, 6)[2:40] not in data
    assert open_at_district(data)[1] == secret


def test_the_same_content_encrypts_differently_each_time() -> None:
    h = header()
    first = encode_bundle(h, PAYLOAD, WORKER, DISTRICT.public)
    second = encode_bundle(h, PAYLOAD, WORKER, DISTRICT.public)
    assert split(first)[0] == split(second)[0]
    assert split(first)[1] != split(second)[1]


def test_header_is_canonical_json_with_the_documented_fields() -> None:
    header_bytes = split(BUNDLE)[0]
    fields = json.loads(header_bytes)
    assert header_bytes == json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    assert set(fields) == {
        "kind", "sender", "recipient", "sender_key", "recipient_key", "bundle_id",
        "counter", "ack", "cursor", "created_ms", "suite", "changes", "digest",
    }  # fmt: skip
    assert len(fields["bundle_id"]) == 32
    assert header().bundle_id != header().bundle_id


def test_encode_refuses_keys_that_do_not_match_the_header() -> None:
    with pytest.raises(ValueError):
        encode_bundle(header(), PAYLOAD, MALLORY, DISTRICT.public)
    with pytest.raises(ValueError):
        encode_bundle(header(), PAYLOAD, WORKER, MALLORY.public)


def test_header_model_refuses_bad_fields() -> None:
    for bad in (
        {"kind": "delete-everything"},
        {"counter": 0},
        {"ack": -1},
        {"changes": 200_001},
        {"sender": "w 42"},
        {"sender": ""},
        {"sender_key": "AB" * 32},
        {"bundle_id": "not-a-uuid"},
        {"unknown": 1},
    ):
        with pytest.raises(ValueError):
            header(**bad)


# --- who may open it ----------------------------------------------------------------------


def test_wrong_recipient_id_is_rejected() -> None:
    with pytest.raises(BundleRejected) as info:
        open_bundle(BUNDLE, recipient=DISTRICT, recipient_id="w-0043", sender_key=KNOWN.get)
    assert info.value.key == "bundle.wrong_recipient"


def test_bundle_for_another_key_of_the_recipient_is_rejected() -> None:
    with pytest.raises(BundleRejected) as info:
        open_bundle(BUNDLE, recipient=MALLORY, recipient_id="district", sender_key=KNOWN.get)
    assert info.value.key == "bundle.recipient_key_mismatch"


def test_unknown_sender_is_rejected() -> None:
    with pytest.raises(BundleRejected) as info:
        open_bundle(BUNDLE, recipient=DISTRICT, recipient_id="district", sender_key=lambda _: None)
    assert info.value.key == "bundle.unknown_sender"
    assert info.value.params == {"sender": "w-0042"}


def test_sender_whose_key_on_record_differs_is_rejected() -> None:
    with pytest.raises(BundleRejected) as info:
        open_bundle(
            BUNDLE, recipient=DISTRICT, recipient_id="district", sender_key=lambda _: MALLORY.public
        )
    assert info.value.key == "bundle.sender_key_mismatch"


def test_error_raised_by_the_key_lookup_propagates() -> None:
    def revoked(sender: str) -> PublicIdentity:
        raise errors.Refused("worker.revoked")

    with pytest.raises(errors.Refused):
        open_bundle(BUNDLE, recipient=DISTRICT, recipient_id="district", sender_key=revoked)


def test_signature_by_another_key_is_rejected() -> None:
    # Mallory knows the worker's public fingerprint and forges a bundle in its name.
    h = header().to_bytes()
    forged = frame(h, sealed(h, PAYLOAD), signer=MALLORY)
    assert read_header(forged).sender == "w-0042"
    assert rejected(forged) == "bundle.bad_signature"


def test_signature_of_another_bundle_is_rejected() -> None:
    other = make(counter=8)
    assert rejected(BUNDLE[:-64] + other[-64:]) == "bundle.bad_signature"


def test_header_swapped_from_another_bundle_is_rejected() -> None:
    other = make(b"other payload", counter=8, ack=5)
    h_other = split(other)[0]
    _, body, signature = split(BUNDLE)
    assert rejected(frame(h_other, body, signature=signature)) == "bundle.bad_signature"


def test_header_swap_resigned_by_the_sender_fails_decryption() -> None:
    # The header is HPKE info: even the sender cannot move a ciphertext under a new header.
    h_other = split(make(counter=8))[0]
    assert rejected(frame(h_other, split(BUNDLE)[1])) == "bundle.undecryptable"


def test_signature_is_checked_before_decryption() -> None:
    h = split(BUNDLE)[0]
    garbage = frame(h, os.urandom(2000), signer=MALLORY)
    assert rejected(garbage) == "bundle.bad_signature"
    assert rejected(frame(h, os.urandom(2000))) == "bundle.undecryptable"


@pytest.mark.parametrize("body_size", [0, 1, 1119, 1135, 1136])
def test_signed_ciphertext_too_short_to_hold_hpke_output_is_undecryptable(body_size: int) -> None:
    assert rejected(frame(split(BUNDLE)[0], os.urandom(body_size))) == "bundle.undecryptable"


def test_bundle_encrypted_to_someone_else_is_undecryptable() -> None:
    h = split(BUNDLE)[0]
    assert rejected(frame(h, sealed(h, PAYLOAD, to=MALLORY.public))) == "bundle.undecryptable"


# --- tampering ----------------------------------------------------------------------------


def test_every_single_byte_flip_is_rejected() -> None:
    for position in range(len(BUNDLE)):
        for mask in (0x01, 0x80, 0xFF):
            tampered = bytearray(BUNDLE)
            tampered[position] ^= mask
            with pytest.raises(BundleRejected):
                open_at_district(bytes(tampered))


def test_truncation_at_every_length_is_rejected() -> None:
    for length in range(len(BUNDLE)):
        with pytest.raises(BundleRejected):
            read_header(BUNDLE[:length])
        with pytest.raises(BundleRejected):
            open_at_district(BUNDLE[:length])


def test_trailing_bytes_are_rejected() -> None:
    assert rejected(BUNDLE + b"\0") == "bundle.malformed"
    assert rejected(BUNDLE + BUNDLE) == "bundle.malformed"


def test_bad_magic_and_unknown_version_are_named() -> None:
    assert rejected(b"PK\x03\x04" + BUNDLE[4:]) == "bundle.bad_magic"
    assert rejected(frame(split(BUNDLE)[0], b"", version=2)) == "bundle.unsupported_version"
    assert rejected(frame(split(BUNDLE)[0], b"", version=0)) == "bundle.unsupported_version"
    assert rejected(b"FKBUNDLE\x02", read_header) == "bundle.unsupported_version"
    assert rejected(b"FKBUN", read_header) == "bundle.malformed"


def test_unknown_cipher_suite_is_rejected_before_any_key_is_used() -> None:
    fields = json.loads(split(BUNDLE)[0])
    fields["suite"] = "KYBER512-HKDFSHA256-AES128GCM"
    h = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    assert rejected(frame(h, b"x"), read_header) == "bundle.unsupported_suite"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda f: f.update(kind="purge"),
        lambda f: f.update(counter=0),
        lambda f: f.update(counter="7"),
        lambda f: f.update(counter=True),
        lambda f: f.update(counter=7.0),
        lambda f: f.update(counter=2**63),
        lambda f: f.update(changes=200_001),
        lambda f: f.update(sender="w\n0042"),
        lambda f: f.update(digest="a b"),
        lambda f: f.update(sender_key=f["sender_key"].upper()),
        lambda f: f.update(extra=1),
        lambda f: f.pop("counter"),
    ],
)
def test_signed_header_with_invalid_fields_is_malformed(mutate: Any) -> None:
    fields = json.loads(split(BUNDLE)[0])
    mutate(fields)
    h = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    data = frame(h, sealed(h, PAYLOAD))
    assert rejected(data, read_header) == "bundle.malformed"
    assert rejected(data) == "bundle.malformed"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"[]",
        b"null",
        b"\xef\xbb\xbf{}",
        b'{"counter":NaN}',
        b"\xff\xfe{}",
        b"[" * 10_000 + b"]" * 10_000,
        b'{"a":' + b"9" * 5000 + b"}",
    ],
)
def test_header_that_is_not_a_json_object_is_malformed(raw: bytes) -> None:
    assert rejected(frame(raw, b"x"), read_header) == "bundle.malformed"


def test_header_with_a_repeated_key_is_malformed_even_when_signed() -> None:
    # Readers that keep the first or the last duplicate must never disagree on a sender.
    h = split(BUNDLE)[0]
    duplicated = h[:-1] + b',"sender":"w-0099"}'
    assert rejected(frame(duplicated, sealed(duplicated, PAYLOAD)), read_header) == (
        "bundle.malformed"
    )


def test_non_canonical_but_valid_signed_header_is_accepted() -> None:
    fields = json.loads(split(BUNDLE)[0])
    h = json.dumps(fields, indent=2).encode()  # unsorted keys and whitespace
    got_header, got_payload = open_at_district(frame(h, sealed(h, zlib.compress(PAYLOAD))))
    assert got_header == read_header(BUNDLE)
    assert got_payload == PAYLOAD


# --- payload and limits -----------------------------------------------------------------


def test_corrupt_compressed_payload_is_rejected_even_when_signed() -> None:
    h = split(BUNDLE)[0]
    for plaintext in (b"not zlib", zlib.compress(PAYLOAD)[:-3], zlib.compress(PAYLOAD) + b"!"):
        assert rejected(frame(h, sealed(h, plaintext))) == "bundle.bad_compression"


def test_decompression_bomb_is_stopped_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    limit = 1 << 20
    monkeypatch.setattr(bundle_module, "MAX_PAYLOAD_BYTES", limit)
    h = split(BUNDLE)[0]
    bomb = zlib.compress(b"\0" * (64 * limit), 9)  # 64 MiB from about 64 KiB
    assert len(bomb) < limit // 8
    data = frame(h, sealed(h, bomb))
    tracemalloc.start()
    try:
        assert rejected(data) == "bundle.payload_too_large"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * limit  # inflating stopped near the limit, not at 64 MiB
    exact = frame(h, sealed(h, zlib.compress(b"\0" * limit)))
    assert open_at_district(exact)[1] == b"\0" * limit


def test_encode_refuses_a_payload_over_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle_module, "MAX_PAYLOAD_BYTES", 1000)
    with pytest.raises(BundleRejected) as info:
        make(b"x" * 1001)
    assert info.value.key == "bundle.payload_too_large"


def test_oversize_input_is_rejected_on_its_length_alone() -> None:
    huge = bytearray(MAX_BUNDLE_BYTES + 1)
    huge[: len(BUNDLE)] = BUNDLE
    for reader in (read_header, open_at_district):
        with pytest.raises(BundleRejected) as info:
            reader(huge)
        assert info.value.key == "bundle.too_large"
        assert info.value.params == {"size": MAX_BUNDLE_BYTES + 1, "limit": MAX_BUNDLE_BYTES}


def test_declared_header_length_over_the_limit_is_rejected() -> None:
    data = BUNDLE_MAGIC + b"\x01" + struct.pack(">I", MAX_HEADER_BYTES + 1) + bytes(100)
    assert rejected(data, read_header) == "bundle.malformed"


class CountingStream(io.RawIOBase):
    """A stream of `data` followed by zeros without end, counting what is read."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = len(buffer)
        chunk = self.data[self.consumed : self.consumed + n]
        chunk += bytes(n - len(chunk))
        buffer[:n] = chunk
        self.consumed += n
        return n


def test_read_bundle_reads_exactly_one_bundle() -> None:
    assert read_bundle(io.BytesIO(BUNDLE)) == BUNDLE
    assert open_at_district(read_bundle(io.BytesIO(BUNDLE)))[1] == PAYLOAD


def test_read_bundle_refuses_an_oversize_declaration_without_reading_the_body() -> None:
    h, _, _ = split(BUNDLE)
    prefix = BUNDLE_MAGIC + b"\x01" + struct.pack(">I", len(h)) + h + struct.pack(">I", 2**32 - 1)
    stream = CountingStream(prefix)
    with pytest.raises(BundleRejected) as info:
        read_bundle(stream)
    assert info.value.key == "bundle.too_large"
    assert stream.consumed == len(prefix)


def test_read_bundle_refuses_a_stream_that_goes_on_after_the_signature() -> None:
    stream = CountingStream(BUNDLE)
    with pytest.raises(BundleRejected) as info:
        read_bundle(stream)
    assert info.value.key == "bundle.malformed"
    assert stream.consumed <= len(BUNDLE) + 1


@pytest.mark.parametrize("length", [0, 5, 13, 100, len(BUNDLE) - 1])
def test_read_bundle_refuses_a_truncated_stream(length: int) -> None:
    with pytest.raises(BundleRejected):
        read_bundle(io.BytesIO(BUNDLE[:length]))


def test_read_bundle_refuses_a_foreign_file_at_once() -> None:
    stream = CountingStream(b"%PDF-1.7\n")
    with pytest.raises(BundleRejected) as info:
        read_bundle(stream)
    assert info.value.key == "bundle.bad_magic"
    assert stream.consumed == 13


# --- arbitrary input ----------------------------------------------------------------------


def assert_only_rejected(data: bytes) -> None:
    """read_header may parse or reject; open_bundle must reject; nothing else escapes."""
    try:
        parsed: BundleHeader | None = read_header(data)
    except BundleRejected:
        parsed = None
    assert parsed is None or isinstance(parsed, BundleHeader)
    with pytest.raises(BundleRejected):
        open_at_district(data)


@FAST
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_raise_only_bundle_rejected(data: bytes) -> None:
    assert_only_rejected(data)
    assert_only_rejected(BUNDLE_MAGIC + b"\x01" + data)


@FAST
@given(
    st.binary(max_size=600),
    st.binary(max_size=2000),
    st.binary(min_size=64, max_size=64),
)
def test_well_framed_garbage_raises_only_bundle_rejected(
    header_bytes: bytes, body: bytes, signature: bytes
) -> None:
    assert_only_rejected(frame(header_bytes, body, signature=signature))


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=70)
header_values = st.dictionaries(
    st.sampled_from(sorted(BundleHeader.model_fields)) | st.text(max_size=10),
    st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=5),
    max_size=14,
)


@FAST
@given(header_values, st.booleans())
def test_arbitrary_signed_headers_raise_only_bundle_rejected(
    fields: dict[str, Any], start_valid: bool
) -> None:
    if start_valid:
        fields = {**json.loads(split(BUNDLE)[0]), **fields}
    h = json.dumps(fields).encode()
    data = frame(h, sealed(h, zlib.compress(PAYLOAD)))
    try:
        got_header, payload = open_at_district(data)
    except BundleRejected:
        return
    # Accepted only when the fields form a valid header from the real sender.
    assert got_header == BundleHeader.model_validate(fields)
    assert payload == PAYLOAD


@st.composite
def mutations(draw: st.DrawFn) -> bytes:
    data = bytearray(BUNDLE)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "overwrite", "splice"]))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[at : at + len(chunk)] = chunk
        else:
            start = draw(st.integers(0, len(OTHER) - 1))
            data[at:] = OTHER[start:]
    return bytes(data)


@FAST
@given(mutations())
def test_mutated_bundles_raise_only_bundle_rejected(data: bytes) -> None:
    if data in (BUNDLE, OTHER):
        return  # the mutations undid themselves or rebuilt the other genuine bundle
    assert_only_rejected(data)


@pytest.mark.parametrize("data", [None, "FKBUNDLE", 42, [BUNDLE]])
def test_non_bytes_input_is_rejected(data: Any) -> None:
    assert rejected(data, read_header) == "bundle.malformed"
    assert rejected(data) == "bundle.malformed"


def test_bytearray_and_memoryview_input_are_accepted() -> None:
    assert open_at_district(bytearray(BUNDLE))[1] == PAYLOAD
    assert open_at_district(memoryview(BUNDLE))[1] == PAYLOAD


# --- messages -----------------------------------------------------------------------------

REASONS = [
    "bundle.too_large",
    "bundle.malformed",
    "bundle.bad_magic",
    "bundle.unsupported_version",
    "bundle.unsupported_suite",
    "bundle.wrong_recipient",
    "bundle.recipient_key_mismatch",
    "bundle.unknown_sender",
    "bundle.sender_key_mismatch",
    "bundle.bad_signature",
    "bundle.undecryptable",
    "bundle.bad_compression",
    "bundle.payload_too_large",
]


@pytest.mark.parametrize("key", REASONS)
def test_every_rejection_has_an_english_and_a_french_message(
    key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = {"size": 70_000_000, "limit": 67_108_864, "version": 2, "sender": "w-0042"}
    error = BundleRejected(key, **params)
    assert error.exit_code == errors.INTEGRITY == 7
    monkeypatch.setenv("FIELDKIT_LANG", "en")
    english = str(error)
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    i18n.reset()  # the language is resolved once per process
    french = str(error)
    assert english.startswith("bundle rejected: ")
    assert french.startswith("paquet refusé : ")
    assert english != french
    assert "{" not in english + french
    assert t(key) != key


# --- the spec: an independent reader following docs/protocol.md alone -------------------


def spec_open(data: bytes, recipient_secret: bytes, sender_public: dict[str, str]) -> bytes:
    """Read, verify and decrypt a bundle with primitives only, as docs/protocol.md says."""
    assert data[:8] == b"FKBUNDLE" and data[8] == 1
    (header_len,) = struct.unpack(">I", data[9:13])
    header_bytes = data[13 : 13 + header_len]
    (ct_len,) = struct.unpack(">I", data[13 + header_len : 17 + header_len])
    body = data[17 + header_len : 17 + header_len + ct_len]
    signature = data[17 + header_len + ct_len :]
    assert len(signature) == 64
    fields = json.loads(header_bytes)

    import base64

    signing = base64.b64decode(sender_public["signing"])
    hpke_pub = base64.b64decode(sender_public["hpke"])
    fingerprint = hashlib.sha256(
        b"fieldkit/identity-fingerprint/v1"
        + struct.pack(">I", len(signing))
        + signing
        + struct.pack(">I", len(hpke_pub))
        + hpke_pub
    ).hexdigest()
    assert fields["sender_key"] == fingerprint
    ed25519.Ed25519PublicKey.from_public_bytes(signing).verify(signature, data[:-64])

    # Identity encoding: "FKID", version 1, Ed25519 seed, ML-KEM-768 seed, X25519 key.
    assert recipient_secret[:5] == b"FKID\x01"
    kem_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(recipient_secret[37:101])
    dh_key = x25519.X25519PrivateKey.from_private_bytes(recipient_secret[101:133])

    # X-Wing decapsulation of enc = ct_M (1088) || ct_X (32).
    enc, sealed_box = body[:1120], body[1120:]
    ct_x = enc[1088:]
    ss_m = kem_key.decapsulate(enc[:1088])
    ss_x = dh_key.exchange(x25519.X25519PublicKey.from_public_bytes(ct_x))
    pk_x = dh_key.public_key().public_bytes_raw()
    shared = hashlib.sha3_256(ss_m + ss_x + ct_x + pk_x + b"\\.//^\\").digest()

    # RFC 9180 base-mode key schedule; suite = KEM 0x647A, KDF 0x0001, AEAD 0x0003.
    suite_id = b"HPKE" + struct.pack(">HHH", 0x647A, 0x0001, 0x0003)

    def extract(salt: bytes, label: bytes, ikm: bytes) -> bytes:
        key = salt or bytes(32)
        return hmac.new(key, b"HPKE-v1" + suite_id + label + ikm, hashlib.sha256).digest()

    def expand(prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
        labeled = struct.pack(">H", length) + b"HPKE-v1" + suite_id + label + info
        out, block, counter = b"", b"", 1
        while len(out) < length:
            block = hmac.new(prk, block + labeled + bytes([counter]), hashlib.sha256).digest()
            out, counter = out + block, counter + 1
        return out[:length]

    info = data[: 13 + header_len]
    context = b"\x00" + extract(b"", b"psk_id_hash", b"") + extract(b"", b"info_hash", info)
    secret = extract(shared, b"secret", b"")
    key = expand(secret, b"key", context, 32)
    nonce = expand(secret, b"base_nonce", context, 12)
    compressed = ChaCha20Poly1305(key).decrypt(nonce, sealed_box, b"")
    return zlib.decompress(compressed)


def test_a_reader_written_from_the_spec_opens_a_bundle() -> None:
    payload = os.urandom(300) + b"x" * 5000
    data = make(payload)
    assert spec_open(data, DISTRICT.to_bytes(), WORKER.public.to_dict()) == payload


def test_a_bundle_head_gives_its_unverified_header_and_its_whole_length() -> None:
    from fieldkit.sync.bundle import head_length, read_head, read_header

    data = make()
    need = head_length(data[: bundle_module.PREFIX_BYTES])
    head, total = read_head(data[:need])
    assert head == read_header(data) and total == len(data)


def test_a_bundle_head_declaring_more_than_the_limit_is_refused_from_the_head_alone() -> None:
    from fieldkit.sync.bundle import head_length, read_head

    data = make()
    need = head_length(data[: bundle_module.PREFIX_BYTES])
    head = bytearray(data[:need])
    struct.pack_into(">I", head, need - 4, bundle_module.MAX_BUNDLE_BYTES)  # ciphertext length
    with pytest.raises(BundleRejected) as caught:
        read_head(bytes(head))
    assert caught.value.key == "bundle.too_large"
    for bad in (b"", b"XXBUNDLE" + data[8:need], data[: need - 1], data[:need] + b"x"):
        with pytest.raises(BundleRejected):
            read_head(bad)
