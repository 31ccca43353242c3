"""SCENARIOS.md "The same number, three channels": SMS, WhatsApp, a call, one person.

A customer texts by SMS from 333 123 4567 (Twilio writes it +393331234567), later writes on
WhatsApp from +39 333 1234567 (Meta writes it 393331234567) and calls from 0039 3331234567
(Twilio writes it +393331234567 again): one customer, one open conversation, three channels.
Fixtures: tests/channels/sms, tests/channels/whatsapp and tests/channels/voice, as documented
by Twilio (https://www.twilio.com/docs/messaging/guides/webhook-request,
https://www.twilio.com/docs/usage/webhooks/voice-webhooks) and Meta
(https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.channels.conftest import MakeChannel
from tests.channels.sms.twilio_fixtures import CREDENTIALS, post_webhook, read_fixture, rows
from unisono.channels.signatures import meta_signature
from unisono.clock import utcnow
from unisono.models import Conversation, Customer, Identity, Interaction

CHANNELS = Path(__file__).parent.parent
WHATSAPP_SECRET = "whatsapp-app-secret"


def whatsapp_now() -> bytes:
    """The documented WhatsApp text message, sent now (threading looks at the time)."""
    payload: Any = json.loads((CHANNELS / "whatsapp" / "text_message.json").read_bytes())
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["timestamp"] = str(int(utcnow().timestamp()))
    return json.dumps(payload).encode()


def test_sms_whatsapp_and_a_call_from_one_number_are_one_customer_and_one_conversation(
    client: TestClient, app: Any, make_channel: MakeChannel, session: Session
) -> None:
    sms = make_channel("sms", credentials=CREDENTIALS)
    voice = make_channel("voice", credentials=CREDENTIALS)
    whatsapp = make_channel(
        "whatsapp",
        credentials={
            "app_secret": WHATSAPP_SECRET,
            "verify_token": "verifica-123",
            "access_token": "EAAG-test-token",
            "phone_number_id": "106540352242922",
        },
    )
    texted = post_webhook(client, sms, read_fixture(CHANNELS / "sms", "incoming_sms.form"))
    assert texted.status_code == 200
    app.state.worker.drain()
    body = whatsapp_now()
    written = client.post(
        f"/webhooks/whatsapp/{whatsapp.id}",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": meta_signature(WHATSAPP_SECRET, body),
        },
    )
    assert written.status_code == 200
    app.state.worker.drain()
    called = post_webhook(client, voice, read_fixture(CHANNELS / "voice", "incoming_call.form"))
    assert called.status_code == 200
    app.state.worker.drain()

    interactions = rows(session, Interaction)
    assert sorted(i.channel for i in interactions) == ["sms", "voice", "whatsapp"]
    (customer,) = rows(session, Customer)
    assert {i.customer_id for i in interactions} == {customer.id}
    assert customer.display_name == "Maria Rossi"  # the name came with WhatsApp
    (conversation,) = rows(session, Conversation)
    assert {i.conversation_id for i in interactions} == {conversation.id}
    (identity,) = rows(session, Identity)
    assert (identity.kind, identity.value) == ("phone", "+393331234567")
