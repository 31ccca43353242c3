"""Integrators' webhooks: events written with the change, delivered signed, retried, dedupable."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.conftest import Ingest
from unisono.models import EventDelivery, EventDeliveryStatus, Operator, Role, WebhookSubscription
from unisono.sandbox.server import serve_in_thread
from unisono.security.operators import do_create_token

SECRET = "whsec_test_secret_0123456789"


class Receiver:
    """An integrator's endpoint: records requests, answers with the next queued status."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            with self.lock:
                self.requests.append({"headers": dict(request.headers), "body": body})
                status = self.statuses.pop(0) if self.statuses else 200
            return Response(status_code=status)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    target = Receiver()
    with serve_in_thread(target.app) as url:
        yield target, f"{url}/hook"


def rows(session: Session, model: type) -> list[Any]:
    session.rollback()
    found = list(session.scalars(select(model)))
    session.expunge_all()
    session.rollback()
    return found


def subscribe(api: TestClient, url: str, events: list[str]) -> dict[str, Any]:
    r = api.post(
        "/api/v1/webhook-subscriptions", json={"url": url, "events": events, "secret": SECRET}
    )
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def test_events_are_delivered_signed_with_a_stable_delivery_id(
    api: TestClient, ingest: Ingest, app: Any, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    created = subscribe(api, url, ["message.created", "conversation.status_changed"])
    assert created["secret"] == SECRET
    assert "secret" not in [
        k
        for s in api.get("/api/v1/webhook-subscriptions").json()
        for k, v in s.items()
        if v == SECRET
    ]
    message = ingest("la bolletta è sbagliata")
    api.patch(f"/api/v1/conversations/{message['conversation_id']}", json={"status": "resolved"})
    app.state.worker.drain()
    assert [json.loads(r["body"])["type"] for r in target.requests] == [
        "message.created",
        "conversation.status_changed",
    ]
    first = target.requests[0]
    payload = json.loads(first["body"])
    assert payload["data"]["text"] == "la bolletta è sbagliata"
    assert first["headers"]["x-unisono-event"] == "message.created"
    assert first["headers"]["x-unisono-delivery"] == payload["id"]
    timestamp, signature = (
        p.split("=", 1)[1] for p in first["headers"]["x-unisono-signature"].split(",")
    )
    expected = hmac.new(
        SECRET.encode(), f"{timestamp}.".encode() + first["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(signature, expected)


def test_failures_are_retried_with_the_same_id_and_410_switches_off(
    api: TestClient,
    ingest: Ingest,
    app: Any,
    session: Session,
    receiver: tuple[Receiver, str],
) -> None:
    target, url = receiver
    subscribe(api, url, ["message.created"])
    target.statuses = [503]
    ingest("primo")
    app.state.worker.drain()
    (delivery,) = [d for d in rows(session, EventDelivery) if d.event_type == "message.created"]
    assert delivery.status == EventDeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.last_status_code == 503
    assert delivery.next_attempt_at is not None
    # Make it due now and deliver again: same delivery id, then success.
    row = session.get_one(EventDelivery, delivery.id)
    row.next_attempt_at = None
    session.commit()
    session.expunge_all()
    app.state.worker.drain()
    ids = {
        r["headers"]["x-unisono-delivery"]
        for r in target.requests
        if json.loads(r["body"])["type"] == "message.created"
    }
    assert ids == {str(delivery.id)}
    (retried,) = [d for d in rows(session, EventDelivery) if d.id == delivery.id]
    assert retried.status == EventDeliveryStatus.DELIVERED
    assert retried.attempts == 2
    target.statuses = [410] * 5
    ingest("secondo", value="+39 347 123 4567")
    app.state.worker.drain()
    (subscription,) = rows(session, WebhookSubscription)
    assert subscription.active is False


def test_nothing_is_published_for_a_rejected_change(
    api: TestClient, ingest: Ingest, session: Session, receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    subscribe(api, url, ["*"])
    bad = api.post(
        "/api/v1/interactions",
        json={
            "channel": "sms",
            "direction": "inbound",
            "identity": {"kind": "phone", "value": "x"},
            "occurred_at": "2026-03-02T09:00:00Z",
        },
    )
    assert bad.status_code == 422
    assert rows(session, EventDelivery) == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"url": "ftp://x", "events": ["*"]}, 422),
        ({"url": "https://x.it", "events": ["nope"]}, 422),
        ({"url": "https://x.it", "events": []}, 422),
    ],
)
def test_subscriptions_are_validated(api: TestClient, body: dict[str, Any], status: int) -> None:
    assert api.post("/api/v1/webhook-subscriptions", json=body).status_code == status


def test_only_admins_manage_subscriptions(
    client: TestClient, session: Session, make_operator: Callable[..., Operator]
) -> None:
    agent = make_operator(Role.AGENT)
    token = do_create_token(session, agent)
    session.commit()
    r = client.post(
        "/api/v1/webhook-subscriptions",
        json={"url": "https://crm.example.it/hook", "events": ["*"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 403
    assert "admin" in r.json()["detail"]
