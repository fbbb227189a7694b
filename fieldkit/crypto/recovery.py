"""The recovery sheet's text: a district recovery key (an `Identity`) written for people
to type back, line by line, each line with its own check.

The payload is the format version (1 byte), the key's generation (4 bytes, big-endian),
the 133 bytes of `Identity.to_bytes()` and a checksum: the first 4 bytes of SHA-256 over
`SHEET_DOMAIN` and what comes before it. It is written in Crockford's base32 (the bits
in order, the last character padded with zero bits), in lines of `GROUPS_PER_LINE`
groups of `GROUP` characters. Each line starts with its number and ends with a check of
`LINE_CHECK` characters: Crockford base32 of the first 10 bits of SHA-256 over
`LINE_DOMAIN`, the line's number as one byte and its characters, so that a typing
mistake, or two lines swapped, names its line. Byte for byte in docs/protocol.md,
"Recovery sheet".

Reading back forgives what people do when typing: case, spaces, dashes, and the letters
Crockford's base32 reads as digits (O as 0; I and L as 1).
"""

from __future__ import annotations

import hashlib
import re
import struct

from fieldkit.crypto.identity import IDENTITY_BYTES, Identity
from fieldkit.errors import UsageError

SHEET_VERSION = 1
SHEET_DOMAIN = b"fieldkit/recovery-sheet/v1"
LINE_DOMAIN = b"fieldkit/recovery-sheet-line/v1"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
GROUP = 5
GROUPS_PER_LINE = 8
LINE_CHARS = GROUP * GROUPS_PER_LINE
LINE_CHECK = 2
CHECKSUM_BYTES = 4
_HEAD = struct.Struct(">BI")
PAYLOAD_BYTES = _HEAD.size + IDENTITY_BYTES + CHECKSUM_BYTES  # 142
PAYLOAD_CHARS = -(-PAYLOAD_BYTES * 8 // 5)  # 228
LINES = -(-PAYLOAD_CHARS // LINE_CHARS)  # 6
MAX_GENERATION = 2**31 - 1

_READ_AS = {"O": "0", "I": "1", "L": "1"}
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
# A line as typed: its number, then what follows (the number may be followed by . : or ))
_NUMBERED = re.compile(r"\s*(\d{1,2})\s*[.:)]?\s+(.*)", re.DOTALL)


class SheetError(UsageError, ValueError):
    """A recovery sheet that does not read back; the message says which line, if any.

    `line` is the line's number (1, 2, …) when the mistake is on one line.
    """

    def __init__(self, key: str, line: int | None = None, **params: object) -> None:
        self.line = line
        if line is not None:
            params["line"] = line
        super().__init__(key, **params)


def _encode(data: bytes) -> str:
    bits = int.from_bytes(data, "big") << (PAYLOAD_CHARS * 5 - len(data) * 8)
    chars = []
    for _ in range(PAYLOAD_CHARS):
        chars.append(ALPHABET[bits & 31])
        bits >>= 5
    return "".join(reversed(chars))


def _decode(text: str) -> bytes:
    bits = 0
    for char in text:
        bits = (bits << 5) | _VALUE[char]
    spare = PAYLOAD_CHARS * 5 - PAYLOAD_BYTES * 8
    if bits & ((1 << spare) - 1):
        raise SheetError("recovery.sheet.corrupt")
    return (bits >> spare).to_bytes(PAYLOAD_BYTES, "big")


def line_check(number: int, chars: str) -> str:
    """The check characters of line `number` holding `chars`."""
    digest = hashlib.sha256(LINE_DOMAIN + bytes([number]) + chars.encode("ascii")).digest()
    value = int.from_bytes(digest[:2], "big") >> (16 - 5 * LINE_CHECK)
    return ALPHABET[value >> 5] + ALPHABET[value & 31]


def _checksum(head_and_key: bytes) -> bytes:
    return hashlib.sha256(SHEET_DOMAIN + head_and_key).digest()[:CHECKSUM_BYTES]


def line_lengths() -> list[int]:
    """How many key characters each line holds (the last one fewer)."""
    return [min(LINE_CHARS, PAYLOAD_CHARS - start) for start in range(0, PAYLOAD_CHARS, LINE_CHARS)]


def encode_sheet(identity: Identity, generation: int) -> list[str]:
    """The sheet's lines: "1  ABCDE FGHJK … XY", the number, the groups and the check."""
    if not 1 <= generation <= MAX_GENERATION:
        raise ValueError("generation out of range")
    body = _HEAD.pack(SHEET_VERSION, generation) + identity.to_bytes()
    text = _encode(body + _checksum(body))
    width = len(str(LINES))
    lines = []
    for index, start in enumerate(range(0, PAYLOAD_CHARS, LINE_CHARS), start=1):
        chars = text[start : start + LINE_CHARS]
        groups = " ".join(chars[i : i + GROUP] for i in range(0, len(chars), GROUP))
        # The short last line's check stands under the others'.
        groups = groups.ljust(LINE_CHARS + GROUPS_PER_LINE - 1)
        lines.append(f"{index:>{width}}  {groups}  {line_check(index, chars)}")
    return lines


def normalise(text: str) -> str:
    """`text` in capitals with spaces and dashes dropped, O read as 0 and I, L as 1."""
    kept = []
    for char in text.upper():
        if char.isspace() or char in "-\u2010\u2011\u2012\u2013\u2014":
            continue
        kept.append(_READ_AS.get(char, char))
    return "".join(kept)


def read_line(number: int, text: str) -> str:
    """The key characters of line `number` as typed (without its number), after its check.

    SheetError names the line when it is too short, too long, holds a character that is
    not on a sheet, or does not match its check.
    """
    if not 1 <= number <= LINES:
        raise SheetError("recovery.sheet.no_such_line", line=number, lines=LINES)
    chars = normalise(text)
    expected = line_lengths()[number - 1] + LINE_CHECK
    if any(char not in _VALUE for char in chars):
        raise SheetError("recovery.sheet.bad_character", line=number)
    if len(chars) < expected:
        raise SheetError("recovery.sheet.line_short", line=number)
    if len(chars) > expected:
        raise SheetError("recovery.sheet.line_long", line=number)
    data, check = chars[:-LINE_CHECK], chars[-LINE_CHECK:]
    if line_check(number, data) != check:
        raise SheetError("recovery.sheet.bad_line", line=number)
    return data


def _checked_body(lines: dict[int, str]) -> bytes | None:
    """The generation and key bytes the lines hold, or None when the checksum fails."""
    try:
        payload = _decode("".join(lines[n] for n in range(1, LINES + 1)))
    except SheetError:
        return None
    body, checksum = payload[:-CHECKSUM_BYTES], payload[-CHECKSUM_BYTES:]
    return body if _checksum(body) == checksum else None


def _mistyped_line(lines: dict[int, str]) -> int | None:
    """The line holding the one mistyped character that its own check missed, if any.

    A line's check is 10 bits: one typing mistake in 1024 still matches it, and only the
    sheet's checksum catches it. Then the one change of one character that matches the
    same line check and makes the checksum right names the line (about 7,000 line checks,
    a few milliseconds). None when no such change exists: lines swapped, another sheet.
    """
    for number, chars in lines.items():
        check = line_check(number, chars)
        for at, typed in enumerate(chars):
            for other in ALPHABET:
                if other == typed:
                    continue
                candidate = chars[:at] + other + chars[at + 1 :]
                if line_check(number, candidate) != check:
                    continue
                if _checked_body({**lines, number: candidate}) is not None:
                    return number
    return None


def split_number(text: str) -> tuple[int | None, str]:
    """The line's number when it starts with one (1 to 99, then a space), and the rest."""
    found = _NUMBERED.fullmatch(text)
    if found is None:
        return None, text
    return int(found.group(1)), found.group(2)


def decode_sheet(text: str) -> tuple[int, Identity]:
    """The generation and the recovery key a sheet's lines hold (as printed or typed).

    Blank lines and lines starting with # are skipped. A line without its number is
    taken as the next one. SheetError says which line is wrong, or that some are missing.
    """
    found: dict[int, str] = {}
    position = 0
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        number, rest = split_number(raw)
        position = number if number is not None else position + 1
        if position in found:
            raise SheetError("recovery.sheet.line_twice", line=position)
        found[position] = read_line(position, rest)
    missing = [n for n in range(1, LINES + 1) if n not in found]
    if missing:
        raise SheetError(
            "recovery.sheet.incomplete", missing=", ".join(map(str, missing)), lines=LINES
        )
    body = _checked_body(found)
    if body is None:
        line = _mistyped_line(found)
        if line is not None:
            raise SheetError("recovery.sheet.typo_missed", line=line)
        raise SheetError("recovery.sheet.corrupt")
    version, generation = _HEAD.unpack(body[: _HEAD.size])
    if version != SHEET_VERSION:
        raise SheetError("recovery.sheet.version", version=version)
    if not 1 <= generation <= MAX_GENERATION:
        raise SheetError("recovery.sheet.corrupt")
    try:
        identity = Identity.from_bytes(body[_HEAD.size :])
    except ValueError as exc:
        raise SheetError("recovery.sheet.corrupt") from exc
    return generation, identity
