"""End to end: one person on WhatsApp, email and the phone is one customer and one conversation.

Issue 3's journey, through real HTTP and SMTP with the embedded worker and the sandbox
providers: Maria Rossi writes on WhatsApp; the operator adds her email address to her profile;
she then emails from it and calls from her mobile. Everything lands on one customer and one open
conversation; the operator's free-form reply goes out on WhatsApp while the 24-hour service
window is open, and is refused once it has closed.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.channels.conftest import MakeChannel, api_get, eventually, rows
from unisono.channels.email.gateway import mail_gateway
from unisono.clock import utcnow
from unisono.inbox import replies
from unisono.models import Conversation, Customer, Interaction, Operator
from unisono.security.operators import do_create_token

MOBILE_META = "393331234567"  # how Meta writes the number
MOBILE_TWILIO = "+393331234567"  # how Twilio writes it
MARIA_EMAIL = "maria.rossi@libero.it"
SUPPORT_ADDRESS = "assistenza@energiachiara.it"
TWILIO = {
    "account_sid": "AC" + "0" * 32,
    "auth_token": "twilio-auth",
    "from_number": "+390212345678",
}
WHATSAPP = {
    "app_secret": "whatsapp-app-secret",
    "verify_token": "verifica-123",
    "access_token": "EAAG-test-token",
    "phone_number_id": "106540352242922",
}


@pytest.fixture
def gateway(engine: Engine) -> Iterator[tuple[str, int]]:
    with mail_gateway(engine, port=0, hostname="mx.test") as listener:
        yield listener.address


def test_whatsapp_then_email_then_a_call_are_one_customer_and_one_conversation(
    live_unisono: str,
    sandbox: str,
    gateway: tuple[str, int],
    make_channel: MakeChannel,
    session: Session,
    operator: Operator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whatsapp = make_channel(
        "whatsapp", credentials=WHATSAPP, settings={"api_base_url": f"{sandbox}/v21.0"}
    )
    # Mail comes in through the gateway; nothing is sent by email here.
    make_channel(
        "email",
        credentials={"smtp_host": "127.0.0.1", "smtp_port": "1", "address": SUPPORT_ADDRESS},
    )
    voice = make_channel("voice", credentials=TWILIO, settings={"api_base_url": sandbox})
    token = do_create_token(session, operator)
    session.commit()
    auth = {"Authorization": f"Bearer {token}"}

    # Monday 9:10, WhatsApp.
    written = httpx.post(
        f"{sandbox}/_sandbox/whatsapp/{whatsapp.id}/messages",
        json={"from": MOBILE_META, "name": "Maria Rossi", "text": "La bolletta è sbagliata"},
        timeout=10,
    ).json()
    assert written["unisono_status"] == 200
    conversations = eventually(
        lambda: api_get(live_unisono, token, "/api/v1/conversations")["items"]
    )
    customer_id = conversations[0]["customer"]["id"]

    # The operator adds her email address to her profile.
    added = httpx.post(
        f"{live_unisono}/api/v1/customers/{customer_id}/identities",
        json={"kind": "email", "value": "Maria.Rossi@Libero.it"},
        headers=auth,
        timeout=10,
    )
    assert added.status_code == 201, added.text

    # She emails from it.
    mail = EmailMessage()
    mail["From"] = f"Maria Rossi <{MARIA_EMAIL}>"
    mail["To"] = SUPPORT_ADDRESS
    mail["Subject"] = "Bolletta di marzo"
    mail["Message-ID"] = "<bolletta-marzo-1@libero.it>"
    mail.set_content("Vi scrivo per la bolletta di 412 euro: di solito pago 90 euro.")
    with smtplib.SMTP(*gateway, local_hostname="mx.libero.test", timeout=10) as smtp:
        assert smtp.send_message(mail) == {}

    # She calls from her mobile (the sandbox posts Twilio's call webhooks, signed).
    called = httpx.post(
        f"{sandbox}/_sandbox/voice/{voice.id}/calls",
        json={"from": MOBILE_TWILIO, "duration": 95, "record": False},
        timeout=10,
    ).json()
    assert called["unisono_statuses"] == [200, 200], called

    def three_channels() -> list[Any] | None:
        found = rows(session, Interaction)
        return found if {i.channel for i in found} >= {"whatsapp", "email", "voice"} else None

    interactions = eventually(three_channels)
    (customer,) = rows(session, Customer)
    assert str(customer.id) == customer_id
    (case,) = rows(session, Conversation)
    assert {i.customer_id for i in interactions} == {customer.id}
    assert {i.conversation_id for i in interactions} == {case.id}
    email_item = next(i for i in interactions if i.channel == "email")
    assert "412 euro" in (email_item.text or "")

    # Within the window the free-form reply goes out on WhatsApp (chosen: the call came last).
    reply = httpx.post(
        f"{live_unisono}/api/v1/conversations/{case.id}/messages",
        json={"text": "Gentile signora, verifichiamo subito la bolletta", "channel": "whatsapp"},
        headers=auth,
        timeout=10,
    )
    assert reply.status_code == 201, reply.text

    def sent_on_whatsapp() -> Any:
        sent = httpx.get(f"{sandbox}/_sandbox/sent", timeout=10).json()
        return [s for s in sent if s.get("recipient") == MOBILE_META]

    (sent,) = eventually(sent_on_whatsapp)
    assert sent["payload"]["text"]["body"] == "Gentile signora, verifichiamo subito la bolletta"
    timeline = api_get(live_unisono, token, f"/api/v1/customers/{customer_id}/timeline")["items"]
    assert {i["channel"] for i in timeline} >= {"whatsapp", "email", "voice"}

    # A day and a bit later the window has closed: free-form text is refused up front.
    later = utcnow() + timedelta(hours=25)

    def tomorrow() -> datetime:
        return later

    monkeypatch.setattr(replies, "utcnow", tomorrow)
    refused = httpx.post(
        f"{live_unisono}/api/v1/conversations/{case.id}/messages",
        json={"text": "Ci sono novità sulla bolletta", "channel": "whatsapp"},
        headers=auth,
        timeout=10,
    )
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "24 hours" in problem["detail"]
    assert len(eventually(sent_on_whatsapp)) == 1  # nothing more went out
    outbound = [i for i in rows(session, Interaction) if i.direction == "outbound"]
    assert [i.text for i in outbound] == ["Gentile signora, verifichiamo subito la bolletta"]
