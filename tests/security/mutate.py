"""Hypothesis strategies that damage genuine inputs the way media, networks and people do.

Mutations start from a VALID input (a real bundle, code or key file), so that they reach
the checks behind the first one: a bit flipped, bytes inserted, deleted, overwritten or
duplicated, the tail cut or replaced by the tail of another genuine input, a length
field set to an extreme. Random bytes alone rarely get past a magic number.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

OPS = ("flip", "insert", "delete", "overwrite", "duplicate", "truncate", "splice", "extreme")
EXTREMES = (b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x00\x00\x00\x01")

# Fuzz settings for the campaign: bounded examples, no deadline (2 shared cores), and
# function-scoped fixtures are fine because every example leaves them unchanged.
FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEW = settings(FUZZ, max_examples=25)
SOME = settings(FUZZ, max_examples=80)


@st.composite
def mutated(draw: st.DrawFn, genuine: bytes, others: tuple[bytes, ...] = ()) -> bytes:
    """`genuine` with one to four mutations; never `genuine` itself."""
    data = bytearray(genuine)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(OPS))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[at : at + len(chunk)] = chunk
        elif op == "duplicate":
            chunk = data[at : at + draw(st.integers(1, 128))]
            data[at:at] = chunk
        elif op == "truncate":
            del data[at:]
        elif op == "splice" and others:
            other = draw(st.sampled_from(others))
            start = draw(st.integers(0, max(len(other) - 1, 0)))
            data[at:] = other[start:]
        elif op == "extreme":
            # Hits the big-endian length fields of the framing when `at` lands on one.
            data[at : at + 4] = draw(st.sampled_from(EXTREMES))
    result = bytes(data)
    if result == genuine or result in others:
        result = genuine[:-1]
    return result


@st.composite
def mutated_text(draw: st.DrawFn, genuine: str) -> str:
    """A text input (an enrolment code, a token) with characters flipped, cut or added."""
    chars = list(genuine)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(("replace", "insert", "delete", "truncate", "case")))
        at = draw(st.integers(0, max(len(chars) - 1, 0)))
        if op == "replace" and chars:
            chars[at] = draw(st.characters())
        elif op == "insert":
            chars[at:at] = list(draw(st.text(min_size=1, max_size=8)))
        elif op == "delete":
            del chars[at : at + draw(st.integers(1, 16))]
        elif op == "truncate":
            del chars[at:]
        elif op == "case" and chars:
            chars[at] = chars[at].swapcase()
    text = "".join(chars)
    return text if text != genuine else genuine[:-1]


def arbitrary_or_mutated(genuine: bytes, others: tuple[bytes, ...] = ()) -> st.SearchStrategy:
    """Mostly mutations of the genuine input, some arbitrary bytes."""
    return st.one_of(
        mutated(genuine, others),
        mutated(genuine, others),
        mutated(genuine, others),
        st.binary(max_size=4096),
    )
