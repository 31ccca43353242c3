"""The mobile app channel: signed events from the app backend in, in-app messages and FCM out."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.channels.conftest import MakeChannel, api_get, eventually
from unisono.channels.app.inbound import parse_events
from unisono.channels.app.outbound import describe_fcm_error, fcm_payload, in_app_payload, preview
from unisono.channels.app.signing import app_signature, signed_headers, verify_signed
from unisono.channels.base import Capability, ChannelConfig, OutboundMessage, WebhookRequest
from unisono.channels.errors import MalformedPayload, Rejected, SignatureInvalid
from unisono.channels.http import ProviderClient
from unisono.channels.registry import provider_for
from unisono.inbox.channel_config import channel_config
from unisono.models import (
    Attachment,
    AttachmentStatus,
    Author,
    Channel,
    DeliveryStatus,
    Direction,
    Identity,
    Interaction,
    Operator,
    WebhookDelivery,
    WebhookStatus,
)
from unisono.security.operators import do_create_token

HERE = Path(__file__).parent
APP_KEY = "energia-chiara-app-key-0123456789"
CREDENTIALS = {"app_key": APP_KEY}
# Unreachable from tests (loopback only): enough for everything but sending.
BACKEND = {"app_backend_url": "https://app-backend.energiachiara.example"}
FCM = {"app_key": APP_KEY, "fcm_access_token": "ya29.sandbox-access-token"}


def fixture(name: str) -> bytes:
    return (HERE / name).read_bytes()


def signed(body: bytes, key: str = APP_KEY, *, at: float | None = None) -> dict[str, str]:
    return {"Content-Type": "application/json", **signed_headers(key, body, now=at)}


def rows(session: Session, model: type) -> list[Any]:
    """Fresh rows, detached: touching them later opens no transaction (which would hold
    SQLite's write lock against the worker)."""
    session.rollback()
    found = list(session.scalars(select(model)))
    session.expunge_all()
    session.rollback()
    return found


@pytest.fixture
def channel(make_channel: MakeChannel) -> Channel:
    return make_channel("app", credentials=CREDENTIALS, settings=BACKEND)


def webhook(channel: Channel) -> str:
    return f"/webhooks/app/{channel.id}"


# -- the signature ---------------------------------------------------------------------------


def test_the_signature_covers_the_timestamp_and_the_body() -> None:
    body = b'{"events": []}'
    headers = {k.lower(): v for k, v in signed_headers(APP_KEY, body, now=1_772_439_000).items()}
    assert headers["x-unisono-timestamp"] == "1772439000"
    assert headers["x-unisono-signature"] == app_signature(APP_KEY, "1772439000", body)
    assert headers["x-unisono-signature"].startswith("sha256=")
    assert len(headers["x-unisono-signature"]) == len("sha256=") + 64
    verify_signed(APP_KEY, headers, body, now=1_772_439_000 + 299)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"x-unisono-timestamp": None}, "X-Unisono-Timestamp header is missing"),
        ({"x-unisono-signature": None}, "X-Unisono-Signature header is missing"),
        ({"x-unisono-timestamp": "2026-03-02T09:10:00Z"}, "not a Unix time"),
        # A captured request replayed later with a fresh timestamp: the signature no longer fits.
        ({"x-unisono-timestamp": "1772439100"}, "does not match"),
        ({"x-unisono-signature": "sha256=" + "0" * 64}, "does not match"),
    ],
)
def test_a_wrong_or_incomplete_signature_is_refused_with_its_reason(
    change: dict[str, str | None], reason: str
) -> None:
    body = b'{"events": []}'
    headers = {k.lower(): v for k, v in signed_headers(APP_KEY, body, now=1_772_439_000).items()}
    for key, value in change.items():
        if value is None:
            del headers[key]
        else:
            headers[key] = value
    with pytest.raises(SignatureInvalid, match=reason):
        verify_signed(APP_KEY, headers, body, now=1_772_439_000 + 60)


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
def test_a_request_signed_more_than_five_minutes_away_is_refused(offset: int) -> None:
    body = b'{"events": []}'
    headers = {k.lower(): v for k, v in signed_headers(APP_KEY, body, now=1_772_439_000).items()}
    with pytest.raises(SignatureInvalid, match="seconds away from our clock"):
        verify_signed(APP_KEY, headers, body, now=1_772_439_000 - offset)


