"""Normalising customer handles so that one person's phone or email is one identity.

Phones become E.164 (``333 123 4567``, ``+39 333 1234567`` and ``0039 3331234567`` are all
``+393331234567`` with the Italian default region); emails are trimmed, lower-cased and their
domain IDNA-encoded; every other kind (social ids, app ids, loyalty cards) is kept verbatim.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from unisono.errors import Invalid

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_VALUE_LENGTH = 320

# SMS, WhatsApp and voice all reach a person through their phone number: one identity.
CHANNEL_IDENTITY_KIND: dict[str, str] = {
    "sms": "phone",
    "whatsapp": "phone",
    "voice": "phone",
    "email": "email",
    "messenger": "messenger",
    "facebook_comments": "facebook",
    "x": "x",
    "app": "app",
    "webchat": "webchat",
}


@dataclass(frozen=True, slots=True)
class Handle:
    """A normalised identity handle: unique across all customers."""

    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def normalize_phone(raw: str, region: str = "IT") -> str:
    """``raw`` as an E.164 number; national numbers are read in ``region``."""
    text = raw.strip()
    if not text or len(text) > 64:
        raise Invalid(f"'{raw[:64]}' is not a phone number", reason="bad_phone")
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException as exc:
        raise Invalid(f"'{text}' is not a phone number: {exc}", reason="bad_phone") from exc
    if not phonenumbers.is_possible_number(number):
        raise Invalid(f"'{text}' is not a possible phone number", reason="bad_phone")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalize_email(raw: str) -> str:
    """``raw`` trimmed and lower-cased, with its domain in IDNA (ASCII) form."""
    text = raw.strip()
    if len(text) > MAX_VALUE_LENGTH:
        raise Invalid("email address is too long", reason="bad_email")
    try:
        info = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise Invalid(f"'{text}' is not an email address: {exc}", reason="bad_email") from exc
    return f"{info.local_part.lower()}@{info.ascii_domain.lower()}"


def normalize_handle(kind: str, value: str, *, region: str = "IT") -> Handle:
    """The normalised handle for ``(kind, value)``; raises Invalid with a clear reason."""
    kind = kind.strip().lower()
    if not KIND_PATTERN.fullmatch(kind):
        raise Invalid(f"'{kind[:40]}' is not an identity kind (lower-case letters, digits, _)")
    if kind == "phone":
        return Handle(kind, normalize_phone(value, region))
    if kind == "email":
        return Handle(kind, normalize_email(value))
    text = value.strip()
    if not text:
        raise Invalid(f"a {kind} identity needs a value")
    if len(text) > MAX_VALUE_LENGTH or any(unicodedata.category(c) == "Cc" for c in text):
        raise Invalid(f"'{text[:40]}' is not a valid {kind} identity")
    return Handle(kind, text)


def guess_handle(text: str, *, region: str = "IT") -> Handle | None:
    """The handle a free-text search term spells (an email or a phone number), if any."""
    text = text.strip()
    if "@" in text:
        try:
            return normalize_handle("email", text, region=region)
        except Invalid:
            return None
    if sum(c.isdigit() for c in text) >= 6 and re.fullmatch(r"[\d\s+()./-]+", text):
        try:
            return normalize_handle("phone", text, region=region)
        except Invalid:
            return None
    return None


def name_key(name: str) -> str:
    """A case- and accent-insensitive key for matching names (``Niccolò`` -> ``niccolo``)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.split())
