"""The webhook worker's batches: many deliveries in one transaction, each isolated from the others.

Deliveries come in through the real intake (signed WhatsApp webhooks over HTTP), then one call
of ``process_webhooks`` processes them together, as the worker does under a burst.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from tests.channels.conftest import MakeChannel, rows
from unisono.channels.signatures import meta_signature
from unisono.db import session_factory
from unisono.identity.normalize import normalize_handle
from unisono.identity.resolve import resolve_customer
from unisono.integrations.events import do_create_subscription
from unisono.jobs.worker import process_webhooks
from unisono.models import (
    AuditEvent,
    Conversation,
    Customer,
    EventDelivery,
    Interaction,
    WebhookDelivery,
    WebhookStatus,
)
from unisono.security.actor import SYSTEM

SECRET = "whatsapp-app-secret"
CREDENTIALS = {
    "app_secret": SECRET,
    "verify_token": "verifica-123",
    "access_token": "EAAG-test-token",
    "phone_number_id": "106540352242922",
}
MARIA = "393331234567"
LUCA = "393479876543"

Message = tuple[str, str, str]  # sender, wamid, text
Post = Callable[..., None]


def body(*messages: Message, at: int | None = None) -> bytes:
    """A WhatsApp Cloud API webhook carrying ``messages`` (sender, wamid, text)."""
    timestamp = str(at if at is not None else int(time.time()) - 60)
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "contacts": [
            {"profile": {"name": f"Cliente {s[-4:]}"}, "wa_id": s} for s, _, _ in messages
        ],
        "messages": [
            {"from": s, "id": w, "timestamp": timestamp, "type": "text", "text": {"body": t}}
            for s, w, t in messages
        ],
    }
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(payload).encode()


@pytest.fixture
def post(client: TestClient, make_channel: MakeChannel) -> Post:
    """``post(body)``: one signed webhook through the intake, stored for the worker."""
    channel = make_channel("whatsapp", credentials=CREDENTIALS)

    def send(content: bytes) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": meta_signature(SECRET, content),
        }
        response = client.post(f"/webhooks/whatsapp/{channel.id}", content=content, headers=headers)
        assert response.status_code == 200

    return send


def deliveries(session: Session) -> list[WebhookDelivery]:
    return sorted(rows(session, WebhookDelivery), key=lambda d: d.created_at)


def count(session: Session, model: type) -> int:
    session.rollback()
    found = int(session.scalar(select(func.count()).select_from(model)) or 0)
    session.rollback()
    return found


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_batch_lands_as_its_deliveries_would_one_by_one(
    post: Post, engine: Engine, session: Session
) -> None:
    known, _, _ = resolve_customer(session, normalize_handle("phone", "+" + LUCA))
    do_create_subscription(session, SYSTEM, url="https://example.com/hook", events=["*"])
    session.commit()
    for n in range(3):
        post(body((MARIA, f"wamid.M{n}", f"Maria {n}")))
        post(body((LUCA, f"wamid.L{n}", f"Luca {n}")))
    assert process_webhooks(session_factory(engine)) == 6
    assert [d.status for d in deliveries(session)] == [WebhookStatus.PROCESSED] * 6
    assert all(d.summary["created"] == 1 and d.attempts == 1 for d in deliveries(session))
    interactions = rows(session, Interaction)
    assert len(interactions) == 6
    by_sender = {i.text.split()[0]: i.customer_id for i in interactions}
    assert by_sender["Luca"] == known.id
    assert count(session, Customer) == 2
    assert count(session, Conversation) == 2
    assert len({i.conversation_id for i in interactions}) == 2
    audited = [a for a in rows(session, AuditEvent) if a.action == "interaction.ingested"]
    assert sorted(a.entity_id for a in audited) == sorted(str(i.id) for i in interactions)
    events = [e.event_type for e in rows(session, EventDelivery)]
    assert sorted(events) == ["conversation.created"] * 2 + ["message.created"] * 6


def test_a_redelivery_in_the_same_batch_is_stored_once(
    post: Post, engine: Engine, session: Session
) -> None:
    same = body((MARIA, "wamid.TWICE", "ciao"))
    post(same)
    post(same)
    assert process_webhooks(session_factory(engine)) == 2
    assert [d.summary["created"] for d in deliveries(session)] == [1, 0]
    assert count(session, Interaction) == 1


def test_a_refused_only_message_changes_nothing_and_its_delivery_is_processed(
    post: Post, engine: Engine, session: Session
) -> None:
    post(body((MARIA, "wamid.FUTURE", "dal futuro"), at=int(time.time()) + 86_400))
    post(body((LUCA, "wamid.NOW", "adesso")))
    assert process_webhooks(session_factory(engine)) == 2
    future, now = deliveries(session)
    assert future.status == WebhookStatus.PROCESSED
    assert future.summary["created"] == 0
    assert future.summary["rejected"] == ["wamid.FUTURE: occurred_at is in the future"]
    assert now.summary == {**now.summary, "created": 1, "rejected": []}
    # Nothing of the refused message is left: no customer for its sender.
    assert [i.external_id for i in rows(session, Interaction)] == ["wamid.NOW"]
    assert count(session, Customer) == 1


def test_a_refused_message_does_not_hold_back_the_others_of_its_delivery(
    post: Post, engine: Engine, session: Session
) -> None:
    post(body((MARIA, "wamid.A", "uno"), (LUCA, "wamid.B", "x" * 100_001)))
    assert process_webhooks(session_factory(engine)) == 1
    (delivery,) = deliveries(session)
    assert delivery.status == WebhookStatus.PROCESSED
    assert delivery.summary["created"] == 1
    assert delivery.summary["rejected"] == ["wamid.B: text is longer than 100000 characters"]
    assert [i.external_id for i in rows(session, Interaction)] == ["wamid.A"]


def test_a_failing_delivery_is_undone_alone_and_can_be_replayed(
    post: Post, engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from unisono.inbox import webhooks

    def fail_on_the_second_message(
        session: Session, actor: Any, channel: Any, message: Any, *rest: Any
    ) -> bool:
        created = ingest(session, actor, channel, message, *rest)
        if message.external_id == "wamid.BAD2":
            raise RuntimeError("database hiccup")
        return created

    ingest = webhooks._ingest
    monkeypatch.setattr(webhooks, "_ingest", fail_on_the_second_message)
    post(body((MARIA, "wamid.OK1", "prima")))
    post(body((LUCA, "wamid.BAD1", "uno"), (LUCA, "wamid.BAD2", "due")))
    post(body((MARIA, "wamid.OK2", "dopo")))
    assert process_webhooks(session_factory(engine)) == 3
    first, failed, last = deliveries(session)
    assert (first.status, last.status) == (WebhookStatus.PROCESSED, WebhookStatus.PROCESSED)
    assert failed.status == WebhookStatus.FAILED
    assert "database hiccup" in (failed.error or "")
    # The failed delivery's first message, stored before the failure, was rolled back with it.
    assert sorted(i.external_id for i in rows(session, Interaction)) == ["wamid.OK1", "wamid.OK2"]
    assert count(session, Customer) == 1
    monkeypatch.undo()
    assert webhooks.do_replay(session) == 1
    session.commit()
    assert process_webhooks(session_factory(engine)) == 1
    assert deliveries(session)[1].status == WebhookStatus.PROCESSED
    assert deliveries(session)[1].attempts == 2
    assert count(session, Interaction) == 4


def test_a_burst_from_known_senders_costs_a_few_statements_per_delivery(
    post: Post, engine: Engine, session: Session
) -> None:
    for n in range(25):
        post(body((MARIA if n % 2 else LUCA, f"wamid.W{n}", f"primo giro {n}")))
    assert process_webhooks(session_factory(engine)) == 25
    for n in range(25):
        post(body((MARIA if n % 2 else LUCA, f"wamid.X{n}", f"secondo giro {n}")))
    with statements(engine) as seen:
        assert process_webhooks(session_factory(engine)) == 25
    assert count(session, Interaction) == 50
    # Per delivery: its savepoint, the customer's active conversation, the interaction, its
    # event and audit rows; the batch's outcomes go in one statement (was 20 before the
    # batches looked ahead, 8.4 before the outcomes were settled together).
    assert len(seen) / 25 <= 8
