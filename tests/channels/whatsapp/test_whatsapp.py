"""WhatsApp Cloud API: documented webhook payloads in, messages out through the sandbox."""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.channels.conftest import MakeChannel, api_get, eventually, rows
from unisono.channels.base import OutboundMessage
from unisono.channels.errors import MalformedPayload
from unisono.channels.signatures import meta_signature
from unisono.channels.whatsapp.inbound import parse_webhook
from unisono.channels.whatsapp.outbound import message_payload
from unisono.models import (
    DeliveryAttempt,
    DeliveryStatus,
    Interaction,
    Operator,
    WebhookDelivery,
    WebhookStatus,
)
from unisono.security.operators import do_create_token

HERE = Path(__file__).parent
SECRET = "whatsapp-app-secret"
CREDENTIALS = {
    "app_secret": SECRET,
    "verify_token": "verifica-123",
    "access_token": "EAAG-test-token",
    "phone_number_id": "106540352242922",
}


def fixture(name: str) -> bytes:
    return (HERE / name).read_bytes()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(secret, body)}


@pytest.fixture
def channel(make_channel: MakeChannel) -> Any:
    return make_channel("whatsapp", credentials=CREDENTIALS)


# -- parsing --------------------------------------------------------------------------------


def test_text_message_becomes_a_neutral_message() -> None:
    parsed = parse_webhook(json.loads(fixture("text_message.json")))
    (message,) = parsed.messages
    assert message.identity_kind == "phone"
    assert message.identity_value == "+393331234567"
    assert message.sender_name == "Maria Rossi"
    assert message.text.startswith("Buongiorno, la bolletta è sbagliata")
    assert message.occurred_at.isoformat() == "2026-03-02T08:10:00+00:00"
    assert message.external_id.startswith("wamid.")


def test_every_message_type_of_a_batch_is_read_and_unknown_fields_are_ignored() -> None:
    parsed = parse_webhook(json.loads(fixture("mixed_batch.json")))
    by_id = {m.external_id: m for m in parsed.messages}
    assert len(by_id) == 6
    image = by_id["wamid.IMAGE1"]
    assert image.text == "Foto del contatore"
    assert image.media[0].provider_id == "1003383421387256"
    assert image.media[0].content_type == "image/jpeg"
    document = by_id["wamid.DOC1"]
    assert document.text == "[document: bolletta_marzo.pdf]"
    assert document.replies_to == ("wamid.OUTBOUND_BILL",)
    assert "Via Toledo 1, Napoli" in by_id["wamid.LOC1"].text
    assert by_id["wamid.BTN1"].text == "Pago ora"
    assert by_id["wamid.REACT1"].text == "👍"
    assert by_id["wamid.UNSUP1"].metadata["unsupported"] is True
    assert by_id["wamid.LOC1"].sender_name == "Giovanni Esposito"
    assert parsed.ignored == ("field:message_template_status_update",)


def test_statuses_are_read_with_failure_reasons() -> None:
    parsed = parse_webhook(json.loads(fixture("statuses.json")))
    assert [(s.external_id, s.status) for s in parsed.statuses] == [
        ("wamid.OUT1", DeliveryStatus.DELIVERED),
        ("wamid.OUT1", DeliveryStatus.SENT),
        ("wamid.OUT2", DeliveryStatus.FAILED),
    ]
    assert (
        parsed.statuses[2].error == "131026 Message undeliverable: Message could not be delivered"
    )
    assert parsed.ignored == ("status:deleted",)


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "text",
        {"object": "page"},
        {"object": "whatsapp_business_account", "entry": {}},
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": []}]}],
        },
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "field": "messages",
                            "value": {"messages": [{"id": "x", "type": "text", "timestamp": "1"}]},
                        }
                    ]
                }
            ],
        },
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messages": [{"id": "x", "from": "39333", "timestamp": "soon"}]
                            },
                        }
                    ]
                }
            ],
        },
    ],
)
def test_malformed_payloads_are_refused_clearly(payload: Any) -> None:
    with pytest.raises(MalformedPayload):
        parse_webhook(payload)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "object",
                    "entry",
                    "changes",
                    "value",
                    "field",
                    "messages",
                    "statuses",
                    "from",
                    "id",
                    "timestamp",
                    "type",
                    "text",
                    "body",
                    "contacts",
                    "wa_id",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300)
