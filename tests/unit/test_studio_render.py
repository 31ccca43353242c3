"""Rendering templates: every channel in Italian, the formatting filters, the sandbox's bounds,
blocks, and the data a template receives."""

from __future__ import annotations

import html as html_lib
import time
from datetime import UTC, date, datetime
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any

import pytest
from babel import Locale
from babel.numbers import parse_pattern
from hypothesis import given, settings
from hypothesis import strategies as st

from unisono.errors import Invalid
from unisono.studio import email_html
from unisono.studio.data import Money, coerce, sample_data
from unisono.studio.email_html import inline_css
from unisono.studio.render import (
    MAX_FIELD_OUTPUT,
    RenderError,
    environment,
    render_text,
    render_variant,
)
from unisono.studio.spec import VariableSpec, VariantKind, VarType

SCHEMA = [
    VariableSpec("customer.first_name", VarType.STR, "Maria"),
    VariableSpec("invoice.amount", VarType.MONEY, {"amount": "1234.56", "currency": "EUR"}),
    VariableSpec("invoice.due", VarType.DATE, "2026-12-01"),
    VariableSpec("invoice.sent_at", VarType.DATETIME, "2026-11-20T09:05:00+00:00"),
    VariableSpec("invoice.kwh", VarType.DECIMAL, "1312.5"),
    VariableSpec("pay_url", VarType.URL, "https://pay.example.it/p/1"),
    VariableSpec("nickname", VarType.STR, None, required=False),
]
FOOTER = {
    "html": '<p class="small">Energia Chiara · <a href="https://example.it/privacy">Privacy</a></p>',
    "text": "Energia Chiara · https://example.it/privacy",
}
BLOCKS = {"footer": FOOTER}


@pytest.fixture
def data() -> dict[str, Any]:
    return sample_data(SCHEMA)


# --- every channel, in Italian -----------------------------------------------------------------


def test_email_in_italian(data: dict[str, Any]) -> None:
    sources = {
        "subject": "{{ customer.first_name }}, bolletta da {{ invoice.amount|money }}",
        "html": (
            "<html><head><style>p { color: #222222 } .small { font-size: 12px }</style></head>"
            "<body><p>Scade il {{ invoice.due|date('long') }}.</p>"
            '<p><a href="{{ pay_url }}">Paga ora</a></p>{% include "footer" %}</body></html>'
        ),
        "text": "Scade il {{ invoice.due|date('long') }}: {{ pay_url }}\n{% include 'footer' %}",
    }
    rendered = render_variant(VariantKind.EMAIL, "it", sources, data, BLOCKS)
    assert rendered.fields["subject"] == "Maria, bolletta da € 1.234,56"
    html = rendered.fields["html"]
    assert '<p style="color: #222222;">Scade il 1 dicembre 2026.</p>' in html
    assert "<style" not in html  # inlined, nothing left to inline
    assert 'class="small" style="color: #222222;font-size: 12px;"' in html
    assert rendered.fields["text"] == (
        "Scade il 1 dicembre 2026: https://pay.example.it/p/1\n"
        "Energia Chiara · https://example.it/privacy"
    )
    assert rendered.extra["text_generated"] is False


def test_email_without_text_part_gets_one_with_links(data: dict[str, Any]) -> None:
    sources = {
        "subject": "Ciao",
        "html": '<p>Ciao {{ customer.first_name }},</p><p><a href="{{ pay_url }}">paga</a></p>',
    }
    rendered = render_variant(VariantKind.EMAIL, "it", sources, data)
    assert rendered.extra["text_generated"] is True
    assert rendered.fields["text"] == "Ciao Maria,\n\npaga (https://pay.example.it/p/1)"


