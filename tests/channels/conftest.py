"""Channel test fixtures: configured channels, a live Unisono server, the sandbox providers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from unisono.inbox.channel_config import do_create_channel
from unisono.models import Channel
from unisono.sandbox.app import create_sandbox_app
from unisono.sandbox.server import serve_in_thread
from unisono.security.actor import SYSTEM
from unisono.web.app import create_app

MakeChannel = Callable[..., Channel]


@pytest.fixture
def make_channel(session: Session) -> MakeChannel:
    """``make_channel("whatsapp", credentials={...}, settings={...})`` -> a committed channel."""

    def make(
        kind: str,
        *,
        credentials: dict[str, str],
        settings: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> Channel:
        channel = do_create_channel(
            session,
            SYSTEM,
            kind=kind,
            name=name or f"{kind} di prova",
            settings=settings or {},
            credentials=credentials,
        )
        session.commit()
        return channel

    return make


@pytest.fixture
def live_unisono(engine: Engine) -> Iterator[str]:
    """Unisono served over real HTTP with its embedded worker running."""
    with serve_in_thread(create_app(engine, embedded_worker=True)) as url:
        yield url


@pytest.fixture
def sandbox(engine: Engine, live_unisono: str) -> Iterator[str]:
    """The sandbox providers, calling back the live Unisono."""
    with serve_in_thread(create_sandbox_app(engine, live_unisono, callback_delay=0.02)) as url:
        yield url


def eventually(check: Callable[[], Any], *, timeout: float = 10.0) -> Any:
    """The first truthy result of ``check``, polled until ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        time.sleep(0.05)


def api_get(base: str, token: str, path: str, **params: Any) -> Any:
    response = httpx.get(
        f"{base}{path}", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    response.raise_for_status()
    return response.json()


def rows(session: Session, model: type) -> list[Any]:
    """Fresh rows of ``model``, detached: touching them later opens no transaction (which would
    hold SQLite's write lock against the app and the worker)."""
    session.rollback()
    found: list[Any] = list(session.scalars(select(model)))
    session.expunge_all()
    session.rollback()
    return found