def test_a_body_changed_after_signing_or_another_key_is_refused() -> None:
    body = b'{"events": []}'
    headers = {k.lower(): v for k, v in signed_headers(APP_KEY, body).items()}
    with pytest.raises(SignatureInvalid):
        verify_signed(APP_KEY, headers, b'{"events": [] }')
    with pytest.raises(SignatureInvalid):
        verify_signed("another-key", headers, body)
    with pytest.raises(SignatureInvalid):
        verify_signed("", headers, body)


# -- parsing ---------------------------------------------------------------------------------


def test_a_message_event_becomes_a_neutral_message() -> None:
    parsed = parse_events(json.loads(fixture("message.json")))
    (message,) = parsed.messages
    assert message.external_id == "evt-20260302-0001"
    assert (message.identity_kind, message.identity_value) == ("app", "u-48213")
    assert message.sender_name == "Maria Rossi"
    assert message.text.startswith("Buongiorno, nella bolletta di marzo")
    assert message.occurred_at.isoformat() == "2026-03-02T08:10:00+00:00"
    assert parsed.statuses == ()
    assert parsed.ignored == ()


def test_a_batch_is_read_event_by_event_and_unknown_types_are_ignored() -> None:
    parsed = parse_events(json.loads(fixture("batch.json")))
    by_id = {m.external_id: m for m in parsed.messages}
    assert list(by_id) == ["evt-20260302-0101", "evt-20260302-0102", "evt-20260302-0106"]
    photo = by_id["evt-20260302-0101"]
    assert photo.replies_to == ("0190c4d2-7a11-7000-8000-00000000a001",)
    (inline,) = photo.media
    assert inline.content_type == "image/jpeg"
    assert inline.data is not None
    assert inline.data.startswith(b"\xff\xd8\xff")
    assert inline.caption == "Lettura di oggi"
    # Only an attachment: the timeline still gets a readable line.
    receipt = by_id["evt-20260302-0102"]
    assert receipt.text == "[application: bonifico.pdf]"
    assert receipt.media[0].url == "https://app-backend.energiachiara.example/files/7c1e9a"
    assert receipt.media[0].data is None
    assert by_id["evt-20260302-0106"].sender_name is None
    assert [(s.external_id, s.status) for s in parsed.statuses] == [
        ("0190c4d2-7a11-7000-8000-00000000a001", DeliveryStatus.READ),
        ("0190c4d2-7a11-7000-8000-00000000a002", DeliveryStatus.FAILED),
    ]
    assert parsed.statuses[1].error == "user uninstalled the app"
    assert parsed.ignored == ("type:typing", "type:app_opened")


def _event(**fields: Any) -> dict[str, Any]:
    event = {
        "id": "evt-1",
        "type": "message",
        "user_id": "u-1",
        "text": "ciao",
        "sent_at": "2026-03-02T09:10:00+01:00",
    }
    event.update(fields)
    return {"events": [{k: v for k, v in event.items() if v is not None}]}


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "events",
        {},
        {"events": {}},
        {"events": ["message"]},
        {"events": [{"id": "evt-1"}]},
        _event(id=None),
        _event(id=""),
        _event(id=7),
        _event(id="x" * 256),
        _event(user_id=None),
        _event(user_id="   "),
        _event(sent_at=None),
        _event(sent_at="ieri"),
        _event(sent_at="2026-03-02T09:10:00"),
        _event(sent_at=1772439000),
        _event(sent_at="0001-01-01T00:30:00+01:00"),
        _event(text=None),
        _event(text=["ciao"]),
        _event(text="ciao\u0000"),
        _event(user_name=42),
        _event(text="x" * 100_001),
        _event(attachments={"url": "https://a.example/1"}),
        _event(attachments=[{"url": "https://a.example/1"}]),
        _event(attachments=[{"content_type": "image/png"}]),
        _event(attachments=[{"content_type": "image/png", "url": "ftp://a.example/1"}]),
        _event(attachments=[{"content_type": "image/png", "data": "not base64!"}]),
        _event(attachments=[{"content_type": "image/png", "url": "https://a/1", "data": "AA=="}]),
        {"events": [{"type": "read", "at": "2026-03-02T09:10:00Z"}]},
        {"events": [{"type": "read", "message_id": "m-1", "at": "soon"}]},
        {"events": [{"type": 3}]},
    ],
)
def test_malformed_payloads_are_refused_clearly(payload: Any) -> None:
    with pytest.raises(MalformedPayload):
        parse_events(payload)


