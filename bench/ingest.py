"""WhatsApp webhook ingestion at saturation: accepted/s, latency, and the lag to the timeline.

What it measures, in one run on one machine:

* **Unisono**: N distinct, correctly signed WhatsApp Cloud API webhooks (one text message each,
  a different wamid and text, a few hundred senders) POSTed over HTTP to
  ``/webhooks/whatsapp/{channel_id}`` at saturation: ``--concurrency`` keep-alive connections
  (256 by default) each sending its next request as soon as the last is answered. Saturation
  needs enough of them: each answer waits for its group commit, so with too few connections the
  rate is bounded by the commit latency while the CPU idles (64 connections gave about half the
  rate of 256 here, for a ceiling that stayed the same). The app is the real one
  (``unisono.web.app:create_app``) under uvicorn with ``--workers`` processes and
  ``UNISONO_EMBEDDED_WORKER=false``, so the HTTP processes only verify, store and acknowledge;
  ``--queue-workers`` separate ``unisono worker --nice N`` processes turn the stored deliveries
  into interactions meanwhile, as in production. They run at a lower CPU priority
  (``--worker-nice``, 10 by default; 0 to compare): on one machine shared by both, a burst is
  accepted first and processed as the CPU frees up, which the lag below shows.
  Reported: accepted (2xx) per second, p50/p90/p99 latency, errors by status.
* **Lag**: for every message, the interaction's ``created_at`` minus the ``created_at`` of its
  stored delivery (the moment the webhook was accepted, same clock); p50/p99, and the seconds
  from the first request until the whole batch is on the timeline (the database is polled until
  all N interactions exist, or ``--lag-timeout``).
* **Ceiling**: ``bench/ceiling_app.py`` (a bare FastAPI POST endpoint that reads the body and
  answers 200) served the same way, loaded the same way with the same bodies; Unisono's rate is
  reported as a ratio of it. Targets: 1,000 webhooks/s and a ratio of 0.3.

The load comes from ``wrk`` (Debian package ``wrk``) with a generated Lua script reading the
pre-signed bodies, when it is installed, else from an asyncio ``httpx`` client (``--loader``);
only to 127.0.0.1. The database is dedicated: ``unisono_bench_ingest`` on PostgreSQL by default,
dropped and recreated, migrated, with one WhatsApp channel.

Run it::

    .venv/bin/python bench/ingest.py                              # PostgreSQL, 20 s per phase
    .venv/bin/python bench/ingest.py --requests 5000 --workers 1
    .venv/bin/python bench/ingest.py --database-url sqlite:///var/bench-ingest.db
    .venv/bin/python bench/ingest.py --output bench/results/ingest-postgresql.json

Progress goes to stderr; stdout carries only the JSON result (also written to ``--output``).
The machine is shared: the load average is recorded before and after each phase.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timeline import (
    database_facts,
    ensure_postgres_database,
    free_port,
    machine_facts,
    reset_database,
    summarize,
)
from unisono.channels.signatures import meta_signature
from unisono.db import make_engine, session_factory
from unisono.inbox.channel_config import do_create_channel
from unisono.migrate import upgrade
from unisono.models import Interaction, WebhookDelivery
from unisono.security.actor import SYSTEM

BENCH_DATABASE = "unisono_bench_ingest"
DEFAULT_DATABASE_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{BENCH_DATABASE}"
TARGETS = {"webhooks_per_s": 1000, "ratio": 0.3}
APP_SECRET = "bench-ingest-app-secret"  # noqa: S105 - a throwaway channel in a bench database
PHONE_NUMBER_ID = "106540352242922"
ROOT = Path(__file__).resolve().parent.parent
WORDS = [
    "buongiorno",
    "bolletta",
    "pagamento",
    "contratto",
    "fattura",
    "rimborso",
    "consegna",
    "ordine",
    "servizio",
    "numero",
    "importo",
    "scadenza",
    "offerta",
    "richiesta",
    "problema",
    "assistenza",
    "operatore",
    "telefono",
    "indirizzo",
    "codice",
    "attivazione",
    "disdetta",
    "rata",
    "addebito",
    "bonifico",
    "tariffa",
    "consumo",
    "lettura",
    "contatore",
    "fornitura",
    "luce",
    "gas",
    "voltura",
    "guasto",
    "intervento",
    "tecnico",
    "appuntamento",
    "grazie",
    "urgente",
    "oggi",
    "domani",
    "sbagliata",
    "euro",
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ---------------------------------------------------------------------------------------------
# Bodies
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Webhook:
    wamid: str
    body: bytes
    signature: str


def make_webhooks(
    n: int, *, secret: str = APP_SECRET, senders: int = 500, seed: int = 42
) -> list[Webhook]:
    """N signed one-message deliveries: distinct wamids and texts, ``senders`` distinct numbers."""
    rng = random.Random(seed)
    now = int(time.time())
    run = uuid.uuid4().hex[:12]
    hooks = []
    for i in range(n):
        sender = f"39333{(1_000_000 + i % senders):07d}"
        wamid = f"wamid.bench-{run}-{i:08d}"
        text = " ".join(rng.choices(WORDS, k=rng.randint(4, 16))).capitalize() + f" (#{i})"
        payload = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "15550783881",
                                    "phone_number_id": PHONE_NUMBER_ID,
                                },
                                "contacts": [
                                    {"profile": {"name": f"Cliente {i % senders}"}, "wa_id": sender}
                                ],
                                "messages": [
                                    {
                                        "from": sender,
                                        "id": wamid,
                                        "timestamp": str(now),
                                        "type": "text",
                                        "text": {"body": text},
                                    }
                                ],
                            },
                            "field": "messages",
                        }
                    ],
                }
            ],
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        hooks.append(Webhook(wamid, body, meta_signature(secret, body)))
    return hooks


# ---------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------


def prepare_database(url: str) -> tuple[Engine, uuid.UUID]:
    """A fresh, migrated database with one WhatsApp channel; returns its engine and channel id."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        ensure_postgres_database(parsed)
    reset_database(parsed)
    engine = make_engine(url)
    upgrade(engine)
    with session_factory(engine)() as session, session.begin():
        channel = do_create_channel(
            session,
            SYSTEM,
            kind="whatsapp",
            name="WhatsApp bench",
            credentials={
                "app_secret": APP_SECRET,
                "verify_token": "bench-verify",
                "access_token": "bench-token",
                "phone_number_id": PHONE_NUMBER_ID,
            },
        )
        channel_id = channel.id
    return engine, channel_id


