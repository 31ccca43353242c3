"""Messenger Platform: documented webhook payloads in, Send API messages out through the sandbox.

Payload shapes follow Meta's webhook references:
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-echoes
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-deliveries
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-reads
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messaging_postbacks
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-reactions
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-edits
and the Send API: https://developers.facebook.com/docs/messenger-platform/reference/send-api
"""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.api.conftest import ago
from tests.channels.conftest import MakeChannel, api_get, eventually, rows
from unisono.channels.base import Capability, OutboundMessage
from unisono.channels.errors import (
    MalformedPayload,
    RateLimited,
    Rejected,
    Unauthorized,
    Unreachable,
)
from unisono.channels.messenger.inbound import parse_webhook
from unisono.channels.messenger.outbound import message_payload
from unisono.channels.meta.graph import GraphClient, describe_graph_error
from unisono.channels.registry import provider_for
from unisono.channels.signatures import hmac_sha256_hex, meta_signature
from unisono.models import (
    Attachment,
    AttachmentStatus,
    DeliveryAttempt,
    DeliveryStatus,
    Identity,
    Interaction,
    Operator,
    WebhookDelivery,
    WebhookStatus,
)
from unisono.security.operators import do_create_token

HERE = Path(__file__).parent
SECRET = "messenger-app-secret"
PAGE_ID = "104729365281746"
MARIA = "6245148112174353"
GIOVANNI = "7301942518237765"
CREDENTIALS = {
    "app_secret": SECRET,
    "verify_token": "verifica-messenger",
    "page_access_token": "EAAPage-test-token",
    "page_id": PAGE_ID,
}


def fixture(name: str) -> bytes:
    return (HERE / name).read_bytes()


def payload(name: str) -> Any:
    return json.loads(fixture(name))


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(secret, body)}


@pytest.fixture
def channel(make_channel: MakeChannel) -> Any:
    return make_channel("messenger", credentials=CREDENTIALS)


def event(**body: Any) -> dict[str, Any]:
    """One messaging event from Maria to the page."""
    return {
        "sender": {"id": MARIA},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1772439000178,
        **body,
    }


def delivery(*events: Any, page: str = PAGE_ID) -> dict[str, Any]:
    entry = {"id": page, "time": 1772439000412, "messaging": list(events)}
    return {"object": "page", "entry": [entry]}


# -- the provider ----------------------------------------------------------------------------


def test_the_provider_declares_a_24_hour_window_and_the_page_credentials() -> None:
    provider = provider_for("messenger")
    assert provider.supports(Capability.SERVICE_WINDOW)
    assert provider.service_window == timedelta(hours=24)
    assert provider.supports(Capability.DELIVERY_STATUS)
    assert not provider.supports(Capability.SEND_TEMPLATE)
    assert provider.credential_keys == (
        "app_secret",
        "verify_token",
        "page_access_token",
        "page_id",
    )


# -- parsing ---------------------------------------------------------------------------------


def test_a_text_message_becomes_a_neutral_message() -> None:
    (message,) = parse_webhook(payload("text_message.json"), PAGE_ID).messages
    assert message.identity_kind == "messenger"
    assert message.identity_value == MARIA
    assert message.sender_name is None  # not in the payload; no profile lookup
    assert message.text.startswith("Buongiorno, la bolletta di marzo")
    assert message.occurred_at.isoformat() == "2026-03-02T08:10:00.178000+00:00"
    assert message.external_id.startswith("m_hX7q3JEQ")
    assert message.metadata == {"messenger_type": "message"}


def test_attachments_become_media_or_readable_text() -> None:
    parsed = parse_webhook(payload("attachments.json"), PAGE_ID)
    by_id = {m.external_id: m for m in parsed.messages}
    assert len(by_id) == 6
    image = by_id["m_IMAGE1"]
    assert image.text == "[image]"
    (photo,) = image.media
    assert photo.url is not None
    assert photo.url.startswith("https://scontent.xx.fbcdn.net/")
    assert photo.content_type == "image/*"
    document = by_id["m_FILE1"]
    assert document.text == "[file: bolletta_marzo.pdf]"
    assert document.media[0].filename == "bolletta_marzo.pdf"
    location = by_id["m_LOCATION1"]
    assert location.text == "[location: 45.4781, 9.2272]"
    assert location.metadata["location"] == {"lat": 45.4781, "long": 9.2272}
    link = by_id["m_FALLBACK1"]
    assert link.text == (
        "[link: Offerta Luce Casa | Energia Chiara - https://www.energiachiara.it/offerte/luce-casa]"
    )
    assert link.media == ()
    # The Like button is a sticker: a thumbs-up, not a picture to download.
    assert by_id["m_LIKE1"].text == "👍"
    assert by_id["m_LIKE1"].media == ()
    # During Meta's sticker transition one sticker arrives twice (sticker + image): shown once.
    assert by_id["m_STICKER1"].text == "[sticker]"
    assert parsed.statuses == ()
    assert parsed.ignored == ()


