"""Rendering speed of the studio per channel, against a bare Jinja2 loop as the ceiling.

What it measures: for each digital variant kind (email, SMS, WhatsApp, push, in-app, call
script) an Italian template of realistic size is rendered for N distinct customers (default
100,000) with ``render_variant`` as the send path calls it: the bounded sandbox, Babel
formatting of money and dates in ``it``, an included content block, CSS inlining and the
text part for the email, SMS encoding and segments. The ceiling renders the same field
sources with a bare ``jinja2.Environment`` (no sandbox, no bounds) over the same customers'
data already formatted, with the formatting filters as no-ops: what Jinja2 alone costs. The
ratio of the two is the studio's overhead; the target is at least 0.5. Checking and typing
the customers' raw JSON against the schema (``unisono.studio.data.coerce``, once per
recipient whatever the channels) is timed on its own as ``data_checks_per_second``.

Letters (PDF pages per minute) come from ``bench/render_letters.py`` when it is present.

Run it::

    .venv/bin/python bench/render.py                   # 100,000 customers
    .venv/bin/python bench/render.py --customers 5000  # a quick run

stdout carries only the JSON result (also ``--output``); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jinja2

from unisono.studio.data import coerce
from unisono.studio.email_html import inline_css
from unisono.studio.render import environment, render_variant, whatsapp_body
from unisono.studio.spec import VariableSpec, VariantKind, VarType

TARGET_RATIO = 0.5
LOCALE = "it"

SCHEMA = [
    VariableSpec("customer.first_name", VarType.STR, "Maria"),
    VariableSpec("customer.last_name", VarType.STR, "Rossi"),
    VariableSpec("customer.code", VarType.STR, "C-000123"),
    VariableSpec("invoice.number", VarType.STR, "F2026/000123"),
    VariableSpec("invoice.amount", VarType.MONEY, {"amount": "412.30", "currency": "EUR"}),
    VariableSpec("invoice.due", VarType.DATE, "2026-12-01"),
    VariableSpec("invoice.kwh", VarType.DECIMAL, "312.5"),
    VariableSpec("pay_url", VarType.URL, "https://pay.energiachiara.it/p/abc"),
]

FOOTER = {
    "html": (
        '<p class="footer">Energia Chiara S.p.A. · Via Roma 1, Milano · '
        '<a href="https://energiachiara.it/privacy">Privacy</a></p>'
    ),
    "text": "Energia Chiara S.p.A. · Via Roma 1, Milano · https://energiachiara.it/privacy",
}
BLOCKS = {"footer": FOOTER}

EMAIL_HTML = """<!doctype html>
<html lang="it"><head><meta charset="utf-8"><title>La tua bolletta</title>
<style>
body { font-family: Arial, sans-serif; color: #222222; margin: 0; padding: 0; }
.wrap { max-width: 600px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; color: #0a6640; margin: 0 0 16px 0; }
p { font-size: 15px; line-height: 1.5; margin: 0 0 12px 0; }
table.summary { width: 100%; border-collapse: collapse; margin: 16px 0; }
table.summary td { padding: 8px; border-bottom: 1px solid #dddddd; font-size: 15px; }
td.amount { text-align: right; font-weight: bold; }
a.button { display: inline-block; background: #0a6640; color: #ffffff; padding: 12px 20px;
  text-decoration: none; border-radius: 4px; }
.footer { font-size: 12px; color: #777777; margin-top: 24px; }
@media (max-width: 480px) { .wrap { padding: 12px; } }
</style></head>
<body><div class="wrap">
<h1>Ciao {{ customer.first_name }},</h1>
<p>la bolletta n. {{ invoice.number }} del tuo contratto {{ customer.code }} è disponibile.</p>
<table class="summary">
<tr><td>Importo</td><td class="amount">{{ invoice.amount|money }}</td></tr>
<tr><td>Scadenza</td><td class="amount">{{ invoice.due|date('long') }}</td></tr>
<tr><td>Consumi</td><td class="amount">{{ invoice.kwh|decimal(1) }} kWh</td></tr>
</table>
<p>Puoi pagarla online in pochi secondi, con carta o bonifico.</p>
<p><a class="button" href="{{ pay_url }}">Paga ora</a></p>
<p>Se hai già pagato, ignora questo messaggio. Grazie per aver scelto energia rinnovabile.</p>
{% include "footer" %}
</div></body></html>
"""

EMAIL_TEXT = """Ciao {{ customer.first_name }},

la bolletta n. {{ invoice.number }} del tuo contratto {{ customer.code }} è disponibile.

Importo: {{ invoice.amount|money }}
Scadenza: {{ invoice.due|date('long') }}
Consumi: {{ invoice.kwh|decimal(1) }} kWh

Paga ora: {{ pay_url }}

{% include "footer" %}
"""

SOURCES: Mapping[VariantKind, Mapping[str, Any]] = {
    VariantKind.EMAIL: {
        "subject": "{{ customer.first_name }}, la bolletta n. {{ invoice.number }} è pronta",
        "html": EMAIL_HTML,
        "text": EMAIL_TEXT,
    },
    VariantKind.SMS: {
        "text": (
            "Energia Chiara: ciao {{ customer.first_name }}, la bolletta di "
            "{{ invoice.amount|money }} scade il {{ invoice.due|date('long') }}. "
            "Paga su {{ pay_url }}"
        )
    },
    VariantKind.WHATSAPP: {
        "template_name": "bolletta_disponibile",
        "category": "UTILITY",
        "body": (
            "Ciao {{first_name}}, la bolletta {{number}} di {{amount}} scade il {{due}}. "
            "Puoi pagarla dal link qui sotto."
        ),
        "parameters": {
            "first_name": "{{ customer.first_name }}",
            "number": "{{ invoice.number }}",
            "amount": "{{ invoice.amount|money }}",
            "due": "{{ invoice.due|date('long') }}",
        },
        "buttons": [{"type": "URL", "text": "Paga ora", "url": "https://pay.energiachiara.it/"}],
        "text": "",
    },
    VariantKind.PUSH: {
        "title": "Bolletta di {{ invoice.amount|money }}",
        "body": (
            "{{ customer.first_name }}, scade il {{ invoice.due|date('long') }}. Tocca per pagare."
        ),
        "deep_link": "energiachiara://bollette/{{ invoice.number|urlencode }}",
    },
    VariantKind.IN_APP: {
        "title": "La bolletta {{ invoice.number }} è pronta",
        "body": (
            "Importo {{ invoice.amount|money }}, scadenza {{ invoice.due|date('long') }}, "
            "consumi {{ invoice.kwh|decimal(1) }} kWh."
        ),
    },
    VariantKind.CALL_SCRIPT: {
        "text": (
            "Buongiorno, parlo con {{ customer.first_name }} {{ customer.last_name }}? "
            "La chiamo da Energia Chiara per la bolletta n. {{ invoice.number }} di "
            "{{ invoice.amount|money }}, in scadenza il {{ invoice.due|date('long') }}.\n"
            "{% if invoice.amount.amount > 300 %}Le ricordo che può chiedere la rateizzazione."
            "{% else %}Può pagarla anche in tabaccheria.{% endif %}"
        )
    },
}

FIRST = ["Maria", "Giuseppe", "Anna", "Luca", "Francesca", "Marco", "Giulia", "Paolo", "Niccolò"]
LAST = ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "D'Angelo"]


def customers(count: int, seed: int = 5) -> list[dict[str, Any]]:
    """``count`` distinct customers' raw JSON data (as an API or an audience query gives it)."""
    rng = random.Random(seed)
    start = date(2026, 11, 1)
    return [
        {
            "customer": {
                "first_name": rng.choice(FIRST),
                "last_name": rng.choice(LAST),
                "code": f"C-{i:07d}",
            },
            "invoice": {
                "number": f"F2026/{i:07d}",
                "amount": {"amount": f"{rng.randint(1500, 250000) / 100:.2f}", "currency": "EUR"},
                "due": (start + timedelta(days=rng.randint(0, 60))).isoformat(),
                "kwh": f"{rng.randint(500, 90000) / 10:.1f}",
            },
            "pay_url": f"https://pay.energiachiara.it/p/{i:x}",
        }
        for i in range(count)
    ]


def _identity(value: Any, *args: Any, **kwargs: Any) -> Any:
    return value


def preformatted(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` (typed) with every formatted value already a string: the ceiling's input."""
    formats = environment(LOCALE, "text").formats
    invoice = dict(data["invoice"])
    invoice["amount"] = {
        "amount": invoice["amount"].amount,
        "text": formats.money(invoice["amount"]),
    }
    due: date = invoice["due"]
    invoice["due"] = formats.date(due, "long")
    invoice["kwh"] = formats.decimal(invoice["kwh"], 1)
    return {**data, "invoice": invoice}


class AmountText(dict[str, Any]):
    """An amount the ceiling prints as its pre-formatted text and compares as a number."""

    def __str__(self) -> str:
        return str(self["text"])


def ceiling_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The ceiling's data for a customer: formatted values as strings."""
    formatted = preformatted(data)
    formatted["invoice"]["amount"] = AmountText(formatted["invoice"]["amount"])
    return formatted


def bare_renderer(kind: VariantKind) -> Callable[[Mapping[str, Any]], Any]:
    """The same sources rendered by bare Jinja2 (filters as no-ops, blocks from a dict)."""
    loader = jinja2.DictLoader({"footer": FOOTER["text"], "html/footer": FOOTER["html"]})
    options: dict[str, Any] = {"trim_blocks": True, "lstrip_blocks": True, "loader": loader}
    text_env = jinja2.Environment(autoescape=False, **options)  # noqa: S701 - the ceiling
    html_env = jinja2.Environment(autoescape=True, **options)
    for env in (text_env, html_env):
        env.filters.update(
            dict.fromkeys(("money", "date", "decimal", "number", "percent"), _identity)
        )
    sources = SOURCES[kind]
    compiled: dict[str, jinja2.Template] = {}
    parameters: dict[str, jinja2.Template] = {}
    for name, source in sources.items():
        if kind is VariantKind.WHATSAPP and name == "parameters":
            parameters = {p: text_env.from_string(s) for p, s in source.items()}
        elif (
            kind is VariantKind.WHATSAPP and name in ("template_name", "category", "buttons")
        ) or (kind is VariantKind.WHATSAPP and name == "body"):
            continue
        elif name == "html":
            compiled[name] = html_env.from_string(source.replace('"footer"', '"html/footer"'))
        elif source:
            compiled[name] = text_env.from_string(source)
    body = str(sources.get("body") or "")

    def render(data: Mapping[str, Any]) -> Any:
        out = {name: template.render(data) for name, template in compiled.items()}
        if parameters:
            values = {p: t.render(data) for p, t in parameters.items()}
            out["body"] = whatsapp_body(body, values)
        return out

    return render


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def measure_channel(
    kind: VariantKind, typed: list[dict[str, Any]], batch: int = 1000
) -> dict[str, Any]:
    """Our renders per second and the bare Jinja2 ceiling's, over the same customers.

    The two alternate by batches of customers, so both see the same machine: on a shared
    machine the load changes within seconds, and measuring one after the other would put
    that change into the ratio.
    """
    sources = SOURCES[kind]
    bare = bare_renderer(kind)
    ready = [ceiling_data(data) for data in typed]
    render_variant(kind, LOCALE, sources, typed[0], BLOCKS)  # warm the caches
    bare(ready[0])
    ours = ceiling = 0.0
    for start in range(0, len(typed), batch):
        started = time.perf_counter()
        for data in typed[start : start + batch]:
            render_variant(kind, LOCALE, sources, data, BLOCKS)
        middle = time.perf_counter()
        for data in ready[start : start + batch]:
            bare(data)
        ours += middle - started
        ceiling += time.perf_counter() - middle
    ratio = round(ceiling / ours, 3) if ours > 0 else 0.0
    return {
        "renders_per_second": _rate(len(typed), ours),
        "ceiling_renders_per_second": _rate(len(typed), ceiling),
        "ratio": ratio,
        "met": ratio >= TARGET_RATIO,
    }


def _letters(count: int | None) -> Any:
    path = Path(__file__).with_name("render_letters.py")
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("bench_render_letters", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    measure = getattr(module, "measure_letters", None)
    if measure is None:
        return None
    parameters = inspect.signature(measure).parameters
    if count is not None and "count" in parameters:
        return measure(count=count)
    return measure()


def run(count: int, *, letters: bool = True, letter_count: int | None = None) -> dict[str, Any]:
    """The whole measurement as a JSON-ready dict."""
    raw = customers(count)
    # Checking and typing each customer's data happens once per recipient whatever the
    # channels: timed on its own, and the renders below start from its result.
    started = time.perf_counter()
    typed = [coerce(SCHEMA, item) for item in raw]
    checking = time.perf_counter() - started
    channels: dict[str, Any] = {}
    for kind in SOURCES:
        print(f"{kind.value}: {count:,} customers...", file=sys.stderr)
        channels[kind.value] = measure_channel(kind, typed)
    # Inlining is part of the email figure; shown alone, it tells where the time goes.
    sample_html = render_variant(
        VariantKind.EMAIL, LOCALE, {"html": EMAIL_HTML}, typed[0], BLOCKS
    ).fields["html"]
    started = time.perf_counter()
    repeat = max(1, min(count, 2000))
    for _ in range(repeat):
        inline_css(sample_html.replace("style=", "data-x="))
    inline_seconds = (time.perf_counter() - started) / repeat
    return {
        "benchmark": "studio render",
        "customers": count,
        "locale": LOCALE,
        "target_ratio": TARGET_RATIO,
        "data_checks_per_second": _rate(count, checking),
        "channels": channels,
        "email_css_inline_microseconds": round(inline_seconds * 1e6, 1),
        "letters": _letters(letter_count) if letters else None,
        "met": all(c["met"] for c in channels.values()),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "jinja2": jinja2.__version__,
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--no-letters", action="store_true", help="skip the letters figure")
    parser.add_argument("--output", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    result = run(args.customers, letters=not args.no_letters)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.output:
        args.output.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