def test_an_empty_batch_and_an_attachment_only_message_are_fine() -> None:
    assert parse_events({"events": []}).messages == ()
    parsed = parse_events(
        _event(text="", attachments=[{"content_type": "image/png", "data": "iVBORw0KGgo="}])
    )
    assert parsed.messages[0].text == "[image]"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "events",
                    "id",
                    "type",
                    "user_id",
                    "user_name",
                    "text",
                    "sent_at",
                    "attachments",
                    "content_type",
                    "url",
                    "data",
                    "message_id",
                    "at",
                    "in_reply_to",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)
plausible_values = st.sampled_from(
    [
        "message",
        "read",
        "failed",
        "2026-03-02T09:10:00+01:00",
        "2026-03-02T09:10:00",
        "9999-12-31T23:59:59-23:59",
        "https://a.example/f",
        "AAAA",
        "image/png",
    ]
)


@settings(max_examples=400)
@given(json_values, plausible_values)
def test_the_parser_never_fails_except_with_malformed_payload(payload: Any, value: str) -> None:
    candidates = [payload, {"events": payload}, {"events": [payload]}]
    if isinstance(payload, dict):
        candidates.append({"events": [{**payload, "type": "message", "sent_at": value}]})
        candidates.append({"events": [{**payload, "type": value, "at": value}]})
    for candidate in candidates:
        with contextlib.suppress(MalformedPayload):
            parse_events(candidate)


# -- outbound shapes -------------------------------------------------------------------------


def test_the_in_app_message_and_the_push_follow_the_documented_formats() -> None:
    from datetime import UTC, datetime

    message = OutboundMessage(
        recipient="u-48213",
        text="Gentile signora Rossi, abbiamo verificato la bolletta: le invieremo la rettifica.",
        in_reply_to=("evt-20260302-0001",),
        metadata={"device_token": "fcm-token-maria"},
    )
    sent_at = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    assert in_app_payload(message, "msg-1", sent_at) == {
        "id": "msg-1",
        "user_id": "u-48213",
        "text": message.text,
        "sent_at": "2026-03-02T09:15:00+00:00",
        "in_reply_to": ["evt-20260302-0001"],
    }
    push = fcm_payload(message, device_token="fcm-token-maria", message_id="msg-1", title="EC")
    body = push["message"]
    assert body["token"] == "fcm-token-maria"
    assert body["notification"] == {"title": "EC", "body": message.text}
    assert body["data"] == {
        "kind": "unisono_message",
        "unisono_message_id": "msg-1",
        "user_id": "u-48213",
    }
    assert all(isinstance(v, str) for v in body["data"].values())
    assert body["android"]["priority"] == "high"
    assert body["apns"]["headers"]["apns-priority"] == "10"


def test_a_long_push_shows_a_preview_cut_at_a_word() -> None:
    text = "parola " * 60
    cut = preview(text)
    assert len(cut) <= 160
    assert cut.endswith("parola…")
    assert preview("  due\n righe ") == "due righe"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {
                "error": {
                    "code": 404,
                    "message": "Requested entity was not found.",
                    "status": "NOT_FOUND",
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                            "errorCode": "UNREGISTERED",
                        }
                    ],
                }
            },
            ("UNREGISTERED: Requested entity was not found.", "UNREGISTERED"),
        ),
        (
            {"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}},
            ("INVALID_ARGUMENT: bad", "INVALID_ARGUMENT"),
        ),
        ({"error": "nope"}, ("nope", None)),
    ],
)
def test_fcm_errors_are_read_with_their_code(body: Any, expected: tuple[str, str | None]) -> None:
    response = httpx.Response(404, json=body)
    assert describe_fcm_error(response) == expected


def test_the_provider_declares_what_the_app_channel_can_do() -> None:
    provider = provider_for("app")
    assert provider.credential_keys == ("app_key",)
    assert provider.optional_credential_keys == ("fcm_access_token",)
    assert provider.supports(Capability.DELIVERY_STATUS)
    assert provider.supports(Capability.MEDIA)
    assert not provider.supports(Capability.SEND_TEMPLATE)
    assert not provider.supports(Capability.SERVICE_WINDOW)


# -- the webhook endpoint --------------------------------------------------------------------


