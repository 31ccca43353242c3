"""Normalising handles: phones to E.164, emails lower-cased with IDNA domains, others verbatim."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unisono.errors import Invalid
from unisono.identity.normalize import (
    guess_handle,
    name_key,
    normalize_email,
    normalize_handle,
    normalize_phone,
)


@pytest.mark.parametrize(
    "raw",
    [
        "333 123 4567",
        "+39 333 1234567",
        "0039 3331234567",
        "(333) 123-4567",
        "+39-333-123-4567",
        " 3331234567 ",
    ],
)
def test_one_italian_mobile_in_every_format_is_one_number(raw: str) -> None:
    assert normalize_phone(raw) == "+393331234567"


def test_landline_keeps_its_leading_zero() -> None:
    assert normalize_phone("051 123 4567") == "+390511234567"


def test_default_region_reads_national_numbers() -> None:
    assert normalize_phone("020 7946 0958", region="GB") == "+442079460958"
    assert normalize_phone("+44 20 7946 0958", region="IT") == "+442079460958"


@pytest.mark.parametrize(
    "raw", ["", "   ", "ciao", "12", "+39", "333-CALL-NOW-PLEASE-123456789012"]
)
def test_what_is_not_a_phone_number_is_refused_clearly(raw: str) -> None:
    with pytest.raises(Invalid, match="phone number"):
        normalize_phone(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Mario.Rossi@Example.IT ", "mario.rossi@example.it"),
        ("luca@ESEMPIO.it", "luca@esempio.it"),
        ("nonna@caffè.it", "nonna@xn--caff-8oa.it"),
        ("info@xn--caff-8oa.it", "info@xn--caff-8oa.it"),
    ],
)
def test_emails_are_trimmed_lowercased_and_idna(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "mario", "mario@", "@example.it", "a b@example.it", "x@-.it"])
def test_what_is_not_an_email_is_refused_clearly(raw: str) -> None:
    with pytest.raises(Invalid, match="email"):
        normalize_email(raw)


def test_social_and_app_ids_are_kept_verbatim_per_kind() -> None:
    assert normalize_handle("x", " 1234567890 ").value == "1234567890"
    assert normalize_handle("messenger", "PSID-AbC").value == "PSID-AbC"
    assert str(normalize_handle("card", "EC-0001234")) == "card:EC-0001234"


@pytest.mark.parametrize("kind", ["", "Phone!", "a" * 40, "1phone", "tele phone"])
def test_bad_kinds_are_refused(kind: str) -> None:
    with pytest.raises(Invalid, match="identity kind"):
        normalize_handle(kind, "x")


def test_control_characters_and_empty_values_are_refused() -> None:
    with pytest.raises(Invalid):
        normalize_handle("app", "abc\x00def")
    with pytest.raises(Invalid):
        normalize_handle("app", "   ")


def test_guess_handle_spots_emails_and_phones_in_search_text() -> None:
    assert str(guess_handle("0039 333 1234567")) == "phone:+393331234567"
    assert str(guess_handle("Mario.Rossi@example.it")) == "email:mario.rossi@example.it"
    assert guess_handle("Maria Rossi") is None
    assert guess_handle("12") is None


def test_name_key_folds_case_and_accents() -> None:
    assert name_key("  Niccolò   D'ANGELO ") == "niccolo d'angelo"


# -- properties --------------------------------------------------------------------------------

mobile_digits = st.text(alphabet="0123456789", min_size=7, max_size=7).map(lambda s: "333" + s)
separators = st.sampled_from(["", " ", "-", ".", "  "])


@given(mobile_digits, separators, st.sampled_from(["", "+39", "0039", "+39 ", "0039 "]))
def test_prefix_and_spacing_never_change_the_number(digits: str, sep: str, prefix: str) -> None:
    spaced = sep.join([digits[:3], digits[3:6], digits[6:]])
    assert normalize_phone(prefix + spaced) == "+39" + digits


@given(mobile_digits)
def test_phone_normalisation_is_idempotent(digits: str) -> None:
    once = normalize_phone(digits)
    assert normalize_phone(once) == once


@given(st.text(max_size=80))
def test_phone_parser_never_crashes_on_any_text(raw: str) -> None:
    try:
        result = normalize_phone(raw)
    except Invalid:
        return
    assert result.startswith("+")
    assert result[1:].isdigit()


local_parts = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,20}[A-Za-z0-9]", fullmatch=True)
domains = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,10}[A-Za-z0-9]\.(it|com|EU|Org)", fullmatch=True)


@given(local_parts, domains, st.sampled_from(["", " ", "\t"]))
def test_email_case_and_whitespace_never_make_a_second_identity(
    local: str, domain: str, pad: str
) -> None:
    if ".." in local:
        return
    address = f"{local}@{domain}"
    normalized = normalize_email(pad + address.upper() + pad)
    assert normalized == normalize_email(address.lower())
    assert normalized == normalized.lower()
    assert normalize_email(normalized) == normalized


@given(st.text(max_size=120))
def test_email_parser_never_crashes_on_any_text(raw: str) -> None:
    try:
        result = normalize_email(raw)
    except Invalid:
        return
    assert "@" in result
    assert result == result.strip()


@given(st.sampled_from(["x", "messenger", "app", "card", "webchat"]), st.text(max_size=60))
def test_other_kinds_keep_their_value_or_refuse_clearly(kind: str, raw: str) -> None:
    try:
        handle = normalize_handle(kind, raw)
    except Invalid:
        return
    assert handle.value == raw.strip()
    assert handle.kind == kind
