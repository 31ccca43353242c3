"""Browser test fixtures: Debian's Chromium through Playwright, the app served on a free port.

A failing test leaves a screenshot of its page in ``test-results/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.e2e.browser import chromium_missing, launch_chromium
from tests.e2e.sample_data import OPERATOR_EMAIL, OPERATOR_PASSWORD, Sample, load_sample
from tests.e2e.server import running_app

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    # Kept on the item so the page fixture knows, at teardown, whether the test failed.
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    problem = chromium_missing()
    if problem:
        if IN_CI:
            pytest.fail(f"{problem} (CI=true requires the browser tests)")
        pytest.skip(problem)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = launch_chromium(playwright)
    yield browser
    browser.close()


@pytest.fixture
def base_url(backend: str, engine: Engine) -> Iterator[str]:
    """The app on the test's fresh database, served over HTTP on 127.0.0.1."""
    if backend != "sqlite":
        pytest.skip("the browser tests run on SQLite; the API tests cover PostgreSQL")
    with running_app(engine) as url:
        yield url


@pytest.fixture
def page(browser: Browser, base_url: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    # After base_url: the page (and the live stream it holds open) closes before the server
    # stops, which would otherwise wait for the stream.
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="it-IT")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        RESULTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def sample(session: Session) -> Sample:
    """The sample customers, conversations and operator of tests/e2e/sample_data.py."""
    sample = load_sample(session)
    session.close()  # nothing left open: on SQLite the server needs the write lock
    return sample


def sign_in(page: Page, base_url: str, password: str = OPERATOR_PASSWORD) -> None:
    """Sign the sample operator in through the login form (the console starts in Italian)."""
    page.goto(base_url + "/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("Email").fill(OPERATOR_EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Accedi").click()
