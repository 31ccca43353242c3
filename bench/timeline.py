"""Latency of a customer's timeline and of full-text search over the real HTTP API, at scale.

What it measures: with N customers and M interactions generated in the database (default
1,000,000 and 10,000,000), the median, p90, p99 and max latency of

* ``GET /api/v1/customers/{id}/timeline`` (first page, default limit) for random customers, and
* ``GET /api/v1/search?q=...`` for five classes of queries: one common word, a common pair, a
  rare word, a rare pair and a word with no hits,

measured by an HTTP client against the real app (``unisono.web.app:create_app``) served by
uvicorn with one worker, one request at a time by default (latency, not throughput). Every
request goes through the whole stack: bearer-token authentication, the audit events each read
writes, the commit. The targets are p99 < 20 ms (timeline) and p99 < 100 ms (search).

How the data is made: the schema comes from the migrations; customers, identities,
conversations and interactions (Italian texts over a Zipf-distributed vocabulary of a few
thousand words plus common phrases, spread over 12 months, UUIDv7 ids) are loaded with
PostgreSQL ``COPY`` (or ``executemany`` on SQLite, where the FTS5 triggers fill the index).
On PostgreSQL the secondary indexes and foreign keys of the big tables are dropped around the
load and recreated from their exact catalog definitions (``--index-strategy keep`` loads with
them in place), then everything is vacuumed and analysed.

Run it::

    .venv/bin/python bench/timeline.py                     # 1M/10M in database unisono_bench
    .venv/bin/python bench/timeline.py --reuse             # measure again, keep the data
    .venv/bin/python bench/timeline.py --small             # a quick smoke run
    .venv/bin/python bench/timeline.py --database-url sqlite:///var/bench.db \\
        --customers 100000 --interactions 1000000

Each endpoint has a time budget (``--budget``, default 900 s): when requests are very slow (a
common word ranked over 10M rows takes seconds), fewer are measured and ``budget_exhausted``
says so. Progress goes to stderr; stdout carries only the JSON result (also ``--output``).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import functools
import json
import os
import platform
import random
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvicorn
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from unisono.db import make_engine, session_factory
from unisono.identity.normalize import name_key
from unisono.migrate import upgrade
from unisono.models import Operator, Role
from unisono.security.operators import do_create_operator, do_create_token
from unisono.web.app import create_app

BENCH_DATABASE = "unisono_bench"
DEFAULT_DATABASE_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{BENCH_DATABASE}"
TARGETS = {"timeline_p99_ms": 20.0, "search_p99_ms": 100.0}
BIG_TABLES = ("customers", "identities", "conversations", "interactions")
META_TABLE = "bench_generation"
BENCH_OPERATOR = "bench@unisono-bench.it"
QUERY_CLASSES = ("common_word", "common_pair", "rare_word", "rare_pair", "no_hit")
MATCH_CAP = 1_000_000
DAY_US = 86_400_000_000
SPAN_DAYS = 365

console = Console(stderr=True)


# ---------------------------------------------------------------------------------------------
# Vocabulary and texts
# ---------------------------------------------------------------------------------------------


def _names(spaced: str) -> tuple[str, ...]:
    return tuple(spaced.split())


def _words(spaced: str) -> list[str]:
    """The words of ``spaced``; an underscore joins a two-word name (``De_Luca``)."""
    return [w.replace("_", " ") for w in spaced.split()]


FUNCTION_WORDS = _words(
    "di a da in con su per tra il lo la i gli le un una e o ma che non mi ti si ci ho ha "
    "sono del della dei delle al alla nel nella come anche ancora se perche quando dove piu "
    "molto gia poi solo ora questo questa mio mia vostro vostra grazie"
)

DOMAIN_WORDS = _words(
    "bolletta pagamento contratto fattura rimborso consegna ordine servizio cliente numero "
    "conto importo scadenza offerta richiesta problema assistenza operatore telefono email "
    "indirizzo codice attivazione disdetta rata addebito bonifico carta tariffa consumo "
    "lettura contatore fornitura luce gas energia voltura subentro allaccio preventivo "
    "sconto promozione abbonamento rinnovo recesso reclamo segnalazione guasto intervento "
    "tecnico appuntamento visita filiale sportello documento modulo firma identita "
    "password accesso area riservata app aggiornamento notifica messaggio risposta attesa "
    "tempo giorni settimana mese anno ieri oggi domani mattina sera urgente subito "
    "gentilmente cortesemente informazioni dettagli chiarimento verifica controllo errore "
    "sbagliato corretto doppio mancato ricevuto inviato spedito pacco corriere tracking "
    "magazzino prodotto articolo reso sostituzione garanzia difetto rotto funziona "
    "acceso spento rete linea internet modem fibra velocita lenta copertura sim ricarica "
    "credito saldo estratto movimento mutuo prestito finanziamento polizza sinistro "
    "risarcimento perizia franchigia premio agenzia consulente appuntamento privacy "
    "consenso marketing newsletter iscrizione cancellazione dati personali residenza "
    "domicilio trasloco cambio intestatario delega famiglia figlio moglie marito "
    "pensione lavoro ufficio casa condominio amministratore contabile commercialista "
    "pec raccomandata lettera sollecito diffida avvocato mora interessi dilazione "
    "piano rateale accordo proposta conferma annullamento prenotazione biglietto volo "
    "treno viaggio hotel camera colazione parcheggio navetta bagaglio ritardo "
    "cancellato orario partenza arrivo destinazione ritiro punto vendita negozio "
    "scontrino ricevuta preventivo listino prezzo costo spesa totale parziale euro"
)

GIVEN_NAMES = _words(
    "Mario Luca Giuseppe Marco Andrea Francesco Alessandro Giovanni Roberto Stefano "
    "Paolo Antonio Matteo Davide Simone Federico Lorenzo Riccardo Niccolò Tommaso Pietro "
    "Salvatore Vincenzo Gabriele Emanuele Daniele Fabio Massimo Claudio Sergio Enrico "
    "Maria Anna Giulia Francesca Chiara Sara Laura Valentina Alessia Martina Elena Silvia "
    "Federica Elisa Paola Roberta Giorgia Sofia Aurora Beatrice Alice Ilaria Serena "
    "Cristina Monica Barbara Simona Daniela Lucia Caterina Rosa Teresa Angela Noemi"
)

FAMILY_NAMES = _words(
    "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo "
    "Conti De_Luca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro "
    "Mariani Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale "
    "Lombardo Serra Coppola De_Santis D'Angelo Marchetti Parisi Villa Conte Ferraro Ferri "
    "Fabbri Bianco Marini Grasso Valentini Messina Sala De_Angelis Gatti Pellegrini Palumbo "
    "Sanna Farina Rizzi Monti Cattaneo Morelli Amato Silvestri Mazza Testa Grassi "
    "Pellegrino Carbone Giuliani Benedetti Barone Rossetti Caputo Montanari Guerra "
    "Palmieri Bernardi Martino Fiore De_Rosa Ferretti Bellini Basile Riva Donati Piras "
    "Vitali Battaglia Sartori Neri Costantini Milani Pagano Ruggiero Sorrentino D'Amico "
    "Orlando Damico Negri Nicolò Zanetti Fumagalli Bortolotti Pozzi Cavallo Zanella"
)

INBOUND_PHRASES = (
    "buongiorno vorrei sapere",
    "salve ho un problema con",
    "vi scrivo per segnalare",
    "non ho ancora ricevuto",
    "vorrei informazioni sulla bolletta",
    "il pagamento non risulta",
    "mi avete addebitato due volte",
    "come posso modificare il contratto",
    "quando arriva il rimborso",
    "vorrei disdire il servizio",
    "il numero di ordine e",
    "potete richiamarmi",
    "grazie mille per la risposta",
    "ho bisogno di assistenza",
    "la fattura del mese scorso e sbagliata",
    "il tecnico non si e presentato",
    "vorrei parlare con un operatore",
    "non riesco ad accedere all'area riservata",
)

OUTBOUND_PHRASES = (
    "grazie per averci contattato",
    "abbiamo verificato la sua richiesta",
    "il rimborso sara accreditato entro",
    "le confermiamo che il pagamento e stato ricevuto",
    "la sua pratica e stata presa in carico",
    "le ricordiamo la scadenza della bolletta",
    "per qualsiasi chiarimento siamo a disposizione",
    "il tecnico passera",
    "ci scusiamo per il disagio",
    "la invitiamo a verificare i dati",
    "cordiali saluti",
    "la sua richiesta e stata chiusa",
)

SUBJECTS = (
    "Bolletta",
    "Pagamento",
    "Rimborso",
    "Contratto",
    "Guasto",
    "Consegna",
    "Reclamo",
    "Informazioni",
    "Disdetta",
    "Appuntamento",
)

# Real words that never enter the generated texts: the "no hit" queries.
ABSENT_WORDS = (
    "ornitorinco",
    "zanzariera",
    "quadrifoglio",
    "astronave",
    "lavastoviglie",
    "pappagallo",
    "grattacielo",
    "tartaruga",
    "fisarmonica",
    "girasole",
)

CHANNELS = (
    ("whatsapp", 30),
    ("email", 25),
    ("webchat", 12),
    ("sms", 10),
    ("voice", 8),
    ("app", 8),
    ("messenger", 4),
    ("branch_visit", 3),
)
PHONE_CHANNELS = frozenset({"whatsapp", "sms", "voice"})
EMAIL_DOMAINS = ("gmail.com", "libero.it", "hotmail.it", "yahoo.it", "tiscali.it", "alice.it")


@dataclass(frozen=True)
class Vocabulary:
    """Words by decreasing frequency (Zipf), with cumulative weights for ``random.choices``."""

    words: list[str]
    cum_weights: list[float]
    rank: dict[str, int]
    common: list[str]
    exponent: float


@functools.lru_cache(maxsize=4)
def build_vocabulary(size: int = 4000, exponent: float = 1.07, seed: int = 7) -> Vocabulary:
    """A vocabulary of ``size`` words: real Italian ones first, then Italian-sounding ones."""
    rng = random.Random(seed)
    words: list[str] = []
    seen: set[str] = set()
    domain = list(dict.fromkeys(DOMAIN_WORDS))
    function = list(dict.fromkeys(FUNCTION_WORDS))
    # Function words lead, as in any language; the service vocabulary follows.
    for word in function + domain:
        if word not in seen:
            seen.add(word)
            words.append(word)
    onsets = [*"bcdfglmnprstvz", "ch", "gh", "gl", "gn", "sc", "tr", "pr", "br", "st", "sp"]
    vowels = "aeiou"
    absent = set(ABSENT_WORDS) | {name_key(n) for n in GIVEN_NAMES + FAMILY_NAMES}
    while len(words) < size:
        syllables = rng.choice((2, 3, 3, 3, 4))
        word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syllables))
        if rng.random() < 0.3:
            word += rng.choice("lnrs") + rng.choice(vowels)
        if word not in seen and word not in absent:
            seen.add(word)
            words.append(word)
    words = words[:size]
    weights = [1.0 / (r + 1) ** exponent for r in range(len(words))]
    common = domain[:12]
    return Vocabulary(
        words=words,
        cum_weights=list(accumulate(weights)),
        rank={w: r for r, w in enumerate(words)},
        common=common,
        exponent=exponent,
    )


# ---------------------------------------------------------------------------------------------
# Row formats: PostgreSQL COPY text versus SQLite as SQLAlchemy stores it
# ---------------------------------------------------------------------------------------------


class Formats:
    """How ids, times and booleans are spelled for one database (as the ORM would store them)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.postgres = dialect == "postgresql"
        self._suffix = "+00" if self.postgres else ""
        self._minute = -1
        self._prefix = ""
        self.true: Any = "t" if self.postgres else 1
        self.false: Any = "f" if self.postgres else 0

    def uid(self, ms: int, rand: int) -> str:
        """A UUIDv7 for millisecond ``ms`` with 74 random bits ``rand``."""
        value = (
            (ms << 80)
            | (0x7 << 76)
            | ((rand >> 62) & 0xFFF) << 64
            | (0b10 << 62)
            | (rand & 0x3FFFFFFFFFFFFFFF)
        )
        h = f"{value:032x}"
        if not self.postgres:
            return h  # SQLAlchemy's Uuid on SQLite: CHAR(32) hex
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def ts(self, us: int) -> str:
        """Microseconds since the epoch, UTC, as the database column expects the text."""
        minute, rest = divmod(us, 60_000_000)
        if minute != self._minute:
            # Rows come in time order: one cached "YYYY-MM-DD HH:MM:" serves a whole minute.
            at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(minutes=minute)
            self._minute, self._prefix = minute, at.strftime("%Y-%m-%d %H:%M:")
        secs, micro = divmod(rest, 1_000_000)
        return f"{self._prefix}{secs:02d}.{micro:06d}{self._suffix}"