@given(json_values)
def test_the_parser_never_fails_except_with_malformed_payload(payload: Any) -> None:
    for candidate in (payload, {"object": "whatsapp_business_account", "entry": payload}):
        with contextlib.suppress(MalformedPayload):
            parse_webhook(candidate)


def test_outbound_payloads_follow_the_cloud_api() -> None:
    text = message_payload(
        OutboundMessage(recipient="+393331234567", text="Ciao Maria", in_reply_to=("wamid.IN1",))
    )
    assert text == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "393331234567",
        "type": "text",
        "text": {"preview_url": False, "body": "Ciao Maria"},
        "context": {"message_id": "wamid.IN1"},
    }
    template = message_payload(
        OutboundMessage(
            recipient="+393331234567",
            text="",
            template_name="bolletta_pronta",
            template_language="it",
            template_parameters=("Maria", "90,00 €"),
        )
    )
    assert template["type"] == "template"
    assert template["template"]["name"] == "bolletta_pronta"
    assert template["template"]["language"] == {"code": "it"}
    assert template["template"]["components"][0]["parameters"][1] == {
        "type": "text",
        "text": "90,00 €",
    }


# -- the webhook endpoint -----------------------------------------------------------------


def test_handshake_echoes_the_challenge_only_with_our_verify_token(
    client: TestClient, channel: Any
) -> None:
    path = f"/webhooks/whatsapp/{channel.id}"
    ok = client.get(
        path,
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": "verifica-123",
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status_code == 200
    assert ok.text == "1158201444"
    bad = client.get(
        path,
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1158201444"},
    )
    assert bad.status_code == 403
    assert client.get(path).status_code == 400


def test_a_signed_delivery_is_stored_answered_then_put_on_the_timeline(
    client: TestClient, app: Any, channel: Any, session: Session
) -> None:
    body = fixture("text_message.json")
    response = client.post(f"/webhooks/whatsapp/{channel.id}", content=body, headers=signed(body))
    assert response.status_code == 200
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.status == WebhookStatus.RECEIVED
    assert delivery.body == body
    assert rows(session, Interaction) == []
    assert app.state.worker.drain() == 1
    (interaction,) = rows(session, Interaction)
    assert interaction.channel == "whatsapp"
    assert interaction.channel_id == channel.id
    assert interaction.text.startswith("Buongiorno")
    assert rows(session, WebhookDelivery)[0].status == WebhookStatus.PROCESSED
    # The provider retries: the same delivery again creates nothing new.
    client.post(f"/webhooks/whatsapp/{channel.id}", content=body, headers=signed(body))
    app.state.worker.drain()
    assert len(rows(session, Interaction)) == 1


def test_a_batch_delivery_lands_as_many_interactions_on_the_right_customers(
    client: TestClient, app: Any, channel: Any, session: Session
) -> None:
    body = fixture("mixed_batch.json")
    assert (
        client.post(
            f"/webhooks/whatsapp/{channel.id}", content=body, headers=signed(body)
        ).status_code
        == 200
    )
    app.state.worker.drain()
    interactions = rows(session, Interaction)
    assert len(interactions) == 6
    assert len({i.customer_id for i in interactions}) == 2
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.summary["created"] == 6
    assert delivery.summary["ignored"] == ["field:message_template_status_update"]
    image = next(i for i in interactions if i.external_id == "wamid.IMAGE1")
    from unisono.models import Attachment, AttachmentStatus

    (photo,) = [a for a in rows(session, Attachment) if a.interaction_id == image.id]
    # No provider is reachable here, so the fetch waits for a retry; nothing is lost.
    assert photo.provider_id == "1003383421387256"
    assert photo.status == AttachmentStatus.PENDING
    assert photo.error is not None


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
        f"/webhooks/whatsapp/{channel.id}", content=fixture("text_message.json"), headers=headers
    )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert rows(session, WebhookDelivery) == []


