"""The widget in a real browser: a page on another origin embeds it with one script tag."""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.channels.conftest import MakeChannel, eventually, rows
from tests.channels.webchat.conftest import SITE_KEY
from tests.e2e.browser import chromium_missing, launch_chromium
from tests.e2e.conftest import IN_CI
from unisono.models import Direction, Interaction, Operator
from unisono.sandbox.server import serve_in_thread
from unisono.security.operators import do_create_token
from unisono.web.app import create_app
from unisono.web.webchat import router

pytestmark = pytest.mark.e2e


@pytest.fixture
def chromium(backend: str) -> Iterator[Browser]:
    if backend != "sqlite":
        pytest.skip("the browser tests run on SQLite; the socket tests cover PostgreSQL")
    problem = chromium_missing()
    if problem:
        if IN_CI:
            pytest.fail(f"{problem} (CI=true requires the browser tests)")
        pytest.skip(problem)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def unisono(engine: Engine) -> Iterator[str]:
    """Unisono over real HTTP with its worker running, as a site's visitors would reach it."""
    app = create_app(engine, embedded_worker=True)
    if not any(getattr(r, "path", None) == "/widget.js" for r in app.routes):
        app.include_router(router)
    app.state.webchat_poll_seconds = 0.1
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def shop() -> Iterator[tuple[str, dict[str, str]]]:
    """The customer's website, on another origin, embedding the widget with one tag."""
    page: dict[str, str] = {}
    site = FastAPI()

    @site.get("/", response_class=HTMLResponse)
    def home() -> str:
        return (
            '<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Energia Chiara'
            "</title></head><body><h1>Energia Chiara</h1>"
            f'<script src="{escape(page["widget"])}" data-channel="{escape(page["channel"])}" '
            "async></script></body></html>"
        )

    with serve_in_thread(site) as url:
        yield url, page


def test_a_visitor_chats_with_an_operator_through_the_widget(
    chromium: Browser,
    unisono: str,
    shop: tuple[str, dict[str, str]],
    make_channel: MakeChannel,
    session: Session,
    operator: Operator,
) -> None:
    shop_url, shop_page = shop
    channel = make_channel(
        "webchat", credentials={"site_key": SITE_KEY}, settings={"allowed_origins": [shop_url]}
    )
    shop_page.update(widget=f"{unisono}/widget.js", channel=str(channel.id))
    token = do_create_token(session, operator, "browser test")
    session.commit()
    session.expunge_all()

    context = chromium.new_context(locale="it-IT")
    page: Page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(shop_url)
        launcher = page.get_by_role("button", name="Chat con l'assistenza")
        launcher.click()
        expect(launcher).to_have_attribute("aria-expanded", "true")
        dialog = page.get_by_role("dialog", name="Scrivici")
        expect(dialog).to_be_visible()
        message = page.get_by_label("Il tuo messaggio")
        expect(message).to_be_focused()
        message.fill("Buongiorno, la mia bolletta è raddoppiata")
        message.press("Enter")

        def inbound() -> Any:
            found = [i for i in rows(session, Interaction) if i.direction == Direction.INBOUND]
            return found[0] if found else None

        arrived = eventually(inbound)
        assert arrived.text == "Buongiorno, la mia bolletta è raddoppiata"
        assert arrived.channel == "webchat"
        visitor_id = page.evaluate(f"localStorage.getItem('unisono.webchat.visitor.{channel.id}')")
        assert visitor_id
        assert len(visitor_id) >= 8

        reply = httpx.post(
            f"{unisono}/api/v1/conversations/{arrived.conversation_id}/messages",
            json={"text": "Controlliamo subito, un attimo."},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert reply.status_code == 201, reply.text
        log = page.get_by_role("log")
        expect(log).to_contain_text("Controlliamo subito, un attimo.")
        expect(log.locator("li")).to_have_count(3)  # greeting, the question, the reply

        # A reload keeps the visitor and fetches the conversation again.
        page.reload()
        page.get_by_role("button", name="Chat con l'assistenza").click()
        expect(page.get_by_role("log")).to_contain_text("Controlliamo subito, un attimo.")
        expect(page.get_by_role("log")).to_contain_text("la mia bolletta è raddoppiata")
    finally:
        context.close()