def test_sms_in_italian_stays_gsm(data: dict[str, Any]) -> None:
    source = (
        "Ciao {{ customer.first_name }}, {{ invoice.amount|money }} entro il {{ invoice.due|date }}"
    )
    rendered = render_variant(VariantKind.SMS, "it", {"text": source}, data)
    text = rendered.fields["text"]
    assert text == "Ciao Maria, € 1.234,56 entro il 1 dic 2026"
    assert "\xa0" not in text  # Babel's no-break space would force UCS-2
    assert rendered.extra["encoding"] == "GSM-7"
    assert rendered.extra["units"] == len(text) + 1  # the euro sign takes two septets
    assert rendered.extra["segments"] == 1
    # The same money in HTML keeps the no-break space between sign and amount.
    assert render_text("{{ invoice.amount|money }}", data, "it", html=True) == "€\xa01.234,56"


def test_sms_over_the_maximum_is_an_error(data: dict[str, Any]) -> None:
    source = "{% for i in range(30) %}Ciao {{ customer.first_name }}! {% endfor %}"
    ok = render_variant(VariantKind.SMS, "it", {"text": source}, data)
    assert ok.extra["segments"] == 3
    with pytest.raises(RenderError) as caught:
        render_variant(VariantKind.SMS, "it", {"text": source}, data, max_sms_segments=2)
    assert caught.value.reason == "sms_too_long"
    assert caught.value.field == "text"


def test_whatsapp_in_italian(data: dict[str, Any]) -> None:
    sources = {
        "template_name": "bolletta",
        "category": "UTILITY",
        "body": "Ciao {{first_name}}, la bolletta di {{ amount }} scade il {{due}}.",
        "parameters": {
            "first_name": "{{ customer.first_name }}",
            "amount": "{{ invoice.amount|money }}",
            "due": "{{ invoice.due|date('full') }}",
        },
        "buttons": '[{"type": "URL", "text": "Paga", "url": "https://pay.example.it/"}]',
        "text": "",
    }
    rendered = render_variant(VariantKind.WHATSAPP, "it", sources, data)
    assert rendered.extra["parameters"] == {
        "first_name": "Maria",
        "amount": "€ 1.234,56",
        "due": "martedì 1 dicembre 2026",
    }
    assert rendered.fields["body"] == (
        "Ciao Maria, la bolletta di € 1.234,56 scade il martedì 1 dicembre 2026."
    )
    assert rendered.fields["template_name"] == "bolletta"
    assert rendered.extra["buttons"][0]["text"] == "Paga"


def test_whatsapp_parameters_must_be_json(data: dict[str, Any]) -> None:
    with pytest.raises(RenderError) as caught:
        render_variant(VariantKind.WHATSAPP, "it", {"parameters": "{oops"}, data)
    assert caught.value.field == "parameters"


@pytest.mark.parametrize("kind", [VariantKind.PUSH, VariantKind.IN_APP])
def test_push_and_in_app_in_italian(kind: VariantKind, data: dict[str, Any]) -> None:
    sources = {
        "title": "Bolletta di {{ invoice.amount|money }}",
        "body": (
            "Consumi {{ invoice.kwh|decimal(1) }} kWh, "
            "inviata il {{ invoice.sent_at|datetime('short') }}"
        ),
        "deep_link": "app://bollette/{{ customer.first_name|urlencode }}",
    }
    rendered = render_variant(kind, "it", sources, data)
    assert rendered.fields["title"] == "Bolletta di € 1.234,56"
    # 09:05 UTC is 10:05 in Rome in November.
    assert rendered.fields["body"] == "Consumi 1.312,5 kWh, inviata il 20/11/26, 10:05"
    if kind is VariantKind.PUSH:
        assert rendered.fields["deep_link"] == "app://bollette/Maria"


def test_letter_and_call_script_in_italian(data: dict[str, Any]) -> None:
    letter = render_variant(
        VariantKind.LETTER, "it", {"html": "<p>Gentile {{ customer.first_name }}</p>"}, data
    )
    assert letter.fields["html"] == "<p>Gentile Maria</p>"
    script = render_variant(
        VariantKind.CALL_SCRIPT,
        "it",
        {"text": "{% if invoice.amount.amount > 1000 %}Proponi la rateizzazione.{% endif %}"},
        data,
    )
    assert script.fields["text"] == "Proponi la rateizzazione."


