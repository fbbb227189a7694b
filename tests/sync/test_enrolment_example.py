"""The worked example of docs/protocol.md, "Enrolment code", read from the page.

A second reader written from that section with `json`, `hashlib` and the base32
alphabet alone: it builds the identity document from the page's values, checks its
length and hash, the commitment, the code's 39 characters, the lookup value and the
secret's hash; fieldkit's own functions must agree, so the page and the code cannot drift.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from fieldkit.crypto import enrolment as crypto_enrolment
from fieldkit.crypto.identity import Identity
from fieldkit.sync.enrolment import decode_short, encode_short, open_code

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAGE = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def vector(name: str) -> dict[str, str]:
    """The `name value` lines of the block after `<!-- vector: NAME -->`."""
    found = re.search(rf"<!-- vector: {name} -->\n```\n(.*?)```", PAGE.read_text("utf-8"), re.S)
    assert found, f"no vector {name} in docs/protocol.md"
    return dict(line.split(None, 1) for line in found[1].splitlines())


def example_identity(label: str) -> Identity:
    seed = lambda part, n: hashlib.shake_256(f"{label}/{part}".encode()).digest(n)  # noqa: E731
    return Identity.from_bytes(
        b"FKID\x01" + seed("ed25519", 32) + seed("mlkem", 64) + seed("x25519", 32)
    )


def test_the_enrolment_example_is_what_the_page_says() -> None:
    v = vector("enrolment-code")
    keys = example_identity("fieldkit example district").public
    assert keys.fingerprint_hex == v["keys_fingerprint"]
    text = v["charter_text"].replace("\\n", "\n")
    assert hashlib.sha256(text.encode()).hexdigest() == v["charter_sha256"]
    document = json.dumps(
        {
            "format": "fieldkit-district-identity/2",
            "district_id": v["district_id"],
            "name": v["name"],
            "url": v["url"],
            "tls_fingerprint": v["tls_fingerprint"],
            "keys": keys.to_dict(),
            "worker_id": v["worker_id"],
            "expires": int(v["expires"]),
            "charter": {
                "version": v["charter_version"],
                "sha256": v["charter_sha256"],
                "text": text,
            },
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    assert len(document) == int(v["document_bytes"])
    assert hashlib.sha256(document).hexdigest() == v["document_sha256"]

    secret = bytes.fromhex(v["secret"])
    commitment = hashlib.sha256(b"fieldkit-enrol-commit/2/" + secret + document).digest()[:10]
    assert commitment.hex() == v["commitment"]
    number = int.from_bytes(secret + commitment, "big")
    symbols = "".join(ALPHABET[(number >> (5 * (31 - i))) & 31] for i in range(32))
    code = "-".join(symbols[i : i + 4] for i in range(0, 32, 4))
    assert code == v["code"] and len(code) == 39
    lookup = hashlib.sha256(b"fieldkit-enrol-lookup/2/" + secret).hexdigest()[:32]
    assert lookup == v["lookup"]
    secret_hash = hashlib.sha256(f"fieldkit-enrol-secret/{secret.hex()}".encode()).hexdigest()
    assert secret_hash == v["secret_hash"]

    # fieldkit agrees.
    assert encode_short(secret, commitment) == code
    assert decode_short(code.lower().replace("0", "o")) == (secret, commitment)
    assert crypto_enrolment.lookup(secret) == lookup
    assert crypto_enrolment.secret_hash(crypto_enrolment.secret_text(secret)) == secret_hash
    opened = open_code(code, document, seen_tls=v["tls_fingerprint"])
    assert opened.worker_id == v["worker_id"] and opened.charter.sha256 == v["charter_sha256"]
    assert opened.district_identity().fingerprint_hex == v["keys_fingerprint"]