def test_a_signed_delivery_is_stored_answered_then_put_on_the_timeline(
    client: TestClient, app: Any, channel: Channel, session: Session
) -> None:
    body = fixture("message.json")
    response = client.post(webhook(channel), content=body, headers=signed(body))
    assert response.status_code == 200, response.text
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.status == WebhookStatus.RECEIVED
    assert delivery.body == body
    assert "x-unisono-signature" in delivery.headers
    assert rows(session, Interaction) == []
    assert app.state.worker.drain() == 1
    (interaction,) = rows(session, Interaction)
    assert interaction.channel == "app"
    assert interaction.channel_id == channel.id
    assert interaction.direction == Direction.INBOUND
    assert interaction.external_id == "evt-20260302-0001"
    (identity,) = rows(session, Identity)
    assert (identity.kind, identity.value) == ("app", "u-48213")
    assert rows(session, WebhookDelivery)[0].status == WebhookStatus.PROCESSED
    # The backend retries (or the request is replayed within five minutes): nothing new.
    again = client.post(webhook(channel), content=body, headers=signed(body))
    assert again.status_code == 200
    app.state.worker.drain()
    assert len(rows(session, Interaction)) == 1


def test_several_events_land_on_the_right_customers_with_statuses_and_attachments(
    client: TestClient, app: Any, channel: Channel, session: Session
) -> None:
    inbound = fixture("message.json")
    client.post(webhook(channel), content=inbound, headers=signed(inbound))
    app.state.worker.drain()
    (first,) = rows(session, Interaction)
    for n, external_id in enumerate(
        ("0190c4d2-7a11-7000-8000-00000000a001", "0190c4d2-7a11-7000-8000-00000000a002")
    ):
        session.add(
            Interaction(
                customer_id=first.customer_id,
                conversation_id=first.conversation_id,
                channel="app",
                direction=Direction.OUTBOUND,
                author=Author.OPERATOR,
                text=f"risposta {n}",
                occurred_at=first.occurred_at,
                external_id=external_id,
                delivery_status=DeliveryStatus.SENT,
            )
        )
    session.commit()
    body = fixture("batch.json")
    assert client.post(webhook(channel), content=body, headers=signed(body)).status_code == 200
    app.state.worker.drain()
    interactions = {i.external_id: i for i in rows(session, Interaction)}
    inbound_ids = {"evt-20260302-0001", "evt-20260302-0101", "evt-20260302-0102"}
    assert inbound_ids | {"evt-20260302-0106"} <= set(interactions)
    maria = interactions["evt-20260302-0001"].customer_id
    assert interactions["evt-20260302-0106"].customer_id == maria
    assert interactions["evt-20260302-0102"].customer_id != maria
    read = interactions["0190c4d2-7a11-7000-8000-00000000a001"]
    assert read.delivery_status == DeliveryStatus.READ
    failed = interactions["0190c4d2-7a11-7000-8000-00000000a002"]
    assert failed.delivery_status == DeliveryStatus.FAILED
    assert failed.delivery_error == "user uninstalled the app"
    delivery = next(d for d in rows(session, WebhookDelivery) if d.body == body)
    assert delivery.summary["created"] == 3
    assert delivery.summary["statuses_matched"] == 2
    assert delivery.summary["ignored"] == ["type:typing", "type:app_opened"]
    attachments = {a.filename: a for a in rows(session, Attachment)}
    assert attachments["contatore.jpg"].status == AttachmentStatus.STORED
    assert attachments["contatore.jpg"].caption == "Lettura di oggi"
    # Held by the backend, which no test may reach: the fetch waits for a retry.
    assert attachments["bonifico.pdf"].status == AttachmentStatus.PENDING


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Unisono-Signature": "sha256=" + "0" * 64, "X-Unisono-Timestamp": str(int(time.time()))},
        signed(fixture("message.json"), "another-key"),
        signed(fixture("message.json"), at=time.time() - 301),
        signed(fixture("message.json"), at=time.time() + 3600),
    ],
    ids=["missing", "zeros", "other-key", "stale", "future"],
)
def test_a_bad_or_stale_signature_is_401_and_stores_nothing(
    client: TestClient, channel: Channel, session: Session, headers: dict[str, str]
) -> None:
    response = client.post(webhook(channel), content=fixture("message.json"), headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_signature"
    assert rows(session, WebhookDelivery) == []


def test_a_replay_with_a_new_timestamp_is_refused(
    client: TestClient, channel: Channel, session: Session
) -> None:
    body = fixture("message.json")
    captured = signed(body, at=time.time() - 600)
    replayed = {**captured, "X-Unisono-Timestamp": str(int(time.time()))}
    assert client.post(webhook(channel), content=body, headers=replayed).status_code == 401
    assert rows(session, WebhookDelivery) == []


def test_a_malformed_payload_is_400_and_kept_for_inspection(
    client: TestClient, channel: Channel, session: Session
) -> None:
    body = json.dumps(_event(sent_at=None)).encode()
    response = client.post(webhook(channel), content=body, headers=signed(body))
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_payload"
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.status == WebhookStatus.INVALID
    assert delivery.body == body
    assert delivery.error == "events[0].sent_at is missing or not an ISO 8601 string"


def test_the_app_channel_has_no_handshake(client: TestClient, channel: Channel) -> None:
    assert client.get(webhook(channel)).status_code == 400


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({"settings": BACKEND}, "missing credentials for app: app_key"),
        ({"credentials": CREDENTIALS}, "missing settings for app: app_backend_url"),
    ],
)
def test_an_app_channel_needs_its_key_and_its_backend(
    api: TestClient, body: dict[str, Any], missing: str
) -> None:
    response = api.post("/api/v1/channels", json={"kind": "app", "name": "App", **body})
    assert response.status_code == 422
    assert response.json()["detail"] == missing