def test_html_fields_escape_data_and_text_fields_do_not() -> None:
    data = {"name": "<b>Tom & Jerry</b>"}
    assert render_text("{{ name }}", data, "it", html=True) == "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"
    assert render_text("{{ name }}", data, "it", html=False) == "<b>Tom & Jerry</b>"
    assert (
        render_text("{{ 'a' ~ name }}", data, "it", html=True)
        == "a&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"
    )


def test_optional_variables_left_empty_read_as_nothing() -> None:
    data = coerce([VariableSpec("nickname", VarType.STR, required=False)], {})
    assert data == {"nickname": None}
    assert render_text("[{{ nickname }}]", data, "it", html=False) == "[]"


# --- formatting ----------------------------------------------------------------------------------


def test_formats_in_italian_and_english() -> None:
    data = {
        "m": Money(Decimal("1234.5"), "EUR"),
        "neg": Money(Decimal("-12.3"), "EUR"),
        "yen": Money(Decimal("1234"), "JPY"),
        "d": date(2026, 12, 1),
        "at": datetime(2026, 7, 1, 16, 30, tzinfo=UTC),
        "t": time_of_day(9, 5),
    }
    it = {
        "{{ m|money }}": "€ 1.234,50",
        "{{ neg|money }}": "-€ 12,30",
        "{{ yen|money }}": "JPY 1.234",
        "{{ 1234567.891|number }}": "1.234.567,891",
        "{{ 0.5|number }}": "0,5",
        "{{ 2|decimal }}": "2,00",
        "{{ 0.125|percent }}": "12%",
        "{{ 0.125|percent(1) }}": "12,5%",
        "{{ d|date('short') }}": "01/12/26",
        "{{ d|date }}": "1 dic 2026",
        "{{ d|date('long') }}": "1 dicembre 2026",
        "{{ d|date('full') }}": "martedì 1 dicembre 2026",
        "{{ d|date('MMMM y') }}": "dicembre 2026",
        "{{ at|datetime('short') }}": "01/07/26, 18:30",
        "{{ at|time }}": "18:30",
        "{{ at|time(tz='Europe/London') }}": "17:30",
        "{{ '2026-12-01'|date('long') }}": "1 dicembre 2026",
        "{{ 412.3|money }}": "€ 412,30",
    }
    en = {
        "{{ m|money }}": "€1,234.50",
        "{{ neg|money }}": "-€12.30",
        "{{ 1234567.891|number }}": "1,234,567.891",
        "{{ d|date('long') }}": "December 1, 2026",
        "{{ at|time }}": "6:30 PM",
    }
    for locale, cases in (("it", it), ("en", en)):
        for source, expected in cases.items():
            assert render_text(source, data, locale, html=False) == expected, (locale, source)


def test_bad_values_for_filters_are_render_errors() -> None:
    for source in (
        "{{ 'abc'|money }}",
        "{{ 'x'|date }}",
        "{{ 3|decimal(99) }}",
        "{{ true|number }}",
    ):
        with pytest.raises(RenderError):
            render_text(source, {}, "it", html=False)


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, places=4),
    st.sampled_from(["it", "en", "de", "fr", "en_IN", "de_CH"]),
)
def test_fast_number_formatting_matches_babel(value: Decimal, locale_code: str) -> None:
    locale = Locale.parse(locale_code)
    formats = environment(locale_code, "html").formats
    standard = locale.currency_formats["standard"]
    expected_money = standard.apply(value, locale, currency="USD")
    if locale.language != "it":  # Italian money follows the house style (sign first)
        assert formats.money(value, "USD") == expected_money
    else:
        assert formats.money(value, "USD") == parse_pattern("¤\xa0#,##0.00").apply(
            value, locale, currency="USD"
        )
    assert formats.number(value) == locale.decimal_formats[None].apply(value, locale)
    fixed = parse_pattern(locale.decimal_formats[None].pattern.split(";")[0])
    fixed.frac_prec = (2, 2)
    assert formats.decimal(value) == fixed.apply(value, locale)


