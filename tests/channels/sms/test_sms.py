"""SMS through Twilio Programmable Messaging: documented webhooks in, messages out via the sandbox.

Fixtures are form bodies shaped as Twilio documents them:
- incoming SMS/MMS: https://www.twilio.com/docs/messaging/guides/webhook-request
- status callbacks: https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
  and https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks
- signatures: https://www.twilio.com/docs/usage/security#validating-requests
- sending: https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
- error codes: https://www.twilio.com/docs/api/errors/30003 (30005, 30006, 30007, 21211, 21610)
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.channels.conftest import MakeChannel, api_get, eventually
from tests.channels.sms.twilio_fixtures import (
    ACCOUNT_SID,
    BUSINESS_NUMBER,
    CREDENTIALS,
    TEST_SERVER,
    config_of,
    post_webhook,
    read_fixture,
    request_of,
    rows,
    signed,
    with_fields,
)
from unisono.channels.base import MediaRef, OutboundMessage, WebhookRequest
from unisono.channels.errors import (
    MalformedPayload,
    RateLimited,
    Rejected,
    SignatureInvalid,
    Unauthorized,
)
from unisono.channels.registry import provider_for
from unisono.channels.signatures import twilio_signature
from unisono.channels.sms.outbound import message_form
from unisono.channels.twilio.rest import describe_error
from unisono.channels.twilio.webhooks import EMPTY_TWIML, verify_twilio
from unisono.models import (
    Attachment,
    AttachmentStatus,
    Channel,
    DeliveryStatus,
    Interaction,
    Operator,
    WebhookDelivery,
    WebhookStatus,
)
from unisono.security.operators import do_create_token

HERE = Path(__file__).parent
OUR_MESSAGE = "SM7e6d5c4b3a29180716253a4b5c6d7e8f"


def fixture(name: str) -> bytes:
    return read_fixture(HERE, name)


def parse(body: bytes, **settings: Any) -> Any:
    return provider_for("sms").connect(config_of("sms", **settings)).parse(request_of(body))


@pytest.fixture
def channel(make_channel: MakeChannel) -> Channel:
    return make_channel("sms", credentials=CREDENTIALS)


# -- parsing --------------------------------------------------------------------------------


def test_an_sms_becomes_a_neutral_message() -> None:
    (message,) = parse(fixture("incoming_sms.form")).messages
    assert message.external_id == "SM1f0e8d7c6b5a49382716a5b4c3d2e1f0"
    assert message.identity_kind == "phone"
    assert message.identity_value == "+393331234567"
    assert message.text == "Buongiorno, la bolletta è sbagliata: 412 euro invece dei soliti 90"
    assert message.media == ()
    assert message.metadata == {
        "twilio_type": "sms",
        "to": BUSINESS_NUMBER,
        "messaging_service_sid": "MG2b3c4d5e6f708192a3b4c5d6e7f80912",
        "num_segments": "1",
        "from_country": "IT",
    }


def test_an_mms_with_two_media_carries_both_for_the_worker_to_fetch() -> None:
    (message,) = parse(fixture("incoming_mms.form")).messages
    assert message.external_id.startswith("MM")
    assert message.text == "Ecco la foto del contatore e la bolletta di marzo"
    assert message.metadata["twilio_type"] == "mms"
    photo, bill = message.media
    assert photo.content_type == "image/jpeg"
    assert photo.url is not None
    assert photo.url.endswith("/Media/ME27b3c1e0f9a84d6b5c4a3f2e1d0c9b8a")
    assert bill.content_type == "application/pdf"


def test_a_picture_without_words_is_still_readable_on_the_timeline() -> None:
    body = with_fields(
        fixture("incoming_mms.form"), Body="", NumMedia="1", MediaUrl1=None, MediaContentType1=None
    )
    (message,) = parse(body).messages
    assert message.text == "[image]"


def test_delivery_statuses_move_forward_and_failures_say_why() -> None:
    (delivered,) = parse(fixture("status_delivered.form")).statuses
    assert (delivered.external_id, delivered.status) == (OUR_MESSAGE, DeliveryStatus.DELIVERED)
    assert delivered.error is None
    (undelivered,) = parse(fixture("status_undelivered.form")).statuses
    assert undelivered.status == DeliveryStatus.FAILED
    assert undelivered.error is not None
    assert undelivered.error.startswith("30003 Unreachable destination handset")


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        ("30003", "Unreachable destination handset"),
        ("30005", "Unknown destination handset"),
        ("30006", "Landline or unreachable carrier"),
        ("30007", "Message filtered"),
        ("30099", "see https://www.twilio.com/docs/api/errors/30099"),
    ],
)
def test_common_delivery_errors_are_explained(code: str, meaning: str) -> None:
    body = with_fields(fixture("status_undelivered.form"), ErrorCode=code)
    (status,) = parse(body).statuses
    assert status.error is not None
    assert status.error.startswith(f"{code} {meaning}")


def test_a_failure_without_a_code_keeps_twilios_message() -> None:
    body = with_fields(
        fixture("status_undelivered.form"),
        ErrorCode=None,
        MessageStatus="failed",
        SmsStatus="failed",
        ErrorMessage="Queue overflow",
    )
    (status,) = parse(body).statuses
    assert (status.status, status.error) == (DeliveryStatus.FAILED, "Queue overflow")


@pytest.mark.parametrize(
    ("status", "expected"),
    [("sent", DeliveryStatus.SENT), ("read", DeliveryStatus.READ)],
)
def test_sent_and_read_are_kept(status: str, expected: DeliveryStatus) -> None:
    body = with_fields(fixture("status_delivered.form"), MessageStatus=status, SmsStatus=status)
    assert parse(body).statuses[0].status == expected


@pytest.mark.parametrize("status", ["queued", "accepted", "scheduled", "sending", "shiny-new"])
def test_intermediate_and_unknown_statuses_are_ignored_never_requeued(status: str) -> None:
    body = with_fields(fixture("status_delivered.form"), MessageStatus=status, SmsStatus=status)
    parsed = parse(body)
    assert parsed.statuses == ()
    assert parsed.ignored == (f"status:{status}",)


def test_an_old_style_status_callback_with_only_smsstatus_is_read() -> None:
    body = with_fields(fixture("status_delivered.form"), MessageStatus=None)
    assert parse(body).statuses[0].status == DeliveryStatus.DELIVERED


def test_unknown_and_odd_fields_are_tolerated() -> None:
    body = with_fields(
        fixture("incoming_sms.form"),
        OptOutType="HELP",
        ReferralNumMedia="0",
        ChannelMetadata='{"type":"sms","data":{}}',
        **{"Some[Future]Field": "1", "": "nameless"},
    )
    (message,) = parse(body).messages
    assert message.metadata["opt_out_type"] == "HELP"


def test_messages_of_other_channels_through_a_messaging_service_are_not_sms() -> None:
    body = with_fields(fixture("incoming_sms.form"), From="whatsapp:+393331234567")
    parsed = parse(body)
    assert parsed.messages == ()
    assert parsed.ignored == ("sender:whatsapp",)


def test_a_delivery_for_another_account_is_malformed_not_forged() -> None:
    body = with_fields(fixture("incoming_sms.form"), AccountSid="AC" + "0" * 32)
    with pytest.raises(MalformedPayload, match="not this channel's account"):
        parse(body)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe not utf-8",
        b"Body=ciao&&From=%2B39",
        with_fields(fixture("incoming_sms.form"), From=None),
        with_fields(fixture("incoming_sms.form"), MessageSid=None, SmsSid=None, SmsMessageSid=None),
        with_fields(fixture("incoming_sms.form"), AccountSid=None),
        with_fields(fixture("incoming_sms.form"), NumMedia="two"),
        with_fields(fixture("incoming_sms.form"), NumMedia="-1"),
        with_fields(fixture("incoming_sms.form"), NumMedia="99"),
        with_fields(fixture("incoming_mms.form"), MediaUrl1=None),
        with_fields(fixture("incoming_mms.form"), MediaUrl0="file:///etc/passwd"),
        with_fields(fixture("status_delivered.form"), MessageStatus=None, SmsStatus=None),
        fixture("incoming_sms.form") + b"&From=%2B393330000000",
    ],
)
def test_malformed_bodies_are_refused_clearly(body: bytes) -> None:
    with pytest.raises(MalformedPayload):
        parse(body)


FIELDS = [
    "AccountSid",
    "MessageSid",
    "SmsSid",
    "SmsMessageSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "MediaUrl0",
    "MediaContentType0",
    "MediaUrl1",
    "MessageStatus",
    "SmsStatus",
    "ErrorCode",
    "ErrorMessage",
    "OptOutType",
]
VALUES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            *(ACCOUNT_SID, "+393331234567", "whatsapp:+39333", "0", "1", "2", "11"),
            *("https://x.y/z", "received", "delivered", "undelivered", "queued", "30003"),
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(FIELDS) | st.text(max_size=5), VALUES), max_size=12),
    st.binary(max_size=40),
)
def test_arbitrary_form_data_never_fails_except_as_malformed(
    pairs: list[tuple[str, str]], raw: bytes
) -> None:
    for body in (urlencode(pairs).encode(), raw):
        with contextlib.suppress(MalformedPayload):
            parse(body)


# -- signatures -------------------------------------------------------------------------------


def test_twilios_documented_example_signature_verifies() -> None:
    # The worked example of https://www.twilio.com/docs/usage/security#validating-requests
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    expected = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert twilio_signature("12345", url, params.items()) == expected
    config = config_of("sms", credentials={"auth_token": "12345"})
    # The order of the fields on the wire does not matter: they are sorted before signing.
    body = urlencode(list(params.items())[::-1]).encode()

    def request(url: str, body: bytes, signature: str) -> WebhookRequest:
        return WebhookRequest("POST", url, {"x-twilio-signature": signature}, {}, body)

    verify_twilio(config, request(url, body, expected))
    # Typed with its default port in Twilio's console, the URL is signed with the port.
    with_port = twilio_signature("12345", url.replace(".com/", ".com:443/"), params.items())
    verify_twilio(config, request(url, body, with_port))
    with pytest.raises(SignatureInvalid):
        verify_twilio(config, request(url, body.replace(b"Digits=1234", b"Digits=9999"), expected))
    with pytest.raises(SignatureInvalid):
        verify_twilio(config, request(url.replace("bar=2", "bar=3"), body, expected))
    with pytest.raises(SignatureInvalid):
        verify_twilio(config_of("sms"), request(url, body, expected))


def test_behind_a_proxy_the_configured_public_url_is_what_twilio_signed() -> None:
    public = "https://unisono.energiachiara.it/hooks/sms"
    seen_by_us = "http://10.0.0.7:8000/webhooks/sms/0190a4b2-0000-7000-8000-000000000001"
    body = fixture("incoming_sms.form")
    config = config_of("sms", webhook_url=public)
    headers = {"x-twilio-signature": signed(body, public)["X-Twilio-Signature"]}
    verify_twilio(config, WebhookRequest("POST", seen_by_us, headers, {}, body))
    # A query string Twilio was given is part of what it signed.
    headers = {"x-twilio-signature": signed(body, public + "?site=milano")["X-Twilio-Signature"]}
    verify_twilio(config, WebhookRequest("POST", seen_by_us + "?site=milano", headers, {}, body))
    with pytest.raises(SignatureInvalid, match="does not match"):
        verify_twilio(config_of("sms"), WebhookRequest("POST", seen_by_us, headers, {}, body))


# -- the webhook endpoint -------------------------------------------------------------------


def test_an_sms_is_stored_answered_with_empty_twiml_then_put_on_the_timeline(
    client: TestClient, app: Any, channel: Channel, session: Session
) -> None:
    body = fixture("incoming_sms.form")
    response = post_webhook(client, channel, body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text == EMPTY_TWIML
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.status == WebhookStatus.RECEIVED
    assert delivery.body == body
    assert "x-twilio-signature" in delivery.headers
    assert app.state.worker.drain() == 1
    (interaction,) = rows(session, Interaction)
    assert interaction.channel == "sms"
    assert interaction.channel_id == channel.id
    assert interaction.direction == "inbound"
    assert interaction.text.startswith("Buongiorno, la bolletta")
    assert interaction.external_id == "SM1f0e8d7c6b5a49382716a5b4c3d2e1f0"
    (processed,) = rows(session, WebhookDelivery)
    assert processed.status == WebhookStatus.PROCESSED
    # Twilio sends no time with an SMS: it is on the timeline when it was received.
    assert interaction.occurred_at == processed.created_at
    # Twilio retries a webhook that timed out: the same message again creates nothing.
    post_webhook(client, channel, body)
    app.state.worker.drain()
    assert len(rows(session, Interaction)) == 1


def test_an_mms_lands_with_its_two_media_waiting_to_be_fetched(
    client: TestClient, app: Any, channel: Channel, session: Session
) -> None:
    assert post_webhook(client, channel, fixture("incoming_mms.form")).status_code == 200
    app.state.worker.drain()
    (interaction,) = rows(session, Interaction)
    attachments = [a for a in rows(session, Attachment) if a.interaction_id == interaction.id]
    assert sorted(a.content_type for a in attachments) == ["application/pdf", "image/jpeg"]
    # No provider is reachable here, so the fetch waits for a retry; nothing is lost.
    assert all(a.status == AttachmentStatus.PENDING and a.error for a in attachments)
    assert all(a.source_url.startswith("https://api.twilio.com/") for a in attachments)


def test_a_public_webhook_url_behind_a_proxy_verifies_through_the_endpoint(
    client: TestClient, make_channel: MakeChannel, session: Session
) -> None:
    public = "https://unisono.energiachiara.it/webhooks/sms/pubblico"
    channel = make_channel("sms", credentials=CREDENTIALS, settings={"webhook_url": public})
    body = fixture("incoming_sms.form")
    assert post_webhook(client, channel, body, signed_url=public).status_code == 200
    # Signed over the URL the proxy forwarded to is not what Twilio does: refused.
    assert post_webhook(client, channel, body).status_code == 401
    assert len(rows(session, WebhookDelivery)) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": ""},
        {"X-Twilio-Signature": "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
        {"X-Twilio-Signature": "wrong-token"},
        {"X-Twilio-Signature": "another-url"},
        {"X-Twilio-Signature": "tampered-body"},
    ],
)
def test_a_bad_signature_is_401_and_stores_nothing(
    client: TestClient, channel: Channel, session: Session, headers: dict[str, str]
) -> None:
    path = f"/webhooks/sms/{channel.id}"
    body = fixture("incoming_sms.form")
    forged = {
        "wrong-token": signed(body, TEST_SERVER + path, token="not-the-token"),
        "another-url": signed(body, "https://elsewhere.example/webhooks/sms"),
        "tampered-body": signed(body.replace(b"412", b"41"), TEST_SERVER + path),
    }
    headers = forged.get(headers.get("X-Twilio-Signature", ""), headers)
    response = client.post(path, content=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert rows(session, WebhookDelivery) == []
    assert rows(session, Interaction) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"Body=ciao&&From=%2B393331234567", "not a form"),
        (with_fields(fixture("incoming_sms.form"), From=None), "From is missing"),
        (with_fields(fixture("incoming_mms.form"), MediaUrl1=None), "MediaUrl1 is missing"),
        (
            with_fields(fixture("incoming_sms.form"), AccountSid="AC" + "0" * 32),
            "not this channel's account",
        ),
    ],
)
def test_a_malformed_body_from_twilio_is_400_and_kept_for_inspection(
    client: TestClient, channel: Channel, session: Session, body: bytes, reason: str
) -> None:
    response = post_webhook(client, channel, body)
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_payload"
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.status == WebhookStatus.INVALID
    assert delivery.body == body
    assert reason in (delivery.error or "")


def test_statuses_move_our_sms_forward_and_record_failures(
    client: TestClient, app: Any, channel: Channel, session: Session
) -> None:
    post_webhook(client, channel, fixture("incoming_sms.form"))
    app.state.worker.drain()
    (message,) = rows(session, Interaction)
    failing = "SM00000000000000000000000000000001"
    for external_id in (OUR_MESSAGE, failing):
        session.add(
            Interaction(
                customer_id=message.customer_id,
                conversation_id=message.conversation_id,
                channel="sms",
                direction="outbound",
                author="operator",
                text="risposta",
                occurred_at=message.occurred_at,
                external_id=external_id,
                delivery_status=DeliveryStatus.SENT,
            )
        )
    session.commit()
    undelivered = with_fields(
        fixture("status_undelivered.form"), MessageSid=failing, SmsSid=failing
    )
    for body in (fixture("status_delivered.form"), undelivered):
        assert post_webhook(client, channel, body).text == EMPTY_TWIML
    app.state.worker.drain()
    out = {i.external_id: i for i in rows(session, Interaction) if i.direction == "outbound"}
    assert out[OUR_MESSAGE].delivery_status == DeliveryStatus.DELIVERED
    assert out[failing].delivery_status == DeliveryStatus.FAILED
    assert (out[failing].delivery_error or "").startswith("30003 Unreachable destination handset")
    summaries = [d.summary for d in rows(session, WebhookDelivery)]
    assert sum(s.get("statuses_matched", 0) for s in summaries) == 2


# -- sending ----------------------------------------------------------------------------------


def test_the_send_form_names_the_status_callback_only_when_known() -> None:
    message = OutboundMessage(recipient="+393331234567", text="Gentile cliente, verifichiamo")
    assert message_form(message, BUSINESS_NUMBER, None) == {
        "To": "+393331234567",
        "From": BUSINESS_NUMBER,
        "Body": "Gentile cliente, verifichiamo",
    }
    callback = "https://unisono.energiachiara.it/webhooks/sms/1"
    assert message_form(message, BUSINESS_NUMBER, callback)["StatusCallback"] == callback


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            400,
            {
                "code": 21211,
                "message": "Invalid 'To' Phone Number: +39333",
                "more_info": "https://www.twilio.com/docs/errors/21211",
                "status": 400,
            },
            (
                "21211 Invalid 'To' phone number (check the customer's phone number): "
                "Invalid 'To' Phone Number: +39333",
                "21211",
            ),
        ),
        (
            400,
            {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400},
            (
                "21610 Attempt to send to unsubscribed recipient (the customer replied STOP; they "
                "must text START before they can receive SMS again)",
                "21610",
            ),
        ),
        (429, {"code": 20429, "message": "Too Many Requests", "status": 429}, None),
        (502, "<html>Bad gateway</html>", ("<html>Bad gateway</html>", None)),
    ],
)
def test_twilio_errors_are_described_for_operators(
    status: int, body: Any, expected: tuple[str, str | None] | None
) -> None:
    response = (
        httpx.Response(status, json=body)
        if isinstance(body, dict)
        else httpx.Response(status, text=body)
    )
    message, code = describe_error(response)
    if expected is None:
        assert code == "20429"
        assert message.startswith("20429 Too many requests")
    else:
        assert (message, code) == expected


# -- both directions through the sandbox ------------------------------------------------------


def test_an_sms_in_a_reply_out_and_its_delivery_through_the_sandbox(
    live_unisono: str,
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
    operator: Operator,
) -> None:
    channel = make_channel("sms", credentials=CREDENTIALS, settings={"api_base_url": sandbox})
    token = do_create_token(session, operator)
    session.commit()
    injected = httpx.post(
        f"{sandbox}/_sandbox/sms/{channel.id}/messages",
        json={"from": "+393331234567", "body": "La bolletta è sbagliata"},
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

    def reply_status() -> str | None:
        items = api_get(
            live_unisono, token, f"/api/v1/customers/{conversation['customer']['id']}/timeline"
        )["items"]
        sent = next(i for i in items if i["id"] == reply_id)
        return sent["delivery_status"] if sent["delivery_status"] == "delivered" else None

    eventually(reply_status)
    sent = httpx.get(f"{sandbox}/_sandbox/sent", timeout=10).json()[-1]
    assert sent["provider"] == "sms"
    assert sent["recipient"] == "+393331234567"
    assert sent["id"].startswith("SM")
    assert len(sent["id"]) == 34
    assert sent["payload"] == {
        "To": "+393331234567",
        "From": BUSINESS_NUMBER,
        "Body": "Gentile cliente, verifichiamo subito",
    }


def test_undelivered_and_refused_sends_are_visible_with_twilios_reason(
    live_unisono: str,
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
) -> None:
    public = f"{live_unisono}/webhooks/sms/"
    channel = make_channel("sms", credentials=CREDENTIALS, settings={"api_base_url": sandbox})
    # The public URL is known: it goes with each message as its StatusCallback.
    stored = session.get_one(Channel, channel.id)
    stored.settings = {**stored.settings, "webhook_url": public + str(channel.id)}
    session.commit()
    connection = provider_for("sms").connect(
        config_of("sms", api_base_url=sandbox, webhook_url=public + str(channel.id))
    )
    accepted = connection.send(OutboundMessage(recipient="+393330000000", text="ciao"))
    sent = httpx.get(f"{sandbox}/_sandbox/sent", timeout=10).json()[-1]
    assert sent["payload"]["StatusCallback"] == public + str(channel.id)
    with pytest.raises(Rejected, match="21610") as refused:
        connection.send(OutboundMessage(recipient="+393330001610", text="ciao"))
    assert refused.value.code == "21610"
    with pytest.raises(Rejected, match="21211"):
        connection.send(OutboundMessage(recipient="393331234567", text="ciao"))
    with pytest.raises(RateLimited):
        connection.send(OutboundMessage(recipient="+393330000429", text="ciao"))
    wrong = provider_for("sms").connect(
        config_of("sms", credentials={"auth_token": "nope"}, api_base_url=sandbox)
    )
    with pytest.raises(Unauthorized):
        wrong.send(OutboundMessage(recipient="+393331234567", text="ciao"))
    # The status callbacks of the accepted one arrive signed over the StatusCallback URL.

    def callbacks() -> list[Any]:
        return [
            d for d in rows(session, WebhookDelivery) if accepted.external_id.encode() in d.body
        ]

    statuses = eventually(lambda: len(callbacks()) == 2 and callbacks())
    assert all(d.status != WebhookStatus.INVALID for d in statuses)
    assert any(b"ErrorCode=30003" in d.body and b"undelivered" in d.body for d in statuses)


def test_mms_media_are_fetched_with_the_accounts_credentials_and_downloadable(
    live_unisono: str,
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
    operator: Operator,
) -> None:
    channel = make_channel("sms", credentials=CREDENTIALS, settings={"api_base_url": sandbox})
    token = do_create_token(session, operator)
    session.commit()
    injected = httpx.post(
        f"{sandbox}/_sandbox/sms/{channel.id}/messages",
        json={"from": "+393331234567", "body": "", "media": ["image/jpeg", "application/pdf"]},
        timeout=10,
    ).json()
    assert injected["unisono_status"] == 200

    def stored() -> list[Any]:
        found = rows(session, Attachment)
        return found if len(found) == 2 and all(a.sha256 for a in found) else []

    attachments = {a.content_type: a for a in eventually(stored)}
    photo = attachments["image/jpeg"]
    assert photo.status == AttachmentStatus.STORED
    downloaded = httpx.get(
        f"{live_unisono}/api/v1/attachments/{photo.id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"] == "image/jpeg"
    assert b"foto del contatore" in downloaded.content
    (interaction,) = rows(session, Interaction)
    assert interaction.text == "[image] [document]"
    # The auth token goes to Twilio's API host only.
    connection = provider_for("sms").connect(config_of("sms", api_base_url=sandbox))
    with pytest.raises(Rejected, match="not on the Twilio API"):
        connection.fetch_media(MediaRef("image/jpeg", url="https://elsewhere.example/x.jpg"))
