"""The recovery sheet's text: what a person types back reads back, and a mistake names its
line (fieldkit/crypto/recovery.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit import i18n
from fieldkit.crypto import recovery
from fieldkit.crypto.identity import Identity
from fieldkit.crypto.recovery import SheetError, decode_sheet, encode_sheet

KEY = Identity.generate()


def _same(a: Identity, b: Identity) -> bool:
    return a.to_bytes() == b.to_bytes()


def test_a_sheet_reads_back_to_its_key_and_generation():
    lines = encode_sheet(KEY, 7)
    assert len(lines) == recovery.LINES == 6
    generation, key = decode_sheet("\n".join(lines))
    assert generation == 7 and _same(key, KEY)
    assert key.public.fingerprint_hex == KEY.public.fingerprint_hex


def test_each_line_is_numbered_in_groups_of_five_with_its_check():
    for number, line in enumerate(encode_sheet(KEY, 1), start=1):
        head, *groups, check = line.split()
        assert head == str(number) and len(check) == recovery.LINE_CHECK
        assert all(len(g) == recovery.GROUP for g in groups[:-1]) and len(groups) <= 8
        assert set("".join(groups)) <= set(recovery.ALPHABET)


def test_typing_forgives_case_spaces_dashes_and_look_alike_letters():
    typed = []
    for line in encode_sheet(KEY, 3):
        number, rest = line.split(maxsplit=1)
        rest = rest.lower().replace(" ", "-", 3).replace("0", "o").replace("1", "l")
        typed.append(f"  {number}. {rest.replace(' ', '')}  ")
    generation, key = decode_sheet("# typed from the sheet\n\n" + "\n".join(typed) + "\n\n")
    assert generation == 3 and _same(key, KEY)


def test_lines_without_their_numbers_are_read_in_order():
    lines = [line.split(maxsplit=1)[1] for line in encode_sheet(KEY, 2)]
    assert decode_sheet("\n".join(lines))[0] == 2


def _typo(line: str, at: int) -> str:
    """The line with one character of its groups changed to another of the alphabet."""
    number, rest = line.split(maxsplit=1)
    chars = list(rest)
    positions = [i for i, c in enumerate(chars) if c != " "]
    i = positions[at % len(positions)]
    chars[i] = recovery.ALPHABET[(recovery.ALPHABET.index(chars[i]) + 1) % 32]
    return f"{number}  {''.join(chars)}"


@settings(max_examples=60, deadline=None)
@given(line=st.integers(0, recovery.LINES - 1), at=st.integers(0, 60))
def test_a_typing_mistake_names_its_line(line: int, at: int):
    lines = encode_sheet(KEY, 1)
    lines[line] = _typo(lines[line], at)
    with pytest.raises(SheetError) as caught:
        decode_sheet("\n".join(lines))
    assert caught.value.line == line + 1


def _typo_its_check_misses(lines: list[str]) -> tuple[int, list[str]]:
    """A line index and the lines with one character of it changed such that the
    line's own 10-bit check still matches (about one change in 1024 does)."""
    for index, line in enumerate(lines):
        number, rest = line.split(maxsplit=1)
        data = recovery.normalise(rest)[: -recovery.LINE_CHECK]
        check = recovery.line_check(index + 1, data)
        for at, char in enumerate(data):
            for other in recovery.ALPHABET:
                changed = data[:at] + other + data[at + 1 :]
                if other != char and recovery.line_check(index + 1, changed) == check:
                    typed = list(lines)
                    typed[index] = f"{number}  {changed}{check}"
                    return index, typed
    raise AssertionError("no change of one character keeps a line's check")


def test_a_mistake_that_its_lines_check_misses_is_still_named():
    index, typed = _typo_its_check_misses(encode_sheet(KEY, 1))
    assert recovery.read_line(index + 1, typed[index].split(maxsplit=1)[1])  # check passes
    with pytest.raises(SheetError) as caught:
        decode_sheet("\n".join(typed))
    assert caught.value.line == index + 1
    assert caught.value.key == "recovery.sheet.typo_missed"


def test_lines_of_another_sheet_are_corrupt_without_naming_a_line():
    ours, theirs = encode_sheet(KEY, 1), encode_sheet(Identity.generate(), 1)
    with pytest.raises(SheetError) as caught:
        decode_sheet("\n".join(ours[:3] + theirs[3:]))
    assert caught.value.key == "recovery.sheet.corrupt" and caught.value.line is None


def test_the_mistake_is_one_french_line_naming_the_line(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    i18n.reset()
    lines = encode_sheet(KEY, 1)
    lines[2] = _typo(lines[2], 4)
    with pytest.raises(SheetError) as caught:
        decode_sheet("\n".join(lines))
    message = caught.value.message
    assert message.startswith("la ligne 3 de la feuille de récupération")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("change", "key", "line"),
    [
        (lambda ls: ls[:4], "recovery.sheet.incomplete", None),
        (lambda ls: [*ls, ls[1]], "recovery.sheet.line_twice", 2),
        (lambda ls: [*ls[:1], ls[1][:-8] + ls[1][-2:], *ls[2:]], "recovery.sheet.line_short", 2),
        (lambda ls: [*ls[:3], ls[3] + " 7", *ls[4:]], "recovery.sheet.line_long", 4),
        (
            lambda ls: [*ls[:4], ls[4].replace(ls[4][5], "U", 1), *ls[5:]],
            "recovery.sheet.bad_character",
            5,
        ),
        (lambda ls: [*ls, "7  AAAAA"], "recovery.sheet.no_such_line", 7),
    ],
)
def test_each_kind_of_mistake_is_said(change, key: str, line: int | None):
    with pytest.raises(SheetError) as caught:
        decode_sheet("\n".join(change(encode_sheet(KEY, 1))))
    assert caught.value.key == key and caught.value.line == line


def test_two_lines_swapped_with_their_numbers_are_caught_by_their_checks():
    lines = encode_sheet(KEY, 1)
    rest1 = lines[0].split(maxsplit=1)[1]
    rest2 = lines[1].split(maxsplit=1)[1]
    with pytest.raises(SheetError) as caught:
        decode_sheet("\n".join([f"1  {rest2}", f"2  {rest1}", *lines[2:]]))
    assert caught.value.line == 1


def test_a_sheet_of_random_characters_is_not_a_key():
    lines = []
    for number, length in enumerate(recovery.line_lengths(), start=1):
        chars = "Z" * length
        lines.append(f"{number} {chars} {recovery.line_check(number, chars)}")
    with pytest.raises(SheetError) as caught:
        decode_sheet("\n".join(lines))
    assert caught.value.key == "recovery.sheet.corrupt"


def test_errors_are_value_errors_without_the_key():
    lines = encode_sheet(KEY, 1)
    lines[0] = _typo(lines[0], 10)
    with pytest.raises(ValueError) as caught:
        decode_sheet("\n".join(lines))
    assert lines[0].split()[1] not in str(caught.value)