def test_a_batch_keeps_messages_postbacks_quick_replies_and_edits_and_names_the_rest() -> None:
    parsed = parse_webhook(payload("mixed_batch.json"), PAGE_ID)
    by_id = {m.external_id: m for m in parsed.messages}
    assert set(by_id) == {
        "m_REPLY1",
        "m_QUICK1",
        "m_POSTBACK1",
        "m_ORIGINAL1",
        "m_ORIGINAL1:edited:1",
    }
    assert by_id["m_REPLY1"].replies_to == ("m_OUTBOUND_BILL",)
    assert by_id["m_QUICK1"].text == "Sì, rateizza"
    assert by_id["m_QUICK1"].metadata["quick_reply_payload"] == "CONFIRM_PAYMENT_PLAN"
    postback = by_id["m_POSTBACK1"]
    assert postback.text == "Parla con un operatore"
    assert postback.identity_value == GIOVANNI
    assert postback.metadata == {"messenger_type": "postback", "postback_payload": "TALK_TO_AGENT"}
    edit = by_id["m_ORIGINAL1:edited:1"]
    assert edit.text == "Il contatore segna 4512"
    assert edit.metadata["edit_of"] == "m_ORIGINAL1"
    assert [(s.external_id, s.status) for s in parsed.statuses] == [
        ("m_OUT1", DeliveryStatus.DELIVERED)
    ]
    # The echo of our own message, the read watermark, the reaction, the opt-in and the message
    # another app owned (standby) create nothing.
    assert parsed.ignored == ("echo", "read", "reaction", "optin", "standby")


def test_delivery_receipts_name_each_message_and_watermark_only_ones_are_skipped() -> None:
    parsed = parse_webhook(payload("deliveries.json"), PAGE_ID)
    assert [(s.external_id, s.status) for s in parsed.statuses] == [
        ("m_OUT1", DeliveryStatus.DELIVERED),
        ("m_OUT2", DeliveryStatus.DELIVERED),
    ]
    assert parsed.statuses[0].occurred_at.isoformat() == "2026-03-02T08:13:20.004000+00:00"
    assert parsed.ignored == ("delivery:watermark_only", "read")


def test_echoes_are_ignored_even_without_the_is_echo_flag() -> None:
    from_page = event(message={"mid": "m_PAGE1", "text": "scritto dalla Inbox di Meta"})
    from_page["sender"] = {"id": PAGE_ID}
    flagged = event(message={"mid": "m_ECHO", "text": "x", "is_echo": True})
    parsed = parse_webhook(delivery(from_page, flagged), PAGE_ID)
    assert parsed.messages == ()
    assert parsed.ignored == ("echo", "echo")


def test_another_pages_events_and_chat_plugin_guests_are_ignored() -> None:
    other = delivery(event(message={"mid": "m_X", "text": "ciao"}), page="999888777666555")
    assert parse_webhook(other, PAGE_ID).ignored == ("page:999888777666555",)
    guest = event(message={"mid": "m_G", "text": "ciao"})
    guest["sender"] = {"user_ref": "chat-plugin-guest-42"}
    assert parse_webhook(delivery(guest), PAGE_ID).ignored == ("sender:user_ref",)


