"""Coverage-guided fuzzing (atheris / libFuzzer) of the bundle decoder.

Run by `make fuzz` (not part of `make test`): `python fuzz/fuzz_bundle.py -runs=N`.
Each input is tried twice: as a whole bundle, and laid over a genuine bundle at an
offset taken from its first two bytes, so that the fuzzer also works deep inside a
valid frame (header JSON, lengths, ciphertext, signature) instead of stopping at the
magic number. The property: `read_header` and `open_bundle` raise BundleRejected and
nothing else, and no input other than the genuine bundle opens. Any other exception,
or a forged bundle that opens, is a crash that libFuzzer reports with its input.
"""

from __future__ import annotations

import contextlib
import sys

import atheris

with atheris.instrument_imports(include=["fieldkit.sync.bundle"]):
    from fieldkit.crypto.identity import Identity
    from fieldkit.errors import BundleRejected
    from fieldkit.sync.bundle import BundleHeader, encode_bundle, open_bundle, read_header

SENDER = Identity.generate()
DISTRICT = Identity.generate()
HEADER = BundleHeader(
    kind="sync",
    sender="w-fuzz",
    recipient="d-fuzz",
    sender_key=SENDER.public.fingerprint_hex,
    recipient_key=DISTRICT.public.fingerprint_hex,
    counter=7,
    ack=3,
    cursor=12,
    changes=1,
)
GENUINE = encode_bundle(HEADER, b'{"changes": [], "holding": []}', SENDER, DISTRICT.public)


def sender_key(sender: str):
    return SENDER.public if sender == "w-fuzz" else None


def laid_over(data: bytes) -> bytes:
    if len(data) < 3:
        return GENUINE[: len(data)]
    offset = int.from_bytes(data[:2], "big") % len(GENUINE)
    patch = data[2:]
    return GENUINE[:offset] + patch + GENUINE[offset + len(patch) :]


def check(candidate: bytes) -> None:
    with contextlib.suppress(BundleRejected):
        read_header(candidate)
    try:
        open_bundle(candidate, recipient=DISTRICT, recipient_id="d-fuzz", sender_key=sender_key)
    except BundleRejected:
        return
    if candidate != GENUINE:
        raise AssertionError("a bundle that is not the genuine one was opened")


def test_one_input(data: bytes) -> None:
    check(data)
    check(laid_over(data))


def main() -> None:
    check(GENUINE)  # the genuine bundle opens: the refusals are earned
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
