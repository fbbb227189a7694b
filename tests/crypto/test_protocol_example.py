"""The worked example of docs/protocol.md, "Sealed values and grants", read from the page.

A second reader written from that section with cryptographic primitives only (hashlib,
ChaCha20-Poly1305, Ed25519, HPKE): it recomputes the key id, opens the sealed value under
the associated data it builds itself, derives the two example identities from their
seeds, verifies the grant's signature and opens its key. fieldkit's own functions must
agree with it, so that the page and the code cannot drift apart.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from fieldkit.crypto.casekeys import CaseKey, Grant, Unopenable, open_grant, open_value
from fieldkit.crypto.identity import Identity

PAGE = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


def vector(name: str) -> dict[str, str]:
    """The `name value` lines of the block after `<!-- vector: NAME -->`; an indented
    line continues the value above it."""
    text = PAGE.read_text(encoding="utf-8")
    found = re.search(rf"<!-- vector: {name} -->\n```\n(.*?)```", text, re.S)
    assert found, f"no vector {name} in docs/protocol.md"
    values: dict[str, str] = {}
    last = ""
    for line in found[1].splitlines():
        if line.startswith(" "):
            values[last] += line.strip()
            continue
        last, value = line.split(None, 1)
        values[last] = value.strip()
    return values


def parts(*items: str) -> bytes:
    return b"".join(struct.pack(">I", len(p.encode())) + p.encode() for p in items)


def b64url_nopad(text: str) -> bytes:
    assert "=" not in text
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def example_keys(label: str) -> tuple[ed25519.Ed25519PrivateKey, bytes, object]:
    """An example identity's signing key, receiving public key (1216 bytes) and private
    receiving key, from the seeds the page gives."""

    def seed(part: str, n: int) -> bytes:
        return hashlib.shake_256(f"{label}/{part}".encode()).digest(n)

    signing = ed25519.Ed25519PrivateKey.from_private_bytes(seed("ed25519", 32))
    kem = mlkem.MLKEM768PrivateKey.from_seed_bytes(seed("mlkem", 64))
    dh = x25519.X25519PrivateKey.from_private_bytes(seed("x25519", 32))
    public = kem.public_key().public_bytes_raw() + dh.public_key().public_bytes_raw()
    return signing, public, hpke.MLKEM768X25519PrivateKey(kem, dh)


def fingerprint(signing: ed25519.Ed25519PrivateKey, hpke_pub: bytes) -> str:
    sign_pub = signing.public_key().public_bytes_raw()
    assert len(hpke_pub) == 1216
    return hashlib.sha256(
        b"fieldkit/identity-fingerprint/v1"
        + struct.pack(">I", 32)
        + sign_pub
        + struct.pack(">I", 1216)
        + hpke_pub
    ).hexdigest()


def test_the_pages_sealed_value_opens_as_the_page_says() -> None:
    v = vector("sealed-value")
    key = bytes.fromhex(v["key"])
    kid = hashlib.sha256(b"fieldkit/case-key-id/v1" + parts(v["case_id"]) + key).hexdigest()[:32]
    assert kid == v["kid"]
    found = re.fullmatch(r"sv1\.([0-9a-f]{32})\.([A-Za-z0-9_-]+)", v["sealed"])
    assert found and found[1] == kid
    raw = b64url_nopad(found[2])
    assert raw[:12] == bytes.fromhex(v["nonce"])
    aad = b"fieldkit/sealed-value/v1" + parts(
        v["case_id"], v["entity"], v["entity_id"], v["field"], kid
    )
    plain = ChaCha20Poly1305(key).decrypt(raw[:12], raw[12:], aad)
    assert len(plain) % 32 == 0
    expected = json.dumps(json.loads(v["value"]), ensure_ascii=False, separators=(",", ":"))
    assert plain.rstrip(b" ") == expected.encode("utf-8")
    # fieldkit reads it the same, and nowhere else: another field, record or case.
    case_key = CaseKey(v["case_id"], kid, 1, key)
    value = json.loads(v["value"])
    args = (v["entity"], v["entity_id"], v["field"], v["sealed"])
    assert open_value(case_key, *args) == value
    for moved in (
        (v["entity"], v["entity_id"], "next_steps", v["sealed"]),
        (v["entity"], "0" * 32, v["field"], v["sealed"]),
    ):
        with pytest.raises(Unopenable):
            open_value(case_key, *moved)
    with pytest.raises(Unopenable):
        open_value(CaseKey("0" * 32, kid, 1, key), *args)


def test_the_pages_grant_opens_with_the_example_grantee() -> None:
    v = vector("grant")
    granter_sign, _, _ = example_keys("fieldkit example granter")
    grantee_sign, grantee_pub, grantee_recv = example_keys("fieldkit example grantee")
    assert fingerprint(grantee_sign, grantee_pub) == v["grantee_key"]
    sealed_key = base64.b64decode(v["sealed_key"], validate=True)
    assert len(sealed_key) == 1168
    signed = (
        b"fieldkit/case-key-grant-signature/v1"
        + parts(v["case_id"], v["kid"], v["epoch"], v["grantee"], v["grantee_key"], v["granter"])
        + sealed_key
    )
    granter_sign.public_key().verify(base64.b64decode(v["signature"]), signed)
    info = b"fieldkit/case-key-grant/v1" + parts(
        v["case_id"], v["kid"], v["grantee"], v["grantee_key"]
    )
    key = SUITE.decrypt(sealed_key, grantee_recv, info=info)
    assert len(key) == 32
    kid = hashlib.sha256(b"fieldkit/case-key-id/v1" + parts(v["case_id"]) + key).hexdigest()[:32]
    assert kid == v["kid"]
    assert key == bytes.fromhex(vector("sealed-value")["key"])
    # fieldkit opens it too, and refuses it under another granter's key.
    fields = {k: v[k] for k in ("kid", "grantee", "grantee_key", "granter")}
    fields |= {"epoch": int(v["epoch"]), "sealed_key": v["sealed_key"], "signature": v["signature"]}
    grant = Grant.from_fields(v["case_id"], fields)

    def identity(label: str) -> Identity:
        def seed(part: str, n: int) -> bytes:
            return hashlib.shake_256(f"{label}/{part}".encode()).digest(n)

        return Identity.from_bytes(
            b"FKID\x01" + seed("ed25519", 32) + seed("mlkem", 64) + seed("x25519", 32)
        )

    grantee, granter = identity("fieldkit example grantee"), identity("fieldkit example granter")
    assert open_grant(grant, grantee, granter.public).key == key
    with pytest.raises(Unopenable):
        open_grant(grant, grantee, grantee.public)
