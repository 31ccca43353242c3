"""The communication studio in a real browser: a designer creates a payment reminder with SMS,
WhatsApp and email variants, checks them side by side in their channels' frames with Italian
formatting, submits it; a compliance officer approves it with a comment."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from sqlalchemy import Engine, select

from unisono.db import session_factory
from unisono.models import Operator, Role, Template
from unisono.security.actor import Actor
from unisono.security.operators import do_create_operator
from unisono.studio import templates

pytestmark = pytest.mark.e2e

PASSWORD = "studio-milano-2026"
DESIGNER = "dario.designer@energiachiara.it"
COMPLIANCE = "carla.conformita@energiachiara.it"
DUE_IT = "la bolletta di {{ invoice.amount|money }} scade il {{ invoice.due_date|date }}."
DUE_EN = "your bill of {{ invoice.amount|money }} is due on {{ invoice.due_date|date }}."
WHATSAPP = {
    "template_name": "sollecito_bolletta",
    "category": "UTILITY",
    "body": "Gentile {{first_name}}, la bolletta di {{amount}} scade presto.",
    "parameters": {
        "first_name": "{{ customer.first_name }}",
        "amount": "{{ invoice.amount|money }}",
    },
    "buttons": [
        {"type": "QUICK_REPLY", "text": "Ho già pagato"},
        {"type": "QUICK_REPLY", "text": "Stop"},
    ],
}
EMAIL_IT = {
    "subject": "La tua bolletta, {{ customer.first_name }}",
    "html": "<p>Gentile {{ customer.first_name }}, " + DUE_IT + "</p>",
    "text": "Gentile {{ customer.first_name }}, " + DUE_IT,
}
EMAIL_EN = {
    "subject": "Your bill, {{ customer.first_name }}",
    "html": "<p>Dear {{ customer.first_name }}, " + DUE_EN + "</p>",
    "text": "Dear {{ customer.first_name }}, " + DUE_EN,
}


def people(engine: Engine) -> dict[str, Operator]:
    with session_factory(engine)() as session:
        made = {
            "designer": do_create_operator(
                session, DESIGNER, name="Dario Designer", role=Role.DESIGNER, password=PASSWORD
            ),
            "compliance": do_create_operator(
                session,
                COMPLIANCE,
                name="Carla Conformità",
                role=Role.COMPLIANCE,
                password=PASSWORD,
            ),
        }
        session.commit()
        return made


def sign_in_as(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("link", name="Studio")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Esci").click()
    expect(page).to_have_url(re.compile(r"/login"))


def the_other_variants(engine: Engine, template_id: uuid.UUID, designer: Operator) -> None:
    """WhatsApp and email as the designer would type them (their JSON fields are the API's
    business): the SMS and the data schema go through the editor's form."""
    with session_factory(engine)() as session:
        version = templates.get_version(session, template_id, 1)
        variants: dict[str, Any] = {
            **version.variants,
            "whatsapp": {
                "it": WHATSAPP,
                "en": {**WHATSAPP, "body": "Dear {{first_name}}, your bill of {{amount}} is due."},
            },
            "email": {"it": EMAIL_IT, "en": EMAIL_EN},
        }
        templates.do_edit_version(
            session, Actor(operator=designer, via="test"), template_id, 1, variants=variants
        )
        session.commit()