def test_feed_changes_on_a_messenger_channel_are_named_not_read() -> None:
    body = {
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": 1, "changes": [{"field": "feed", "value": {}}]}],
    }
    assert parse_webhook(body, PAGE_ID).ignored == ("field:feed",)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"object": "whatsapp_business_account", "entry": []},
        {"object": "page", "entry": {}},
        {"object": "page", "entry": ["entry"]},
        {"object": "page", "entry": [{"id": PAGE_ID, "messaging": {}}]},
        {"object": "page", "entry": [{"id": PAGE_ID, "messaging": ["event"]}]},
        delivery(event(message={"text": "no mid"})),
        delivery(event(message="hello")),
        delivery(event(message={"mid": "m_1", "text": "x", "attachments": {}})),
        delivery(event(message={"mid": "m_1", "text": "x"}, timestamp="soon")),
        delivery(event(message={"mid": "m_1", "text": "x"}, timestamp=None)),
        delivery(event(message={"mid": "m 1 with spaces", "text": "x"})),
        delivery(event(postback=["not", "an", "object"])),
        delivery(event(delivery={"mids": "m_1", "watermark": 1})),
        delivery(event(delivery={"watermark": 1}, timestamp=True)),
    ],
)
def test_malformed_payloads_are_refused_clearly(body: Any) -> None:
    with pytest.raises(MalformedPayload):
        parse_webhook(body, PAGE_ID)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "object",
                    "entry",
                    "id",
                    "time",
                    "messaging",
                    "standby",
                    "changes",
                    "sender",
                    "recipient",
                    "timestamp",
                    "message",
                    "mid",
                    "text",
                    "is_echo",
                    "attachments",
                    "type",
                    "payload",
                    "url",
                    "sticker_id",
                    "quick_reply",
                    "reply_to",
                    "postback",
                    "title",
                    "delivery",
                    "mids",
                    "watermark",
                    "read",
                    "message_edit",
                    "num_edit",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=400)
@given(json_values)
def test_the_parser_never_fails_except_with_malformed_payload(body: Any) -> None:
    for candidate in (
        body,
        {"object": "page", "entry": body},
        {"object": "page", "entry": [{"id": PAGE_ID, "messaging": body}]},
        delivery(event(message=body)),
        delivery(event(postback=body)),
        delivery(event(delivery=body)),
    ):
        with contextlib.suppress(MalformedPayload):
            parse_webhook(candidate, PAGE_ID)


# -- outbound --------------------------------------------------------------------------------


