"""Email fixtures: raw messages, a configured email channel, the gateway and an SMTP server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.channels.conftest import MakeChannel
from unisono.channels.email.gateway import mail_gateway
from unisono.models import Channel
from unisono.sandbox.email import SandboxSMTP

HERE = Path(__file__).parent
ADDRESS = "assistenza@energiachiara.it"


def eml(name: str) -> bytes:
    """A fixture message as stored on disk (LF line ends; the parser takes CRLF alike)."""
    return (HERE / name).read_bytes()


def rows(session: Session, model: type) -> list[Any]:
    """Fresh rows, detached: touching them later opens no transaction (which would hold
    SQLite's write lock against the gateway and the worker)."""
    session.rollback()
    # Objects this session already holds (committed, so not expired) would come back stale.
    found: list[Any] = list(
        session.scalars(select(model).execution_options(populate_existing=True))
    )
    session.expunge_all()
    session.rollback()
    return found


@pytest.fixture
def smtp_server() -> Iterator[SandboxSMTP]:
    """A local SMTP server on a free port that keeps what it is sent (``.messages``)."""
    with SandboxSMTP(credentials_ok=lambda login, password: password == "segreta") as server:
        yield server


MakeEmailChannel = Callable[..., Channel]


@pytest.fixture
def make_email_channel(make_channel: MakeChannel, smtp_server: SandboxSMTP) -> MakeEmailChannel:
    """An email channel sending through ``smtp_server``; override credentials or settings."""

    def make(
        address: str = ADDRESS,
        settings: dict[str, Any] | None = None,
        name: str = "Energia Chiara",
        **credentials: str,
    ) -> Channel:
        host, port = smtp_server.address
        return make_channel(
            "email",
            name=name,
            credentials={
                "smtp_host": host,
                "smtp_port": str(port),
                "address": address,
                **credentials,
            },
            settings=settings or {},
        )

    return make


@pytest.fixture
def email_channel(make_email_channel: MakeEmailChannel) -> Channel:
    return make_email_channel()


@pytest.fixture
def gateway(engine: Engine) -> Iterator[tuple[str, int]]:
    """The mail gateway on a free port, storing into the test database."""
    with mail_gateway(engine, port=0, hostname="mx.test") as listener:
        yield listener.address
