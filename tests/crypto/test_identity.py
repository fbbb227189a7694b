"""Replica identities: key serialisation, fingerprints, signatures and HPKE keys."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.crypto.identity import (
    HPKE_PUBLIC_BYTES,
    IDENTITY_BYTES,
    Identity,
    PublicIdentity,
)

SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
ALICE = Identity.generate()
BOB = Identity.generate()


def test_generated_identities_differ() -> None:
    assert ALICE.public != BOB.public
    assert ALICE.public.fingerprint_bytes != BOB.public.fingerprint_bytes
    assert ALICE.to_bytes() != BOB.to_bytes()


def test_identity_bytes_round_trip_to_the_same_working_keys() -> None:
    data = ALICE.to_bytes()
    assert len(data) == IDENTITY_BYTES == 133
    assert data[:5] == b"FKID\x01"
    restored = Identity.from_bytes(data)
    assert restored.public == ALICE.public
    assert restored.to_bytes() == data
    # The restored keys sign and decrypt as the originals do.
    assert ALICE.public.verify(restored.sign(b"message"), b"message")
    ciphertext = SUITE.encrypt(b"secret", ALICE.public.hpke_public_key(), info=b"ctx")
    assert SUITE.decrypt(ciphertext, restored.hpke_private_key(), info=b"ctx") == b"secret"


def test_identity_from_bytearray_and_memoryview() -> None:
    data = ALICE.to_bytes()
    assert Identity.from_bytes(bytearray(data)).public == ALICE.public
    assert Identity.from_bytes(memoryview(data)).public == ALICE.public


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        ALICE.to_bytes()[:-1],
        ALICE.to_bytes() + b"\0",
        b"FKIX" + ALICE.to_bytes()[4:],
        b"FKID\x02" + ALICE.to_bytes()[5:],
        b"FKID\x00" + ALICE.to_bytes()[5:],
        "FKID",
        None,
        133,
    ],
)
def test_identity_from_bytes_rejects_anything_else_with_value_error(bad: object) -> None:
    with pytest.raises(ValueError):
        Identity.from_bytes(bad)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.binary(min_size=128, max_size=128)))
def test_identity_from_arbitrary_bytes_raises_only_value_error(tail: bytes) -> None:
    for data in (tail, b"FKID\x01" + tail):
        try:
            identity = Identity.from_bytes(data)
        except ValueError:
            continue
        # Any 128 bytes of key material after the right prefix is a valid identity.
        assert len(data) == IDENTITY_BYTES
        assert identity.to_bytes() == data


def test_private_key_material_never_shows_in_repr() -> None:
    data = ALICE.to_bytes()
    for text in (repr(ALICE), str(ALICE), repr(ALICE.public)):
        assert data[5:37].hex() not in text
        assert base64.b64encode(data[5:37]).decode() not in text
        assert ALICE.public.fingerprint_hex[:16] in text


def test_public_identity_dict_round_trip() -> None:
    data = ALICE.public.to_dict()
    assert set(data) == {"signing", "hpke"}
    assert base64.b64decode(data["signing"]) == ALICE.public.signing
    assert base64.b64decode(data["hpke"]) == ALICE.public.hpke
    assert PublicIdentity.from_dict(data) == ALICE.public


def test_public_key_layout_is_mlkem_then_x25519() -> None:
    public = ALICE.public
    assert len(public.signing) == 32
    assert len(public.hpke) == HPKE_PUBLIC_BYTES == 1184 + 32
    # An HPKE key rebuilt from the documented layout decrypts for the same private key.
    ciphertext = SUITE.encrypt(b"x", public.hpke_public_key(), info=b"")
    assert SUITE.decrypt(ciphertext, ALICE.hpke_private_key(), info=b"") == b"x"
    with pytest.raises(InvalidTag):
        SUITE.decrypt(ciphertext, BOB.hpke_private_key(), info=b"")


def _good() -> dict[str, str]:
    return ALICE.public.to_dict()


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        "signing",
        {},
        {"signing": _good()["signing"]},
        {"hpke": _good()["hpke"]},
        {**_good(), "extra": "x"},
        {**_good(), "signing": 1},
        {**_good(), "signing": None},
        {**_good(), "signing": _good()["signing"] + "!"},
        {**_good(), "signing": _good()["signing"][:-2]},
        {**_good(), "signing": "é" * 44},
        {**_good(), "signing": base64.b64encode(bytes(31)).decode()},
        {**_good(), "hpke": base64.b64encode(bytes(HPKE_PUBLIC_BYTES - 1)).decode()},
        {**_good(), "hpke": _good()["signing"]},
        # Right length, but not an ML-KEM-768 public key (coefficients out of range).
        {**_good(), "hpke": base64.b64encode(b"\xff" * HPKE_PUBLIC_BYTES).decode()},
    ],
)
def test_public_identity_from_dict_rejects_anything_else_with_value_error(bad: object) -> None:
    with pytest.raises(ValueError):
        PublicIdentity.from_dict(bad)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"signing": json_values | st.text(), "hpke": json_values | st.text()}
        ),
        st.fixed_dictionaries(
            {
                "signing": st.binary(min_size=32, max_size=32).map(
                    lambda b: base64.b64encode(b).decode()
                ),
                "hpke": st.binary(min_size=1216, max_size=1216).map(
                    lambda b: base64.b64encode(b).decode()
                ),
            }
        ),
    )
)
def test_public_identity_from_arbitrary_values_raises_only_value_error(data: object) -> None:
    try:
        public = PublicIdentity.from_dict(data)
    except ValueError:
        return
    assert PublicIdentity.from_dict(public.to_dict()) == public


def test_public_identity_constructor_validates_keys() -> None:
    with pytest.raises(ValueError):
        PublicIdentity(signing=ALICE.public.signing, hpke=b"\xff" * HPKE_PUBLIC_BYTES)
    with pytest.raises(ValueError):
        PublicIdentity(signing="not bytes", hpke=ALICE.public.hpke)  # type: ignore[arg-type]


def test_fingerprint_is_sha256_of_domain_and_length_prefixed_keys() -> None:
    public = ALICE.public
    expected = hashlib.sha256(
        b"fieldkit/identity-fingerprint/v1"
        + struct.pack(">I", 32)
        + public.signing
        + struct.pack(">I", 1216)
        + public.hpke
    ).digest()
    assert public.fingerprint_bytes == expected
    assert public.fingerprint_hex == expected.hex()
    groups = public.fingerprint.split(" ")
    assert len(groups) == 16
    assert all(len(g) == 4 and set(g) <= set("0123456789abcdef") for g in groups)
    assert "".join(groups) == public.fingerprint_hex


def test_fingerprint_covers_both_keys() -> None:
    mixed_signing = PublicIdentity(signing=BOB.public.signing, hpke=ALICE.public.hpke)
    mixed_hpke = PublicIdentity(signing=ALICE.public.signing, hpke=BOB.public.hpke)
    prints = {p.fingerprint_hex for p in (ALICE.public, BOB.public, mixed_signing, mixed_hpke)}
    assert len(prints) == 4


def test_signatures_verify_only_for_the_signer_and_the_message() -> None:
    signature = ALICE.sign(b"bundle bytes")
    assert len(signature) == 64
    assert ALICE.public.verify(signature, b"bundle bytes")
    assert not ALICE.public.verify(signature, b"bundle bytez")
    assert not BOB.public.verify(signature, b"bundle bytes")
    assert not ALICE.public.verify(BOB.sign(b"bundle bytes"), b"bundle bytes")


@pytest.mark.parametrize("bad", [b"", b"\0" * 64, b"\xff" * 64, b"\0" * 63, "x" * 64, None])
def test_verify_returns_false_for_garbage_signatures(bad: object) -> None:
    assert ALICE.public.verify(bad, b"message") is False  # type: ignore[arg-type]


def test_flipping_any_bit_of_a_signature_invalidates_it() -> None:
    signature = ALICE.sign(b"message")
    for i in range(len(signature) * 8):
        flipped = bytearray(signature)
        flipped[i // 8] ^= 1 << (i % 8)
        assert not ALICE.public.verify(bytes(flipped), b"message")


def test_signature_with_non_canonical_s_is_refused() -> None:
    # S + L signs the same equation; a strict verifier refuses it (no malleable bundles).
    order = 2**252 + 27742317777372353535851937790883648493
    signature = ALICE.sign(b"message")
    s = int.from_bytes(signature[32:], "little") + order
    assert s < 2**256
    assert not ALICE.public.verify(signature[:32] + s.to_bytes(32, "little"), b"message")