def count_interactions(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Interaction)).scalar_one())


def settle(engine: Engine, quiet: float = 1.0) -> None:
    """Wait until no delivery has been stored for ``quiet`` seconds: the requests still in
    flight when the loader stopped are stored too, and the timeline must end up with them."""
    last = -1
    while True:
        with engine.connect() as conn:
            now = int(conn.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one())
        if now == last:
            return
        last = now
        time.sleep(quiet)


def stored_wamids(engine: Engine) -> set[str]:
    """The distinct messages among the stored deliveries (what the timeline must end up with)."""
    with engine.connect() as conn:
        bodies = conn.execute(select(WebhookDelivery.body)).scalars()
        return {w for b in bodies if (w := _wamid(b)) is not None}


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _wamid(body: bytes) -> str | None:
    with contextlib.suppress(ValueError, KeyError, IndexError, TypeError):
        return str(json.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]["id"])
    return None


def wait_for_timeline(
    engine: Engine,
    n: int,
    started_at: float,
    load_seconds: float,
    timeout: float,
    measured: set[str] | None = None,
) -> dict[str, Any]:
    """Poll until ``n`` interactions exist; the per-message lag and when the batch was complete.

    ``started_at`` is the wall-clock time (``time.time()``) of the first request; the lag is
    computed over the ``measured`` wamids only (all when None).
    """
    deadline = time.monotonic() + timeout
    count = count_interactions(engine)
    while count < n and time.monotonic() < deadline:
        time.sleep(0.25)
        count = count_interactions(engine)
    with engine.connect() as conn:
        accepted = {
            wamid: _utc(created)
            for body, created in conn.execute(
                select(WebhookDelivery.body, WebhookDelivery.created_at)
            )
            if (wamid := _wamid(body)) is not None
        }
        done = {
            ext: _utc(created)
            for ext, created in conn.execute(
                select(Interaction.external_id, Interaction.created_at)
            )
        }
    lags = [
        (created - accepted[ext]).total_seconds() * 1000
        for ext, created in done.items()
        if ext in accepted and (measured is None or ext in measured)
    ]
    last = max(done.values()).timestamp() if done else None
    stats = summarize(lags, wall_seconds=0)
    complete = count >= n
    return {
        "measured_from": "stored delivery created_at (webhook accepted) to interaction created_at",
        "on_timeline": count,
        "expected": n,
        "complete": complete,
        "p50_ms": stats.get("p50_ms"),
        "p90_ms": stats.get("p90_ms"),
        "p99_ms": stats.get("p99_ms"),
        "max_ms": stats.get("max_ms"),
        "all_on_timeline_s": round(last - started_at, 2) if complete and last else None,
        "after_load_end_s": (
            round(last - started_at - load_seconds, 2) if complete and last else None
        ),
    }


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds used so far by ``pids`` (from /proc; 0 for gone processes)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            # Fields after the command name (which may hold spaces): utime is the 12th, stime 13th.
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process of the machine (other users' load included)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    found.append(int(entry.name))
    return found


def cpu_phase(
    server_pids: Sequence[int], run_load: Callable[[], LoadResult]
) -> tuple[LoadResult, dict[str, Any]]:
    """Run a load and report the CPU the HTTP processes (and PostgreSQL) spent per request."""
    database = postgres_pids()
    http_before, db_before = cpu_seconds(server_pids), cpu_seconds(database)
    result = run_load()
    http = cpu_seconds(server_pids) - http_before
    db = cpu_seconds(database) - db_before
    served = max(result.accepted, 1)
    return result, {
        "http_cpu_ms_per_request": round(http * 1000 / served, 3),
        "postgres_cpu_ms_per_request": round(db * 1000 / served, 3),
    }


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    worker_pids: list[int] = field(default_factory=list)


@contextlib.contextmanager
def serve(factory: str, env: dict[str, str], workers: int) -> Iterator[Server]:
    """``uvicorn --factory factory`` with ``workers`` processes on a free loopback port."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        "--timeout-keep-alive",
        "600",
    ]
    base = f"http://127.0.0.1:{port}"
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, env=full_env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while True:
                if process.poll() is not None:
                    out.seek(0)
                    raise RuntimeError(f"uvicorn exited: {out.read().decode(errors='replace')}")
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        pids = children(process.pid)
                        # --workers N: a supervisor plus N children; 1: the process itself.
                        if workers == 1 or len(pids) >= workers:
                            break
                if time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not answer /healthz within 90 s")
                time.sleep(0.1)
            pids = children(process.pid) if workers > 1 else [process.pid]
            # Every worker process answers once before the measurement (imports, first query).
            with httpx.Client(base_url=base, timeout=10) as client:
                for _ in range(8 * workers):
                    client.get("/healthz", headers={"connection": "close"})
            yield Server(base, process, [p for p in pids if "resource_tracker" not in _cmd(p)])
        finally:
            stop(process)


def _cmd(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def queue_workers(
    env: dict[str, str], n: int, nice: int = 0
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``n`` ``unisono worker --nice nice`` processes processing stored deliveries until the
    block ends."""
    full_env = {**os.environ, **env}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "unisono", "worker", "--nice", str(nice)],
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(n)
    ]
    try:
        yield processes
    finally:
        for process in processes:
            stop(process)


# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    loader: str
    requests: int
    seconds: float
    statuses: dict[str, int]
    transport_errors: int
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    started_at: float  # wall clock of the first request
    wrapped: bool = False  # the body pool ran out: some bodies were sent twice

    @property
    def accepted(self) -> int:
        return sum(v for k, v in self.statuses.items() if k.startswith("2"))

    def as_dict(self) -> dict[str, Any]:
        accepted = self.accepted
        errors = {k: v for k, v in sorted(self.statuses.items()) if not k.startswith("2")}
        if self.transport_errors:
            errors["transport"] = self.transport_errors
        return {
            "loader": self.loader,
            "requests": self.requests,
            "accepted": accepted,
            "seconds": round(self.seconds, 3),
            "accepted_per_s": round(accepted / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": self.p50_ms,
            "p90_ms": self.p90_ms,
            "p99_ms": self.p99_ms,
            "max_ms": self.max_ms,
            "errors": errors,
            "bodies_reused": self.wrapped,
        }


async def _python_load(
    base: str, path: str, hooks: Sequence[Webhook], concurrency: int
) -> LoadResult:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    transport = 0
    queue = iter(hooks)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def lane() -> None:
            nonlocal transport
            for hook in queue:
                headers = {
                    "content-type": "application/json",
                    "x-hub-signature-256": hook.signature,
                }
                t0 = time.perf_counter()
                try:
                    response = await client.post(path, content=hook.body, headers=headers)
                except httpx.TransportError:
                    transport += 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[str(response.status_code)] += 1

        started_at = time.time()
        t0 = time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(concurrency)))
        seconds = time.perf_counter() - t0
    stats = summarize(latencies, seconds)
    return LoadResult(
        "python-httpx",
        len(hooks),
        seconds,
        dict(statuses),
        transport,
        stats.get("p50_ms"),
        stats.get("p90_ms"),
        stats.get("p99_ms"),
        stats.get("max_ms"),
        started_at,
    )


