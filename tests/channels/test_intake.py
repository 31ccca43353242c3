"""The webhook intake layer: what it answers itself, what it leaves to the application."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.types import Message, Scope

from tests.channels.conftest import MakeChannel, rows
from unisono.channels.base import ParsedDelivery, WebhookRequest
from unisono.channels.signatures import meta_signature
from unisono.channels.whatsapp.provider import WhatsAppConnection
from unisono.db import make_engine, session_factory
from unisono.inbox.webhook_writer import DeliveryWriter
from unisono.inbox.webhooks import do_replay
from unisono.models import Interaction, WebhookDelivery, WebhookStatus
from unisono.web.intake import WebhookIntake, route_path, webhook_request, webhook_target

T = TypeVar("T")
SECRET = "intake-app-secret"
CREDENTIALS = {
    "app_secret": SECRET,
    "verify_token": "v",
    "access_token": "a",
    "phone_number_id": "106540352242922",
}
BODY = (
    b'{"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": '
    b'"messages", "value": {"messaging_product": "whatsapp", "messages": [{"from": '
    b'"393331234567", "id": "wamid.INTAKE1", "timestamp": "1772439000", "type": "text", '
    b'"text": {"body": "Buongiorno"}}]}}]}]}'
)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own (Playwright's sync API may hold the main one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def signed(body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(SECRET, body)}


@pytest.fixture
def channel(make_channel: MakeChannel) -> Any:
    return make_channel("whatsapp", credentials=CREDENTIALS)


def scope_for(path: str, body: bytes, query: bytes = b"") -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [
            (b"host", b"unisono.example"),
            *((k.lower().encode(), v.encode()) for k, v in signed(body).items()),
        ],
        "server": ("unisono.example", 443),
        "client": ("203.0.113.7", 50000),
    }


async def call(app: Any, scope: Scope, messages: list[Message]) -> list[Message]:
    """Drive ``app`` with ``messages`` as the request; what it sent back."""
    incoming = list(messages)
    sent: list[Message] = []

    async def receive() -> Message:
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(3600)  # a real server would wait for the next chunk
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


# -- what the intake answers -----------------------------------------------------------------


def test_a_body_over_the_limit_is_413_and_stores_nothing(
    app: Any, channel: Any, session: Session
) -> None:
    small = WebhookIntake(app, state=app.state, max_bytes=len(BODY) - 1)
    with TestClient(small, raise_server_exceptions=False) as client:
        response = client.post(
            f"/webhooks/whatsapp/{channel.id}", content=BODY, headers=signed(BODY)
        )
        assert response.status_code == 413
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "payload_too_large"
        assert rows(session, WebhookDelivery) == []
        exact = WebhookIntake(app, state=app.state, max_bytes=len(BODY))
    with TestClient(exact, raise_server_exceptions=False) as client:
        response = client.post(
            f"/webhooks/whatsapp/{channel.id}", content=BODY, headers=signed(BODY)
        )
        assert response.status_code == 200


def test_a_body_in_several_chunks_is_stored_whole(app: Any, channel: Any, session: Session) -> None:
    intake = WebhookIntake(app, state=app.state, max_bytes=1 << 20)
    thirds = [BODY[:50], BODY[50:120], BODY[120:]]
    messages: list[Message] = [
        {"type": "http.request", "body": part, "more_body": i < 2} for i, part in enumerate(thirds)
    ]
    sent = run(call(intake, scope_for(f"/webhooks/whatsapp/{channel.id}", BODY), messages))
    assert sent[0]["status"] == 200
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.body == BODY
    assert delivery.status == WebhookStatus.RECEIVED
    assert delivery.url == f"https://unisono.example/webhooks/whatsapp/{channel.id}"
    assert delivery.headers["x-hub-signature-256"] == signed(BODY)["X-Hub-Signature-256"]


def test_a_provider_that_hangs_up_mid_body_gets_nothing_stored(
    app: Any, channel: Any, session: Session
) -> None:
    intake = WebhookIntake(app, state=app.state, max_bytes=1 << 20)
    messages: list[Message] = [
        {"type": "http.request", "body": BODY[:50], "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent = run(call(intake, scope_for(f"/webhooks/whatsapp/{channel.id}", BODY), messages))
    assert sent == []
    assert rows(session, WebhookDelivery) == []


def test_the_acknowledgement_is_the_providers_own(client: TestClient, channel: Any) -> None:
    response = client.post(f"/webhooks/whatsapp/{channel.id}", content=BODY, headers=signed(BODY))
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == "0"


# -- what it leaves to the application --------------------------------------------------------


def test_other_requests_reach_the_application_or_are_told_the_address(
    client: TestClient, channel: Any, session: Session
) -> None:
    # Below /webhooks/ but naming no channel: a 404 that says what the address should be.
    for path in ("/webhooks/whatsapp/not-a-uuid", f"/webhooks/whatsapp/{channel.id}/extra"):
        response = client.post(path, content=BODY)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "/webhooks/{kind}/{channel id}" in response.json()["detail"]
    # A NUL in the query string is refused by the application, as for every other URL.
    response = client.post(
        f"/webhooks/whatsapp/{channel.id}?x=%00", content=BODY, headers=signed(BODY)
    )
    assert response.status_code == 422
    assert client.get("/healthz").json() == {"status": "ok"}
    assert rows(session, WebhookDelivery) == []


# -- parsing the path and the request --------------------------------------------------------


@given(kind=st.sampled_from(["whatsapp", "sms", "voice", "x"]), channel_id=st.uuids())
def test_a_webhook_path_names_its_kind_and_channel(kind: str, channel_id: uuid.UUID) -> None:
    assert webhook_target(f"/webhooks/{kind}/{channel_id}") == (kind, channel_id)
    assert webhook_target(f"/webhooks/{kind}/{channel_id.hex}") == (kind, channel_id)
    assert webhook_target(f"/webhooks/{kind}/{channel_id}/") is None
    assert webhook_target(f"/webhooks//{channel_id}") is None
    assert webhook_target(f"/api/webhooks/{kind}/{channel_id}") is None


def test_behind_a_proxy_prefix_the_path_below_it_is_routed() -> None:
    path = "/webhooks/sms/0190a4b2-0000-7000-8000-000000000000"
    assert route_path({"path": "/unisono" + path, "root_path": "/unisono"}) == path
    assert route_path({"path": path, "root_path": "/unisono"}) == path
    assert route_path({"path": "/unisonox" + path, "root_path": "/unisono"}) == "/unisonox" + path
    assert route_path({"path": path, "root_path": ""}) == path


@given(st.text())
def test_any_path_is_a_webhook_or_none_never_an_error(path: str) -> None:
    found = webhook_target(path)
    if found is not None:
        kind, channel_id = found
        assert path.startswith(f"/webhooks/{kind}/")
        assert isinstance(channel_id, uuid.UUID)


@given(
    query=st.text(alphabet=st.characters(codec="ascii", exclude_characters="\x00"), max_size=40),
    host=st.sampled_from([b"unisono.example", b"unisono.example:8443", b"127.0.0.1:8000"]),
)
def test_the_request_is_what_starlette_would_read(query: str, host: bytes) -> None:
    scope = scope_for("/webhooks/sms/0190a4b2-0000-7000-8000-000000000000", b"")
    scope["query_string"] = query.encode()
    scope["headers"] = [(b"host", host), (b"X-Twilio-Signature", b"abc")]
    request = webhook_request(scope, b"Body=ciao")
    starlette = Request(scope)
    assert request.url == str(starlette.url)
    assert request.query == dict(starlette.query_params)
    assert request.headers == {"host": host.decode(), "x-twilio-signature": "abc"}
    assert request.body == b"Body=ciao"


def test_a_database_that_cannot_store_gets_the_provider_a_503(
    app: Any, channel: Any, tmp_path: Path
) -> None:
    broken = make_engine(f"sqlite:///{tmp_path}/migrated-nowhere.db")  # no tables at all
    app.state.delivery_writer = DeliveryWriter(session_factory(broken))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(
            f"/webhooks/whatsapp/{channel.id}", content=BODY, headers=signed(BODY)
        )
    broken.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["code"] == "not_stored"


def test_a_parser_bug_keeps_the_delivery_for_replay_instead_of_a_5xx(
    client: TestClient, app: Any, channel: Any, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: WhatsAppConnection, request: WebhookRequest) -> ParsedDelivery:
        raise KeyError("a field the parser forgot")

    monkeypatch.setattr(WhatsAppConnection, "parse", broken)
    response = client.post(f"/webhooks/whatsapp/{channel.id}", content=BODY, headers=signed(BODY))
    assert response.status_code == 200
    app.state.worker.drain()
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.status == WebhookStatus.FAILED
    assert "a field the parser forgot" in (delivery.error or "")
    assert rows(session, Interaction) == []
    monkeypatch.undo()  # the parser is fixed: a replay puts the message on the timeline
    assert do_replay(session, [delivery.id]) == 1
    session.commit()
    session.close()
    app.state.worker.drain()
    (message,) = rows(session, Interaction)
    assert message.external_id == "wamid.INTAKE1"
