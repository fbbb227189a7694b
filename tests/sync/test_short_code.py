"""The short enrolment code (format 2): its codec and its commitment to the identity
document (fieldkit/sync/enrolment.py, docs/protocol.md "Enrolment code")."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldkit.crypto import enrolment as crypto_enrolment
from fieldkit.crypto.identity import Identity
from fieldkit.errors import IntegrityError, InvalidValue
from fieldkit.sync.enrolment import (
    ALPHABET,
    IDENTITY_FORMAT,
    MAX_SHORT_CODE_CHARS,
    DistrictIdentity,
    decode_short,
    encode_short,
    identity_document,
    is_long_code,
    open_code,
)

halves = st.binary(min_size=10, max_size=10)


@given(secret=halves, commitment=halves)
def test_a_code_reads_back_as_written(secret: bytes, commitment: bytes) -> None:
    code = encode_short(secret, commitment)
    assert len(code) == 39 <= MAX_SHORT_CODE_CHARS
    groups = code.split("-")
    assert [len(g) for g in groups] == [4] * 8
    assert set("".join(groups)) <= set(ALPHABET)
    assert not set(code) & set("ILOU")
    assert decode_short(code) == (secret, commitment)
    assert not is_long_code(code)


@given(secret=halves, commitment=halves, data=st.data())
def test_case_separators_and_look_alike_letters_do_not_matter(secret, commitment, data) -> None:
    code = encode_short(secret, commitment)
    typed = []
    for char in code.replace("-", ""):
        if char == "1":
            char = data.draw(st.sampled_from("1IiLl"))
        elif char == "0":
            char = data.draw(st.sampled_from("0Oo"))
        elif data.draw(st.booleans()):
            char = char.lower()
        typed.append(char + data.draw(st.sampled_from(["", "", " ", "-"])))
    assert decode_short("".join(typed)) == (secret, commitment)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "008J-4CT4-ANK7-F24S-KFK9-HBGB-R7VN-NSS",  # a symbol short
        "008J-4CT4-ANK7-F24S-KFK9-HBGB-R7VN-NSS77",  # a symbol too many
        "008J-4CT4-ANK7-F24S-KFK9-HBGB-R7VN-NSSU",  # U is no symbol
        "008J-4CT4-ANK7-F24S-KFK9-HBGB-R7VN-NSS*",
        "008J_4CT4_ANK7_F24S_KFK9_HBGB_R7VN_NSS7",
        "é" * 32,
        "0" * 1000,
    ],
)
def test_anything_else_is_not_a_code(text: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        decode_short(text)
    assert raised.value.key == "enrol.bad_code"


def _document(district: Identity, **changes) -> bytes:
    fields = dict(
        format=IDENTITY_FORMAT,
        district_id="d-0123456789abcdef",
        name="District Nord",
        url="https://127.0.0.1:8443",
        tls_fingerprint="ab" * 32,
        keys=district.public.to_dict(),
        worker_id="wk-0a1b2c3d4e5f",
        expires=1796000000,
    )
    fields.update(changes)
    return identity_document(DistrictIdentity(**fields))


def test_the_code_opens_only_with_the_document_it_commits_to() -> None:
    ours, theirs = Identity.generate(), Identity.generate()
    secret = bytes(range(10))
    document = _document(ours)
    code = encode_short(secret, crypto_enrolment.commitment(secret, document))
    opened = open_code(code, document)
    assert opened.district_identity().fingerprint == ours.public.fingerprint
    assert opened.secret == secret.hex() and opened.worker_id == "wk-0a1b2c3d4e5f"
    # Another district's keys, another URL, another certificate, another worker, a byte
    # more: all refused.
    for other in (
        _document(theirs),
        _document(ours, url="https://evil.example"),
        _document(ours, tls_fingerprint="cd" * 32),
        _document(ours, worker_id="wk-ffffffffffff"),
        document + b" ",
    ):
        with pytest.raises(IntegrityError) as raised:
            open_code(code, other)
        assert raised.value.key == "enrol.identity_mismatch"
    # A certificate other than the committed one, seen on the way.
    with pytest.raises(IntegrityError) as raised:
        open_code(code, document, seen_tls="cd" * 32)
    assert raised.value.key == "enrol.tls_mismatch"
    assert open_code(code, document, seen_tls="AB" * 32).worker_id == "wk-0a1b2c3d4e5f"


@given(position=st.integers(0, 31), data=st.data())
def test_a_mistyped_symbol_fails_the_commitment(position: int, data) -> None:
    district = Identity.from_bytes(b"FKID\x01" + bytes(range(32)) + bytes(64) + bytes(range(32)))
    secret = hashlib.sha256(b"x").digest()[:10]
    document = _document(district)
    code = encode_short(secret, crypto_enrolment.commitment(secret, document)).replace("-", "")
    wrong = data.draw(st.sampled_from([c for c in ALPHABET if c != code[position]]))
    typo = code[:position] + wrong + code[position + 1 :]
    with pytest.raises(IntegrityError):
        open_code(typo, document)


def test_the_lookup_value_is_neither_the_secret_nor_its_hash() -> None:
    secret = bytes(range(10))
    lookup = crypto_enrolment.lookup(secret)
    assert len(lookup) == 32
    assert secret.hex() not in lookup
    assert lookup not in crypto_enrolment.secret_hash(crypto_enrolment.secret_text(secret))
