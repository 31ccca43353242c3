"""SMS encoding and segment counting, after 3GPP TS 23.038 (the GSM 03.38 alphabet).

A message is sent in the GSM 7-bit default alphabet when every character is in its basic
table or its extension table; a single character outside both turns the whole message into
UCS-2. Extension characters (``€ [ ] { } \\ ^ ~ |`` and form feed) are sent as an escape plus
a code, so they take two septets. A single message carries 160 septets (GSM-7) or 70 UTF-16
code units (UCS-2); a concatenated one gives 7 septets / 3 code units of each part to the
header (153 / 67 per part). An escape pair is never split across parts, nor is a UTF-16
surrogate pair (an emoji counts 2 code units and travels whole), as handsets would show
garbage otherwise.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

# The basic table, in code order 0x00-0x7F (0x1B is the escape to the extension table, which
# is never a character of the text; written here as U+FFFF, a code point no text contains).
GSM_BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\uffffÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# The extension table: code (after the escape) -> character.
GSM_EXTENSION_TABLE = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}
GSM_BASIC = frozenset(GSM_BASIC_TABLE) - {"\uffff"}
GSM_EXTENSION = frozenset(GSM_EXTENSION_TABLE.values())

SINGLE_GSM = 160
MULTI_GSM = 153
SINGLE_UCS2 = 70
MULTI_UCS2 = 67


class SmsEncoding(enum.StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class SmsInfo:
    """How ``text`` travels: encoding, units used (septets or UTF-16 code units), parts, the
    units a part carries for this message, and the characters that forced UCS-2 (in order of
    first appearance)."""

    encoding: SmsEncoding
    units: int
    segments: int
    per_segment: int
    chars_outside: tuple[str, ...]


def gsm_units(char: str) -> int | None:
    """Septets ``char`` takes in GSM-7 (1 or 2), or None when it is outside the alphabet."""
    if char in GSM_BASIC:
        return 1
    if char in GSM_EXTENSION:
        return 2
    return None


def _pack(sizes: list[int], single: int, multi: int) -> int:
    """Parts needed for characters of the given unit sizes, never splitting one character."""
    total = sum(sizes)
    if total <= single:
        return 1 if total else 0
    parts, used = 1, 0
    for size in sizes:
        if used + size > multi:
            parts += 1
            used = 0
        used += size
    return parts


def _negated_class(chars: Iterable[str]) -> re.Pattern[str]:
    return re.compile("[^" + "".join(re.escape(c) for c in sorted(chars)) + "]")


# Scanning in C: a message is checked on every send, per recipient.
_NOT_BASIC = _negated_class(GSM_BASIC)
_NOT_GSM = _negated_class(GSM_BASIC | GSM_EXTENSION)
_EXTENDED = re.compile("[" + "".join(re.escape(c) for c in sorted(GSM_EXTENSION)) + "]")


def sms_info(text: str) -> SmsInfo:
    """Encoding and segments of ``text`` as an SMS (an empty text is 0 segments)."""
    if _NOT_BASIC.search(text) is None:  # the common case: one septet per character
        units = len(text)
        segments = 0 if not units else 1 if units <= SINGLE_GSM else -(-units // MULTI_GSM)
        return SmsInfo(SmsEncoding.GSM7, units, segments, _per(segments, True), ())
    if _NOT_GSM.search(text) is None:
        units = len(text) + len(_EXTENDED.findall(text))
        if units <= SINGLE_GSM:
            segments = 1
        else:  # an escape pair never straddles two parts: pack character by character
            segments = _pack([1 if c in GSM_BASIC else 2 for c in text], SINGLE_GSM, MULTI_GSM)
        return SmsInfo(SmsEncoding.GSM7, units, segments, _per(segments, True), ())
    outside = tuple(dict.fromkeys(_NOT_GSM.findall(text)))
    units = len(text.encode("utf-16-le")) // 2
    if units <= SINGLE_UCS2:
        segments = 1
    elif units == len(text):  # no surrogate pairs: plain division
        segments = -(-units // MULTI_UCS2)
    else:
        segments = _pack([2 if ord(c) > 0xFFFF else 1 for c in text], SINGLE_UCS2, MULTI_UCS2)
    return SmsInfo(SmsEncoding.UCS2, units, segments, _per(segments, False), outside)


def _per(segments: int, gsm: bool) -> int:
    if gsm:
        return SINGLE_GSM if segments <= 1 else MULTI_GSM
    return SINGLE_UCS2 if segments <= 1 else MULTI_UCS2