def test_outbound_text_is_a_response_to_the_psid() -> None:
    assert message_payload(OutboundMessage(recipient=MARIA, text="  Ciao Maria  ")) == {
        "recipient": {"id": MARIA},
        "messaging_type": "RESPONSE",
        "message": {"text": "Ciao Maria"},
    }
    tagged = message_payload(
        OutboundMessage(recipient=MARIA, text="Ciao", metadata={"message_tag": "HUMAN_AGENT"})
    )
    assert tagged["messaging_type"] == "MESSAGE_TAG"
    assert tagged["tag"] == "HUMAN_AGENT"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (OutboundMessage(recipient=MARIA, text="x" * 2001), "at most 2000 characters"),
        (OutboundMessage(recipient=MARIA, text="   "), "empty"),
        (OutboundMessage(recipient=MARIA, text="", template_name="bolletta"), "no message templ"),
        (
            OutboundMessage(recipient=MARIA, text="x", metadata={"message_tag": "human agent"}),
            "not a Messenger message tag",
        ),
    ],
)
def test_what_messenger_cannot_send_is_rejected_before_calling_meta(
    message: OutboundMessage, reason: str
) -> None:
    with pytest.raises(Rejected, match=reason):
        message_payload(message)


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, 190, Unauthorized),  # Graph says "bad token" with a 400
        (400, 613, RateLimited),
        (400, 4, RateLimited),
        (400, 2, Unreachable),
        (500, 1, Unreachable),
        (400, 100, Rejected),
        (400, 551, Rejected),
    ],
)
def test_graph_errors_are_sorted_by_their_code_not_only_their_status(
    status: int, code: int, error: type[Exception]
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {"error": {"message": f"(#{code}) nope", "code": code, "fbtrace_id": "A1"}}
        return httpx.Response(status, json=body)

    client = GraphClient(
        "https://graph.test/v21.0",
        describe_error=describe_graph_error,
        transport=httpx.MockTransport(answer),
    )
    with pytest.raises(error) as raised:
        client.request("POST", "/me/messages", json={})
    assert f"(#{code}) nope" in str(raised.value)
    if isinstance(raised.value, Rejected):
        assert raised.value.code == str(code)


# -- the webhook endpoint --------------------------------------------------------------------


def test_handshake_echoes_the_challenge_only_with_our_verify_token(
    client: TestClient, channel: Any
) -> None:
    path = f"/webhooks/messenger/{channel.id}"
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
    ok = client.get(path, params={**query, "hub.verify_token": "verifica-messenger"})
    assert ok.status_code == 200
    assert ok.text == "1158201444"
    assert client.get(path, params={**query, "hub.verify_token": "nope"}).status_code == 403
    assert client.get(path).status_code == 400


def test_a_signed_delivery_is_stored_answered_then_put_on_the_timeline(
    client: TestClient, app: Any, channel: Any, session: Session
) -> None:
    body = fixture("text_message.json")
    response = client.post(f"/webhooks/messenger/{channel.id}", content=body, headers=signed(body))
    assert response.status_code == 200
    (stored,) = rows(session, WebhookDelivery)
    assert stored.status == WebhookStatus.RECEIVED
    assert stored.body == body
    assert rows(session, Interaction) == []
    assert app.state.worker.drain() == 1
    (interaction,) = rows(session, Interaction)
    assert interaction.channel == "messenger"
    assert interaction.channel_id == channel.id
    assert interaction.text.startswith("Buongiorno, la bolletta")
    (identity,) = rows(session, Identity)
    assert (identity.kind, identity.value) == ("messenger", MARIA)
    assert rows(session, WebhookDelivery)[0].status == WebhookStatus.PROCESSED
    # Meta retries: the same delivery again creates nothing new.
    client.post(f"/webhooks/messenger/{channel.id}", content=body, headers=signed(body))
    app.state.worker.drain()
    assert len(rows(session, Interaction)) == 1


def test_a_batch_lands_on_the_right_customers_and_the_summary_names_what_was_skipped(
    client: TestClient, app: Any, channel: Any, session: Session
) -> None:
    body = fixture("mixed_batch.json")
    response = client.post(f"/webhooks/messenger/{channel.id}", content=body, headers=signed(body))
    assert response.status_code == 200
    app.state.worker.drain()
    interactions = rows(session, Interaction)
    assert len(interactions) == 5
    assert len({i.customer_id for i in interactions}) == 2
    assert "m_ECHO1" not in {i.external_id for i in interactions}
    (stored,) = rows(session, WebhookDelivery)
    assert stored.summary["created"] == 5
    assert stored.summary["statuses"] == 1
    assert stored.summary["statuses_matched"] == 0  # m_OUT1 was not sent by us here
    assert stored.summary["ignored"] == ["echo", "read", "reaction", "optin", "standby"]
    edit = next(i for i in interactions if i.external_id == "m_ORIGINAL1:edited:1")
    assert edit.meta["edit_of"] == "m_ORIGINAL1"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": meta_signature("another-secret", fixture("text_message.json"))},
    ],
)
def test_a_bad_signature_is_401_and_stores_nothing(
    client: TestClient, channel: Any, session: Session, headers: dict[str, str]
) -> None:
    response = client.post(
        f"/webhooks/messenger/{channel.id}", content=fixture("text_message.json"), headers=headers
    )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert rows(session, WebhookDelivery) == []
    assert rows(session, Interaction) == []


def test_a_malformed_payload_is_400_and_kept_for_inspection(
    client: TestClient, channel: Any, session: Session
) -> None:
    body = json.dumps(delivery(event(message={"text": "senza mid"}))).encode()
    response = client.post(f"/webhooks/messenger/{channel.id}", content=body, headers=signed(body))
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_payload"
    (stored,) = rows(session, WebhookDelivery)
    assert stored.status == WebhookStatus.INVALID
    assert "message.mid is missing" in (stored.error or "")


def test_delivery_receipts_move_our_messages_forward(
    client: TestClient, app: Any, channel: Any, session: Session
) -> None:
    inbound = fixture("text_message.json")
    client.post(f"/webhooks/messenger/{channel.id}", content=inbound, headers=signed(inbound))
    app.state.worker.drain()
    (message,) = rows(session, Interaction)
    for external_id in ("m_OUT1", "m_OUT2"):
        session.add(
            Interaction(
                customer_id=message.customer_id,
                conversation_id=message.conversation_id,
                channel="messenger",
                direction="outbound",
                author="operator",
                text="risposta",
                occurred_at=message.occurred_at,
                external_id=external_id,
                delivery_status=DeliveryStatus.SENT,
            )
        )
    session.commit()
    body = fixture("deliveries.json")
    client.post(f"/webhooks/messenger/{channel.id}", content=body, headers=signed(body))
    app.state.worker.drain()
    out = {i.external_id: i for i in rows(session, Interaction) if i.direction == "outbound"}
    assert out["m_OUT1"].delivery_status == DeliveryStatus.DELIVERED
    assert out["m_OUT2"].delivery_status == DeliveryStatus.DELIVERED
    assert rows(session, WebhookDelivery)[-1].summary["statuses_matched"] == 2


