"""The inbox and the supervisor's queues in a real browser: a WhatsApp message arriving while
the inbox is open shows up without a reload, a supervisor sees the queue move, and the inbox
is worked from the keyboard (j/k, e, r, ?)."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select

from tests.channels.whatsapp.test_whatsapp import CREDENTIALS, fixture, signed
from tests.e2e.conftest import sign_in
from tests.e2e.sample_data import Sample
from unisono.clock import utcnow
from unisono.db import session_factory
from unisono.inbox.channel_config import do_create_channel
from unisono.inbox.conversations import ConversationChanges, do_update_conversation
from unisono.inbox.ingest import NewInteraction, do_ingest_interaction
from unisono.jobs.worker import process_webhooks
from unisono.models import Conversation, ConversationStatus, Direction, Role
from unisono.security.actor import SYSTEM
from unisono.security.operators import do_create_operator

pytestmark = pytest.mark.e2e

SUPERVISOR_EMAIL = "paola.ferri@energiachiara.it"
SUPERVISOR_PASSWORD = "coordinamento-2026"


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def whatsapp_message(name: str, number: str, text: str) -> bytes:
    """The documented text-message webhook, from another customer, sent just now."""
    payload: dict[str, Any] = json.loads(fixture("text_message.json"))
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": name}, "wa_id": number}]
    message = value["messages"][0]
    message.update(
        {"from": number, "id": f"wamid.{uuid.uuid4().hex}", "timestamp": str(int(time.time()))}
    )
    message["text"] = {"body": text}
    return json.dumps(payload).encode()


def new_conversation(engine: Engine, name: str, number: str) -> uuid.UUID:
    """A customer writes by SMS (committed at once: the server needs SQLite's write lock)."""
    with session_factory(engine)() as session:
        interaction, _ = do_ingest_interaction(
            session,
            SYSTEM,
            NewInteraction(
                channel="sms",
                identity_kind="phone",
                identity_value=number,
                direction=Direction.INBOUND,
                text="Manca la luce in via Padova",
                occurred_at=utcnow(),
                external_id=uuid.uuid4().hex,
                customer_name=name,
            ),
        )
        session.commit()
        assert interaction.conversation_id is not None
        return interaction.conversation_id


def resolve(engine: Engine, conversation_id: uuid.UUID) -> None:
    with session_factory(engine)() as session:
        conversation = session.get_one(Conversation, conversation_id)
        do_update_conversation(
            session, SYSTEM, conversation, ConversationChanges(status=ConversationStatus.RESOLVED)
        )
        session.commit()


def status_of(engine: Engine, conversation_id: uuid.UUID) -> ConversationStatus:
    with session_factory(engine)() as session:
        status = session.scalar(
            select(Conversation.status).where(Conversation.id == conversation_id)
        )
        session.rollback()
    assert status is not None
    return status


def test_a_whatsapp_message_shows_up_live_in_the_open_inbox(
    page: Page, base_url: str, sample: Sample, engine: Engine
) -> None:
    with session_factory(engine)() as session:
        channel = do_create_channel(
            session,
            SYSTEM,
            kind="whatsapp",
            name="WhatsApp Energia Chiara",
            settings={},
            credentials=CREDENTIALS,
        )
        session.commit()
        channel_id = channel.id
    sign_in(page, base_url)
    rows = page.locator("tr.inbox__row")
    expect(rows.first).to_be_visible()
    expect(page.locator("tr.inbox__row", has_text="Chiara Neri")).to_have_count(0)
    # The operator has a conversation selected; it stays selected through the update.
    page.keyboard.press("j")
    page.keyboard.press("j")
    selected = rows.nth(1).get_attribute("data-id")
    page.evaluate("window.stillTheSamePage = true")

    body = whatsapp_message(
        "Chiara Neri", "393471234999", "Salve, vorrei passare alla tariffa bioraria"
    )
    response = httpx.post(
        f"{base_url}/webhooks/whatsapp/{channel_id}", content=body, headers=signed(body)
    )
    assert response.status_code == 200, response.text
    assert process_webhooks(session_factory(engine)) == 1

    row = page.locator("tr.inbox__row", has_text="Chiara Neri")
    expect(row).to_be_visible()
    expect(row.get_by_text("vorrei passare alla tariffa bioraria")).to_be_visible()
    expect(row.locator(".chan", has_text="WhatsApp")).to_have_count(1)
    expect(row.locator(".sla")).to_contain_text("In tempo")
    expect(page.locator("#live-status")).to_have_text("Nuove conversazioni nell'elenco: 1")
    assert page.evaluate("window.stillTheSamePage === true"), "the page was reloaded"
    still = page.locator(f'tr.inbox__row[data-id="{selected}"]')
    expect(still).to_have_class(re.compile("is-selected"))
    expect(still.locator("a.row-link")).to_be_focused()
    # The count on the tab moved as well.
    expect(page.locator(".tab[aria-current=page] .tab__count")).to_have_text(str(rows.count()))


def test_a_supervisor_sees_the_queue_move(
    page: Page, base_url: str, sample: Sample, engine: Engine
) -> None:
    with session_factory(engine)() as session:
        do_create_operator(
            session,
            SUPERVISOR_EMAIL,
            name="Paola Ferri",
            role=Role.SUPERVISOR,
            password=SUPERVISOR_PASSWORD,
        )
        session.commit()
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill(SUPERVISOR_EMAIL)
    page.get_by_label("Password").fill(SUPERVISOR_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page).to_have_url(base_url + "/")
    page.goto(base_url + "/supervisor")
    expect(page.get_by_role("heading", name="Code dei team")).to_be_visible()
    opened = page.locator('[data-stat="open"]')
    before = int(opened.inner_text())
    sms_queue = page.locator('#queues-channels ~ table tr[data-queue="SMS"] td').first
    sms_before = int(sms_queue.inner_text()) if sms_queue.count() else 0
    page.evaluate("window.stillTheSamePage = true")

    arrived = new_conversation(engine, "Walter Bruni", "+39 320 555 1234")
    expect(opened).to_have_text(str(before + 1))
    expect(sms_queue).to_have_text(str(sms_before + 1))
    who = page.locator("#queues-operators").locator("xpath=..")
    expect(who.get_by_role("link", name="Giulia Marchetti")).to_be_visible()

    resolve(engine, arrived)
    expect(opened).to_have_text(str(before))
    assert page.evaluate("window.stillTheSamePage === true"), "the page was reloaded"
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 820, "height": 1180})
    assert no_horizontal_scroll(page)


