"""The console in a real browser: sign in, read the inbox, open a customer's timeline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.e2e.conftest import sign_in
from tests.e2e.sample_data import OPERATOR_EMAIL, Sample
from unisono.models import Operator

pytestmark = pytest.mark.e2e


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_an_operator_reads_a_customer_timeline_across_channels(
    page: Page, base_url: str, sample: Sample
) -> None:
    sign_in(page, base_url)
    expect(page).to_have_url(base_url + "/")
    expect(page.get_by_role("heading", name="Casella")).to_be_visible()
    row = page.locator("tr.inbox__row", has_text="Maria Rossi")
    expect(row).to_be_visible()
    expect(row.get_by_text("Il tecnico è passato stamattina")).to_be_visible()
    expect(row.locator(".chan", has_text="WhatsApp")).to_have_count(1)
    expect(row.locator(".status")).to_have_text("Aperta")
    expect(row.locator(".prio")).to_have_text("Alta")
    # Resolved conversations wait in their own tab.
    expect(page.locator("tr.inbox__row", has_text="Marco Gallo")).to_have_count(0)
    assert no_horizontal_scroll(page)

    # Anywhere on the row opens the conversation: the name's link covers the whole row, so the
    # click on the waiting time must land on it (force: Playwright sees the cell covered).
    row.locator(".c-waiting").click(force=True)
    expect(page).to_have_url(f"{base_url}/conversations/{sample.conversations['Maria Rossi']}")
    expect(page.get_by_role("heading", name="Maria Rossi")).to_be_visible()
    expect(page.locator(".alert strong", has_text="Cliente vulnerabile")).to_be_visible()
    timeline = page.locator(".customer__main")
    expect(timeline.get_by_text("la bolletta è sbagliata: 412 euro")).to_be_visible()
    expect(timeline.get_by_text("scrivo per mia madre Maria Rossi")).to_be_visible()
    expect(timeline.locator(".tl__channel", has_text="WhatsApp").first).to_be_visible()
    expect(timeline.locator(".tl__channel", has_text="Email")).to_have_count(1)
    expect(timeline.locator(".tl__channel", has_text="Telefonata")).to_have_count(1)
    expect(timeline.get_by_text("5:12")).to_be_visible()  # the call's duration
    # The bill went out before the conversation started: on the timeline, not in the case.
    letter = timeline.locator(".tl", has_text="Bolletta luce gennaio-febbraio")
    expect(letter).not_to_have_class(re.compile("is-selected"))
    expect(timeline.locator(".tl.is-selected")).to_have_count(6)
    assert no_horizontal_scroll(page)

    page.get_by_role("link", name="Casella").first.click()
    expect(page).to_have_url(base_url + "/")


def test_wrong_credentials_show_an_error_on_the_form(
    page: Page, base_url: str, sample: Sample
) -> None:
    sign_in(page, base_url, password="not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("Email o password errate")
    expect(page.get_by_label("Email")).to_have_value(OPERATOR_EMAIL)
    expect(page.get_by_label("Password")).to_have_value("")


def test_switching_language_and_signing_out(page: Page, base_url: str, sample: Sample) -> None:
    sign_in(page, base_url)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(page.locator("tr.inbox__row", has_text="Maria Rossi").locator(".prio")).to_have_text(
        "High"
    )
    page.goto(f"{base_url}/conversations/{sample.conversations['Giorgio Ferrari']}")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    for channel in ("SMS", "WhatsApp", "Phone call"):
        expect(page.locator(".tl__channel", has_text=channel)).to_have_count(1)
    page.get_by_role("button", name="Italiano").click()
    expect(page.get_by_role("heading", name="Cronologia")).to_be_visible()

    page.get_by_role("button", name="Esci").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(base_url + "/")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_the_inbox_fits_a_tablet(page: Page, base_url: str, sample: Sample) -> None:
    page.set_viewport_size({"width": 820, "height": 1180})
    sign_in(page, base_url)
    expect(page.locator("tr.inbox__row", has_text="Maria Rossi")).to_be_visible()
    assert no_horizontal_scroll(page)
    page.locator("tr.inbox__row", has_text="Maria Rossi").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Cronologia")).to_be_visible()
    assert no_horizontal_scroll(page)


def test_an_administrators_top_bar_fits_a_tablet(
    page: Page, base_url: str, sample: Sample, session: Session
) -> None:
    # Administrators see every section of the navigation: the widest top bar.
    session.execute(update(Operator).where(Operator.email == OPERATOR_EMAIL).values(role="admin"))
    session.commit()
    session.close()
    page.set_viewport_size({"width": 820, "height": 1180})
    sign_in(page, base_url)
    expect(page.get_by_role("link", name="Studio")).to_be_visible()
    expect(page.get_by_role("link", name="Supervisione")).to_be_visible()
    assert no_horizontal_scroll(page)