# ---------------------------------------------------------------------------------------------
# Data generation
# ---------------------------------------------------------------------------------------------


@dataclass
class Population:
    """What the interaction generator needs to know about the customers already written."""

    customer_ids: list[str] = field(default_factory=list)
    given: list[str] = field(default_factory=list)
    phone_ids: list[str] = field(default_factory=list)
    email_ids: list[str | None] = field(default_factory=list)
    conv_base: list[int] = field(default_factory=list)
    conv_count: list[int] = field(default_factory=list)
    conversation_ids: list[str] = field(default_factory=list)
    operator_ids: list[str] = field(default_factory=list)
    channel_ids: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Window:
    """The 12 months the interactions are spread over, in microseconds since the epoch."""

    start_us: int
    end_us: int

    @classmethod
    def ending_now(cls) -> Window:
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        end_us = int(end.timestamp()) * 1_000_000
        return cls(end_us - SPAN_DAYS * DAY_US, end_us)

    @property
    def span_us(self) -> int:
        return self.end_us - self.start_us


CUSTOMER_COLUMNS = _names(
    "id display_name name_key given_name family_name language preferred_channel "
    "vulnerable attributes segments updated_at merged_into_id created_at"
)
IDENTITY_COLUMNS = _names("id customer_id kind value raw_value verified label created_at")
CONVERSATION_COLUMNS = _names(
    "id customer_id status priority assignee_id team_id labels subject "
    "last_activity_at waiting_since first_response_at resolved_at csat created_at"
)
INTERACTION_COLUMNS = _names(
    "id customer_id conversation_id channel channel_id identity_id direction author "
    "operator_id text metadata external_id occurred_at delivery_status delivery_error "
    "enrichment created_at"
)

