"""Printed letters per minute: WeasyPrint per letter against the composed print file.

What it measures, on one core (one process, one thread), for N payment-reminder letters
(default 2,000) of one to three A4 pages:

* ``full``: ``render_letter_pdf`` per letter, WeasyPrint laying out the whole page (header,
  window address, body, page numbers) every time; timed on a sample of the letters
  (``--full-sample``, default 40) since it needs about 0.1 s per page;
* ``composed``: ``compose_letter_batch`` for all N letters into one print file: the frame
  rendered once by WeasyPrint (``layout_seconds``, included in the figure), the variable layer
  written per letter, caches cleared first.

The figure is ``pages_per_minute`` from the process's CPU time, so other programs on a shared
machine do not lower it; ``pages_per_minute_wall`` is from the clock. Targets: the composed
path at least 1,000 pages per minute on one core (the cap of a commercial composition
licence); dedicated variable-data print engines claim about 26,000 pages per minute on three
cores, reported as ``beyond_print_engine_claim`` when one core does more.

The letters are what the studio's renderer hands over: HTML paragraphs with the customer's
name, an amount in bold, Jinja2's escaped apostrophes, and the template's fixed paragraphs.
The print file is checked afterwards (page count, a few letters' text read back with pypdf).

Run it::

    .venv/bin/python bench/render_letters.py                  # 2,000 letters
    .venv/bin/python bench/render_letters.py --count 20000 --full-sample 20

stdout carries only the JSON result (also ``--output``); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

from pypdf import PdfReader

from unisono.studio.letter import render_letter_pdf
from unisono.studio.letter_batch import (
    LetterLayout,
    LetterRecord,
    clear_caches,
    compose_letter_batch,
)
from unisono.studio.letter_layout import Address, LetterSender

TARGET_PAGES_PER_MINUTE = 1_000
PRINT_ENGINE_CLAIM = {"pages_per_minute": 26_000, "cores": 3}
DEFAULT_COUNT = 2_000
DEFAULT_FULL_SAMPLE = 40

SENDER = LetterSender(
    name="Energia Chiara S.p.A.",
    address_lines=("Via Tortona 25", "20144 Milano MI"),
    vat_number="01234567890",
    legal_text=(
        "Energia Chiara S.p.A. - Sede legale Via Tortona 25, 20144 Milano - Capitale sociale "
        "€ 10.000.000 i.v. - Registro Imprese di Milano, C.F. e P.IVA 01234567890"
    ),
    place="Milano",
    contact_lines=("Servizio clienti 800 123 456", "www.energiachiara.it"),
)

FIRST_NAMES = ("Mario", "Giulia", "Luca", "Francesca", "Giovanni", "Chiara", "Paolo", "Sara")
LAST_NAMES = ("Rossi", "Bianchi", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco")
STREETS = ("Via Roma", "Corso Buenos Aires", "Viale Monza", "Via dell'Orso", "Piazza Duomo")
TOWNS = ("20121 Milano MI", "00184 Roma RM", "10121 Torino TO", "40121 Bologna BO")

# The template's fixed paragraphs (Jinja2 escapes apostrophes as &#39;).
FIXED = (
    "Le ricordiamo che il pagamento può essere effettuato con bonifico bancario, con "
    "domiciliazione sul conto corrente, presso gli uffici postali o nei punti vendita "
    "abilitati, indicando sempre il numero della bolletta.",
    "Se ha già provveduto al pagamento, La preghiamo di non tenere conto di questa "
    "comunicazione e di inviarci copia della ricevuta, così da aggiornare la Sua posizione.",
    "Trascorsi venti giorni dalla scadenza indicata, in assenza di pagamento, potremo "
    "avviare la procedura di sospensione della fornitura prevista dall&#39;articolo 3 delle "
    "condizioni generali di contratto, con l&#39;addebito dei relativi costi.",
    "Per qualsiasi chiarimento il nostro servizio clienti è a Sua disposizione dal lunedì al "
    "venerdì, dalle 8 alle 20, al numero verde 800 123 456 o all&#39;indirizzo "
    "assistenza@energiachiara.it.",
    "Può inoltre richiedere una rateizzazione dell&#39;importo dovuto, se ne ha i requisiti, "
    "compilando il modulo disponibile nell&#39;area clienti del nostro sito.",
)


def make_letters(count: int, *, seed: int = 5) -> list[LetterRecord]:
    """``count`` distinct payment reminders, one to three pages each."""
    rng = random.Random(seed)
    letters = []
    day = date(2026, 12, 1)
    for number in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        amount = f"{rng.randint(40, 900)},{rng.randint(0, 99):02d}"
        due = day + timedelta(days=rng.randint(10, 30))
        invoice = f"FT-2026-{number:06d}"
        body = [
            f"<p>Gentile {first} {last},</p>",
            f"<p>dalle nostre verifiche la bolletta n. {invoice} dell&#39;importo di "
            f"<strong>€ {amount}</strong> risulta non ancora pagata. La invitiamo a "
            f"provvedere entro il <strong>{due.day}/{due.month}/{due.year}</strong>.</p>",
        ]
        # A reading of the meter: variable text in every letter.
        for month in range(rng.randint(0, 12)):
            reading = rng.randint(1000, 99999)
            body.append(
                f"<p>Lettura del mese {month + 1}: {reading} kWh, stimata dal distributore "
                f"sulla base dei consumi storici del punto di fornitura IT001E{number:08d}.</p>"
            )
        body.extend(f"<p>{FIXED[index % len(FIXED)]}</p>" for index in range(rng.randint(3, 18)))
        body.append("<p>Cordiali saluti,<br>Servizio Clienti Energia Chiara</p>")
        letters.append(
            LetterRecord(
                recipient=Address(
                    f"{first} {last}",
                    (f"{rng.choice(STREETS)} {rng.randint(1, 200)}", rng.choice(TOWNS)),
                ),
                date=day,
                reference=invoice,
                body_html="".join(body),
            )
        )
    return letters


T = TypeVar("T")


def _timed(work: Callable[[], T]) -> tuple[T, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _rate(pages: int, cpu: float, wall: float) -> dict[str, Any]:
    return {
        "pages": pages,
        "cpu_seconds": round(cpu, 3),
        "wall_seconds": round(wall, 3),
        "pages_per_minute": round(pages / cpu * 60) if cpu else None,
        "pages_per_minute_wall": round(pages / wall * 60) if wall else None,
        "ms_per_page": round(cpu / pages * 1000, 3) if pages else None,
    }


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure_full(letters: Sequence[LetterRecord]) -> dict[str, Any]:
    """WeasyPrint for every letter, whole."""

    def run() -> int:
        pages = 0
        for record in letters:
            pdf = render_letter_pdf(
                record.body_html,
                recipient=record.recipient,
                sender=SENDER,
                date=record.date,
                reference=record.reference,
                locale="it",
            )
            pages += len(PdfReader(io.BytesIO(pdf)).pages)
        return pages

    pages, wall, cpu = _timed(run)
    return {"letters": len(letters), **_rate(pages, cpu, wall)}


def measure_composed(letters: Sequence[LetterRecord]) -> dict[str, Any]:
    """One print file for all letters: the frame once, the variable layer per letter."""
    clear_caches()
    layout, layout_wall, layout_cpu = _timed(lambda: LetterLayout.build(SENDER, "it"))
    result, wall, cpu = _timed(lambda: compose_letter_batch(layout, letters))
    pages = sum(result.pages)
    _check(result.pdf, result.pages, letters)
    return {
        "letters": len(letters),
        **_rate(pages, cpu + layout_cpu, wall + layout_wall),
        "layout_seconds": round(layout_cpu, 3),
        "fallbacks": len(result.fallbacks),
        "file_bytes": len(result.pdf),
        "bytes_per_page": round(len(result.pdf) / pages) if pages else None,
        "pages_per_letter": {
            str(count): result.pages.count(count) for count in sorted(set(result.pages))
        },
    }


def _check(pdf: bytes, counts: Sequence[int], letters: Sequence[LetterRecord]) -> None:
    """The print file has every page, and sampled letters carry their own text."""
    reader = PdfReader(io.BytesIO(pdf))
    if len(reader.pages) != sum(counts):
        raise AssertionError(f"{len(reader.pages)} pages in the file, {sum(counts)} composed")
    starts = [sum(counts[:index]) for index in range(len(counts))]
    for index in sorted({0, len(letters) // 2, len(letters) - 1}):
        text = reader.pages[starts[index]].extract_text()
        record = letters[index]
        for expected in (record.recipient.name, record.reference, f"Pagina 1 di {counts[index]}"):
            if expected not in text:
                raise AssertionError(f"letter {index + 1}: {expected!r} missing")


def measure_letters(
    count: int = DEFAULT_COUNT, *, full_sample: int = DEFAULT_FULL_SAMPLE
) -> dict[str, Any]:
    """Pages per minute of both paths for ``count`` letters, as a JSON-ready dict."""
    if count < 1 or full_sample < 0:
        raise ValueError("count must be positive and full_sample not negative")
    load_before = [round(x, 2) for x in os.getloadavg()]
    letters = make_letters(count)
    sample = letters[: min(full_sample, count)]
    _log(f"full layout: {len(sample)} letters with WeasyPrint...")
    full = measure_full(sample) if sample else None
    _log(f"composed: {count} letters into one print file...")
    composed = measure_composed(letters)
    composed_rate = composed["pages_per_minute"] or 0
    return {
        "letters": count,
        "full": full,
        "composed": composed,
        "speedup": round(composed_rate / full["pages_per_minute"], 1)
        if full and full["pages_per_minute"]
        else None,
        "targets": {
            "composed_pages_per_minute_one_core": TARGET_PAGES_PER_MINUTE,
            "print_engine_claim": PRINT_ENGINE_CLAIM,
        },
        "met": {
            "composed": composed_rate >= TARGET_PAGES_PER_MINUTE,
            "beyond_print_engine_claim": composed_rate >= PRINT_ENGINE_CLAIM["pages_per_minute"],
        },
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "weasyprint": version("weasyprint"),
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="letters to compose")
    parser.add_argument(
        "--full-sample",
        type=int,
        default=DEFAULT_FULL_SAMPLE,
        help="letters rendered whole by WeasyPrint (0: skip)",
    )
    parser.add_argument("--output", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.count < 1 or args.full_sample < 0:
        parser.error("--count must be positive and --full-sample not negative")
    result = json.dumps(measure_letters(args.count, full_sample=args.full_sample), indent=2)
    print(result)
    if args.output:
        args.output.write_text(result + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
