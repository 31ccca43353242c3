"""Group commit of webhook deliveries: many requests, few transactions, failures kept apart."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from unisono.channels.base import HandshakeReply, WebhookRequest
from unisono.db import session_factory
from unisono.inbox.channel_config import do_create_channel
from unisono.inbox.webhook_writer import DeliveryWriter
from unisono.inbox.webhooks import CheckedWebhook, webhook_row
from unisono.models import WebhookDelivery, WebhookStatus
from unisono.security.actor import SYSTEM

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: Playwright's sync API keeps an event loop running
    in the main thread of a test process that ran the browser tests."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


OK = CheckedWebhook(HandshakeReply(status=200, body=""))


def row(channel_id: uuid.UUID, n: int, checked: CheckedWebhook = OK) -> dict[str, Any]:
    request = WebhookRequest(
        method="POST",
        url=f"https://unisono.example/webhooks/whatsapp/{channel_id}",
        headers={"content-type": "application/json", "x-forwarded-for": "10.0.0.1"},
        query={},
        body=f'{{"n": {n}}}'.encode(),
    )
    return webhook_row(channel_id, "whatsapp", request, checked)


@pytest.fixture
def channel_id(session: Session) -> uuid.UUID:
    channel = do_create_channel(
        session,
        SYSTEM,
        kind="whatsapp",
        name="WhatsApp",
        settings={},
        credentials={
            "app_secret": "s",
            "verify_token": "v",
            "access_token": "a",
            "phone_number_id": "1",
        },
    )
    session.commit()
    session.close()
    return channel.id


class CountingWriter(DeliveryWriter):
    def __init__(self, engine: Engine) -> None:
        super().__init__(session_factory(engine))
        self.transactions: list[int] = []

    def _write(self, rows: list[dict[str, Any]]) -> None:
        self.transactions.append(len(rows))
        super()._write(rows)


def test_concurrent_requests_share_transactions_and_all_are_stored(
    engine: Engine, channel_id: uuid.UUID
) -> None:
    writer = CountingWriter(engine)

    async def burst() -> None:
        await asyncio.gather(*(writer.store(row(channel_id, n)) for n in range(200)))

    run(burst())
    with session_factory(engine)() as session:
        stored = list(session.scalars(select(WebhookDelivery)))
    assert sorted(d.body for d in stored) == sorted(f'{{"n": {n}}}'.encode() for n in range(200))
    assert {d.status for d in stored} == {WebhookStatus.RECEIVED}
    assert all(d.headers == {"content-type": "application/json"} for d in stored)
    assert sum(writer.transactions) == 200
    assert len(writer.transactions) < 10  # one for the first, then the ones that queued meanwhile


def test_a_row_the_database_refuses_fails_alone(engine: Engine, channel_id: uuid.UUID) -> None:
    writer = CountingWriter(engine)
    unknown_channel = uuid.uuid4()  # the foreign key refuses it

    async def burst() -> list[BaseException | None]:
        rows = [row(channel_id, 1), row(unknown_channel, 2), row(channel_id, 3)]
        return await asyncio.gather(*(writer.store(r) for r in rows), return_exceptions=True)

    outcomes = run(burst())
    assert outcomes[0] is None
    assert outcomes[2] is None
    assert isinstance(outcomes[1], Exception)
    with session_factory(engine)() as session:
        bodies = sorted(session.scalars(select(WebhookDelivery.body)))
        assert bodies == [b'{"n": 1}', b'{"n": 3}']


def test_a_malformed_payload_is_stored_as_invalid_with_its_reason(
    engine: Engine, channel_id: uuid.UUID
) -> None:
    writer = DeliveryWriter(session_factory(engine))
    malformed = CheckedWebhook(OK.reply, malformed="entry: field required")
    run(writer.store(row(channel_id, 1, malformed)))
    # A second event loop (as the test client uses) still finds a working writer.
    run(writer.store(row(channel_id, 2)))
    with session_factory(engine)() as session:
        statuses = dict(
            session.execute(
                select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
            ).all()
        )
        invalid = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.status == WebhookStatus.INVALID)
        ).one()
    assert statuses == {WebhookStatus.INVALID: 1, WebhookStatus.RECEIVED: 1}
    assert invalid.error == "entry: field required"
