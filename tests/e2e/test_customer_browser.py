"""The customer 360 panel in a real browser: merge and undo, phone search, a branch visit."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from tests.e2e.conftest import sign_in
from tests.e2e.sample_data import Sample
from unisono.clock import utcnow
from unisono.db import session_factory
from unisono.inbox.ingest import NewInteraction, do_ingest_interaction
from unisono.models import Direction
from unisono.security.actor import SYSTEM

pytestmark = pytest.mark.e2e

DUPLICATE_EMAIL = "laura.conti@example.it"


def duplicate_of_laura(engine: Engine) -> uuid.UUID:
    """A second profile of Laura Conti: she wrote once by email under a shorter name."""
    with session_factory(engine)() as session:
        interaction, _ = do_ingest_interaction(
            session,
            SYSTEM,
            NewInteraction(
                channel="email",
                identity_kind="email",
                identity_value=DUPLICATE_EMAIL,
                direction=Direction.INBOUND,
                text="Ho attivato la bolletta digitale, grazie.",
                occurred_at=utcnow(),
                external_id="e2e-duplicate-laura",
                customer_name="L. Conti",
            ),
        )
        session.commit()
        return interaction.customer_id


def test_merge_two_profiles_compared_side_by_side_and_undo(
    page: Page, base_url: str, sample: Sample, engine: Engine
) -> None:
    laura = sample.customers["Laura Conti"]
    duplicate = duplicate_of_laura(engine)
    sign_in(page, base_url)
    expect(page).to_have_url(base_url + "/")
    page.goto(f"{base_url}/customers/{laura}")
    card = page.locator("#profile-card")
    expect(card.get_by_role("heading", name="Laura Conti")).to_be_visible()

    card.get_by_role("link", name="Unisci con…").click()
    expect(page.get_by_role("heading", name="Unisci con…")).to_be_visible()
    page.get_by_label("Trova l'altro profilo di Laura Conti").fill(DUPLICATE_EMAIL)
    page.get_by_role("button", name="Cerca").click()
    page.get_by_role("link", name="Confronta L. Conti").click()

    # Side by side: the profile that stays, then the one merged into it.
    statement = page.locator(".merge-statement")
    expect(statement).to_contain_text("L. Conti sarà unito a Laura Conti: resta Laura Conti.")
    sides = page.locator(".compare__side")
    expect(sides).to_have_count(2)
    expect(sides.nth(0)).to_contain_text("Resta")
    expect(sides.nth(0).get_by_role("heading", level=2)).to_have_text("Laura Conti")
    expect(sides.nth(1).get_by_role("heading", level=2)).to_have_text("L. Conti")
    expect(sides.nth(1)).to_contain_text(DUPLICATE_EMAIL)
    page.get_by_role("button", name="Unisci a Laura Conti").click()

    expect(page).to_have_url(re.compile(rf"/customers/{laura}\?merged="))
    banner = page.get_by_role("status").filter(has_text="è stato unito a questo profilo")
    expect(banner).to_contain_text("L. Conti è stato unito a questo profilo.")
    contacts = page.locator("#profile-card .identities")
    expect(contacts).to_contain_text(DUPLICATE_EMAIL)
    expect(page.locator(".customer__main")).to_contain_text("Ho attivato la bolletta digitale")

    banner.get_by_role("button", name="Annulla").click()
    expect(page).to_have_url(re.compile(rf"/customers/{laura}\?unmerged="))
    expect(page.get_by_role("status")).to_contain_text("L'unione è stata annullata.")
    expect(contacts).not_to_contain_text(DUPLICATE_EMAIL)
    expect(page.locator(".customer__main")).not_to_contain_text("Ho attivato la bolletta digitale")

    page.get_by_role("link", name="Apri L. Conti").click()
    expect(page).to_have_url(f"{base_url}/customers/{duplicate}")
    expect(page.locator("#profile-card").get_by_role("heading", name="L. Conti")).to_be_visible()
    expect(page.locator("#profile-card .identities")).to_contain_text(DUPLICATE_EMAIL)
    expect(page.get_by_text("Questo profilo è stato unito a un altro.")).to_have_count(0)
    expect(page.locator(".customer__main")).to_contain_text("Ho attivato la bolletta digitale")


def test_a_phone_written_differently_finds_the_customer(
    page: Page, base_url: str, sample: Sample
) -> None:
    sign_in(page, base_url)
    expect(page).to_have_url(base_url + "/")
    page.get_by_role("link", name="Clienti").first.click()
    expect(page.get_by_role("heading", name="Clienti")).to_be_visible()
    page.get_by_label("Cerca clienti").fill("0039 333 1234567")
    page.get_by_role("button", name="Cerca").click()

    rows = page.locator("tr.customer-row")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Maria Rossi")
    expect(rows).to_contain_text("+39 333 123 4567")
    rows.get_by_role("link", name="Maria Rossi").click()
    expect(page).to_have_url(f"{base_url}/customers/{sample.customers['Maria Rossi']}")


def test_a_branch_visit_recorded_from_the_form_is_on_the_timeline(
    page: Page, base_url: str, sample: Sample
) -> None:
    sign_in(page, base_url)
    expect(page).to_have_url(base_url + "/")
    page.goto(f"{base_url}/customers/{sample.customers['Giorgio Ferrari']}")
    form = page.locator("#branch-visit")
    form.get_by_text("Registra una visita allo sportello").click()
    form.get_by_label("Sportello").fill("Sportello Milano Centrale")
    form.get_by_label("Personale").fill("Anna Bruni")
    form.get_by_label("Motivo").fill("Allaccio del gas dopo il trasloco")
    form.get_by_label("Esito").fill("Appuntamento fissato con il tecnico")
    form.get_by_role("button", name="Registra visita").click()

    expect(page).to_have_url(re.compile(r"#timeline-title$"))
    visit = page.locator(".customer__main .tl", has_text="Sportello Milano Centrale").first
    expect(visit).to_be_visible()
    expect(visit.locator(".tl__channel")).to_have_text("Visita allo sportello")
    expect(visit).to_contain_text("Allaccio del gas dopo il trasloco")
    expect(visit).to_contain_text("Appuntamento fissato con il tecnico")
    expect(visit).to_contain_text("Anna Bruni")
    # The newest item of the timeline: the visit took place just now.
    expect(page.locator(".customer__main .tl").first).to_contain_text("Sportello Milano Centrale")


def test_a_home_visit_scheduled_then_its_outcome_from_the_timeline(
    page: Page, base_url: str, sample: Sample
) -> None:
    sign_in(page, base_url)
    expect(page).to_have_url(base_url + "/")
    page.goto(f"{base_url}/customers/{sample.customers['Giorgio Ferrari']}")
    form = page.locator("#home-visit")
    form.get_by_text("Programma una visita a domicilio").click()
    in_two_days = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT10:00")
    form.get_by_label("Giorno e ora").fill(in_two_days)
    form.get_by_label("Indirizzo").fill("Via Padova 8, Milano")
    form.get_by_label("Motivo").fill("Allaccio del gas")
    form.get_by_role("button", name="Programma visita").click()

    visit = page.locator(".customer__main .tl", has_text="Via Padova 8, Milano").first
    expect(visit).to_contain_text("Programmata")
    outcome = visit.locator(".visit-outcome")
    outcome.get_by_text("Registra l'esito").click()
    outcome.get_by_label("Effettuata").check()
    outcome.get_by_label("Esito").fill("Gas allacciato, contatore sigillato")
    outcome.get_by_role("button", name="Salva l'esito").click()

    done = page.locator(".customer__main .tl", has_text="Gas allacciato, contatore sigillato")
    expect(done).to_contain_text("Visita a domicilio effettuata")
    expect(done.locator(".visit-outcome")).to_have_count(0)