def test_a_malformed_payload_is_400_and_kept_for_inspection(
    client: TestClient, channel: Any, session: Session
) -> None:
    body = b'{"object": "whatsapp_business_account", "entry": "oops"'
    response = client.post(f"/webhooks/whatsapp/{channel.id}", content=body, headers=signed(body))
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_payload"
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.status == WebhookStatus.INVALID
    assert delivery.body == body
    assert "JSON" in (delivery.error or "")


def test_unknown_channel_or_kind_is_404(client: TestClient, channel: Any) -> None:
    body = fixture("text_message.json")
    assert (
        client.post(
            f"/webhooks/messenger/{channel.id}", content=body, headers=signed(body)
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/webhooks/whatsapp/0190a4b2-0000-7000-8000-000000000000",
            content=body,
            headers=signed(body),
        ).status_code
        == 404
    )


def test_statuses_move_our_message_forward_and_record_failures(
    client: TestClient, app: Any, channel: Any, session: Session, api: TestClient
) -> None:
    inbound = fixture("text_message.json")
    client.post(f"/webhooks/whatsapp/{channel.id}", content=inbound, headers=signed(inbound))
    app.state.worker.drain()
    (message,) = rows(session, Interaction)
    for external_id in ("wamid.OUT1", "wamid.OUT2"):
        session.add(
            Interaction(
                customer_id=message.customer_id,
                conversation_id=message.conversation_id,
                channel="whatsapp",
                direction="outbound",
                author="operator",
                text="risposta",
                occurred_at=message.occurred_at,
                external_id=external_id,
                delivery_status=DeliveryStatus.SENT,
            )
        )
    session.commit()
    body = fixture("statuses.json")
    client.post(f"/webhooks/whatsapp/{channel.id}", content=body, headers=signed(body))
    app.state.worker.drain()
    out = {i.external_id: i for i in rows(session, Interaction) if i.direction == "outbound"}
    # "sent" arrived after "delivered": the later state stands.
    assert out["wamid.OUT1"].delivery_status == DeliveryStatus.DELIVERED
    assert out["wamid.OUT2"].delivery_status == DeliveryStatus.FAILED
    assert "131026" in (out["wamid.OUT2"].delivery_error or "")
    assert set(out["wamid.OUT1"].meta["status_times"]) == {"sent", "delivered"}


