"""Case keys, sealed values and grants (fieldkit/crypto/casekeys.py, issue 16).

A sealed value opens only with its key, for the very case, entity, record and field it
was written for; a changed, cut or re-labelled value does not open. A grant opens only
for its grantee, from its granter, and only when the key inside is the one its key id
commits to.
"""

from __future__ import annotations

import base64
import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.crypto.casekeys import (
    KEY_BYTES,
    NONCE_BYTES,
    PAD_TO,
    SEALED_PREFIX,
    TAG_BYTES,
    CaseKey,
    Grant,
    Unopenable,
    grant_info,
    is_sealed,
    key_id,
    make_grant,
    open_grant,
    open_value,
    seal_value,
    sealed_kid,
    well_formed,
)
from fieldkit.crypto.envelope import seal_to
from fieldkit.crypto.identity import Identity

CASE = "c" * 32
OTHER_CASE = "d" * 32
FOLLOWUP = "f" * 32
TEXT = "Entretien avec Amélie : elle reprend le lycée lundi."

# A fixed key, so that the parameters built from its id are the same in every test
# process (pytest-xdist compares what each collected).
_FIXED = bytes(range(KEY_BYTES))
KEY = CaseKey(CASE, key_id(CASE, _FIXED), 1, _FIXED)
GRANTER = Identity.generate()  # the granting device
GRANTEE = Identity.generate()  # the member the key is granted to
STRANGER = Identity.generate()
DISTRICT = Identity.generate()


def sealed(value=TEXT, key: CaseKey = KEY) -> str:
    return seal_value(key, "followup", FOLLOWUP, "summary", value)


def body(value: str) -> bytes:
    encoded = value.rsplit(".", 1)[1]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))


def with_body(value: str, raw: bytes) -> str:
    head = value.rsplit(".", 1)[0]
    return f"{head}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode('ascii')}"


# Case keys


def test_a_case_key_is_random_and_its_id_commits_to_the_key_and_the_case() -> None:
    other = CaseKey.new(CASE, 1)
    assert len(KEY.key) == len(other.key) == KEY_BYTES
    assert KEY.key != other.key and KEY.kid != other.kid
    assert re.fullmatch(r"[0-9a-f]{32}", KEY.kid)
    assert KEY.kid == key_id(CASE, KEY.key)
    # The same bytes as another case's key have another id.
    assert key_id(OTHER_CASE, KEY.key) != KEY.kid
    assert KEY.key.hex() not in repr(KEY)


# Sealed values


@pytest.mark.parametrize(
    "value",
    [TEXT, "", "x" * 5000, ["Mission locale", "CMP"], None, {"text": "But", "state": "open"}],
)
def test_a_sealed_value_opens_to_what_was_sealed(value) -> None:
    text = sealed(value)
    assert is_sealed(text) and well_formed(text)
    assert text.startswith(f"{SEALED_PREFIX}{KEY.kid}.")
    assert sealed_kid(text) == KEY.kid
    assert open_value(KEY, "followup", FOLLOWUP, "summary", text) == value


def test_sealing_twice_gives_two_different_values() -> None:
    first, second = sealed(), sealed()
    assert first != second  # a new nonce each time: equal texts do not show as equal
    assert body(first)[:NONCE_BYTES] != body(second)[:NONCE_BYTES]


def test_the_clear_text_is_not_in_the_sealed_value() -> None:
    text = sealed("ZQX-marker")
    assert "ZQX" not in text and b"ZQX" not in body(text)


@pytest.mark.parametrize(
    ("case_id", "entity", "entity_id", "name"),
    [
        (OTHER_CASE, "followup", FOLLOWUP, "summary"),  # another case
        (CASE, "case", FOLLOWUP, "summary"),  # another entity
        (CASE, "followup", "e" * 32, "summary"),  # another record
        (CASE, "followup", FOLLOWUP, "next_steps"),  # another field
    ],
)
def test_a_sealed_value_does_not_open_anywhere_else(case_id, entity, entity_id, name) -> None:
    text = sealed()
    # The same key bytes, but labelled for the other case when that is what changed.
    key = KEY if case_id == CASE else CaseKey(case_id, KEY.kid, 1, KEY.key)
    with pytest.raises(Unopenable):
        open_value(key, entity, entity_id, name, text)