def test_working_the_inbox_from_the_keyboard(
    page: Page, base_url: str, sample: Sample, engine: Engine
) -> None:
    sign_in(page, base_url)
    rows = page.locator("tr.inbox__row")
    expect(rows.first).to_be_visible()
    total = rows.count()

    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile("is-selected"))
    expect(rows.nth(0).locator("a.row-link")).to_be_focused()
    expect(rows.nth(0).locator("a.row-link")).to_have_attribute("aria-current", "true")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(rows.nth(1)).to_have_class(re.compile("is-selected"))
    expect(rows.nth(0)).not_to_have_class(re.compile("is-selected"))

    # e resolves the selected conversation: the row leaves, the next one is selected.
    target = rows.nth(1)
    target_id = uuid.UUID(target.get_attribute("data-id") or "")
    name = target.locator("a.row-link").inner_text()
    following = rows.nth(2).get_attribute("data-id")
    page.keyboard.press("e")
    expect(page.locator(f'tr.inbox__row[data-id="{target_id}"]')).to_have_count(0)
    expect(page.locator("#live-status")).to_have_text(f"Conversazione risolta: {name}")
    expect(rows).to_have_count(total - 1)
    expect(page.locator(f'tr.inbox__row[data-id="{following}"]')).to_have_class(
        re.compile("is-selected")
    )
    assert status_of(engine, target_id) == ConversationStatus.RESOLVED

    # Typing in a field never triggers a shortcut.
    label = page.get_by_label("Etichetta")
    label.fill("")
    label.press("j")
    label.press("e")
    expect(label).to_have_value("je")
    expect(page.locator(f'tr.inbox__row[data-id="{following}"]')).to_have_class(
        re.compile("is-selected")
    )
    expect(rows).to_have_count(total - 1)

    # ? shows the help; Escape closes it.
    page.locator("body").click(position={"x": 5, "y": 700})
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Scorciatoie da tastiera")
    expect(help_dialog).to_be_visible()
    expect(help_dialog.get_by_text("Risolvi la conversazione")).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    # r opens the selected conversation with the reply box.
    page.keyboard.press("j")
    selected = page.locator("tr.inbox__row.is-selected")
    url = selected.get_attribute("data-url")
    page.keyboard.press("r")
    expect(page).to_have_url(f"{base_url}{url}#composer")


def test_the_filters_work_without_javascript_and_fit_a_tablet(
    page: Page, base_url: str, sample: Sample
) -> None:
    page.set_viewport_size({"width": 820, "height": 1180})
    sign_in(page, base_url)
    page.get_by_label("Canale").select_option("whatsapp")
    page.get_by_label("Priorità").select_option("high")
    page.get_by_role("button", name="Filtra", exact=True).click()
    expect(page).to_have_url(re.compile(r"channel=whatsapp"))
    expect(page).to_have_url(re.compile(r"priority=high"))
    rows = page.locator("tr.inbox__row")
    expect(rows.filter(has_text="Maria Rossi")).to_have_count(1)
    for n in range(rows.count()):
        expect(rows.nth(n).locator(".prio")).to_have_text("Alta")
    assert no_horizontal_scroll(page)
    page.get_by_role("link", name="Azzera i filtri").first.click()
    expect(page).to_have_url(base_url + "/?status=active")