# -- both directions through the sandbox -----------------------------------------------------


def sandbox_channel(make_channel: MakeChannel, sandbox: str, **credentials: str) -> Any:
    return make_channel(
        "messenger",
        credentials={**CREDENTIALS, **credentials},
        settings={"api_base_url": f"{sandbox}/v21.0"},
    )


def test_messages_flow_both_ways_through_the_sandbox(
    live_unisono: str,
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
    operator: Operator,
) -> None:
    channel = sandbox_channel(make_channel, sandbox)
    token = do_create_token(session, operator)
    session.commit()
    injected = httpx.post(
        f"{sandbox}/_sandbox/messenger/{channel.id}/messages",
        json={"psid": MARIA, "text": "La bolletta è sbagliata"},
        timeout=10,
    ).json()
    assert injected["unisono_status"] == 200
    conversation = eventually(
        lambda: api_get(live_unisono, token, "/api/v1/conversations")["items"]
    )[0]
    reply = httpx.post(
        f"{live_unisono}/api/v1/conversations/{conversation['id']}/messages",
        json={"text": "Gentile cliente, verifichiamo subito"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert reply.status_code == 201, reply.text
    reply_id = reply.json()["id"]

    def delivered() -> str | None:
        items = api_get(
            live_unisono, token, f"/api/v1/customers/{conversation['customer']['id']}/timeline"
        )["items"]
        status = next(i["delivery_status"] for i in items if i["id"] == reply_id)
        return status if status == "delivered" else None

    eventually(delivered)
    sent = httpx.get(f"{sandbox}/_sandbox/sent", timeout=10).json()
    assert sent[-1]["provider"] == "messenger"
    assert sent[-1]["payload"] == {
        "recipient": {"id": MARIA},
        "messaging_type": "RESPONSE",
        "message": {"text": "Gentile cliente, verifichiamo subito"},
    }
    # The read receipt that follows the delivery is stored, processed and changes nothing.
    eventually(
        lambda: [
            d
            for d in rows(session, WebhookDelivery)
            if d.status == WebhookStatus.PROCESSED and d.summary["ignored"] == ["read"]
        ]
    )
    assert all(d.status == WebhookStatus.PROCESSED for d in rows(session, WebhookDelivery))


def test_inbound_attachments_are_fetched_from_the_cdn_url(
    live_unisono: str, sandbox: str, make_channel: MakeChannel, session: Session
) -> None:
    channel = sandbox_channel(make_channel, sandbox)
    injected = httpx.post(
        f"{sandbox}/_sandbox/messenger/{channel.id}/messages",
        json={"psid": MARIA, "attachment": "file"},
        timeout=10,
    ).json()
    assert injected["unisono_status"] == 200
    (stored,) = eventually(
        lambda: [a for a in rows(session, Attachment) if a.status == AttachmentStatus.STORED]
    )
    assert stored.filename == "bolletta_marzo.pdf"
    assert stored.content_type == "application/pdf"
    (interaction,) = rows(session, Interaction)
    assert interaction.text == "[file: bolletta_marzo.pdf]"


def reply_to_new_customer(api: TestClient, psid: str) -> str:
    """An inbound Messenger message from ``psid`` a minute ago, and a queued reply to it."""
    inbound = api.post(
        "/api/v1/interactions",
        json={
            "channel": "messenger",
            "identity": {"kind": "messenger", "value": psid},
            "direction": "inbound",
            "text": "ciao",
            "occurred_at": ago(minutes=1).isoformat(),
            "external_id": f"m_in_{psid}",
        },
    ).json()
    reply = api.post(
        f"/api/v1/conversations/{inbound['conversation_id']}/messages", json={"text": "risposta"}
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def settled(session: Session, reply_id: str) -> tuple[Any, Any] | None:
    """The reply's status and error once a first attempt is recorded, else None.

    The live server's embedded worker may take the send before ``drain`` does: wait for it.
    """
    session.rollback()
    row = session.get(Interaction, uuid.UUID(reply_id))
    assert row is not None
    result = (row.delivery_status, row.delivery_error)
    session.expunge_all()
    session.rollback()
    return result if result[1] else None


def test_send_failures_are_sorted_into_retry_fail_and_disable(
    sandbox: str, make_channel: MakeChannel, session: Session, api: TestClient, app: Any
) -> None:
    sandbox_channel(make_channel, sandbox)
    replies = {
        psid: reply_to_new_customer(api, psid)
        for psid in ("6245148110000", "6245148110024", "6245148110429", "6245148110500")
    }
    app.state.worker.drain()
    outcomes = {psid: eventually(partial(settled, session, r)) for psid, r in replies.items()}
    unavailable = outcomes["6245148110000"]
    assert unavailable[0] == DeliveryStatus.FAILED
    assert "(#551/1545041)" in unavailable[1]
    window = outcomes["6245148110024"]
    assert window[0] == DeliveryStatus.FAILED
    assert "(#10/2018278)" in window[1]
    # Graph's 400 with code 613 is a rate limit and 500 with code 2 is temporary: both retry.
    throttled = outcomes["6245148110429"]
    assert throttled[0] == DeliveryStatus.QUEUED
    assert "rate limited" in throttled[1]
    flaky = outcomes["6245148110500"]
    assert flaky[0] == DeliveryStatus.QUEUED
    assert "will retry" in flaky[1]
    attempts = session.scalar(select(func.count()).select_from(DeliveryAttempt))
    session.rollback()
    assert attempts is not None
    assert attempts >= 4


def test_a_revoked_page_token_fails_the_send_as_unauthorized(
    sandbox: str, make_channel: MakeChannel, session: Session, api: TestClient, app: Any
) -> None:
    # Graph answers an invalidated token with HTTP 400 and code 190: still Unauthorized.
    sandbox_channel(make_channel, sandbox, page_access_token="EAAPage-revoked")
    reply_id = reply_to_new_customer(api, MARIA)
    app.state.worker.drain()
    status, error = eventually(lambda: settled(session, reply_id))
    assert status == DeliveryStatus.FAILED
    assert "(#190/460)" in error
    (attempt,) = rows(session, DeliveryAttempt)
    assert attempt.error_code == "Unauthorized"


def test_the_sandbox_speaks_graph_to_curl_style_calls_and_keeps_whatsapp_routes(
    sandbox: str, make_channel: MakeChannel
) -> None:
    sandbox_channel(make_channel, sandbox)
    make_channel(
        "whatsapp",
        credentials={
            "app_secret": "wa-secret",
            "verify_token": "wa-verify",
            "access_token": "EAAG-wa-token",
            "phone_number_id": "106540352242922",
        },
    )
    # Meta's documented curl form: form fields holding JSON, token as a query parameter.
    proof = hmac_sha256_hex(SECRET, CREDENTIALS["page_access_token"].encode())
    form = httpx.post(
        f"{sandbox}/v21.0/me/messages",
        params={"access_token": CREDENTIALS["page_access_token"], "appsecret_proof": proof},
        data={
            "recipient": json.dumps({"id": MARIA}),
            "messaging_type": "RESPONSE",
            "message": json.dumps({"text": "ciao"}),
        },
        timeout=10,
    )
    assert form.status_code == 200, form.text
    assert set(form.json()) == {"recipient_id", "message_id"}
    wrong_proof = httpx.post(
        f"{sandbox}/v21.0/me/messages",
        params={"appsecret_proof": "0" * 64},
        headers={"Authorization": f"Bearer {CREDENTIALS['page_access_token']}"},
        json={"recipient": {"id": MARIA}, "messaging_type": "RESPONSE", "message": {"text": "x"}},
        timeout=10,
    )
    assert wrong_proof.status_code == 400
    assert wrong_proof.json()["error"]["code"] == 100
    # /me/messages is Messenger's; a phone number id still reaches the WhatsApp stand-in.
    wa = httpx.post(
        f"{sandbox}/v21.0/106540352242922/messages",
        headers={"Authorization": "Bearer EAAG-wa-token"},
        json={
            "messaging_product": "whatsapp",
            "to": "393331234567",
            "type": "text",
            "text": {"body": "ciao"},
        },
        timeout=10,
    )
    assert wa.status_code == 200, wa.text
    assert wa.json()["messages"][0]["id"].startswith("wamid.")