Row = tuple[Any, ...]


def customer_rows(
    n: int, window: Window, fmt: Formats, rng: random.Random, pop: Population
) -> Iterator[Row]:
    """Customers created over the three years before the window, oldest first."""
    start = window.start_us - 3 * SPAN_DAYS * DAY_US
    step = (window.start_us - start) // max(n, 1)
    channels = [c for c, _ in CHANNELS]
    for k in range(n):
        created = start + k * step + rng.randrange(step)
        given = rng.choice(GIVEN_NAMES)
        family = rng.choice(FAMILY_NAMES)
        display = f"{given} {family}"
        cid = fmt.uid(created // 1000, rng.getrandbits(74))
        pop.customer_ids.append(cid)
        pop.given.append(given)
        vulnerable = rng.random() < 0.02
        tier = rng.random()
        attributes = '{"tier": "gold"}' if tier < 0.1 else '{"tier": "standard"}'
        segments = '["business"]' if tier > 0.9 else '["retail"]'
        when = fmt.ts(created)
        yield (
            cid,
            display,
            name_key(display),
            given,
            family,
            "it" if rng.random() < 0.95 else "en",
            rng.choice(channels),
            fmt.true if vulnerable else fmt.false,
            attributes,
            segments,
            when,
            None,
            when,
        )


def identity_rows(fmt: Formats, rng: random.Random, pop: Population) -> Iterator[Row]:
    """One phone per customer and an email for about half of them."""
    for k, cid in enumerate(pop.customer_ids):
        created_us = _uid_ms(cid) * 1000 + 1000
        phone = f"+393{k:09d}"
        pid = fmt.uid(created_us // 1000, rng.getrandbits(74))
        pop.phone_ids.append(pid)
        raw = f"3{k:09d}"
        when = fmt.ts(created_us)
        yield (pid, cid, "phone", phone, f"{raw[:3]} {raw[3:6]} {raw[6:]}", fmt.true, None, when)
        if rng.random() < 0.5:
            local = name_key(pop.given[k]).replace(" ", "").replace("'", "")
            email = f"{local}.{k}@{rng.choice(EMAIL_DOMAINS)}"
            eid = fmt.uid(created_us // 1000 + 1, rng.getrandbits(74))
            pop.email_ids.append(eid)
            yield (eid, cid, "email", email, email, fmt.false, None, when)
        else:
            pop.email_ids.append(None)


def conversation_rows(
    window: Window, fmt: Formats, rng: random.Random, pop: Population
) -> Iterator[Row]:
    """One to five conversations per customer (three on average), each owning a slice of time."""
    for cid in pop.customer_ids:
        count = rng.choice((1, 2, 3, 3, 4, 5))
        pop.conv_base.append(len(pop.conversation_ids))
        pop.conv_count.append(count)
        slice_us = window.span_us // count
        for j in range(count):
            created = window.start_us + j * slice_us - rng.randrange(3_600_000_000)
            last = window.start_us + (j + 1) * slice_us - rng.randrange(3_600_000_000)
            conv_id = fmt.uid(created // 1000, rng.getrandbits(74))
            pop.conversation_ids.append(conv_id)
            recent = window.end_us - last < 14 * DAY_US
            status = rng.choice(("open", "pending")) if recent else "resolved"
            resolved = None if recent else fmt.ts(last + 60_000_000)
            yield (
                conv_id,
                cid,
                status,
                "high" if rng.random() < 0.05 else "normal",
                rng.choice(pop.operator_ids) if pop.operator_ids else None,
                None,
                "[]",
                rng.choice(SUBJECTS),
                fmt.ts(last),
                fmt.ts(last) if status == "open" else None,
                fmt.ts(created + 600_000_000),
                resolved,
                rng.randint(1, 5) if resolved and rng.random() < 0.3 else None,
                fmt.ts(created),
            )


def interaction_rows(
    m: int,
    window: Window,
    fmt: Formats,
    rng: random.Random,
    pop: Population,
    vocab: Vocabulary,
    skew: float = 1.6,
) -> Iterator[Row]:
    """``m`` interactions in time order, customers chosen with a heavy head (a few talk a lot)."""
    n = len(pop.customer_ids)
    channel_names = [c for c, _ in CHANNELS]
    channel_cum = list(accumulate(w for _, w in CHANNELS))
    words, cum = vocab.words, vocab.cum_weights
    mean_gap = window.span_us / max(m, 1)
    span = window.span_us
    t = float(window.start_us)
    choices, rand = rng.choices, rng.random
    operators = pop.operator_ids
    n_ops, n_in, n_out = len(operators), len(INBOUND_PHRASES), len(OUTBOUND_PHRASES)
    for seq in range(m):
        t += rng.expovariate(1.0) * mean_gap
        occurred = min(int(t), window.end_us - 1)
        k = min(int(n * rand() ** skew), n - 1)
        cid = pop.customer_ids[k]
        count = pop.conv_count[k]
        # Each conversation owns an equal slice of the 12 months.
        conv = pop.conv_base[k] + min((occurred - window.start_us) * count // span, count - 1)
        channel = channel_names[bisect.bisect(channel_cum, rand() * channel_cum[-1])]
        identity: str | None
        if channel in PHONE_CHANNELS:
            identity = pop.phone_ids[k]
        elif channel == "email":
            identity = pop.email_ids[k]
        else:
            identity = None
        roll = rand()
        body = choices(words, cum_weights=cum, k=3 + int(rand() * 18))
        delivery_status = delivery_error = operator_id = None
        external_id: str | None = f"{channel[:2]}-{seq:010d}"
        if roll < 0.55:
            direction, author = "inbound", "customer"
            if rand() < 0.6:
                body.insert(0, INBOUND_PHRASES[int(rand() * n_in)])
        elif roll < 0.93:
            direction = "outbound"
            author = "operator" if roll < 0.80 else ("bot" if roll < 0.88 else "system")
            if author == "operator" and n_ops:
                operator_id = operators[int(rand() * n_ops)]
            body.insert(0, f"gentile {pop.given[k].lower()},")
            if rand() < 0.7:
                body.insert(1, OUTBOUND_PHRASES[int(rand() * n_out)])
            status_roll = rand()
            if status_roll < 0.05:
                delivery_status, delivery_error = "failed", "undeliverable"
            elif status_roll < 0.10:
                delivery_status = "sent"
            else:
                delivery_status = "delivered" if status_roll < 0.65 else "read"
        else:
            direction, author, external_id = "note", "operator", None
            if n_ops:
                operator_id = operators[int(rand() * n_ops)]
        created = occurred + 20_000 + int(rand() * 3_000_000)
        yield (
            fmt.uid(created // 1000, rng.getrandbits(74)),
            cid,
            pop.conversation_ids[conv],
            channel,
            pop.channel_ids.get(channel),
            identity,
            direction,
            author,
            operator_id,
            " ".join(body),
            "{}",
            external_id,
            fmt.ts(occurred),
            delivery_status,
            delivery_error,
            "{}",
            fmt.ts(created),
        )


def _uid_ms(uid: str) -> int:
    return int(uid.replace("-", "")[:12], 16)


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


@dataclass
class GenerationReport:
    seconds: float
    reused: bool
    index_strategy: str
    phases: dict[str, float]
    rows: dict[str, int]
    seed: int
    vocabulary_size: int
    zipf_exponent: float
    generated_at: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 1),
            "reused": self.reused,
            "index_strategy": self.index_strategy,
            "phases_seconds": {k: round(v, 1) for k, v in self.phases.items()},
            "rows": self.rows,
            "interactions_per_second": (
                round(self.rows.get("interactions", 0) / self.seconds) if self.seconds else None
            ),
            "seed": self.seed,
            "vocabulary_size": self.vocabulary_size,
            "zipf_exponent": self.zipf_exponent,
            "generated_at": self.generated_at,
        }


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def libpq_url(url: URL) -> str:
    """The libpq connection string for a SQLAlchemy PostgreSQL URL."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Loader:
    """Writes rows into one database: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.postgres = url.get_backend_name() == "postgresql"
        self.fmt = Formats("postgresql" if self.postgres else "sqlite")

    def load(
        self,
        table: str,
        columns: Sequence[str],
        rows: Iterator[Row],
        total: int,
        progress: Progress,
        chunk: int = 50_000,
    ) -> int:
        task = progress.add_task(table, total=total)
        written = 0
        if self.postgres:
            with psycopg.connect(libpq_url(self.url)) as conn:
                conn.execute("SET synchronous_commit = off")
                cols = ", ".join(f'"{c}"' for c in columns)
                for part in _chunks(rows, chunk):
                    with conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                        for row in part:
                            cp.write_row(row)
                    conn.commit()
                    written += len(part)
                    progress.update(task, completed=written)
        else:
            database = self.url.database or ""
            lite = sqlite3.connect(database, isolation_level=None)
            try:
                lite.execute("PRAGMA synchronous=OFF")
                # Index pages of random keys (customer ids) thrash SQLite's default 2 MB cache.
                lite.execute("PRAGMA cache_size=-1048576")
                lite.execute("PRAGMA foreign_keys=ON")
                cols = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join("?" for _ in columns)
                statement = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
                for part in _chunks(rows, chunk // 2):
                    lite.execute("BEGIN")
                    lite.executemany(statement, part)
                    lite.execute("COMMIT")
                    written += len(part)
                    progress.update(task, completed=written)
            finally:
                lite.close()
        progress.update(task, total=written, completed=written)
        return written


@dataclass(frozen=True)
class SchemaObject:
    table: str
    name: str
    kind: str  # "index", "unique" or "foreign_key"
    definition: str

    def drop_sql(self) -> str:
        if self.kind == "index":
            return f'DROP INDEX "{self.name}"'
        return f'ALTER TABLE "{self.table}" DROP CONSTRAINT "{self.name}"'

    def create_sql(self) -> str:
        if self.kind == "index":
            return self.definition
        return f'ALTER TABLE "{self.table}" ADD CONSTRAINT "{self.name}" {self.definition}'


def postgres_schema_objects(conn: psycopg.Connection[Any]) -> list[SchemaObject]:
    """Secondary indexes, unique and foreign-key constraints of the big tables (not the PKs)."""
    found: list[SchemaObject] = []
    rows = conn.execute(
        "SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c WHERE c.conrelid::regclass::text = ANY(%s) "
        "AND c.contype IN ('u', 'f') ORDER BY 1, 2",
        (list(BIG_TABLES),),
    ).fetchall()
    for table, name, kind, definition in rows:
        found.append(
            SchemaObject(table, name, "unique" if kind == "u" else "foreign_key", definition)
        )
    rows = conn.execute(
        "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = 'public' AND i.tablename = ANY(%s) AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname"
        "  AND c.conrelid::regclass::text = i.tablename) ORDER BY 1, 2",
        (list(BIG_TABLES),),
    ).fetchall()
    for table, name, definition in rows:
        found.append(SchemaObject(table, name, "index", definition))
    return found


def postgres_schema_fingerprint(conn: psycopg.Connection[Any]) -> list[tuple[str, ...]]:
    """Every index and constraint definition of the big tables, to prove a restore exact."""
    rows = conn.execute(
        "SELECT 'index', tablename, indexname, indexdef FROM pg_indexes "
        "WHERE schemaname = 'public' AND tablename = ANY(%s) "
        "UNION ALL SELECT 'constraint', conrelid::regclass::text, conname, "
        "pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid::regclass::text = ANY(%s) ORDER BY 1, 2, 3",
        (list(BIG_TABLES), list(BIG_TABLES)),
    ).fetchall()
    return [tuple(str(v) for v in row) for row in rows]


def _run_ddl(url: URL, statement: str) -> float:
    started = time.perf_counter()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute(statement)
    return time.perf_counter() - started


def restore_schema_objects(
    url: URL, objects: Sequence[SchemaObject], phases: dict[str, float]
) -> None:
    """Recreate dropped objects: indexes two at a time (2 cores), then constraints in order."""
    indexes = [o for o in objects if o.kind == "index"]
    # Longest first: the GIN index over the tsvectors dominates.
    indexes.sort(key=lambda o: ("gin" not in o.definition, o.table != "interactions"))
    with console.status("rebuilding indexes"), ThreadPoolExecutor(max_workers=2) as pool:
        timings = list(pool.map(lambda o: _run_ddl(url, o.create_sql()), indexes))
    for obj, seconds in zip(indexes, timings, strict=True):
        phases[f"index {obj.name}"] = seconds
    ordered = [o for o in objects if o.kind == "unique"] + [
        o for o in objects if o.kind == "foreign_key"
    ]
    for obj in ordered:
        with console.status(f"adding {obj.name}"):
            phases[f"{obj.kind} {obj.name}"] = _run_ddl(url, obj.create_sql())


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _meta(engine: Engine) -> dict[str, Any] | None:
    with engine.connect() as conn:
        try:
            value = conn.execute(text(f"SELECT info FROM {META_TABLE} WHERE id = 1")).scalar()
        except DBAPIError:  # no table yet: no generation recorded
            return None
    return json.loads(value) if value else None


def _write_meta(engine: Engine, info: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (id integer PRIMARY KEY, info text)")
        )
        conn.execute(text(f"DELETE FROM {META_TABLE}"))
        conn.execute(
            text(f"INSERT INTO {META_TABLE} (id, info) VALUES (1, :info)"),
            {"info": json.dumps(info)},
        )


def database_is_empty(engine: Engine) -> bool:
    return all(_count(engine, t) == 0 for t in ("customers", "interactions"))


def ensure_postgres_database(url: URL) -> None:
    """Create the database of ``url`` when missing, through the server's ``postgres`` database."""
    admin = libpq_url(url.set(database="postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,))
        if exists.fetchone() is None:
            console.print(f"creating database {url.database}")
            conn.execute(f'CREATE DATABASE "{url.database}"')


def reset_database(url: URL) -> None:
    """Start again from an empty, freshly migrated database (drops the whole database)."""
    if url.get_backend_name() == "postgresql":
        admin = libpq_url(url.set(database="postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{url.database}"')
    else:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{url.database}{suffix}").unlink()


def _small_tables(engine: Engine, loader: Loader, pop: Population, rng: random.Random) -> None:
    """A few channels and operators, written the ordinary way."""
    fmt = loader.fmt
    now_us = int(time.time() * 1_000_000)
    with engine.begin() as conn:
        for name, _ in CHANNELS:
            cid = fmt.uid(now_us // 1000, rng.getrandbits(74))
            pop.channel_ids[name] = cid
            conn.execute(
                text(
                    "INSERT INTO channels (id, kind, name, settings, active, created_at) "
                    "VALUES (:id, :kind, :name, '{}', :active, :at)"
                ),
                {
                    "id": cid,
                    "kind": name,
                    "name": f"{name} bench",
                    "active": fmt.true,
                    "at": fmt.ts(now_us),
                },
            )
        for i in range(20):
            oid = fmt.uid(now_us // 1000, rng.getrandbits(74))
            pop.operator_ids.append(oid)
            conn.execute(
                text(
                    "INSERT INTO operators (id, email, name, role, locale, timezone, active, "
                    "created_at) VALUES (:id, :email, :name, 'agent', 'it', 'Europe/Rome', "
                    ":active, :at)"
                ),
                {
                    "id": oid,
                    "email": f"agente{i}@unisono-bench.it",
                    "name": f"Agente {i}",
                    "active": fmt.true,
                    "at": fmt.ts(now_us),
                },
            )


def generate(
    engine: Engine,
    customers: int,
    interactions: int,
    *,
    seed: int = 42,
    index_strategy: str = "drop",
    vocab: Vocabulary | None = None,
) -> GenerationReport:
    """Fill an empty, migrated database with ``customers`` and ``interactions`` (and the rest)."""
    url = engine.url
    loader = Loader(url)
    vocab = vocab or build_vocabulary()
    rng = random.Random(seed)
    window = Window.ending_now()
    pop = Population()
    phases: dict[str, float] = {}
    started = time.perf_counter()
    dropped: list[SchemaObject] = []
    fingerprint: list[tuple[str, ...]] = []
    postgres = loader.postgres
    if postgres and index_strategy == "drop":
        t0 = time.perf_counter()
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            fingerprint = postgres_schema_fingerprint(conn)
            dropped = postgres_schema_objects(conn)
            # Foreign keys first: a unique index may not go while a key still leans on it.
            for obj in sorted(dropped, key=lambda o: o.kind != "foreign_key"):
                conn.execute(obj.drop_sql())
        phases["drop indexes and keys"] = time.perf_counter() - t0
    rows: dict[str, int] = {}
    try:
        _small_tables(engine, loader, pop, rng)
        fmt = loader.fmt
        tables: list[tuple[str, Sequence[str], Callable[[], Iterator[Row]], int]] = [
            (
                "customers",
                CUSTOMER_COLUMNS,
                lambda: customer_rows(customers, window, fmt, rng, pop),
                customers,
            ),
            ("identities", IDENTITY_COLUMNS, lambda: identity_rows(fmt, rng, pop), customers),
            (
                "conversations",
                CONVERSATION_COLUMNS,
                lambda: conversation_rows(window, fmt, rng, pop),
                customers * 3,
            ),
            (
                "interactions",
                INTERACTION_COLUMNS,
                lambda: interaction_rows(interactions, window, fmt, rng, pop, vocab),
                interactions,
            ),
        ]
        with _progress() as progress:
            for table, columns, make, total in tables:
                t0 = time.perf_counter()
                rows[table] = loader.load(table, columns, make(), total, progress)
                phases[f"load {table}"] = time.perf_counter() - t0
    finally:
        if dropped:
            restore_schema_objects(url, dropped, phases)
            with psycopg.connect(libpq_url(url), autocommit=True) as conn:
                after = postgres_schema_fingerprint(conn)
            if after != fingerprint:
                raise RuntimeError(
                    "the restored indexes and constraints differ from the migration's"
                )
    t0 = time.perf_counter()
    with console.status("vacuum and analyze"):
        if postgres:
            with psycopg.connect(libpq_url(url), autocommit=True) as conn:
                conn.execute("SET maintenance_work_mem = '1GB'")
                for table in ("channels", "operators", *BIG_TABLES):
                    conn.execute(f"VACUUM (ANALYZE) {table}")
        else:
            conn3 = sqlite3.connect(url.database or "", isolation_level=None)
            try:
                conn3.execute("ANALYZE")
                conn3.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn3.close()
    phases["vacuum analyze"] = time.perf_counter() - t0
    report = GenerationReport(
        seconds=time.perf_counter() - started,
        reused=False,
        index_strategy=index_strategy if postgres else "keep (executemany, FTS5 triggers)",
        phases=phases,
        rows=rows,
        seed=seed,
        vocabulary_size=len(vocab.words),
        zipf_exponent=vocab.exponent,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    _write_meta(engine, {**report.as_dict(), "customers": customers, "interactions": interactions})
    return report


def prepare(
    url: str,
    customers: int,
    interactions: int,
    *,
    reuse: bool = False,
    reset: bool = False,
    seed: int = 42,
    index_strategy: str = "drop",
) -> tuple[Engine, GenerationReport]:
    """A migrated database holding the requested data: reused when it already does."""
    parsed = make_url(url)
    postgres = parsed.get_backend_name() == "postgresql"
    if postgres:
        ensure_postgres_database(parsed)
    engine = make_engine(url)
    upgrade(engine)
    meta = _meta(engine)
    if (
        reuse
        and meta is not None
        and meta.get("customers") == customers
        and meta.get("interactions") == interactions
        and _count(engine, "customers") == customers
        and _count(engine, "interactions") == interactions
    ):
        console.print(f"reusing the {customers:,} customers and {interactions:,} interactions")
        report = GenerationReport(
            seconds=float(meta["seconds"]),
            reused=True,
            index_strategy=str(meta["index_strategy"]),
            phases=dict(meta["phases_seconds"]),
            rows=dict(meta["rows"]),
            seed=int(meta["seed"]),
            vocabulary_size=int(meta["vocabulary_size"]),
            zipf_exponent=float(meta["zipf_exponent"]),
            generated_at=str(meta["generated_at"]),
        )
        return engine, report
    if not database_is_empty(engine) or meta is not None:
        ours = parsed.database == BENCH_DATABASE or (
            not postgres and "bench" in Path(parsed.database or "").name
        )
        if not (reset or ours):
            raise SystemExit(
                f"database {parsed.database} holds data that is not this benchmark's; "
                "pass --reset to drop and recreate it"
            )
        console.print(f"resetting {parsed.render_as_string()}")
        engine.dispose()
        reset_database(parsed)
        engine = make_engine(url)
        upgrade(engine)
    report = generate(engine, customers, interactions, seed=seed, index_strategy=index_strategy)
    return engine, report


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def summarize(
    latencies_ms: Sequence[float], wall_seconds: float, errors: int = 0
) -> dict[str, Any]:
    """Median, p90, p99, max and throughput of one series of request latencies."""
    data = sorted(latencies_ms)
    if not data:
        return {"count": 0, "errors": errors}
    if len(data) > 1:
        cuts = statistics.quantiles(data, n=100, method="inclusive")
        p90, p99 = cuts[89], cuts[98]
    else:
        p90 = p99 = data[0]
    return {
        "count": len(data),
        "errors": errors,
        "p50_ms": round(statistics.median(data), 2),
        "p90_ms": round(p90, 2),
        "p99_ms": round(p99, 2),
        "max_ms": round(data[-1], 2),
        "mean_ms": round(statistics.fmean(data), 2),
        "requests_per_second": round(len(data) / wall_seconds, 1) if wall_seconds else None,
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(url: str) -> Iterator[str]:
    """The app under uvicorn in a thread of this process (quick to start: for smoke tests)."""
    engine = make_engine(url)
    config = uvicorn.Config(
        create_app(engine),
        host="127.0.0.1",
        port=free_port(),
        log_level="warning",
        access_log=False,
        timeout_keep_alive=600,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="bench-uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the in-process uvicorn did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@contextlib.contextmanager
def serve(url: str, *, in_process: bool = False) -> Iterator[str]:
    """The real app under uvicorn (one worker) on a free loopback port; yields its base URL.

    By default uvicorn runs as its own process, as in production, so that the client's work
    does not share a GIL with the server; ``in_process`` serves from a thread instead.
    """
    if in_process:
        with serve_in_thread(url) as base:
            yield base
        return
    port = free_port()
    env = {**os.environ, "UNISONO_DATABASE_URL": url}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "unisono.web.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
        # Idle keep-alive connections must not be closed under the client between batches.
        "--timeout-keep-alive",
        "600",
    ]
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"uvicorn exited: {log.read().decode(errors='replace')}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not answer /healthz within 60 s")
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def api_token(engine: Engine) -> str:
    """A fresh bearer token for the benchmark's admin operator (created on first use)."""
    with session_factory(engine)() as session:
        operator = session.query(Operator).filter(Operator.email == BENCH_OPERATOR).one_or_none()
        if operator is None:
            operator = do_create_operator(
                session,
                BENCH_OPERATOR,
                name="Bench Admin",
                role=Role.ADMIN,
                password=secrets.token_urlsafe(24),
            )
        token = do_create_token(session, operator, "bench/timeline.py")
        session.commit()
    return token


@dataclass(frozen=True)
class Request:
    path: str
    params: dict[str, str]
    label: str


Result = tuple[str, float, int, int]


def run_requests(
    base: str,
    token: str,
    requests: Sequence[Request],
    concurrency: int,
    budget_seconds: float = float("inf"),
) -> tuple[list[Result], float]:
    """Issue ``requests`` until done or ``budget_seconds`` have passed (no new ones then).

    Each result is (label, milliseconds, HTTP status, items on the page); a request that needed
    a retry after a dropped connection counts as status -1 (an error).
    """
    headers = {"Authorization": f"Bearer {token}"}
    local = threading.local()
    clients: list[httpx.Client] = []
    lock = threading.Lock()
    first_error: list[str] = []
    started = time.perf_counter()
    deadline = started + budget_seconds

    def client() -> httpx.Client:
        c = getattr(local, "client", None)
        if c is None:
            c = httpx.Client(base_url=base, headers=headers, timeout=600)
            local.client = c
            with lock:
                clients.append(c)
        return c

    def one(req: Request) -> Result | None:
        if time.perf_counter() > deadline:
            return None
        c = client()
        for attempt in (1, 2):
            t0 = time.perf_counter()
            try:
                response = c.get(req.path, params=req.params)
            except httpx.TransportError as exc:
                # A dropped connection is reported as an error, then retried once.
                if attempt == 2:
                    raise
                console.print(f"[yellow]{type(exc).__name__} on {req.path}; retrying")
                continue
            elapsed = (time.perf_counter() - t0) * 1000
            break
        ok = response.status_code == 200
        if not ok and not first_error:
            first_error.append(f"{response.status_code} on {req.path}: {response.text[:300]}")
        items = len(json.loads(response.content).get("items", [])) if ok else -1
        return req.label, elapsed, response.status_code if attempt == 1 else -1, items

    try:
        if concurrency <= 1:
            done = [one(r) for r in requests]
        else:
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                done = list(pool.map(one, requests))
    finally:
        for c in clients:
            c.close()
    wall = time.perf_counter() - started
    results = [r for r in done if r is not None]
    if first_error:
        failed = sum(1 for r in results if r[2] != 200)
        console.print(f"[red]{failed} of {len(results)} requests failed; first: {first_error[0]}")
        if failed == len(results):
            raise RuntimeError(f"every request failed; first: {first_error[0]}")
    return results, wall


def sample_customers(engine: Engine, n: int) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id FROM customers ORDER BY random() LIMIT :n"), {"n": n})
        return [str(r[0]) if not isinstance(r[0], str) else _dashed(r[0]) for r in rows]


def _dashed(value: str) -> str:
    h = value.replace("-", "")
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def sample_texts(engine: Engine, n: int, seed: int) -> list[str]:
    """A random sample of interaction texts (to find rare words that do occur)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            total = int(conn.execute(text("SELECT count(*) FROM interactions")).scalar_one())
            percent = min(100.0, max(0.01, 100.0 * n * 4 / max(total, 1)))
            query = (
                f"SELECT text FROM interactions TABLESAMPLE SYSTEM ({percent:.4f}) "
                f"REPEATABLE ({seed}) LIMIT :n"
            )
        else:
            query = "SELECT text FROM interactions ORDER BY random() LIMIT :n"
        return [str(r[0]) for r in conn.execute(text(query), {"n": n})]


def build_queries(
    engine: Engine, vocab: Vocabulary, rng: random.Random, per_class: int = 10
) -> dict[str, list[str]]:
    """Search strings per class: common words and pairs, rare words and pairs, absent words."""
    common = vocab.common
    pairs = [(a, b) for i, a in enumerate(common) for b in common[i + 1 :]]
    rng.shuffle(pairs)
    rare_words: list[str] = []
    rare_pairs: list[str] = []
    for body in sample_texts(engine, 400, rng.randrange(1_000_000)):
        ranked = sorted(
            {w for w in body.replace(",", " ").split() if vocab.rank.get(w, -1) >= 500},
            key=lambda w: -vocab.rank[w],
        )
        if ranked and ranked[0] not in rare_words and len(rare_words) < per_class:
            rare_words.append(ranked[0])
        elif len(ranked) >= 2 and len(rare_pairs) < per_class:
            rare_pairs.append(f"{ranked[0]} {ranked[1]}")
    return {
        "common_word": common[:per_class],
        "common_pair": [f"{a} {b}" for a, b in pairs[:per_class]],
        "rare_word": rare_words,
        "rare_pair": rare_pairs,
        "no_hit": list(ABSENT_WORDS[:per_class]),
    }


def count_matches(engine: Engine, q: str) -> tuple[int, bool]:
    """How many interactions hold every word of ``q`` (at most MATCH_CAP), and whether exactly.

    On PostgreSQL an exact count that takes over 2 s (a very common word in 10M rows) gives way
    to an estimate from a 1% sample of the table's pages.
    """
    words = q.split()
    with engine.connect() as conn:
        if engine.dialect.name != "postgresql":
            statement = text(
                "SELECT count(*) FROM (SELECT 1 FROM interactions_fts "
                "WHERE interactions_fts MATCH :q LIMIT :cap)"
            )
            params = {"q": " ".join(f'"{w}"' for w in words), "cap": MATCH_CAP}
            return int(conn.execute(statement, params).scalar_one()), True
        tsquery = " & ".join(words)
        try:
            with conn.begin():
                conn.execute(text("SET LOCAL statement_timeout = '2s'"))
                exact = conn.execute(
                    text(
                        "SELECT count(*) FROM (SELECT 1 FROM interactions WHERE search_vector @@ "
                        "to_tsquery('simple', :q) LIMIT :cap) s"
                    ),
                    {"q": tsquery, "cap": MATCH_CAP},
                ).scalar_one()
            return int(exact), True
        except DBAPIError:
            sampled = conn.execute(
                text(
                    "SELECT count(*) * 100 FROM interactions TABLESAMPLE SYSTEM (1) "
                    "REPEATABLE (1) WHERE search_vector @@ to_tsquery('simple', :q)"
                ),
                {"q": tsquery},
            ).scalar_one()
            conn.rollback()
            return int(sampled), False


def database_facts(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            version = str(conn.execute(text("SHOW server_version")).scalar_one()).split()[0]
            settings = {
                name: str(conn.execute(text(f"SHOW {name}")).scalar_one())
                for name in (
                    "shared_buffers",
                    "work_mem",
                    "effective_cache_size",
                    "random_page_cost",
                    "synchronous_commit",
                    "jit",
                )
            }
            size = str(
                conn.execute(
                    text("SELECT pg_size_pretty(pg_database_size(current_database()))")
                ).scalar_one()
            )
            return {"database": f"postgresql {version}", "settings": settings, "size": size}
        version = str(conn.execute(text("SELECT sqlite_version()")).scalar_one())
        path = engine.url.database or ""
        size_bytes = sum(
            Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()
        )
        return {
            "database": f"sqlite {version}",
            "settings": {"journal_mode": "wal"},
            "size": f"{size_bytes / 2**20:.0f} MB",
        }


def machine_facts() -> dict[str, Any]:
    ram_gib: float | None = None
    with contextlib.suppress(OSError, ValueError):
        pages = os.sysconf("SC_PHYS_PAGES")
        ram_gib = round(pages * os.sysconf("SC_PAGE_SIZE") / 2**30, 1)
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": ram_gib,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def measure(
    engine: Engine,
    url: str,
    *,
    requests: int = 2000,
    warmup: int = 100,
    concurrency: int = 1,
    seed: int = 42,
    vocab: Vocabulary | None = None,
    in_process_server: bool = False,
    budget_seconds: float = 900,
) -> dict[str, Any]:
    """Serve the app and time both endpoints; the latency part of the JSON result.

    Each endpoint gets ``budget_seconds`` (its warm-up a fifth of that): when requests are so
    slow that the budget runs out, fewer are measured and the result says so.
    """
    vocab = vocab or build_vocabulary()
    rng = random.Random(seed + 1)
    with console.status("choosing customers and queries"):
        customer_ids = sample_customers(engine, requests + warmup)
        queries = build_queries(engine, vocab, rng)
        counted = {cls: [count_matches(engine, q) for q in qs] for cls, qs in queries.items()}
    timeline = [
        Request(f"/api/v1/customers/{cid}/timeline", {}, "timeline")
        for cid in (customer_ids * (1 + (requests + warmup) // max(len(customer_ids), 1)))[
            : requests + warmup
        ]
    ]
    classes = [c for c in QUERY_CLASSES if queries[c]]
    search = [
        Request("/api/v1/search", {"q": rng.choice(queries[cls])}, cls)
        for cls in (classes[i % len(classes)] for i in range(requests + warmup))
    ]
    rng.shuffle(search)
    token = api_token(engine)
    with serve(url, in_process=in_process_server) as base:
        results: dict[str, Any] = {}
        for name, batch in (("timeline", timeline), ("search", search)):
            with console.status(f"warming up {name}"):
                run_requests(base, token, batch[:warmup], concurrency, budget_seconds / 5)
            with console.status(f"measuring {name}: {requests} requests"):
                results[name] = run_requests(
                    base, token, batch[warmup:], concurrency, budget_seconds
                )
    timeline_results, timeline_wall = results["timeline"]
    search_results, search_wall = results["search"]

    def stats(rows: list[Result], wall: float) -> dict[str, Any]:
        ok = [r for r in rows if r[2] == 200]
        summary = summarize([r[1] for r in ok], wall, errors=len(rows) - len(ok))
        if ok:
            summary["mean_items"] = round(statistics.fmean(r[3] for r in ok), 1)
        return summary

    by_class: dict[str, Any] = {}
    for cls in classes:
        rows = [r for r in search_results if r[0] == cls]
        share = len(rows) / max(len(search_results), 1)
        entry = stats(rows, search_wall * share)
        entry["queries"] = queries[cls]
        found = [n for n, _ in counted[cls]]
        entry["matches_median"] = int(statistics.median(found))
        entry["matches_max"] = max(found)
        entry["matches_exact"] = all(exact for _, exact in counted[cls])
        by_class[cls] = entry
    timeline_stats = stats(timeline_results, timeline_wall)
    search_stats = stats(search_results, search_wall)
    return {
        "requests_per_endpoint": requests,
        "warmup_per_endpoint": warmup,
        "concurrency": concurrency,
        "budget_seconds_per_endpoint": budget_seconds,
        "budget_exhausted": {
            "timeline": len(timeline_results) < requests,
            "search": len(search_results) < requests,
        },
        "timeline": timeline_stats,
        "search": {"overall": search_stats, "by_class": by_class},
        "targets": dict(TARGETS),
        "met": {
            "timeline_p99": timeline_stats.get("p99_ms", float("inf")) < TARGETS["timeline_p99_ms"],
            "search_p99": search_stats.get("p99_ms", float("inf")) < TARGETS["search_p99_ms"],
        },
    }


def run(
    url: str,
    *,
    customers: int,
    interactions: int,
    requests: int,
    warmup: int = 100,
    concurrency: int = 1,
    reuse: bool = False,
    reset: bool = False,
    seed: int = 42,
    index_strategy: str = "drop",
    in_process_server: bool = False,
    budget_seconds: float = 900,
) -> dict[str, Any]:
    """Generate (or reuse) the data, measure, and return the full JSON-ready result."""
    engine, report = prepare(
        url,
        customers,
        interactions,
        reuse=reuse,
        reset=reset,
        seed=seed,
        index_strategy=index_strategy,
    )
    try:
        counts = {t: _count(engine, t) for t in BIG_TABLES}
        facts = database_facts(engine)
        machine = machine_facts()
        latency = measure(
            engine,
            url,
            requests=requests,
            warmup=warmup,
            concurrency=concurrency,
            seed=seed,
            in_process_server=in_process_server,
            budget_seconds=budget_seconds,
        )
    finally:
        engine.dispose()
    machine["load_average_before"] = machine.pop("load_average")
    machine["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return {
        "benchmark": "bench/timeline.py",
        "database": facts["database"],
        "database_url": make_url(url).render_as_string(hide_password=True),
        "database_settings": facts["settings"],
        "database_size": facts["size"],
        "machine": machine,
        "customers": counts["customers"],
        "identities": counts["identities"],
        "conversations": counts["conversations"],
        "interactions": counts["interactions"],
        "generation_seconds": round(report.seconds, 1),
        "generation": report.as_dict(),
        "server": (
            f"uvicorn, 1 worker, {'in-process thread' if in_process_server else 'own process'}; "
            "real app (create_app), bearer token, audit events on every read"
        ),
        **latency,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help=f"SQLAlchemy URL (default: {DEFAULT_DATABASE_URL}, created if missing)",
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per endpoint")
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument(
        "--budget",
        type=float,
        default=900,
        help="seconds per endpoint; slower endpoints are measured with fewer requests",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="skip generation when the database already holds these counts",
    )
    parser.add_argument(
        "--reset", action="store_true", help="drop and recreate a database that holds other data"
    )
    parser.add_argument(
        "--index-strategy",
        choices=("drop", "keep"),
        default="drop",
        help="PostgreSQL: drop secondary indexes and keys around COPY, or keep them",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--small",
        action="store_true",
        help="smoke run: 2,000 customers, 20,000 interactions, 200 requests",
    )
    parser.add_argument("--output", type=Path, help="also write the JSON to this file")
    args = parser.parse_args(argv)
    if args.small:
        args.customers, args.interactions, args.requests = 2000, 20_000, 200
        args.warmup = min(args.warmup, 20)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(
        args.database_url,
        customers=args.customers,
        interactions=args.interactions,
        requests=args.requests,
        warmup=args.warmup,
        concurrency=args.concurrency,
        reuse=args.reuse,
        reset=args.reset,
        seed=args.seed,
        index_strategy=args.index_strategy,
        budget_seconds=args.budget,
    )
    output = json.dumps(result, indent=2, ensure_ascii=False)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(output + "\n")
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
