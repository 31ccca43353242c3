"""The conversation page in a real browser: the customer's history across conversations, a
reply by SMS, a canned response, a note that mentions a colleague, the conversation card, the
studio's approved templates sent outside WhatsApp's window or inserted into an SMS."""

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
from unisono.security.actor import SYSTEM, Actor
from unisono.security.operators import do_create_operator
from unisono.studio.templates import do_approve_version, do_create_template, do_submit_version

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


# --- studio templates in the composer ----------------------------------------------------------

ROSA = "+39 347 800 3344"
REMINDER_SMS = (
    "Gentile {{ customer.first_name }}, la bolletta di marzo risulta da pagare: "
    "puo pagarla in app o allo sportello. Grazie, Energia Chiara"
)


@pytest.fixture
def rosa(session: Session, sample: Sample) -> uuid.UUID:
    """Rosa wrote on WhatsApp two days ago (its window is closed); WhatsApp and SMS send; the
    studio has an approved payment reminder and an advertisement she did not opt in to."""
    conversation_id = _add(
        session, "whatsapp", "phone", ROSA, "Ho ricevuto la bolletta di marzo", timedelta(days=2)
    )
    conversation = session.get_one(Conversation, conversation_id)
    customer = access_customer(session, SYSTEM, conversation.customer_id)
    customer.display_name, customer.given_name, customer.language = "Rosa Ferraro", "Rosa", "it"
    for kind, credentials in (
        ("sms", {"account_sid": "AC1", "auth_token": "t", "from_number": "+15005550006"}),
        (
            "whatsapp",
            {"app_secret": "s", "verify_token": "v", "access_token": "a", "phone_number_id": "1"},
        ),
    ):
        do_create_channel(session, SYSTEM, kind=kind, name=kind, credentials=credentials)
    people = [
        Actor(
            operator=do_create_operator(
                session, f"{role.value}@energiachiara.it", name=name, role=role, password="x" * 12
            ),
            via="test",
        )
        for role, name in ((Role.DESIGNER, "Irene Vitale"), (Role.COMPLIANCE, "Lorenzo De Santis"))
    ]
    first_name = [{"name": "customer.first_name", "type": "str", "sample": "Maria"}]
    offer = (
        "Gentile {{ customer.first_name }}, la nuova offerta luce. Scriva STOP per non riceverne."
    )
    for name, purpose, variants in (
        (
            "Sollecito di pagamento",
            "payment_reminder",
            {
                "whatsapp": {
                    "it": {
                        "template_name": "sollecito_pagamento",
                        "category": "UTILITY",
                        "body": "Gentile {{first_name}}, la bolletta di marzo risulta da pagare.",
                        "parameters": {"first_name": "{{ customer.first_name }}"},
                    }
                },
                "sms": {"it": {"text": REMINDER_SMS}},
            },
        ),
        (
            "Offerta luce",
            "advertise",
            {"whatsapp": {"it": {"text": offer}}, "sms": {"it": {"text": offer}}},
        ),
    ):
        version = do_create_template(
            session,
            people[0],
            name=name,
            purpose=purpose,
            variant_kinds=list(variants),
            locales=["it"],
            schema=first_name,
            variants=variants,
        )
        do_submit_version(session, people[0], version.template_id, 1)
        do_approve_version(session, people[1], version.template_id, 1, "Conforme.")
    session.commit()
    session.close()
    assert conversation_id is not None
    return conversation_id


def test_outside_the_whatsapp_window_an_approved_template_is_sent_and_one_inserted_by_sms(
    page: Page, base_url: str, rosa: uuid.UUID
) -> None:
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    sign_in(page, base_url)
    page.goto(f"{base_url}/conversations/{rosa}")
    composer = page.locator("#composer")
    expect(composer.get_by_label("Canale")).to_have_value("whatsapp")
    expect(page.locator("#composer-text")).to_be_disabled()
    # Templates only: a section of their own, written for Rosa.
    templates = page.get_by_role("region", name="Modelli approvati per WhatsApp")
    expect(templates).to_be_visible()
    reminder = templates.locator(".tpl", has_text="Sollecito di pagamento")
    expect(reminder).to_contain_text("Gentile Rosa, la bolletta di marzo risulta da pagare.")
    expect(reminder).to_contain_text("sollecito_pagamento")
    expect(reminder.get_by_role("button", name="Inserisci")).to_have_count(0)
    offer = templates.locator(".tpl", has_text="Offerta luce")
    expect(offer.get_by_role("button", name="Invia Offerta luce")).to_be_disabled()
    expect(offer).to_contain_text("registrato presso Meta")

    reminder.get_by_role("button", name="Invia Sollecito di pagamento").click()
    sent = page.locator(".timeline .tl", has_text="Gentile Rosa, la bolletta di marzo")
    expect(sent).to_be_visible()
    expect(sent).to_contain_text("In coda")
    expect(sent.locator(".tl__channel")).to_have_text("WhatsApp")
    expect(page).to_have_url(re.compile(rf"/conversations/{rosa}"))

    # SMS takes free text: the templates wait behind a disclosure, loaded when opened, and one
    # can be inserted into the message and edited before it is sent.
    page.locator("#composer-channel").select_option("sms")
    expect(page.locator("#composer-text")).to_be_enabled()
    disclosure = page.locator("details#composer-templates")
    expect(disclosure).not_to_have_attribute("open", "")
    disclosure.locator("summary").click()
    inserted = disclosure.locator(".tpl", has_text="Sollecito di pagamento")
    expect(inserted).to_contain_text("Gentile Rosa, la bolletta di marzo risulta da pagare:")
    inserted.get_by_role("button", name="Inserisci Sollecito di pagamento").click()
    text = page.locator("#composer-text")
    expect(text).to_be_focused()
    expect(text).to_have_value(
        re.compile(r"^Gentile Rosa, la bolletta di marzo .* Energia Chiara$")
    )
    text.press("End")
    text.press_sequentially(" A presto!")
    page.locator("#composer").get_by_role("button", name="Invia", exact=True).click()
    reply = page.locator(".timeline .tl", has_text="Energia Chiara A presto!")
    expect(reply).to_be_visible()
    expect(reply).to_contain_text("In coda")
    expect(reply.locator(".tl__channel")).to_have_text("SMS")
    assert not refused, refused


def test_a_template_is_sent_without_javascript(
    browser: Browser, base_url: str, rosa: uuid.UUID
) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 720}, locale="it-IT"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, base_url)
        page.goto(f"{base_url}/conversations/{rosa}?channel=sms")
        # The disclosure's link opens the page with the list (no htmx to load it).
        page.locator("#composer-templates summary").click()
        page.get_by_role("link", name="Mostra i modelli scritti per questo cliente").click()
        reminder = page.locator("#composer-templates .tpl", has_text="Sollecito di pagamento")
        expect(reminder).to_contain_text("Gentile Rosa")
        # Insert needs the script: hidden here.
        expect(
            reminder.get_by_role("button", name="Inserisci Sollecito di pagamento")
        ).to_be_hidden()
        reminder.get_by_role("button", name="Invia Sollecito di pagamento").click()
        expect(page).to_have_url(re.compile(rf"/conversations/{rosa}\?channel=sms#composer"))
        sent = page.locator(".tl", has_text="Gentile Rosa, la bolletta di marzo risulta da pagare:")
        expect(sent).to_contain_text("In coda")
    finally:
        context.close()
