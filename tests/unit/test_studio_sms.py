"""SMS encoding and segments, checked against the GSM 03.38 tables (3GPP TS 23.038).

The property tests count with an independent reference: the text is encoded to the septets
(or UTF-16 code units) a handset would receive and cut into parts without splitting an escape
pair or a surrogate pair.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unisono.studio.sms import (
    GSM_BASIC,
    GSM_BASIC_TABLE,
    GSM_EXTENSION,
    GSM_EXTENSION_TABLE,
    SmsEncoding,
    sms_info,
)

ESC = 0x1B
BASIC = sorted(GSM_BASIC)
EXTENSION = sorted(GSM_EXTENSION)
# Characters outside both tables, including ones people expect to be GSM (capital accented
# vowels, ç, curly quotes, the non-breaking space Babel writes) and emoji (surrogate pairs).
OUTSIDE = ["È", "À", "Ì", "Ò", "Ù", "ç", "’", "“", "\xa0", "–", "😀", "👍", "\U0001f3fd", "ł"]


def septets(text: str) -> list[int]:
    codes = []
    for char in text:
        if char in GSM_BASIC:
            codes.append(GSM_BASIC_TABLE.index(char))
        else:
            code = next(c for c, ch in GSM_EXTENSION_TABLE.items() if ch == char)
            codes.extend((ESC, code))
    return codes


def parts_of(units: list[int], single: int, multi: int, unsplittable: set[int]) -> int:
    """Parts for ``units``, never ending a part on a unit that must stay with the next."""
    if not units:
        return 0
    if len(units) <= single:
        return 1
    parts, i = 0, 0
    while i < len(units):
        end = min(i + multi, len(units))
        if end < len(units) and end - 1 in unsplittable:
            end -= 1
        parts += 1
        i = end
    return parts


def reference_gsm(text: str) -> tuple[int, int]:
    codes = septets(text)
    escapes, i = set(), 0
    while i < len(codes):  # positions of escape septets that start a pair
        if codes[i] == ESC:
            escapes.add(i)
            i += 2
        else:
            i += 1
    return len(codes), parts_of(codes, 160, 153, escapes)


def reference_ucs2(text: str) -> tuple[int, int]:
    data = text.encode("utf-16-be")
    units = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    high = {i for i, unit in enumerate(units) if 0xD800 <= unit <= 0xDBFF}
    return len(units), parts_of(units, 70, 67, high)


def test_the_basic_table_is_the_official_one() -> None:
    assert len(GSM_BASIC_TABLE) == 128
    assert len(set(GSM_BASIC_TABLE)) == 128
    assert GSM_BASIC_TABLE[ESC] == "\uffff"  # the escape, never a character of the text
    expected = {
        0x00: "@", 0x01: "£", 0x02: "$", 0x03: "¥", 0x04: "è", 0x05: "é", 0x06: "ù",
        0x07: "ì", 0x08: "ò", 0x09: "Ç", 0x0A: "\n", 0x0D: "\r", 0x10: "Δ", 0x11: "_",
        0x1F: "É", 0x20: " ", 0x24: "¤", 0x40: "¡", 0x5B: "Ä", 0x5F: "§", 0x60: "¿",
        0x7B: "ä", 0x7E: "ü", 0x7F: "à",
    }  # fmt: skip
    for code, char in expected.items():
        assert GSM_BASIC_TABLE[code] == char, hex(code)
    assert GSM_BASIC_TABLE[0x41:0x5B] == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert GSM_BASIC_TABLE[0x61:0x7B] == "abcdefghijklmnopqrstuvwxyz"
    assert GSM_BASIC_TABLE[0x30:0x3A] == "0123456789"
    assert set(GSM_EXTENSION_TABLE.values()) == set("\f^{}\\[~]|€")
    assert GSM_EXTENSION_TABLE[0x65] == "€"
    assert not GSM_BASIC & GSM_EXTENSION


@pytest.mark.parametrize(
    ("char", "in_basic"),
    [
        ("à", True), ("è", True), ("é", True), ("ì", True), ("ò", True), ("ù", True),
        ("É", True), ("Ç", True), ("ñ", True), ("ß", True),
        ("È", False), ("À", False), ("Ì", False), ("Ò", False), ("Ù", False), ("á", False),
        ("ç", False), ("ê", False), ("’", False),
    ],
)  # fmt: skip
def test_italian_letters(char: str, in_basic: bool) -> None:
    info = sms_info(f"Perch{char} no")
    if in_basic:
        assert info.encoding is SmsEncoding.GSM7
        assert info.units == 9
    else:
        assert info.encoding is SmsEncoding.UCS2
        assert info.chars_outside == (char,)


def test_known_lengths() -> None:
    assert sms_info("").segments == 0
    assert sms_info("a" * 160).segments == 1
    assert sms_info("a" * 161).segments == 2
    assert sms_info("a" * 161).per_segment == 153
    assert sms_info("a" * 306).segments == 2
    assert sms_info("a" * 307).segments == 3
    euro = sms_info("€")
    assert (euro.encoding, euro.units, euro.segments) == (SmsEncoding.GSM7, 2, 1)
    assert sms_info("€" * 80).segments == 1
    assert sms_info("€" * 81).segments == 2
    # 152 septets then an escape pair: the pair does not fit in part one, so it moves whole.
    assert sms_info("a" * 152 + "€" + "a" * 7).units == 161
    assert sms_info("a" * 152 + "€" + "a" * 152).segments == 3
    assert sms_info("a" * 151 + "€" + "a" * 153).segments == 2
    assert sms_info("x" * 70 + "È").segments == 2  # one character turns all 71 into UCS-2
    assert sms_info("è" * 70).encoding is SmsEncoding.GSM7
    emoji = sms_info("ok 😀")
    assert (emoji.encoding, emoji.units, emoji.per_segment) == (SmsEncoding.UCS2, 5, 70)
    assert sms_info("😀" * 35).segments == 1
    assert sms_info("😀" * 36).segments == 2
    # 66 units then an emoji: the surrogate pair is not split across parts.
    assert sms_info("È" * 66 + "😀" + "È" * 66).segments == 3
    assert sms_info("È" * 65 + "😀" + "È" * 67).segments == 2


def test_characters_outside_are_listed_once_in_order() -> None:
    info = sms_info("Ciao È, ecco il tuo 😀 È")
    assert info.chars_outside == ("È", "😀")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(BASIC), max_size=700))
def test_basic_text_is_one_septet_per_character(text: str) -> None:
    info = sms_info(text)
    assert info.encoding is SmsEncoding.GSM7
    assert info.units == len(text)
    expected = 0 if not text else 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    assert info.segments == expected
    assert (info.units, info.segments) == reference_gsm(text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(BASIC + EXTENSION), max_size=700))
def test_extension_characters_take_two_septets_and_stay_whole(text: str) -> None:
    info = sms_info(text)
    assert info.encoding is SmsEncoding.GSM7
    assert info.chars_outside == ()
    assert info.units == len(text) + sum(text.count(c) for c in EXTENSION)
    assert (info.units, info.segments) == reference_gsm(text)


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(BASIC + EXTENSION + OUTSIDE), max_size=400),
    st.sampled_from(OUTSIDE),
    st.integers(min_value=0, max_value=400),
)
def test_one_character_outside_makes_everything_ucs2(text: str, outside: str, at: int) -> None:
    text = text[:at] + outside + text[at:]
    info = sms_info(text)
    assert info.encoding is SmsEncoding.UCS2
    assert outside in info.chars_outside
    assert all(c not in GSM_BASIC and c not in GSM_EXTENSION for c in info.chars_outside)
    assert (info.units, info.segments) == reference_ucs2(text)
    assert info.per_segment == (70 if info.segments <= 1 else 67)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    info = sms_info(text)
    gsm = all(c in GSM_BASIC or c in GSM_EXTENSION for c in text)
    assert (info.encoding is SmsEncoding.GSM7) == gsm
    reference = reference_gsm(text) if gsm else reference_ucs2(text)
    assert (info.units, info.segments) == reference