def test_a_sealed_value_does_not_open_under_another_key_id() -> None:
    text = sealed()
    # The right key bytes named by another id: the id is bound too.
    relabelled = CaseKey(CASE, "0" * 32, 1, KEY.key)
    with pytest.raises(Unopenable):
        open_value(relabelled, "followup", FOLLOWUP, "summary", text)
    # The value's own id rewritten to the other key's: its context no longer matches.
    other = CaseKey.new(CASE, 2)
    moved = text.replace(KEY.kid, other.kid, 1)
    assert sealed_kid(moved) == other.kid
    with pytest.raises(Unopenable):
        open_value(other, "followup", FOLLOWUP, "summary", moved)
    with pytest.raises(Unopenable):
        open_value(KEY, "followup", FOLLOWUP, "summary", moved)


def test_a_sealed_value_does_not_open_under_another_key() -> None:
    with pytest.raises(Unopenable):
        open_value(CaseKey.new(CASE, 1), "followup", FOLLOWUP, "summary", sealed())


@given(position=st.integers(min_value=0), bit=st.integers(0, 7))
@settings(max_examples=60, deadline=None)
def test_a_flipped_bit_anywhere_in_the_body_does_not_open(position: int, bit: int) -> None:
    text = sealed()
    raw = bytearray(body(text))
    raw[position % len(raw)] ^= 1 << bit
    with pytest.raises(Unopenable):
        open_value(KEY, "followup", FOLLOWUP, "summary", with_body(text, bytes(raw)))


@pytest.mark.parametrize("keep", [0, 1, NONCE_BYTES, NONCE_BYTES + TAG_BYTES + PAD_TO, -1])
def test_a_truncated_sealed_value_does_not_open(keep: int) -> None:
    text = sealed()
    raw = body(text)
    cut = with_body(text, raw[:keep] if keep >= 0 else raw[:-1])
    with pytest.raises(Unopenable):
        open_value(KEY, "followup", FOLLOWUP, "summary", cut)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "sv1.",
        "sv1.abc.def",
        f"sv1.{KEY.kid}.",
        f"sv1.{KEY.kid.upper()}.AAAA",
        f"sv1.{KEY.kid}.AA==",  # padding characters are not part of the format
        f"sv1.{KEY.kid}.{'A' * 10}",  # too short for a nonce, a block and a tag
        f"sv2.{KEY.kid}.{'A' * 100}",
        f"sv1.{KEY.kid}.{'A' * 100}\n",
        f"sv1.{KEY.kid}.{'A' * 300_000}",  # longer than any sealed text may be
        42,
        None,
    ],
)
def test_what_is_not_a_sealed_value_is_not_well_formed_and_does_not_open(value) -> None:
    assert not well_formed(value)
    with pytest.raises(Unopenable):
        open_value(KEY, "followup", FOLLOWUP, "summary", value)


def test_a_well_formed_value_with_garbage_inside_still_does_not_open() -> None:
    forged = f"sv1.{KEY.kid}.{'A' * 100}"
    assert well_formed(forged)  # what the district can check of it
    with pytest.raises(Unopenable):
        open_value(KEY, "followup", FOLLOWUP, "summary", forged)


def test_a_valid_seal_of_something_that_is_not_json_does_not_open() -> None:
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    from fieldkit.crypto.casekeys import value_context

    nonce = b"\x01" * NONCE_BYTES
    context = value_context(CASE, "followup", FOLLOWUP, "summary", KEY.kid)
    raw = nonce + ChaCha20Poly1305(KEY.key).encrypt(nonce, b"\xff" * PAD_TO, context)
    with pytest.raises(Unopenable):
        open_value(KEY, "followup", FOLLOWUP, "summary", with_body(sealed(), raw))