def test_a_failed_processing_is_kept_and_replayable(
    client: TestClient, app: Any, channel: Any, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from unisono.inbox import webhooks

    def broken(*_: Any, **__: Any) -> bool:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(webhooks, "_ingest", broken)
    body = fixture("text_message.json")
    assert (
        client.post(
            f"/webhooks/whatsapp/{channel.id}", content=body, headers=signed(body)
        ).status_code
        == 200
    )
    app.state.worker.drain()
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.status == WebhookStatus.FAILED
    assert "database hiccup" in (delivery.error or "")
    assert rows(session, Interaction) == []
    monkeypatch.undo()
    assert webhooks.do_replay(session) == 1
    session.commit()
    app.state.worker.drain()
    assert rows(session, WebhookDelivery)[0].status == WebhookStatus.PROCESSED
    assert len(rows(session, Interaction)) == 1


# -- both directions through the sandbox ---------------------------------------------------


def test_messages_flow_both_ways_through_the_sandbox(
    live_unisono: str,
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
    operator: Operator,
) -> None:
    channel = make_channel(
        "whatsapp", credentials=CREDENTIALS, settings={"api_base_url": f"{sandbox}/v21.0"}
    )
    token = do_create_token(session, operator)
    session.commit()
    injected = httpx.post(
        f"{sandbox}/_sandbox/whatsapp/{channel.id}/messages",
        json={"from": "393331234567", "name": "Maria Rossi", "text": "La bolletta è sbagliata"},
        timeout=10,
    ).json()
    assert injected["unisono_status"] == 200
    conversation = eventually(
        lambda: api_get(live_unisono, token, "/api/v1/conversations")["items"]
    )[0]
    assert conversation["customer"]["display_name"] == "Maria Rossi"
    reply = httpx.post(
        f"{live_unisono}/api/v1/conversations/{conversation['id']}/messages",
        json={"text": "Gentile signora, verifichiamo subito"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert reply.status_code == 201, reply.text
    reply_id = reply.json()["id"]

    def delivered_status() -> str | None:
        items = api_get(
            live_unisono, token, f"/api/v1/customers/{conversation['customer']['id']}/timeline"
        )["items"]
        status = next(i["delivery_status"] for i in items if i["id"] == reply_id)
        return status if status == "read" else None

    eventually(delivered_status)
    sent = httpx.get(f"{sandbox}/_sandbox/sent", timeout=10).json()
    assert sent[-1]["recipient"] == "393331234567"
    assert sent[-1]["payload"]["text"]["body"] == "Gentile signora, verifichiamo subito"


def test_permanent_and_transient_send_failures_are_visible(
    engine: Any,
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
    api: TestClient,
    app: Any,
) -> None:
    from tests.api.conftest import ago

    make_channel("whatsapp", credentials=CREDENTIALS, settings={"api_base_url": f"{sandbox}/v21.0"})
    outcomes = {}
    for number in ("+39 333 000 0000", "+39 333 000 0429"):
        msg = api.post(
            "/api/v1/interactions",
            json={
                "channel": "whatsapp",
                "identity": {"kind": "phone", "value": number},
                "direction": "inbound",
                "text": "ciao",
                "occurred_at": ago(minutes=5).isoformat(),
                "external_id": f"in-{number}",
            },
        ).json()
        reply = api.post(
            f"/api/v1/conversations/{msg['conversation_id']}/messages", json={"text": "risposta"}
        ).json()
        outcomes[number] = reply["id"]
    app.state.worker.drain()

    def state(reply_id: str) -> tuple[Any, Any]:
        session.rollback()
        row = session.get(Interaction, uuid.UUID(reply_id))
        assert row is not None
        result = (row.delivery_status, row.delivery_error)
        session.rollback()
        return result

    # Accepted by the API, then reported undeliverable by a status callback (via the live app).
    undeliverable = eventually(
        lambda: (
            state(outcomes["+39 333 000 0000"])[0] in (DeliveryStatus.SENT, DeliveryStatus.FAILED)
        )
    )
    assert undeliverable
    status, error = state(outcomes["+39 333 000 0429"])
    assert status == DeliveryStatus.QUEUED
    assert "rate limited" in (error or "")
    attempts = session.scalar(select(func.count()).select_from(DeliveryAttempt))
    session.rollback()
    assert attempts == 2


def test_inbound_media_is_fetched_from_the_provider_and_downloadable(
    sandbox: str,
    make_channel: MakeChannel,
    session: Session,
    client: TestClient,
    app: Any,
    api: TestClient,
) -> None:
    channel = make_channel(
        "whatsapp", credentials=CREDENTIALS, settings={"api_base_url": f"{sandbox}/v21.0"}
    )
    body = fixture("mixed_batch.json")
    client.post(f"/webhooks/whatsapp/{channel.id}", content=body, headers=signed(body))
    from unisono.models import Attachment, AttachmentStatus

    # The live server's own worker may take the fetch: wait for whichever worker does it.
    def stored() -> dict[str | None, Any]:
        app.state.worker.drain()
        found = {a.provider_id: a for a in rows(session, Attachment)}
        done = len(found) == 2 and all(a.status == AttachmentStatus.STORED for a in found.values())
        return found if done else {}

    attachments = eventually(stored)
    assert set(attachments) == {"1003383421387256", "786413510164346"}
    assert all(a.status == AttachmentStatus.STORED for a in attachments.values())
    photo = attachments["1003383421387256"]
    assert photo.caption == "Foto del contatore"
    downloaded = api.get(f"/api/v1/attachments/{photo.id}")
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"] == "image/jpeg"
    assert b"foto del contatore" in downloaded.content
    timeline = api.get(f"/api/v1/customers/{rows(session, Interaction)[0].customer_id}/timeline")
    shown = [a for i in timeline.json()["items"] for a in i["attachments"]]
    assert any(a["filename"] == "bolletta_marzo.pdf" and a["status"] == "stored" for a in shown)
