"""Webchat fixtures: a configured webchat channel and the app with the webchat router."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from tests.channels.conftest import MakeChannel
from unisono.models import Channel
from unisono.web.app import create_app
from unisono.web.webchat import router

SITE_KEY = "energia-chiara-site-key-0123456789"
ORIGIN = "https://www.energiachiara.it"


@pytest.fixture
def channel(make_channel: MakeChannel) -> Channel:
    return make_channel(
        "webchat", credentials={"site_key": SITE_KEY}, settings={"allowed_origins": [ORIGIN]}
    )


@pytest.fixture
def app(engine: Engine) -> Any:
    """The app as ``web/app.py`` will build it once the webchat router is included there."""
    app = create_app(engine)
    if not any(getattr(r, "path", None) == "/widget.js" for r in app.routes):
        app.include_router(router)
    # Replies reach the test's socket within a few hundredths of a second.
    app.state.webchat_poll_seconds = 0.05
    return app