# -- both directions through the sandbox -----------------------------------------------------


def _configure(session: Session, channel: Channel, **settings: Any) -> None:
    row = session.get_one(Channel, channel.id)
    row.settings = {**(row.settings or {}), **settings}
    session.commit()
    session.expunge_all()


def test_messages_flow_both_ways_through_the_sandbox(
    live_unisono: str,
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
    operator: Operator,
) -> None:
    channel = make_channel(
        "app",
        credentials=CREDENTIALS,
        settings={"app_backend_url": f"{sandbox}/_sandbox/mobile_app/backend"},
    )
    token = do_create_token(session, operator)
    session.commit()
    injected = httpx.post(
        f"{sandbox}/_sandbox/mobile_app/{channel.id}/messages",
        json={"user_id": "u-48213", "name": "Maria Rossi", "text": "La bolletta è sbagliata"},
        timeout=10,
    ).json()
    assert injected["unisono_status"] == 200
    conversation = eventually(
        lambda: api_get(live_unisono, token, "/api/v1/conversations")["items"]
    )[0]
    assert conversation["customer"]["display_name"] == "Maria Rossi"
    assert conversation["channels"] == ["app"]
    reply = httpx.post(
        f"{live_unisono}/api/v1/conversations/{conversation['id']}/messages",
        json={"text": "Gentile signora, verifichiamo subito"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert reply.status_code == 201, reply.text
    reply_id = reply.json()["id"]
    assert reply.json()["channel"] == "app"

    def read_status() -> str | None:
        items = api_get(
            live_unisono, token, f"/api/v1/customers/{conversation['customer']['id']}/timeline"
        )["items"]
        status = next(i["delivery_status"] for i in items if i["id"] == reply_id)
        return status if status == "read" else None

    # The backend took the message, then reported it delivered and read in signed events.
    eventually(read_status, timeout=30)
    sent = httpx.get(f"{sandbox}/_sandbox/sent", timeout=10).json()
    (in_app,) = [s for s in sent if s["provider"] == "mobile_app"]
    assert in_app["recipient"] == "u-48213"
    assert in_app["payload"]["text"] == "Gentile signora, verifichiamo subito"
    assert in_app["payload"]["user_id"] == "u-48213"
    # No device token on an operator's reply: the backend notifies the devices, FCM is not used.
    assert [s for s in sent if s["provider"] == "fcm"] == []


def test_a_push_goes_to_fcm_in_the_v1_format_when_a_device_token_is_given(
    sandbox: str, make_channel: MakeChannel, session: Session, app: Any, client: TestClient
) -> None:
    channel = make_channel(
        "app",
        name="App Energia Chiara",
        credentials=FCM,
        settings={
            "app_backend_url": f"{sandbox}/_sandbox/mobile_app/backend",
            "fcm_project_id": "energia-chiara-app",
            "api_base_url": sandbox,
            "push_title": "Energia Chiara",
        },
    )
    inbound = fixture("message.json")
    client.post(webhook(channel), content=inbound, headers=signed(inbound))
    app.state.worker.drain()
    (message,) = eventually(lambda: rows(session, Interaction))
    # What a proactive notice that names the device would queue (operator replies name none).
    session.add(
        Interaction(
            customer_id=message.customer_id,
            conversation_id=message.conversation_id,
            channel="app",
            identity_id=message.identity_id,
            direction=Direction.OUTBOUND,
            author=Author.SYSTEM,
            text="La bolletta rettificata è disponibile nell'app",
            meta={"device_token": "fcm-token-maria"},
            occurred_at=message.occurred_at,
            delivery_status=DeliveryStatus.QUEUED,
        )
    )
    session.commit()
    app.state.worker.drain()

    def sent_row() -> Interaction | None:
        # The live server's worker may be the one sending it: wait for either.
        # Sent, or already reported delivered or read by the sandbox app backend.
        found = [i for i in rows(session, Interaction) if i.direction == Direction.OUTBOUND]
        gone = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ)
        return found[0] if found and found[0].delivery_status in gone else None

    outbound = eventually(sent_row, timeout=30)
    sent = httpx.get(f"{sandbox}/_sandbox/sent", timeout=10).json()
    in_app = next(s for s in sent if s["provider"] == "mobile_app")
    push = next(s for s in sent if s["provider"] == "fcm")
    assert in_app["id"] == outbound.external_id
    assert push["id"].startswith("projects/energia-chiara-app/messages/")
    assert push["recipient"] == "fcm-token-maria"
    body = push["payload"]["message"]
    assert set(body) == {"token", "notification", "data", "android", "apns"}
    assert body["notification"] == {
        "title": "Energia Chiara",
        "body": "La bolletta rettificata è disponibile nell'app",
    }
    assert body["data"]["unisono_message_id"] == outbound.external_id


def _connection(session: Session, channel: Channel) -> Any:
    row = session.get_one(Channel, channel.id)
    config: ChannelConfig = channel_config(row)
    session.rollback()
    return provider_for("app").connect(config)


def test_a_failed_push_does_not_fail_the_in_app_message(
    sandbox: str, make_channel: MakeChannel, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    channel = make_channel(
        "app",
        credentials=FCM,
        settings={
            "app_backend_url": f"{sandbox}/_sandbox/mobile_app/backend",
            "fcm_project_id": "energia-chiara-app",
            "api_base_url": sandbox,
        },
    )
    connection = _connection(session, channel)
    message = OutboundMessage(
        recipient="u-48213", text="ciao", metadata={"device_token": "token-unregistered"}
    )
    with caplog.at_level("WARNING"):
        result = connection.send(message)
    assert result.status == DeliveryStatus.SENT
    assert "UNREGISTERED" in caplog.text
    sent = httpx.get(f"{sandbox}/_sandbox/sent", timeout=10).json()
    assert [s["provider"] for s in sent] == ["mobile_app"]


def test_fcm_refusals_come_in_fcm_s_error_format(sandbox: str, make_channel: MakeChannel) -> None:
    make_channel(
        "app", credentials=FCM, settings={**BACKEND, "fcm_project_id": "energia-chiara-app"}
    )
    path = "/v1/projects/energia-chiara-app/messages:send"
    good = ProviderClient(sandbox, headers={"Authorization": f"Bearer {FCM['fcm_access_token']}"})
    message = OutboundMessage(recipient="u-1", text="ciao")
    payload = fcm_payload(message, device_token="token-1", message_id="m-1", title="T")
    assert good.post_json(path, payload)["name"].startswith("projects/energia-chiara-app/")
    bad = ProviderClient(
        sandbox,
        headers={"Authorization": f"Bearer {FCM['fcm_access_token']}"},
        describe_error=describe_fcm_error,
    )
    payload["message"]["data"]["count"] = 3
    with pytest.raises(Rejected) as refused:
        bad.post_json(path, payload)
    assert refused.value.code == "INVALID_ARGUMENT"
    assert "message.data" in refused.value.detail
    payload["message"]["data"] = {"from": "x"}
    with pytest.raises(Rejected, match="data payload key"):
        bad.post_json(path, payload)
    two_targets = fcm_payload(message, device_token="token-1", message_id="m-1", title="T")
    two_targets["message"]["topic"] = "news"
    with pytest.raises(Rejected, match="Exactly one"):
        bad.post_json(path, two_targets)
    gone = fcm_payload(message, device_token="token-unregistered", message_id="m", title="T")
    with pytest.raises(Rejected) as unregistered:
        bad.post_json(path, gone)
    assert unregistered.value.code == "UNREGISTERED"
    from unisono.channels.errors import Unauthorized

    with pytest.raises(Unauthorized):
        ProviderClient(sandbox, headers={"Authorization": "Bearer expired"}).post_json(
            path, fcm_payload(message, device_token="t", message_id="m", title="T")
        )


@pytest.mark.parametrize(
    ("user_id", "status", "error"),
    [
        ("u-0000", DeliveryStatus.FAILED, "unknown user"),
        ("u-0500", DeliveryStatus.QUEUED, "will retry"),
    ],
)
def test_the_backend_s_refusals_fail_or_retry_the_send(
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
    app: Any,
    api: TestClient,
    user_id: str,
    status: DeliveryStatus,
    error: str,
) -> None:
    channel = make_channel(
        "app",
        credentials=CREDENTIALS,
        settings={"app_backend_url": f"{sandbox}/_sandbox/mobile_app/backend"},
    )
    body = json.dumps(_event(id=f"evt-{user_id}", user_id=user_id)).encode()
    assert api.post(webhook(channel), content=body, headers=signed(body)).status_code == 200
    app.state.worker.drain()
    (message,) = eventually(lambda: rows(session, Interaction))
    reply = api.post(
        f"/api/v1/conversations/{message.conversation_id}/messages", json={"text": "risposta"}
    )
    assert reply.status_code == 201, reply.text
    app.state.worker.drain()
    reply_id = uuid.UUID(reply.json()["id"])

    def outcome() -> Interaction | None:
        found = next(i for i in rows(session, Interaction) if i.id == reply_id)
        return found if found.delivery_error else None

    outbound = eventually(outcome, timeout=30)
    assert outbound.delivery_status == status
    assert error in (outbound.delivery_error or "")


@pytest.mark.parametrize("settings", [{}, {"app_backend_url": "app-backend.example"}])
def test_sending_without_a_backend_address_fails_with_a_clear_reason(
    settings: dict[str, Any],
) -> None:
    config = ChannelConfig(uuid.uuid4(), "app", "App", settings, CREDENTIALS)
    with pytest.raises(Rejected, match="app_backend_url"):
        provider_for("app").connect(config).send(OutboundMessage(recipient="u-1", text="ciao"))


def test_attachments_held_by_the_backend_are_fetched_with_a_signed_get(
    live_unisono: str,
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
    operator: Operator,
) -> None:
    channel = make_channel(
        "app",
        credentials=CREDENTIALS,
        settings={"app_backend_url": f"{sandbox}/_sandbox/mobile_app/backend"},
    )
    token = do_create_token(session, operator)
    session.commit()
    httpx.post(
        f"{sandbox}/_sandbox/mobile_app/{channel.id}/messages",
        json={"user_id": "u-48213", "text": "la bolletta", "attachment": "bolletta_marzo.pdf"},
        timeout=10,
    ).raise_for_status()

    def stored() -> list[dict[str, Any]]:
        return [
            a
            for c in api_get(live_unisono, token, "/api/v1/conversations")["items"]
            for a in (c["last_message"] or {}).get("attachments", [])
            if a["status"] == "stored"
        ]

    (attachment,) = eventually(stored, timeout=30)
    assert attachment["filename"] == "bolletta_marzo.pdf"
    download = httpx.get(
        f"{live_unisono}{attachment['download_path']}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert download.content.startswith(b"%PDF-")
    # The backend refuses an unsigned download: the URL alone opens nothing.
    url = f"{sandbox}/_sandbox/mobile_app/backend/files/bolletta_marzo.pdf"
    assert httpx.get(url, timeout=10).status_code == 401


def test_the_connection_verifies_and_parses_like_the_endpoint(channel: Channel) -> None:
    from unisono.channels.app.provider import AppConnection

    connection = AppConnection(ChannelConfig(channel.id, "app", "App", {}, {"app_key": APP_KEY}))
    body = fixture("message.json")
    request = WebhookRequest(
        "POST",
        "http://test/webhooks/app",
        {k.lower(): v for k, v in signed(body).items()},
        {},
        body,
    )
    connection.verify(request)
    assert connection.parse(request).messages[0].identity_value == "u-48213"
