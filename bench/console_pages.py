"""Server time of the console's pages on the demo data, as JSON.

Seeds the Energia Chiara demo into a fresh SQLite file (or reuses ``--db``), signs the demo
operator in through the login form, and requests each page ``--repeat`` times in process (no
network, so the figure is the server's work: routing, queries, audit writes, rendering).
Reported per page: p50, p90 and max wall milliseconds and the CPU milliseconds per request
(process CPU: the test client is a small part of it), against the target of 100 ms
server-side. The machine's load average is recorded.

Run it::

    .venv/bin/python bench/console_pages.py                 # seeds the demo (about 30 s)
    .venv/bin/python bench/console_pages.py --db /tmp/demo.db --repeat 50
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("UNISONO_EMBEDDED_WORKER", "false")

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from unisono.db import make_engine, session_factory
from unisono.demo.org import DEMO_EMAIL, DEMO_PASSWORD
from unisono.migrate import upgrade
from unisono.models import Conversation, Customer, Template, TemplateVersion
from unisono.web.app import create_app

TARGET_MS = 100.0


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if not match:
        raise RuntimeError("the login page has no CSRF token")
    return match.group(1)


def pages(engine: Engine) -> dict[str, str]:
    """The pages to time, by name: the ones an agent, a supervisor and a designer use most."""
    with session_factory(engine)() as session:
        maria = session.scalars(
            select(Customer).where(Customer.display_name == "Maria Rossi").limit(1)
        ).one()
        conversation = session.scalars(
            select(Conversation)
            .where(Conversation.customer_id == maria.id)
            .order_by(Conversation.last_activity_at.desc())
            .limit(1)
        ).one()
        version = session.scalars(
            select(TemplateVersion)
            .join(Template, Template.id == TemplateVersion.template_id)
            .where(Template.name == "Sollecito di pagamento")
            .order_by(TemplateVersion.number)
            .limit(1)
        ).one()
    studio = f"/studio/templates/{version.template_id}/versions/{version.number}"
    return {
        "inbox": "/",
        "inbox_all_filtered": "/?status=all&channel=whatsapp&sort=waiting",
        "conversation": f"/conversations/{conversation.id}",
        "conversation_templates": f"/conversations/{conversation.id}/templates?channel=sms",
        "customer": f"/customers/{maria.id}",
        "customers_search_phone": "/customers?q=0039%20347%20665%205128",
        "supervisor": "/supervisor",
        "mentions": "/mentions",
        "studio": "/studio",
        "studio_preview": f"{studio}/preview",
    }


def measure(engine: Engine, repeat: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with TestClient(create_app(engine, embedded_worker=False)) as client:
        form = client.get("/login")
        signed = client.post(
            "/login",
            data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": _csrf(form.text)},
            follow_redirects=False,
        )
        if signed.status_code != 303:
            raise RuntimeError(f"sign-in failed: {signed.status_code}")
        for name, path in pages(engine).items():
            client.get(path)  # warm: templates compiled, caches filled
            walls: list[float] = []
            cpus: list[float] = []
            status = 0
            for _ in range(repeat):
                cpu, wall = time.process_time(), time.perf_counter()
                response = client.get(
                    path, headers={"HX-Request": "true"} if "templates" in name else {}
                )
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
                status = response.status_code
            walls.sort()
            results[name] = {
                "path": path,
                "status": status,
                "p50_ms": round(statistics.median(walls), 1),
                "p90_ms": round(walls[int(len(walls) * 0.9) - 1], 1),
                "max_ms": round(walls[-1], 1),
                "cpu_p50_ms": round(statistics.median(cpus), 1),
                "met": statistics.median(walls) < TARGET_MS,
            }
            print(f"{name}: {results[name]['p50_ms']} ms", file=sys.stderr)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", type=Path, help="an SQLite file with the demo already seeded")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        if args.db:
            engine = make_engine(f"sqlite:///{args.db}")
        else:
            from unisono.demo.seed import seed_demo

            engine = make_engine(f"sqlite:///{tmp}/demo.db")
            upgrade(engine)
            seed_demo(engine)
        results = measure(engine, args.repeat)
        engine.dispose()
    output = {
        "benchmark": "console_pages",
        "database": "sqlite (demo data)",
        "repeat": args.repeat,
        "target_ms": TARGET_MS,
        "pages": results,
        "all_met": all(r["met"] for r in results.values()),
        "load_average": {"before": list(load_before), "after": list(os.getloadavg())},
    }
    print(json.dumps(output, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
