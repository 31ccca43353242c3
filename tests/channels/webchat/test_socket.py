"""The webchat endpoints through Starlette's TestClient: widget, origin, hello, frames, replies."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

import unisono.web.webchat as webchat_web
from tests.channels.conftest import rows
from tests.channels.webchat.conftest import ORIGIN, SITE_KEY
from unisono.identity.normalize import normalize_handle
from unisono.identity.resolve import resolve_customer
from unisono.inbox.webchat import MAX_FRAME_BYTES, user_hash
from unisono.models import (
    Channel,
    DeliveryStatus,
    Direction,
    Identity,
    Interaction,
    WebhookDelivery,
)

VISITOR_ID = "v-0123456789abcdef"


def ws_url(channel: Channel) -> str:
    return f"/webchat/{channel.id}/ws"


def hello(ws: WebSocketTestSession, **extra: Any) -> dict[str, Any]:
    ws.send_json({"type": "hello", "visitor_id": VISITOR_ID, **extra})
    return dict(ws.receive_json())


def next_of(ws: WebSocketTestSession, kind: str) -> dict[str, Any]:
    """The next frame of ``kind``, skipping messages the poll pushes in between."""
    while True:
        frame = dict(ws.receive_json())
        if frame["type"] == kind or frame["type"] != "message":
            return frame


def test_the_widget_is_served_small_and_plain(client: TestClient) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(response.content) < 15_000
    body = response.text
    assert "/webchat/" in body
    assert "localStorage" in body
    assert "Scrivi un messaggio" in body
    assert "Type a message" in body
    assert "import " not in body
    assert "require(" not in body


def test_webhook_posts_for_webchat_are_refused(client: TestClient, channel: Channel) -> None:
    response = client.post(f"/webhooks/webchat/{channel.id}", content=b"{}")
    assert response.status_code == 401
    assert "WebSocket" in response.json()["detail"]


@pytest.mark.parametrize("origin", [None, "https://evil.example", "http://www.energiachiara.it"])
def test_a_foreign_origin_is_refused(
    client: TestClient, channel: Channel, origin: str | None
) -> None:
    headers = {"origin": origin} if origin else {}
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(ws_url(channel), headers=headers),
    ):
        pass
    assert refused.value.code == 1008


def test_an_unknown_channel_is_refused(client: TestClient, channel: Channel) -> None:
    for path in ("/webchat/not-a-uuid/ws", "/webchat/00000000-0000-0000-0000-000000000000/ws"):
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect(path, headers={"origin": ORIGIN}),
        ):
            pass
        assert refused.value.code == 1008


def test_a_message_is_acknowledged_and_on_the_timeline(
    client: TestClient, channel: Channel, session: Session
) -> None:
    with client.websocket_connect(ws_url(channel), headers={"origin": ORIGIN}) as ws:
        assert hello(ws) == {"type": "ready", "logged_in": False}
        ws.send_json({"type": "message", "text": "La bolletta è alta", "client_id": "c1"})
        ack = next_of(ws, "ack")
        assert ack["type"] == "ack"
        assert ack["client_id"] == "c1"
        # The widget resends after a reconnect: same id back, nothing new stored.
        ws.send_json({"type": "message", "text": "La bolletta è alta", "client_id": "c1"})
        assert next_of(ws, "ack")["id"] == ack["id"]
        ws.send_json({"type": "history"})
        frame = next_of(ws, "history")
        assert [m["id"] for m in frame["messages"]] == [ack["id"]]
    [interaction] = rows(session, Interaction)
    assert str(interaction.id) == ack["id"]
    assert interaction.channel == "webchat"
    assert interaction.direction == Direction.INBOUND
    assert interaction.text == "La bolletta è alta"
    [identity] = rows(session, Identity)
    assert (identity.kind, identity.value) == ("webchat", VISITOR_ID)


def test_a_logged_in_user_is_identified_and_a_forged_one_refused(
    client: TestClient, channel: Channel, session: Session
) -> None:
    with client.websocket_connect(ws_url(channel), headers={"origin": ORIGIN}) as ws:
        ready = hello(ws, user_id="cliente-42", user_hash=user_hash(SITE_KEY, "cliente-42"))
        assert ready == {"type": "ready", "logged_in": True}
        ws.send_json({"type": "message", "text": "Ciao", "client_id": "c1"})
        assert next_of(ws, "ack")["type"] == "ack"
    assert [(i.kind, i.value) for i in rows(session, Identity)] == [("webchat_user", "cliente-42")]

    with client.websocket_connect(ws_url(channel), headers={"origin": ORIGIN}) as ws:
        error = hello(ws, user_id="cliente-43", user_hash=user_hash(SITE_KEY, "cliente-42"))
        assert error["type"] == "error"
        assert error["code"] == "refused"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1008


def test_the_first_frame_must_be_a_hello(client: TestClient, channel: Channel) -> None:
    with client.websocket_connect(ws_url(channel), headers={"origin": ORIGIN}) as ws:
        ws.send_json({"type": "message", "text": "Ciao", "client_id": "c1"})
        assert ws.receive_json()["code"] == "bad_hello"
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "bad_frame"),
        ("[1, 2]", "bad_frame"),
        ('{"type": 5}', "bad_frame"),
        ('{"type": "dance"}', "bad_frame"),
        ('{"type": "hello", "visitor_id": "v-0123456789abcdef"}', "bad_frame"),
        ('{"type": "message", "text": "", "client_id": "c"}', "invalid"),
        ('{"type": "message", "text": "ciao", "client_id": {"a": 1}}', "invalid"),
        (json.dumps({"type": "message", "text": "x" * MAX_FRAME_BYTES}), "too_large"),
        ('{"type": "identify"}', "invalid"),
        ('{"type": "identify", "email": "not-an-email"}', "invalid"),
    ],
)
def test_bad_frames_get_error_frames_and_the_socket_lives_on(
    client: TestClient, channel: Channel, frame: str, code: str
) -> None:
    with client.websocket_connect(ws_url(channel), headers={"origin": ORIGIN}) as ws:
        hello(ws)
        ws.send_text(frame)
        error = ws.receive_json()
        assert error["type"] == "error", error
        assert error["code"] == code, error
        ws.send_bytes(b"\xff\xfe")
        assert ws.receive_json()["code"] == "bad_frame"
        ws.send_json({"type": "ping"})
        assert next_of(ws, "pong") == {"type": "pong"}


def test_identify_merges_the_visitor_into_the_known_customer(
    client: TestClient, channel: Channel, session: Session
) -> None:
    mario, _, _ = resolve_customer(session, normalize_handle("email", "m@x.it"))
    mario_id = str(mario.id)
    session.commit()
    session.expunge_all()
    with client.websocket_connect(ws_url(channel), headers={"origin": ORIGIN}) as ws:
        hello(ws)
        ws.send_json({"type": "message", "text": "Ciao", "client_id": "c1"})
        assert next_of(ws, "ack")["type"] == "ack"
        ws.send_json({"type": "identify", "email": "M@X.it"})
        assert next_of(ws, "identified") == {"type": "identified", "merged": True}
    owners = {i.kind: str(i.customer_id) for i in rows(session, Identity)}
    assert owners["webchat"] == owners["email"] == mario_id


def test_an_operator_reply_is_pushed_to_the_socket(
    app: Any, client: TestClient, channel: Channel, api: TestClient, session: Session
) -> None:
    with client.websocket_connect(ws_url(channel), headers={"origin": ORIGIN}) as ws:
        hello(ws)
        ws.send_json({"type": "message", "text": "Mi richiamate?", "client_id": "c1"})
        ack = next_of(ws, "ack")
        if ack["type"] == "message":  # the poll was quicker than the ack
            ack = ws.receive_json()
        else:
            assert ws.receive_json()["id"] == ack["id"]  # our own message, from the poll
        [inbound] = rows(session, Interaction)
        reply = api.post(
            f"/api/v1/conversations/{inbound.conversation_id}/messages",
            json={"text": "Certo, oggi pomeriggio."},
        )
        assert reply.status_code == 201, reply.text
        time.sleep(0.2)  # queued: not shown before the worker sends it
        assert app.state.worker.drain() >= 1
        pushed = ws.receive_json()
        assert pushed["type"] == "message"
        assert pushed["from"] == "operator"
        assert pushed["text"] == "Certo, oggi pomeriggio."
        assert pushed["id"] == reply.json()["id"]
    outbound = [i for i in rows(session, Interaction) if i.direction == Direction.OUTBOUND]
    assert outbound[0].delivery_status == DeliveryStatus.SENT
    assert outbound[0].external_id.startswith("webchat-")
    assert rows(session, WebhookDelivery) == []


def test_a_hello_that_is_not_json_or_never_comes_closes_the_socket(
    client: TestClient, channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    with client.websocket_connect(ws_url(channel), headers={"origin": ORIGIN}) as ws:
        ws.send_text("hello?")
        assert ws.receive_json()["code"] == "bad_frame"
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()
    monkeypatch.setattr(webchat_web, "HELLO_TIMEOUT", 0.05)
    with client.websocket_connect(ws_url(channel), headers={"origin": ORIGIN}) as ws:
        assert ws.receive_json()["code"] == "timeout"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1008
    # A visitor who leaves before saying hello is no error.
    with client.websocket_connect(ws_url(channel), headers={"origin": ORIGIN}) as ws:
        ws.close()


def test_oversized_binary_frames_are_refused(client: TestClient, channel: Channel) -> None:
    with client.websocket_connect(ws_url(channel), headers={"origin": ORIGIN}) as ws:
        hello(ws)
        ws.send_bytes(b"{" + b" " * MAX_FRAME_BYTES + b"}")
        assert next_of(ws, "error")["code"] == "too_large"
        ws.send_bytes(b'{"type": "ping"}')
        assert next_of(ws, "pong") == {"type": "pong"}