def length_of(value) -> int:
    return len(body(sealed(value)))


def test_padding_hides_the_length_within_32_byte_steps() -> None:
    overhead = NONCE_BYTES + TAG_BYTES
    # The JSON of "" is 2 bytes, of "x" * 30 is 32: one block for all of them.
    assert {length_of("x" * n) for n in range(31)} == {overhead + PAD_TO}
    # One more character, one more block.
    assert length_of("x" * 31) == overhead + 2 * PAD_TO
    assert {length_of("x" * n) for n in range(31, 63)} == {overhead + 2 * PAD_TO}
    # Non-ASCII text counts its UTF-8 bytes.
    assert length_of("é" * 15) == overhead + PAD_TO  # 2 + 30 bytes
    assert length_of("é" * 16) == overhead + 2 * PAD_TO


@given(st.text(max_size=200))
@settings(max_examples=50, deadline=None)
def test_any_text_opens_back_and_its_length_is_a_whole_number_of_blocks(text: str) -> None:
    value = sealed(text)
    assert (len(body(value)) - NONCE_BYTES - TAG_BYTES) % PAD_TO == 0
    assert open_value(KEY, "followup", FOLLOWUP, "summary", value) == text


# Grants


def grant(**overrides) -> Grant:
    made = make_grant(KEY, "w-grantee", GRANTEE.public, "w-granter", GRANTER)
    return replace(made, **overrides) if overrides else made


def resigned(made: Grant, signer: Identity = GRANTER) -> Grant:
    """The grant with its signature made again over what it now says."""
    return replace(made, signature=signer.sign(made.signed_message()))


def test_a_grant_opens_to_the_case_key_for_its_grantee() -> None:
    made = grant()
    assert made.grantee_key == GRANTEE.public.fingerprint_hex
    opened = open_grant(made, GRANTEE, GRANTER.public)
    assert opened == KEY
    assert KEY.key not in made.sealed_key and KEY.key.hex() not in repr(made)


def test_a_grant_survives_its_fields_as_a_change_carries_them() -> None:
    made = grant()
    again = Grant.from_fields(CASE, made.fields())
    assert again == made
    assert open_grant(again, GRANTEE, GRANTER.public) == KEY


def test_a_grant_is_refused_from_another_granter_key() -> None:
    with pytest.raises(Unopenable, match="signature"):
        open_grant(grant(), GRANTEE, STRANGER.public)


def test_a_grant_is_refused_with_a_bad_signature() -> None:
    made = grant()
    broken = bytearray(made.signature)
    broken[0] ^= 1
    with pytest.raises(Unopenable, match="signature"):
        open_grant(replace(made, signature=bytes(broken)), GRANTEE, GRANTER.public)
    # Signed by someone else, who puts the granter's name on it.
    with pytest.raises(Unopenable, match="signature"):
        open_grant(resigned(made, STRANGER), GRANTEE, GRANTER.public)


@pytest.mark.parametrize(
    "changed",
    [
        {"grantee": "w-other"},
        {"granter": "w-other"},
        {"epoch": 2},
        {"kid": "0" * 32},
        {"case_id": OTHER_CASE},
        {"sealed_key": b"\x00" * 10},
    ],
)
def test_a_grant_changed_after_signing_is_refused(changed: dict) -> None:
    with pytest.raises(Unopenable, match="signature"):
        open_grant(grant(**changed), GRANTEE, GRANTER.public)


def test_a_grant_is_refused_by_anyone_but_its_grantee() -> None:
    with pytest.raises(Unopenable):
        open_grant(grant(), STRANGER, GRANTER.public)