# --- the sandbox -------------------------------------------------------------------------------

ESCAPES = {
    "{{ ''.__class__.__mro__ }}": "security",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}": "security",
    "{{ range.__globals__ }}": "security",
    "{{ data.__init__.__globals__ }}": "security",
    "{{ self._TemplateReference__context }}": "security",
    "{{ lipsum.__globals__ }}": "undefined",
    "{{ cycler.__init__.__globals__.os }}": "security",  # no globals but range
    "{{ namespace(a=1) }}": "undefined",
    "{{ '{0.__class__}'.format(1) }}": "security",
    "{{ 'a'.format_map({}) }}": "security",
    "{% set l = [] %}{{ l.append(1) }}": "security",
    "{{ data|safe }}": "syntax",
    "{% autoescape false %}{{ data }}{% endautoescape %}": "syntax",
    "{% include 'nowhere' %}": "block",
}
BOMBS = [
    "{% for i in range(10**9) %}x{% endfor %}",
    "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
    "{{ 'a' * 10**9 }}",
    "{{ ['a'] * 10**9 }}",
    "{{ 'x'.ljust(10**9) }}",
    "{{ 'x'.zfill(10**9) }}",
    "{{ 'x\tx'.expandtabs(10**8) }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ 'a'|center(10**9) }}",
    "{{ 'a'|indent(10**9) }}",
    "{{ range(10000)|join('a' * 100000) }}",
    "{{ ('a' * 200000).replace('a', 'bb') }}",
    "{{ ('a' * 200000)|replace('a', 'bb') }}",
    "{{ 10 ** 100000 }}",
    "{% set a = 'a' * 200000 %}{{ a ~ a }}",
    "{% set a = 'a' * 200000 %}{{ a + a }}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "{% set x %}{% for i in range(10000) %}{{ 'a' * 100000 }}{% endfor %}{% endset %}{{ x }}",
    "{% for i in range(10000) %}{{ 'a' * 100000 }}{% endfor %}",
    "{% for i in range(3000) %}{% filter upper %}{{ 'a' * 1000 }}{% endfilter %}{% endfor %}",
]


@pytest.mark.parametrize(("source", "reason"), ESCAPES.items())
def test_sandbox_escapes_are_blocked(source: str, reason: str) -> None:
    with pytest.raises(RenderError) as caught:
        render_text(source, {"data": {"a": 1}}, "it", html=True)
    assert caught.value.reason == reason
    assert caught.value.field == "text"
    assert caught.value.line == 1


@pytest.mark.parametrize("source", BOMBS)
def test_runaway_templates_fail_fast(source: str) -> None:
    started = time.monotonic()
    with pytest.raises(RenderError) as caught:
        render_text(source, {}, "it", html=False)
    assert time.monotonic() - started < 3
    assert caught.value.reason == "limit", caught.value.detail


def test_limits_leave_room_for_real_templates() -> None:
    rows = [{"kwh": i} for i in range(500)]
    source = "{% for row in rows %}{{ loop.index }}: {{ row.kwh|number }} kWh\n{% endfor %}"
    text = render_text(source, {"rows": rows}, "it", html=False)
    assert text.count("\n") == 500
    assert len(render_text("{{ 'a' * 100000 }}", {}, "it", html=False)) == 100_000
    with pytest.raises(RenderError, match="KB"):
        render_text("{% for i in range(300) %}{{ 'a' * 1000 }}{% endfor %}", {}, "it", html=False)
    assert MAX_FIELD_OUTPUT == 256 * 1024


