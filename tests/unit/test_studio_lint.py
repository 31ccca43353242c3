"""The linter: a clean version has no finding, and each rule fires on the change that breaks it
(and only where it is broken)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from unisono.studio.lint import RULES, lint_rendered, lint_version, messages
from unisono.studio.render import render_variant
from unisono.studio.spec import Purpose, RenderedVariant, Severity, VariantKind


@dataclass
class Template:
    purpose: str = "advertise"
    variant_kinds: list[str] = field(default_factory=lambda: [k.value for k in VariantKind])
    locales: list[str] = field(default_factory=lambda: ["it", "en"])


@dataclass
class Version:
    schema: list[dict[str, Any]]
    variants: dict[str, dict[str, dict[str, Any]]]


SCHEMA: list[dict[str, Any]] = [
    {"name": "customer.first_name", "type": "str", "sample": "Maria"},
    {"name": "offer.price", "type": "money", "sample": {"amount": "9.90", "currency": "EUR"}},
    {"name": "offer.url", "type": "url", "sample": "https://energiachiara.it/o/1"},
]
VARIANT: dict[str, dict[str, Any]] = {
    "email": {
        "subject": "{{ customer.first_name }}, un'offerta per te",
        "html": (
            '<p>Solo {{ offer.price|money }}: <a href="{{ offer.url }}">scopri</a></p>'
            '<img src="https://energiachiara.it/logo.png" alt="Energia Chiara">'
            '{% include "footer" %}'
        ),
        "text": "Solo {{ offer.price|money }}: {{ offer.url }}\n{% include 'footer' %}",
    },
    "sms": {"text": "Offerta a {{ offer.price|money }}: {{ offer.url }} STOP al 4321"},
    "whatsapp": {
        "template_name": "offerta",
        "category": "MARKETING",
        "body": "Ciao {{first_name}}, solo {{price}} al mese.",
        "parameters": {
            "first_name": "{{ customer.first_name }}",
            "price": "{{ offer.price|money }}",
        },
        "buttons": [
            {"type": "URL", "text": "Scopri", "url": "https://energiachiara.it/"},
            {"type": "QUICK_REPLY", "text": "Stop offerte"},
        ],
        "text": "",
    },
    "push": {"title": "Un'offerta per te", "body": "Solo {{ offer.price|money }}", "deep_link": ""},
    "in_app": {"title": "Offerta", "body": "Solo {{ offer.price|money }}"},
    "letter": {"html": "<p>Gentile {{ customer.first_name }}</p>"},
    "call_script": {"text": "Buongiorno {{ customer.first_name }}, la chiamo per un'offerta."},
}
BLOCKS = {
    "footer": {
        "it": {
            "html": '<p><a href="https://energiachiara.it/disiscriviti">Disiscriviti</a></p>',
            "text": "Per non ricevere altre offerte: https://energiachiara.it/disiscriviti",
        },
        "en": {
            "html": '<p><a href="https://energiachiara.it/u?l=en">Unsubscribe</a></p>',
            "text": "Unsubscribe: https://energiachiara.it/u?l=en",
        },
    }
}
ALLOWED = ["energiachiara.it"]

Case = tuple[Template, Version, dict[str, Any]]


def clean() -> Case:
    variants = {
        kind: {"it": copy.deepcopy(f), "en": copy.deepcopy(f)} for kind, f in VARIANT.items()
    }
    return Template(), Version(copy.deepcopy(SCHEMA), variants), copy.deepcopy(BLOCKS)


def lint(case: Case) -> list[Any]:
    template, version, blocks = case
    return lint_version(template, version, blocks, max_sms_segments=3, link_allowlist=ALLOWED)


def it(case: Case, kind: str) -> dict[str, Any]:
    return case[1].variants[kind]["it"]


def _set(kind: str, name: str, value: Any) -> Callable[[Case], None]:
    def change(case: Case) -> None:
        it(case, kind)[name] = value

    return change


def _drop_kind(case: Case) -> None:
    del case[1].variants["push"]


def _drop_locale(case: Case) -> None:
    del case[1].variants["sms"]["en"]


def _undeclared(case: Case) -> None:
    it(case, "sms")["text"] = "Ciao {{ customer.last_name }} STOP al 4321"


def _unused(case: Case) -> None:
    case[1].schema.append({"name": "contract.code", "type": "str", "sample": "C1"})


def _no_sample(case: Case) -> None:
    case[1].schema[0]["sample"] = None


def _render_error(case: Case) -> None:
    it(case, "call_script")["text"] = "{{ customer.first_name.upper(1, 2) }}"


def _block_missing(case: Case) -> None:
    it(case, "letter")["html"] = "{% include 'signature' %}"


def _email_without_unsubscribe(case: Case) -> None:
    case[2]["footer"]["it"]["html"] = "<p>Energia Chiara</p>"


def _many_buttons(case: Case) -> None:
    it(case, "whatsapp")["buttons"] = [{"type": "QUICK_REPLY", "text": f"B{i}"} for i in range(11)]


def _big_push(case: Case) -> None:
    it(case, "push")["body"] = "x" * 4100


MUTATIONS: dict[str, tuple[Callable[[Case], None], str | None, str | None]] = {
    # code: (change, variant it fires on, field)
    "missing_variant": (_drop_kind, "push", None),
    "missing_locale": (_drop_locale, "sms", None),
    "syntax_error": (_set("sms", "text", "Ciao {{ customer.first_name STOP"), "sms", "text"),
    "render_error": (_render_error, "call_script", "text"),
    "unknown_block": (_block_missing, "letter", "html"),
    "undeclared_variable": (_undeclared, "sms", "text"),
    "unused_variable": (_unused, None, None),
    "no_sample": (_no_sample, None, None),
    "sms_ucs2": (_set("sms", "text", "Perché È così? STOP al 4321"), "sms", "text"),
    "sms_multipart": (_set("sms", "text", "a" * 200 + " STOP al 4321"), "sms", "text"),
    "sms_too_long": (_set("sms", "text", "a" * 500 + " STOP al 4321"), "sms", "text"),
    "whatsapp_parameter_name": (
        _set("whatsapp", "body", "Ciao {{first_name}}, {{Price}} {{price}}"),
        "whatsapp",
        "body",
    ),
    "whatsapp_parameter_missing": (
        _set("whatsapp", "body", "Ciao {{first_name}}, {{price}} {{due}}"),
        "whatsapp",
        "body",
    ),
    "whatsapp_parameter_unused": (
        _set("whatsapp", "body", "Ciao {{first_name}}!"),
        "whatsapp",
        "parameters",
    ),
    "whatsapp_parameter_value": (
        _set("whatsapp", "parameters", {"first_name": "A\nB", "price": "{{ offer.price|money }}"}),
        "whatsapp",
        "parameters",
    ),
    "whatsapp_parameter_empty": (
        _set("whatsapp", "parameters", {"first_name": "  ", "price": "{{ offer.price|money }}"}),
        "whatsapp",
        "parameters",
    ),
    "whatsapp_body_too_long": (
        _set("whatsapp", "body", "{{first_name}} {{price}} " + "x" * 1020),
        "whatsapp",
        "body",
    ),
    "whatsapp_text_too_long": (_set("whatsapp", "text", "x" * 4097 + " STOP"), "whatsapp", "text"),
    "whatsapp_too_many_buttons": (_many_buttons, "whatsapp", "buttons"),
    "whatsapp_button_text": (
        _set("whatsapp", "buttons", [{"type": "QUICK_REPLY", "text": "x" * 26}]),
        "whatsapp",
        "buttons",
    ),
    "push_title_too_long": (_set("push", "title", "t" * 66), "push", "title"),
    "push_body_too_long": (_set("push", "body", "b" * 241), "push", "body"),
    "push_payload_too_large": (_big_push, "push", None),
    "insecure_link": (
        _set("in_app", "body", "Vedi http://energiachiara.it/offerta"),
        "in_app",
        "body",
    ),
    "unknown_link_domain": (
        _set("in_app", "body", "Vedi https://energia-chiara.example.com/x"),
        "in_app",
        "body",
    ),
    "no_unsubscribe": (_email_without_unsubscribe, "email", "html"),
    "no_stop_instruction": (_set("sms", "text", "Offerta {{ offer.price|money }}"), "sms", "text"),
    "no_text_part": (_set("email", "text", ""), "email", "text"),
    "image_without_alt": (
        _set(
            "letter",
            "html",
            '<p>{{ customer.first_name }}</p><img src="https://energiachiara.it/f.png">',
        ),
        "letter",
        "html",
    ),
}


def test_a_clean_version_has_no_finding() -> None:
    assert lint(clean()) == []


def test_every_rule_has_a_case() -> None:
    assert set(MUTATIONS) == set(RULES)


@pytest.mark.parametrize("code", sorted(MUTATIONS))
def test_each_rule_fires(code: str) -> None:
    change, variant, field_name = MUTATIONS[code]
    case = clean()
    change(case)
    findings = lint(case)
    hits = [f for f in findings if f.code == code]
    assert hits, [f.code for f in findings]
    hit = hits[0]
    assert hit.severity is RULES[code][0]
    assert (hit.variant.value if hit.variant else None) == variant
    assert hit.field == field_name
    if variant is not None and code != "missing_variant":
        assert hit.locale == ("en" if code == "missing_locale" else "it")
    # The message fills its placeholders from its params, in English and through a catalog.
    assert "%(" not in hit.text()
    assert hit.text(lambda msgid: "» " + msgid) == "» " + hit.text()
    # The English locale, left as it was, has no finding of this kind.
    if code not in ("missing_variant", "unused_variable", "no_sample"):
        assert not [f for f in hits if f.locale == "en" and code != "missing_locale"]


def test_submission_is_blocked_only_by_errors() -> None:
    case = clean()
    it(case, "push")["title"] = "t" * 80
    assert {f.severity for f in lint(case)} == {Severity.WARNING}


def test_variables_in_blocks_and_attribute_chains_count_as_used() -> None:
    case = clean()
    case[1].schema.append({"name": "customer.code", "type": "str", "sample": "C1"})
    case[2]["footer"]["it"]["text"] += " ({{ customer.code }})"
    case[2]["footer"]["en"]["text"] += " ({{ customer['code'] }})"
    assert lint(case) == []
    # Loop variables are the template's own, not undeclared data.
    it(case, "letter")["html"] = "{% for x in [1, 2] %}{{ x }}{% endfor %}{{ customer.first_name }}"
    assert lint(case) == []


def test_lint_rendered_checks_each_recipient() -> None:
    sources = {"text": "Ciao {{ name }}, offerta! STOP al 4321"}
    for name, codes in (("Maria", set()), ("Zoë Łukasz", {"sms_ucs2"})):
        rendered = render_variant(VariantKind.SMS, "it", sources, {"name": name})
        found = lint_rendered(rendered, Purpose.ADVERTISE, max_sms_segments=1, link_allowlist=None)
        assert {f.code for f in found} == codes
    long_name = render_variant(VariantKind.SMS, "it", sources, {"name": "Ò" * 60})
    found = lint_rendered(long_name, "advertise", max_sms_segments=1)
    assert {f.code for f in found} == {"sms_ucs2", "sms_too_long"}
    assert next(f for f in found if f.code == "sms_too_long").params == {
        "segments": 2,
        "encoding": "UCS-2",
        "max": 1,
    }


def test_whatsapp_opt_out_is_a_stop_button_or_words() -> None:
    def codes(buttons: list[dict[str, str]], body: str, text: str = "") -> list[str]:
        rendered = RenderedVariant(
            VariantKind.WHATSAPP, "it", {"body": body, "text": text}, {"buttons": buttons}
        )
        return [f.code for f in lint_rendered(rendered, Purpose.ADVERTISE)]

    stop = {"type": "QUICK_REPLY", "text": "Stop offerte"}
    assert codes([stop], "Offerta!") == []
    assert codes([], "Offerta! Rispondi STOP per non riceverne") == []
    assert codes([], "Offerta!") == ["no_stop_instruction"]
    assert codes([stop], "Offerta!", "Ciao") == ["no_stop_instruction"]


def test_purpose_other_than_advertising_needs_no_opt_out() -> None:
    rendered = RenderedVariant(VariantKind.SMS, "it", {"text": "La bolletta è pronta"})
    assert lint_rendered(rendered, Purpose.PAYMENT_REMINDER) == []
    assert [f.code for f in lint_rendered(rendered, Purpose.ADVERTISE)] == ["no_stop_instruction"]


def test_links_in_html_attributes_and_text() -> None:
    rendered = RenderedVariant(
        VariantKind.LETTER,
        "it",
        {
            "html": (
                '<a href="http://a.example.it/x">a</a> '
                '<img src="https://b.example.com/i.png" alt="">'
                " vedi www.c.example.org/p e https://d.energiachiara.it/ok mailto:x@y.it"
            )
        },
    )
    found = lint_rendered(
        rendered, Purpose.INFORM, link_allowlist=["energiachiara.it", "example.it"]
    )
    assert [(f.code, f.params.get("url")) for f in found] == [
        ("insecure_link", "http://a.example.it/x"),
        ("unknown_link_domain", "https://b.example.com/i.png"),
        ("unknown_link_domain", "www.c.example.org/p"),
    ]
    assert lint_rendered(rendered, Purpose.INFORM, link_allowlist=None)[0].code == "insecure_link"


def test_whatsapp_url_buttons_are_links_like_any_other() -> None:
    def found(url: str) -> list[tuple[str, str | int | None]]:
        button = {"type": "URL", "text": "Paga ora", "url": url}
        rendered = RenderedVariant(
            VariantKind.WHATSAPP, "it", {"body": "La bolletta è pronta"}, {"buttons": [button]}
        )
        findings = lint_rendered(rendered, Purpose.INFORM, link_allowlist=["energiachiara.it"])
        return [(f.code, f.params.get("url")) for f in findings]

    assert found("https://www.energiachiara.it/paga") == []
    assert found("http://www.energiachiara.it/paga") == [
        ("insecure_link", "http://www.energiachiara.it/paga")
    ]
    assert found("https://paga-subito.example.com/x") == [
        ("unknown_link_domain", "https://paga-subito.example.com/x")
    ]


def test_every_message_is_in_both_catalogs() -> None:
    from babel.messages.pofile import read_po

    from unisono.web.console.i18n import LOCALE_DIR

    for locale in ("it", "en"):
        with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalog = read_po(po, locale=locale)
        for msgid in messages():
            entry = catalog.get(msgid)
            assert entry is not None, (locale, msgid)
            assert entry.string, (locale, msgid)
            assert set(_placeholders(str(entry.string))) == set(_placeholders(msgid)), msgid


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"%\((\w+)\)s", text)