def test_design_preview_side_by_side_and_approve(page: Page, base_url: str, engine: Engine) -> None:
    team = people(engine)
    refused: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        # A CSP violation shows up as a console error: the page must need no inline code.
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            refused.append(message.text)

    page.on("console", watch)

    # --- the designer creates the template through the form --------------------------------
    sign_in_as(page, base_url, DESIGNER)
    page.get_by_role("link", name="Studio").click()
    expect(page.get_by_role("heading", name="Studio delle comunicazioni")).to_be_visible()
    form = page.locator("#new-template")
    form.get_by_label("Nome").fill("Sollecito bolletta")
    form.get_by_label("Finalità").select_option("payment_reminder")
    for channel in ("SMS", "WhatsApp", "Email"):
        form.get_by_label(channel, exact=True).check()
    form.get_by_label("Inglese").check()
    form.get_by_role("button", name="Crea il modello").click()
    expect(page.get_by_role("status")).to_contain_text("Il modello è stato creato")
    expect(page.get_by_role("heading", name=re.compile("Versione 1"))).to_be_visible()

    # The data schema as rows, and the SMS in both languages.
    rows = page.locator(".schema-row")
    for index, (name, kind, sample) in enumerate(
        [
            ("customer.first_name", "str", "Maria"),
            ("invoice.amount", "money", "412.30 EUR"),
            ("invoice.due_date", "date", "2026-12-01"),
        ]
    ):
        row = rows.nth(index)
        row.locator("input[name=var_name]").fill(name)
        row.locator("select[name=var_type]").select_option(kind)
        row.locator("input[name=var_sample]").fill(sample)
    page.get_by_role("button", name="Aggiungi una variabile").click()
    expect(rows).to_have_count(4)
    page.locator("#f-sms-it-text").fill("Gentile {{ customer.first_name }}, " + DUE_IT)
    page.locator("#f-sms-en-text").fill("Dear {{ customer.first_name }}, " + DUE_EN)
    page.get_by_role("button", name="Salva la bozza").click()
    expect(page.get_by_role("status")).to_contain_text("La bozza è stata salvata.")

    with session_factory(engine)() as session:
        template_id = session.scalar(
            select(Template.id).where(Template.name == "Sollecito bolletta")
        )
    assert template_id is not None
    the_other_variants(engine, template_id, team["designer"])

    # --- the side-by-side preview ---------------------------------------------------------------
    page.reload()
    page.get_by_role("link", name="Anteprima affiancata").click()
    expect(
        page.get_by_role("heading", name=re.compile("Anteprima: Sollecito bolletta"))
    ).to_be_visible()
    sms = page.locator(".pv--sms")
    expect(sms.locator(".bubble--sms")).to_have_text(
        re.compile(r"Gentile Maria, la bolletta di € 412,30 scade il 1 dic 2026\.")
    )
    expect(sms.locator(".pv-sms-segments")).to_have_text("1")
    expect(sms.locator(".pv-sms-encoding")).to_have_text("GSM-7")
    whatsapp = page.locator(".pv--whatsapp")
    expect(whatsapp.locator(".bubble--wa").first).to_contain_text(
        re.compile(r"Gentile Maria, la bolletta di € 412,30 scade presto\.")
    )
    expect(whatsapp.locator(".wa-buttons li")).to_have_text(["Ho già pagato", "Stop"])
    expect(whatsapp.locator(".pv-wa-category")).to_have_text("UTILITY")
    email = page.locator(".pv--email")
    expect(email.locator(".pv-mail__subject")).to_have_text("La tua bolletta, Maria")
    frame = page.frame_locator(".pv-mail__frame")
    expect(frame.locator("body")).to_contain_text(re.compile(r"€\s412,30 scade il 1\sdic 2026"))
    for card in (sms, whatsapp, email):
        expect(card.locator(".pv__findings")).to_be_visible()
    # The frames sit side by side (a row of the grid holds two variants at this width).
    email_box, sms_box = email.bounding_box(), sms.bounding_box()
    assert email_box is not None
    assert sms_box is not None
    assert abs(email_box["y"] - sms_box["y"]) < 5

    # English, then back.
    page.get_by_role("link", name="Inglese").click()
    expect(sms.locator(".bubble--sms")).to_contain_text("Dear Maria, your bill of €412.30")
    page.get_by_role("link", name="Italiano").click()
    expect(sms.locator(".bubble--sms")).to_contain_text("Gentile Maria")

    # --- submit, and the designer cannot approve -----------------------------------------------
    page.get_by_role("link", name=re.compile("Sollecito bolletta · Versione 1")).click()
    page.get_by_role("button", name="Invia in revisione").click()
    expect(page.get_by_role("status")).to_contain_text("La versione è stata inviata in revisione.")
    expect(page.locator(".studio-note")).to_contain_text("In attesa di revisione")
    expect(page.get_by_role("button", name="Approva")).to_have_count(0)
    sign_out(page)

    # --- compliance approves with a comment -----------------------------------------------------
    sign_in_as(page, base_url, COMPLIANCE)
    page.goto(f"{base_url}/studio")
    page.get_by_role("link", name="Sollecito bolletta").click()
    page.get_by_role("link", name="Versione 1").click()
    page.get_by_label("Il tuo commento (obbligatorio)").fill("Testo chiaro, importi corretti.")
    page.get_by_role("button", name="Approva").click()
    expect(page.get_by_role("status")).to_contain_text("La versione è stata approvata")
    expect(page.locator("h1 .vstatus")).to_have_text("Approvata")
    expect(page.locator(".studio-comment")).to_contain_text("Testo chiaro, importi corretti.")
    page.get_by_role("link", name="Sollecito bolletta").click()
    page.get_by_role("link", name="Storico").first.click()
    history = page.locator(".history-row")
    expect(history.first).to_contain_text("Carla Conformità")
    expect(history.first).to_contain_text("Approvata")
    assert refused == []