def test_errors_name_the_field_and_line(data: dict[str, Any]) -> None:
    with pytest.raises(RenderError) as caught:
        render_variant(
            VariantKind.EMAIL,
            "it",
            {"subject": "ok", "html": "<p>\n\n{{ customer.last_name }}"},
            data,
        )
    error = caught.value
    assert (error.field, error.line, error.reason) == ("html", 3, "undefined")
    assert "last_name" in error.detail
    assert isinstance(error, Invalid)
    with pytest.raises(RenderError) as syntax:
        render_text("ok\n{% if %}", {}, "it", html=False)
    assert (syntax.value.line, syntax.value.reason) == (2, "syntax")


def test_errors_inside_blocks_name_the_block(data: dict[str, Any]) -> None:
    blocks = {"footer": {"text": "line one\n{{ unknown }}"}, "head": {"html": "<b>x</b>"}}
    with pytest.raises(RenderError) as caught:
        render_text("{% include 'footer' %}", data, "it", html=False, blocks=blocks)
    assert (caught.value.block, caught.value.line) == ("footer", 2)
    with pytest.raises(RenderError, match="no text form"):
        render_text("{% include 'head' %}", data, "it", html=False, blocks=blocks)


def test_compiled_templates_are_cached_by_source() -> None:
    env = environment("it", "text")
    assert env.compiled("{{ 1 }}") is env.compiled("{{ 1 }}")
    assert env.compiled("{{ 1 }}") is not env.compiled("{{ 2 }}")


def test_unknown_locale_is_invalid() -> None:
    with pytest.raises(Invalid):
        render_text("x", {}, "xx_NOPE", html=False)


# --- data ----------------------------------------------------------------------------------------


def test_coerce_types_and_nests() -> None:
    data = coerce(
        SCHEMA,
        {
            "customer": {"first_name": "Luca", "extra": "dropped"},
            "invoice.amount": {"amount": "12.5", "currency": "eur"},
            "invoice": {"due": "2026-12-01", "sent_at": "2026-11-20T09:05:00Z", "kwh": 3},
            "pay_url": "https://x.it/",
        },
    )
    assert data == {
        "customer": {"first_name": "Luca"},
        "invoice": {
            "amount": Money(Decimal("12.5"), "EUR"),
            "due": date(2026, 12, 1),
            "sent_at": datetime(2026, 11, 20, 9, 5, tzinfo=UTC),
            "kwh": Decimal(3),
        },
        "pay_url": "https://x.it/",
        "nickname": None,
    }


def test_coerce_reports_every_problem() -> None:
    with pytest.raises(Invalid) as caught:
        coerce(
            SCHEMA,
            {
                "invoice": {
                    "amount": {"amount": "lots", "currency": "EUR"},
                    "due": "tomorrow",
                    "sent_at": "2026-11-20T09:05:00",
                    "kwh": "1",
                },
                "pay_url": "ftp://x",
            },
        )
    problems = caught.value.extra["problems"]
    assert problems == [
        "customer.first_name: missing",
        "invoice.amount: 'lots' is not a number",
        "invoice.due: 'tomorrow' is not a date (YYYY-MM-DD)",
        "invoice.sent_at: '2026-11-20T09:05:00' has no UTC offset"
        " (write e.g. 2026-12-01T10:00:00+01:00)",
        "pay_url: 'ftp://x' is not an http(s) address",
    ]
    with pytest.raises(Invalid, match="unknown currency"):
        coerce([VariableSpec("m", VarType.MONEY)], {"m": {"amount": "1", "currency": "XXQ"}})
    with pytest.raises(Invalid, match="is a value itself"):
        coerce([VariableSpec("a", VarType.STR), VariableSpec("a.b", VarType.STR)], {})


def test_sample_data_fills_defaults() -> None:
    data = sample_data([{"name": "when", "type": "date"}, {"name": "total", "type": "money"}])
    assert data == {"when": date(2026, 1, 15), "total": Money(Decimal("100.00"), "EUR")}
    assert str(data["total"]) == "100.00 EUR"


# --- CSS inlined once per layout ----------------------------------------------------------------

STYLE = (
    "<style>p { color: #111111 } .warn { color: #aa0000 } td:first-child { width: 40% }"
    " .box p { margin: 0 }</style>"
)