def test_a_readdressed_grant_is_refused_even_when_signed_again() -> None:
    # Re-signed, so that only the binding of the seal can tell: what the signature alone
    # does not prove.
    made = grant()
    # To another fingerprint: the stranger's, whose device then tries to open it.
    to_stranger = resigned(replace(made, grantee_key=STRANGER.public.fingerprint_hex))
    with pytest.raises(Unopenable):
        open_grant(to_stranger, STRANGER, GRANTER.public)
    # To another grantee id, same fingerprint: the info no longer matches the seal.
    renamed = resigned(replace(made, grantee="w-other"))
    with pytest.raises(Unopenable, match="does not open"):
        open_grant(renamed, GRANTEE, GRANTER.public)
    # To another fingerprint that is not the opener's.
    elsewhere = resigned(replace(made, grantee_key="0" * 64))
    with pytest.raises(Unopenable, match="another key"):
        open_grant(elsewhere, GRANTEE, GRANTER.public)
    # Under another case or key id: the info no longer matches either.
    for changed in ({"case_id": OTHER_CASE}, {"kid": "0" * 32}):
        with pytest.raises(Unopenable):
            open_grant(resigned(replace(made, **changed)), GRANTEE, GRANTER.public)


def test_a_forged_grant_whose_key_is_not_its_key_ids_is_refused() -> None:
    # The district makes a key of its own and seals it to the grantee under the right
    # info, with the real key's id, and signs it with its own (pinned) key: everything
    # checks but the key id's commitment.
    fingerprint = GRANTEE.public.fingerprint_hex
    own_key = CaseKey.new(CASE, 1).key
    info = grant_info(CASE, KEY.kid, "w-grantee", fingerprint)
    forged = Grant(
        CASE,
        KEY.kid,
        1,
        "w-grantee",
        fingerprint,
        "district",
        seal_to(GRANTEE.public, own_key, info),
        b"",
    )
    forged = resigned(forged, DISTRICT)
    with pytest.raises(Unopenable, match="key id"):
        open_grant(forged, GRANTEE, DISTRICT.public)
    # A key of the wrong length, sealed the same way, is refused the same way.
    short = replace(forged, sealed_key=seal_to(GRANTEE.public, own_key[:16], info))
    with pytest.raises(Unopenable, match="key id"):
        open_grant(resigned(short, DISTRICT), GRANTEE, DISTRICT.public)
    # With its own key's id, it opens: what makes it a forgery is only the id it claims.
    honest = Grant(
        CASE,
        key_id(CASE, own_key),
        1,
        "w-grantee",
        fingerprint,
        "district",
        seal_to(
            GRANTEE.public,
            own_key,
            grant_info(CASE, key_id(CASE, own_key), "w-grantee", fingerprint),
        ),
        b"",
    )
    assert open_grant(resigned(honest, DISTRICT), GRANTEE, DISTRICT.public).key == own_key


def test_a_grant_sealed_to_the_right_key_under_the_wrong_info_is_refused() -> None:
    made = grant()
    wrong_info = grant_info(CASE, KEY.kid, "w-someone", GRANTEE.public.fingerprint_hex)
    swapped = resigned(replace(made, sealed_key=seal_to(GRANTEE.public, KEY.key, wrong_info)))
    with pytest.raises(Unopenable, match="does not open"):
        open_grant(swapped, GRANTEE, GRANTER.public)


@pytest.mark.parametrize(
    "changed",
    [
        {"kid": "XYZ"},
        {"grantee_key": "ab"},
        {"epoch": 0},
        {"epoch": True},
        {"epoch": "1"},
        {"grantee": ""},
        {"granter": "x" * 101},
        {"sealed_key": "not base64!"},
        {"sealed_key": ""},
        {"signature": base64.b64encode(b"short").decode()},
        {"extra": "field"},
    ],
)
def test_fields_that_are_not_a_grants_are_refused(changed: dict) -> None:
    fields = {**grant().fields(), **changed}
    with pytest.raises(ValueError):
        Grant.from_fields(CASE, fields)


def test_a_grant_without_one_of_its_fields_is_refused() -> None:
    fields = grant().fields()
    for name in fields:
        with pytest.raises(ValueError):
            Grant.from_fields(CASE, {k: v for k, v in fields.items() if k != name})
