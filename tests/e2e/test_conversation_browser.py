"""The conversation page in a real browser: the customer's history across conversations, a
reply by SMS, a canned response, a note that mentions a colleague, the conversation card."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from tests.e2e.conftest import sign_in
from tests.e2e.sample_data import Sample
from unisono.clock import utcnow
from unisono.customers.access import access_customer
from unisono.identity.normalize import normalize_handle
from unisono.identity.resolve import do_add_identity
from unisono.inbox.channel_config import do_create_channel
from unisono.inbox.conversations import ConversationChanges, do_update_conversation
from unisono.inbox.ingest import NewInteraction, do_ingest_interaction
from unisono.models import CannedResponse, Conversation, ConversationStatus, Direction, Role
from unisono.security.actor import SYSTEM
from unisono.security.operators import do_create_operator

pytestmark = pytest.mark.e2e

PHONE = "+39 347 800 1122"
EMAIL = "teresa.bianchi@example.it"


def _add(
    session: Session, channel: str, kind: str, value: str, text: str, ago: timedelta, **meta: object
) -> uuid.UUID | None:
    interaction, _ = do_ingest_interaction(
        session,
        SYSTEM,
        NewInteraction(
            channel=channel,
            identity_kind=kind,
            identity_value=value,
            direction=Direction.INBOUND,
            text=text,
            occurred_at=utcnow() - ago,
            external_id=uuid.uuid4().hex,
            customer_name="Teresa Bianchi",
            metadata=dict(meta),
        ),
    )
    return interaction.conversation_id


@pytest.fixture
def teresa(session: Session, sample: Sample) -> uuid.UUID:
    """Teresa wrote by email and came to a branch last month (a resolved case); today she
    writes by SMS from a number the branch recorded. Returns today's conversation."""
    # The branch visit records her phone and email, so the three land on one customer.
    earlier = _add(
        session,
        "branch_visit",
        "phone",
        PHONE,
        "La cliente chiede il piano di rateizzazione della bolletta gas.",
        timedelta(days=30),
        branch="Sportello Bologna",
        staff="Franco Bellini",
        reason="rateizzazione",
        outcome="piano firmato in tre rate",
        visit_status="done",
    )
    conversation = session.get_one(Conversation, earlier)
    customer_id = conversation.customer_id
    customer = access_customer(session, SYSTEM, customer_id)
    do_add_identity(
        session, customer, normalize_handle("email", EMAIL, region="IT"), raw_value=EMAIL
    )
    _add(
        session,
        "email",
        "email",
        EMAIL,
        "Vi confermo il piano di rateizzazione concordato allo sportello.",
        timedelta(days=29),
        subject="Rateizzazione",
    )
    do_update_conversation(
        session, SYSTEM, conversation, ConversationChanges(status=ConversationStatus.RESOLVED)
    )
    today = _add(
        session, "sms", "phone", PHONE, "La prima rata è già scaduta?", timedelta(minutes=20)
    )
    assert today != earlier
    do_create_channel(
        session,
        SYSTEM,
        kind="sms",
        name="SMS",
        credentials={"account_sid": "AC1", "auth_token": "t", "from_number": "+15005550006"},
    )
    do_create_operator(
        session,
        "marco.ferri@energiachiara.it",
        name="Marco Ferri",
        role=Role.AGENT,
        password="x" * 12,
    )
    session.add(
        CannedResponse(
            shortcut="rate",
            locale="it",
            title="Piano di rateizzazione",
            body="Le rate del suo piano scadono il 15 di ogni mese.",
        )
    )
    session.commit()
    session.close()
    assert today is not None
    return today


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_an_operator_answers_by_sms_with_the_whole_history_in_view(
    page: Page, base_url: str, teresa: uuid.UUID
) -> None:
    sign_in(page, base_url)
    page.goto(f"{base_url}/conversations/{teresa}")
    expect(page.get_by_role("heading", name="Teresa Bianchi")).to_be_visible()
    timeline = page.locator(".timeline")
    # The earlier, resolved conversation is on the same timeline, not marked as this one.
    email = page.locator(".tl", has_text="Vi confermo il piano di rateizzazione")
    expect(email).to_be_visible()
    expect(email).not_to_have_class(re.compile("is-selected"))
    visit = page.locator(".tl", has_text="piano di rateizzazione della bolletta gas")
    for fact in (
        "Sportello Bologna",
        "Franco Bellini",
        "rateizzazione",
        "piano firmato",
        "Effettuata",
    ):
        expect(visit.locator(".facts")).to_contain_text(fact)
    assert no_horizontal_scroll(page)

    # The composer answers where she wrote: SMS.
    composer = page.locator("#composer")
    expect(composer.get_by_label("Canale")).to_have_value("sms")
    text = composer.get_by_label("Messaggio")
    text.fill("Buongiorno, ")
    # A canned response from its /shortcut, chosen with the keyboard.
    text.press_sequentially("/ra")
    options = page.get_by_role("listbox", name="Risposte predefinite").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("/rate")
    text.press("Enter")
    expect(page.locator("#composer-canned")).to_be_hidden()
    expect(text).to_have_value("Buongiorno, Le rate del suo piano scadono il 15 di ogni mese.")
    composer.get_by_role("button", name="Invia").click()
    reply = timeline.locator(".tl", has_text="Le rate del suo piano scadono il 15")
    expect(reply).to_be_visible()
    expect(reply).to_contain_text("In coda")
    expect(reply.locator(".tl__channel")).to_have_text("SMS")
    expect(page.locator("#composer-text")).to_have_value("")
    expect(page.locator("#composer-text")).to_be_focused()

    # An internal note for a colleague.
    page.locator("#composer").get_by_role("radio", name="Nota interna").check()
    expect(page.locator("#composer")).to_have_class(re.compile("composer--note"))
    page.locator("#composer-text").fill("@Marco Ferri puoi richiamarla nel pomeriggio?")
    page.locator("#composer").get_by_role("button", name="Aggiungi nota").click()
    note = timeline.locator(".tl--note", has_text="puoi richiamarla nel pomeriggio?")
    expect(note).to_be_visible()
    expect(note.locator("mark.mention")).to_have_text("@Marco Ferri")

    # The conversation card: take it.
    card = page.locator("#conversation-card")
    card.get_by_role("button", name="Assegna a me").click()
    expect(page.locator("#conversation-card")).to_contain_text("Giulia Marchetti")
    expect(
        page.locator("#conversation-card").get_by_role("button", name="Assegna a me")
    ).to_have_count(0)
    page.locator("#cc-label").fill("rateizzazione")
    page.locator("#cc-label").press("Enter")
    expect(page.locator("#conversation-card .chip")).to_contain_text("rateizzazione")

    # A tablet held upright still shows everything without sideways scrolling.
    page.set_viewport_size({"width": 820, "height": 1180})
    page.reload()
    expect(page.locator("#composer")).to_be_visible()
    assert no_horizontal_scroll(page)


def test_the_composer_works_without_javascript(
    browser: Browser, base_url: str, teresa: uuid.UUID
) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 720}, locale="it-IT"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, base_url)
        page.goto(f"{base_url}/conversations/{teresa}")
        page.locator("#composer-text").fill("Risposta senza JavaScript")
        page.locator("#composer").get_by_role("button", name="Invia").click()
        expect(page).to_have_url(re.compile(rf"/conversations/{teresa}\?channel=sms"))
        expect(page.locator(".tl", has_text="Risposta senza JavaScript")).to_contain_text("In coda")
        # An empty message is refused in the form.
        page.locator("#composer").get_by_role("button", name="Invia").click()
        expect(page.locator("#composer-error")).to_contain_text("Scrivi prima un messaggio.")
    finally:
        context.close()