def _email(html: str, data: dict[str, Any]) -> str:
    rendered = render_variant(VariantKind.EMAIL, "it", {"subject": "x", "html": html}, data)
    return rendered.fields["html"]


def _full(html: str, data: dict[str, Any]) -> str:
    return inline_css(render_text(html, data, "it", html=True))


@pytest.mark.parametrize(
    "source",
    [
        STYLE + "<div class='box'><p>Ciao {{ name }}</p></div><p><a href='{{ url }}'>x</a></p>",
        STYLE + "<table>{% for r in rows %}<tr><td>{{ r }}</td><td>{{ name }}</td></tr>"
        "{% endfor %}</table>",
        STYLE + "{% if name %}<div class='box'>{% endif %}<p>{{ name }}</p>"
        "{% if name %}</div>{% endif %}",
        STYLE + "<p class='{{ cls }}'>{{ name }}</p>",
        STYLE + "{% set x %}<p>{{ name }}</p>{% endset %}{{ x }}{{ x }}",
        STYLE + "<p>{{ name|urlize }}</p>",
        STYLE + "{% macro m(v) %}<p>{{ v }}</p>{% endmacro %}{{ m(name) }}<p>{{ name }}</p>",
    ],
)
def test_reused_layouts_inline_like_the_whole_page(source: str) -> None:
    people: list[dict[str, Any]] = [
        {"name": "", "url": "https://a.it/1", "rows": [], "cls": "warn"},
        {"name": "Maria", "url": "https://a.it/2", "rows": [1, 2], "cls": "x"},
        {"name": "D'Angelo & <Figli>", "url": "https://a.it/?a=1&b=2", "rows": [3], "cls": ""},
        {"name": "www.example.it", "url": "https://a.it/3", "rows": [1, 2, 3], "cls": "warn"},
        {"name": "Maria", "url": "https://a.it/2", "rows": [1, 2], "cls": "warn"},
    ]
    for _ in range(2):  # the second round comes from the cache
        for person in people:
            assert html_lib.unescape(_email(source, person)) == html_lib.unescape(
                _full(source, person)
            ), person


def test_a_layout_is_inlined_once() -> None:
    source = STYLE + "<div class='box'><p>Ciao {{ name }}, {{ n|number }}</p></div>"
    before = len(email_html._LAYOUTS)
    for n in range(50):
        html = _email(source, {"name": f"Cliente {n}", "n": n * 1000})
        assert f'<p style="color: #111111;margin: 0;">Ciao Cliente {n}, ' in html
    assert len(email_html._LAYOUTS) == before + 1
    assert list(email_html._LAYOUTS.values())[-1] is not None


def test_dotted_names_read_the_data_first() -> None:
    data = {"invoice": {"items": [{"kwh": 3}], "keys": "k"}, "m": Money(Decimal("2"), "EUR")}
    source = (
        "{% for i in invoice.items %}{{ i.kwh }}{% endfor %} {{ invoice.keys }} {{ m.currency }}"
    )
    assert render_text(source, data, "it", html=False) == "3 k EUR"


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 4, 7, 23, 30, tzinfo=UTC), "8 aprile 2026"),  # already the 8th in Rome
        ("2026-04-07T23:30:00Z", "8 aprile 2026"),
        ("2026-04-07T21:30:00+00:00", "7 aprile 2026"),
        ("2026-04-07", "7 aprile 2026"),
        (date(2026, 4, 7), "7 aprile 2026"),
    ],
)
def test_a_moment_is_dated_in_the_customers_zone(moment: object, day: str) -> None:
    data = {"at": moment}
    assert render_text("{{ at|date('long') }}", data, "it", html=False) == day
    # The same moment in New York is still the 7th.
    if day == "8 aprile 2026":
        text = render_text(
            "{{ at|date('long') }}", data, "it", html=False, timezone="America/New_York"
        )
        assert text == "7 aprile 2026"
