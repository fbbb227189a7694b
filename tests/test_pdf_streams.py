"""The tests' PDF reader (tests/helpers.py pdf_streams) keeps a compressed stream whole
even when its last byte is a carriage return, the case that once made a recovery-sheet
test fail one run in 256."""

from __future__ import annotations

import zlib

from tests.helpers import pdf_streams


def _ending_in_carriage_return() -> tuple[bytes, bytes]:
    for n in range(100_000):
        content = f"BT /F1 12 Tf (1  {n * 7919:X} {n:b}) Tj ET".encode()
        packed = zlib.compress(content)
        if packed.endswith(b"\r"):
            return content, packed
    raise AssertionError("no content compresses to a final carriage return")


def _pdf(*streams: bytes) -> bytes:
    body = b"%PDF-1.3\n"
    for number, stream in enumerate(streams, start=1):
        body += b"%d 0 obj\n<</Filter /FlateDecode /Length %d>>\nstream\n" % (number, len(stream))
        body += stream + b"\nendstream\nendobj\n"
    return body + b"%%EOF\n"


def test_a_stream_ending_in_a_carriage_return_is_read_whole():
    content, packed = _ending_in_carriage_return()
    assert pdf_streams(_pdf(packed)) == [content]


def test_compressed_and_plain_streams_come_back_in_order():
    first, plain = b"q 1 0 0 1 0 0 cm Q", b"not compressed at all"
    assert pdf_streams(_pdf(zlib.compress(first), plain)) == [first, plain]