def python_load(base: str, path: str, hooks: Sequence[Webhook], concurrency: int) -> LoadResult:
    """POST every body once over ``concurrency`` keep-alive connections (asyncio + httpx)."""
    coroutine = _python_load(base, path, hooks, concurrency)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # Called where an event loop already runs (e.g. after a Playwright test in the same
    # process): run ours in a thread of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


WRK_SCRIPT = r"""
-- Generated by bench/ingest.py: each thread POSTs its share of the pre-signed bodies in turn
-- (wrapping around only when the pool runs out) for wrk's -d duration.
local data_file = os.getenv("BENCH_DATA")
local post_path = os.getenv("BENCH_PATH")
local nthreads = tonumber(os.getenv("BENCH_THREADS"))
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  reqs = {}
  statuses = {}
  sent = 0
  local i = 0
  for line in io.lines(data_file) do
    if i % nthreads == tid then
      local sig, body = line:match("^([^\t]*)\t(.*)$")
      reqs[#reqs + 1] = wrk.format("POST", post_path,
        {["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = sig}, body)
    end
    i = i + 1
  end
  total = #reqs
end

function request()
  sent = sent + 1
  return reqs[(sent - 1) % total + 1]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local parts = {}
  local sent_total = 0
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses")) do parts[k] = (parts[k] or 0) + v end
    sent_total = sent_total + thread:get("sent")
  end
  local codes = {}
  for k, v in pairs(parts) do codes[#codes + 1] = string.format('"%s": %d', k, v) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us": %d, "requests": %d, "sent": %d, "statuses": {%s}, '
    .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
    .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.duration, summary.requests, sent_total, table.concat(codes, ", "),
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def wrk_load(
    base: str,
    path: str,
    hooks: Sequence[Webhook],
    concurrency: int,
    threads: int,
    seconds: float,
) -> LoadResult:
    """wrk for ``seconds`` (``threads`` threads, ``concurrency`` connections) over ``hooks``."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk), use --loader python")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        data = Path(tmp) / "bodies.tsv"
        data.write_bytes(b"".join(h.signature.encode() + b"\t" + h.body + b"\n" for h in hooks))
        script = Path(tmp) / "ingest.lua"
        script.write_text(WRK_SCRIPT)
        env = {
            **os.environ,
            "BENCH_DATA": str(data),
            "BENCH_PATH": path,
            "BENCH_THREADS": str(threads),
        }
        command = [wrk, f"-t{threads}", f"-c{max(concurrency, threads)}", f"-d{int(seconds)}s"]
        command += ["--timeout", "30s", "-s", str(script), base]
        started_at = time.time()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    out = json.loads(line.removeprefix("BENCH_JSON "))
    errors = out["errors"]
    return LoadResult(
        "wrk",
        int(out["requests"]),
        out["duration_us"] / 1e6,
        {str(k): int(v) for k, v in out["statuses"].items()},
        int(errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]),
        round(out["p50_us"] / 1000, 2),
        round(out["p90_us"] / 1000, 2),
        round(out["p99_us"] / 1000, 2),
        round(out["max_us"] / 1000, 2),
        started_at,
        wrapped=int(out["sent"]) > len(hooks),
    )


