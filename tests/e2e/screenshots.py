"""Screenshots of the console for the docs: ``.venv/bin/python -m tests.e2e.screenshots``.

Serves a fresh SQLite database with the Energia Chiara demo (``--data demo``, the default: what
``make demo`` shows) or the small sample inbox of the browser tests (``--data sample``), signs
in with headless Chromium at 1280x720 and writes ``docs/screenshot-inbox.png``,
``docs/screenshot-conversation.png`` (Maria Rossi's open conversation),
``docs/screenshot-supervisor.png`` and ``docs/screenshot-studio-preview.png`` (a template's
channels side by side, the whole page). ``--db FILE`` reuses
an already seeded database; ``--locale en`` takes them in English; ``--out DIR`` writes elsewhere.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("UNISONO_ENV", "test")

from playwright.sync_api import sync_playwright
from sqlalchemy import Engine, select

from tests.e2e.browser import launch_chromium
from tests.e2e.sample_data import OPERATOR_EMAIL, OPERATOR_PASSWORD, load_sample
from tests.e2e.server import running_app
from unisono.db import make_engine, session_factory
from unisono.migrate import upgrade
from unisono.models import Operator

ROOT = Path(__file__).resolve().parents[2]


def _load(engine: Engine, data: str) -> tuple[str, str]:
    """Fill an empty database; the email and password to sign in with."""
    if data == "sample":
        with session_factory(engine)() as session:
            sample = load_sample(session)
            return sample.operator.email, OPERATOR_PASSWORD
    from unisono.demo.org import DEMO_EMAIL, DEMO_PASSWORD
    from unisono.demo.seed import seed_demo

    seed_demo(engine)
    return DEMO_EMAIL, DEMO_PASSWORD


def _credentials(engine: Engine) -> tuple[str, str]:
    """Who to sign in as on a database seeded before."""
    with session_factory(engine)() as session:
        if session.scalar(select(Operator.id).where(Operator.email == OPERATOR_EMAIL)):
            return OPERATOR_EMAIL, OPERATOR_PASSWORD
    from unisono.demo.org import DEMO_EMAIL, DEMO_PASSWORD

    return DEMO_EMAIL, DEMO_PASSWORD


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--data", choices=("demo", "sample"), default="demo")
    parser.add_argument("--db", type=Path, help="an SQLite file seeded before (kept as it is)")
    parser.add_argument("--locale", choices=("it", "en"), default="it")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--full-page", action="store_true", help="the whole page, not the viewport")
    parser.add_argument("--customer", default="Maria Rossi", help="whose conversation to open")
    parser.add_argument(
        "--template", default="Sollecito di pagamento", help="whose preview to take in the studio"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        if args.db:
            engine = make_engine(f"sqlite:///{args.db}")
            email, password = _credentials(engine)
        else:
            engine = make_engine(f"sqlite:///{tmp}/screens.db")
            upgrade(engine)
            email, password = _load(engine, args.data)
        with running_app(engine) as base, sync_playwright() as p:
            browser = launch_chromium(p)
            context = browser.new_context(
                viewport={"width": args.width, "height": args.height},
                locale="it-IT" if args.locale == "it" else "en-GB",
            )
            page = context.new_page()
            page.goto(f"{base}/login")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(password)
            page.locator("form.form button[type=submit]").click()
            page.wait_for_url(f"{base}/")
            page.locator(f".langswitch button[value={args.locale}]").first.click()
            page.wait_for_load_state()
            page.screenshot(path=str(args.out / "screenshot-inbox.png"), full_page=args.full_page)
            page.goto(f"{base}/?status=all")
            row = page.locator("tr.inbox__row", has_text=args.customer).first
            while not row.count() and page.locator("a[rel=next]").count():
                page.locator("a[rel=next]").click()
                row = page.locator("tr.inbox__row", has_text=args.customer).first
            row.locator(".row-link").click()
            page.wait_for_load_state()
            # Taller than the viewport: the composer, then the start of the timeline.
            page.screenshot(
                path=str(args.out / "screenshot-conversation.png"),
                full_page=True,
                clip=None
                if args.full_page
                else {"x": 0, "y": 0, "width": args.width, "height": 1600},
            )
            page.goto(f"{base}/supervisor")
            page.wait_for_load_state()
            page.screenshot(
                path=str(args.out / "screenshot-supervisor.png"), full_page=args.full_page
            )
            page.goto(f"{base}/studio")
            page.locator("a", has_text=args.template).first.click()
            page.wait_for_load_state()
            page.locator("a[href$='/preview']").first.click()
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(args.out / "screenshot-studio-preview.png"), full_page=True)
            browser.close()
        engine.dispose()
    print(f"screenshots written to {args.out}")  # noqa: T201


if __name__ == "__main__":
    main()