def load(
    loader: str,
    base: str,
    path: str,
    hooks: Sequence[Webhook],
    *,
    concurrency: int,
    threads: int,
    seconds: float,
) -> LoadResult:
    if loader == "wrk":
        return wrk_load(base, path, hooks, concurrency, threads, seconds)
    return python_load(base, path, hooks, concurrency)


@contextlib.contextmanager
def profiling(pid: int | None, seconds: float, output: Path | None) -> Iterator[None]:
    """py-spy (when asked for and installed) records ``pid`` for ``seconds`` during the block."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if pid is None or output is None or not Path(spy).exists():
        yield
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [spy, "record", "--pid", str(pid), "--duration", str(int(seconds) + 60)]
    command += ["--rate", "50", "--format", "raw", "--output", str(output), "--nonblocking"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        # py-spy counts samples, not seconds, and lags on a loaded machine: stop it with the
        # load (on SIGINT it writes what it has).
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


def run(
    url: str = DEFAULT_DATABASE_URL,
    *,
    requests: int = 150_000,
    workers: int = 2,
    queue_worker_count: int = 2,
    worker_nice: int = 10,
    concurrency: int = 256,
    loader: str = "auto",
    threads: int = 2,
    senders: int = 500,
    lag_timeout: float = 1200.0,
    warmup: int = 200,
    duration: float = 20.0,
    profile: Path | None = None,
    profile_seconds: float = 10.0,
) -> dict[str, Any]:
    if loader == "auto":
        loader = "wrk" if shutil.which("wrk") else "python"
    facts_before = load_average()
    log(f"database {make_url(url).render_as_string(hide_password=True)}: fresh, migrated")
    engine, channel_id = prepare_database(url)
    path = f"/webhooks/whatsapp/{channel_id}"
    hooks = make_webhooks(requests + warmup, senders=senders)
    warm, measured = hooks[:warmup], hooks[warmup:]
    env = {
        "UNISONO_DATABASE_URL": url,
        "UNISONO_EMBEDDED_WORKER": "false",
        "UNISONO_LOG_LEVEL": "WARNING",
    }
    phases: dict[str, Any] = {}
    shape = {"concurrency": concurrency, "threads": threads, "seconds": duration}

    log(f"ceiling: bench.ceiling_app under uvicorn --workers {workers}, {loader} loader")
    with serve("bench.ceiling_app:create_app", {}, workers) as server:
        python_load(server.base, path, warm or measured[:1], min(concurrency, 8))
        phases["ceiling_load_average_before"] = load_average()
        ceiling, ceiling_cpu = cpu_phase(
            server.worker_pids, lambda: load(loader, server.base, path, measured, **shape)
        )
        phases["ceiling_load_average_after"] = load_average()
    ceiling_stats = {**ceiling.as_dict(), **ceiling_cpu}
    log(f"ceiling: {ceiling_stats['accepted_per_s']}/s")

    log(f"unisono: uvicorn --workers {workers}, {queue_worker_count} queue worker(s)")
    with serve("unisono.web.app:create_app", env, workers) as server:
        if warm:
            python_load(server.base, path, warm, min(concurrency, 8))
        with queue_workers(env, queue_worker_count, worker_nice):
            # The warm-up deliveries reach the timeline before the measured load starts.
            wait_for_timeline(engine, len(stored_wamids(engine)), time.time(), 0, lag_timeout)
            phases["unisono_load_average_before"] = load_average()
            target = server.worker_pids[0] if server.worker_pids else None
            with profiling(target, profile_seconds, profile):
                result, unisono_cpu = cpu_phase(
                    server.worker_pids,
                    lambda: load(loader, server.base, path, measured, **shape),
                )
            phases["unisono_load_average_after"] = load_average()
            log(f"unisono: {result.as_dict()['accepted_per_s']}/s; waiting for the timeline")
            settle(engine)
            lag = wait_for_timeline(
                engine,
                len(stored_wamids(engine)),
                result.started_at,
                result.seconds,
                lag_timeout,
                {h.wamid for h in measured},
            )
    phases["end_load_average"] = load_average()
    unisono_stats = {**result.as_dict(), **unisono_cpu}
    # The same ratio from CPU spent by the HTTP processes per request: less swayed than rates
    # by whatever else the machine runs (the database's CPU is reported beside it).
    cpu_ratio = (
        round(ceiling_cpu["http_cpu_ms_per_request"] / unisono_cpu["http_cpu_ms_per_request"], 3)
        if unisono_cpu["http_cpu_ms_per_request"]
        else None
    )
    ratio = (
        round(unisono_stats["accepted_per_s"] / ceiling_stats["accepted_per_s"], 3)
        if ceiling_stats["accepted_per_s"]
        else None
    )
    facts = database_facts(engine)
    engine.dispose()
    machine = machine_facts()
    return {
        "benchmark": "ingest",
        "database": facts["database"],
        "database_settings": facts["settings"],
        "uvicorn_workers": workers,
        "queue_workers": queue_worker_count,
        "queue_worker_nice": worker_nice,
        "loader": loader,
        "concurrency": concurrency,
        "requests": unisono_stats["requests"],
        "body_pool": len(measured),
        "duration_s": duration if loader == "wrk" else None,
        "warmup": len(warm),
        "senders": senders,
        "unisono": unisono_stats,
        "ceiling": ceiling_stats,
        "ratio": ratio,
        "cpu_ratio": cpu_ratio,
        "lag": lag,
        "targets": TARGETS,
        "met": {
            "webhooks_per_s": unisono_stats["accepted_per_s"] >= TARGETS["webhooks_per_s"],
            "ratio": ratio is not None and ratio >= TARGETS["ratio"],
        },
        "load_average": {"start": facts_before, **phases},
        "machine": machine,
        "method": (
            f"{loader} over {concurrency} keep-alive connections to 127.0.0.1 "
            + (
                f"for {duration:g} s over a pool of {len(measured)} distinct signed bodies; "
                if loader == "wrk"
                else f"each of {len(measured)} distinct signed bodies POSTed once; "
            )
            + f"uvicorn --workers {workers} (UNISONO_EMBEDDED_WORKER=false) and "
            f"{queue_worker_count} 'unisono worker --nice {worker_nice}' process(es); "
            "ceiling = bench/ceiling_app.py served and loaded the same way"
        ),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help=f"SQLAlchemy URL (default: {DEFAULT_DATABASE_URL}); dropped and recreated",
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=150_000,
        help="distinct signed bodies (wrk: the pool for --duration; python: each sent once)",
    )
    parser.add_argument("--duration", type=float, default=20, help="wrk: seconds per phase")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured webhooks first")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--queue-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="'unisono worker' processes (default: one per core)",
    )
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="'unisono worker --nice': how far the queue workers yield the CPU to the HTTP ones",
    )
    parser.add_argument("--concurrency", type=int, default=256, help="open connections")
    parser.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--senders", type=int, default=500, help="distinct customers")
    parser.add_argument("--lag-timeout", type=float, default=1200, help="seconds")
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy raw (collapsed) stacks of one uvicorn worker during the load, to this file",
    )
    parser.add_argument("--profile-seconds", type=float, default=10)
    parser.add_argument("--output", type=Path, help="also write the JSON to this file")
    return parser.parse_args(argv)


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # so that the servers and workers are stopped on the way out


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_term)
    result = run(
        args.database_url,
        requests=args.requests,
        workers=args.workers,
        queue_worker_count=args.queue_workers,
        worker_nice=args.worker_nice,
        concurrency=args.concurrency,
        loader=args.loader,
        threads=args.threads,
        senders=args.senders,
        lag_timeout=args.lag_timeout,
        warmup=args.warmup,
        duration=args.duration,
        profile=args.profile,
        profile_seconds=args.profile_seconds,
    )
    output = json.dumps(result, indent=2, ensure_ascii=False)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(output + "\n")
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
