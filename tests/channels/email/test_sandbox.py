"""Both ways through the sandbox: a customer writes via the gateway, our answer reaches its SMTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.channels.conftest import MakeChannel
from tests.channels.email.conftest import ADDRESS, rows
from unisono.models import Conversation, DeliveryStatus, Interaction
from unisono.sandbox.app import create_sandbox_app
from unisono.sandbox.email import PORT_VARIABLE
from unisono.sandbox.server import serve_in_thread


@pytest.fixture
def email_sandbox(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(PORT_VARIABLE, "0")  # any free port: tests run in parallel
    with serve_in_thread(create_sandbox_app(engine, "http://127.0.0.1:9")) as url:
        yield url


def test_a_customer_writes_in_and_our_answer_reaches_the_sandbox_smtp(
    email_sandbox: str,
    gateway: tuple[str, int],
    make_channel: MakeChannel,
    session: Session,
    app: Any,
    api: TestClient,
) -> None:
    smtp = httpx.get(f"{email_sandbox}/_sandbox/email/smtp", timeout=10).json()
    channel = make_channel(
        "email",
        name="Energia Chiara",
        credentials={
            "smtp_host": smtp["host"],
            "smtp_port": str(smtp["port"]),
            "address": ADDRESS,
            "username": "assistenza",
            "password": "segreta",
        },
        settings={"gateway": f"{gateway[0]}:{gateway[1]}"},
    )
    injected = httpx.post(
        f"{email_sandbox}/_sandbox/email/{channel.id}/messages",
        json={
            "from": "giulia.marino@example.it",
            "name": "Giulia Marino",
            "subject": "Contatore bloccato",
            "text": "Buongiorno,\nil contatore è fermo da ieri.",
        },
        timeout=10,
    ).json()
    assert injected["smtp_status"] == 250, injected
    assert injected["smtp_reply"].startswith("2.0.0 OK queued as ")
    app.state.worker.drain()
    (message,) = rows(session, Interaction)
    assert message.external_id == injected["message_id"]
    assert message.text == "Buongiorno,\nil contatore è fermo da ieri."
    assert message.meta["subject"] == "Contatore bloccato"
    (conversation,) = rows(session, Conversation)

    reply = api.post(
        f"/api/v1/conversations/{conversation.id}/messages",
        json={"text": "Gentile signora Marino, mandiamo un tecnico domani."},
    )
    assert reply.status_code == 201, reply.text
    app.state.worker.drain()
    (sent,) = httpx.get(f"{email_sandbox}/_sandbox/email/outbox", timeout=10).json()
    assert sent["channel_id"] == str(channel.id)
    assert sent["mail_from"] == ADDRESS
    assert sent["recipients"] == ["giulia.marino@example.it"]
    # The answer threads under her mail (email is a THREADED channel; see inbox.replies).
    assert sent["subject"] == "Re: Contatore bloccato"
    assert sent["in_reply_to"] == injected["message_id"]
    assert sent["text"] == "Gentile signora Marino, mandiamo un tecnico domani.\n"
    (logged,) = httpx.get(f"{email_sandbox}/_sandbox/sent", timeout=10).json()
    assert logged["provider"] == "email"
    assert logged["id"] == sent["message_id"]
    outbound = next(i for i in rows(session, Interaction) if i.direction == "outbound")
    assert outbound.delivery_status == DeliveryStatus.SENT
    assert outbound.external_id == sent["message_id"]

    # She answers from her mail client: the sandbox threads it under our message.
    answer = httpx.post(
        f"{email_sandbox}/_sandbox/email/{channel.id}/messages",
        json={
            "from": "giulia.marino@example.it",
            "name": "Giulia Marino",
            "subject": "Re: Contatore bloccato",
            "text": "Perfetto, grazie.",
            "in_reply_to": outbound.external_id,
        },
        timeout=10,
    ).json()
    assert answer["smtp_status"] == 250
    app.state.worker.drain()
    latest = next(i for i in rows(session, Interaction) if i.external_id == answer["message_id"])
    assert latest.meta["replies_to"] == [outbound.external_id]
    assert latest.conversation_id == conversation.id


def test_sandbox_smtp_refuses_unknown_senders_and_bad_recipients(
    email_sandbox: str, make_channel: MakeChannel, session: Session, app: Any, api: TestClient
) -> None:
    import smtplib

    smtp = httpx.get(f"{email_sandbox}/_sandbox/email/smtp", timeout=10).json()
    make_channel(
        "email",
        credentials={"smtp_host": smtp["host"], "smtp_port": str(smtp["port"]), "address": ADDRESS},
    )
    mail = b"Subject: x\r\n\r\nx\r\n"
    for sender, recipient, refusal in (
        ("estraneo@example.it", "a@b.it", smtplib.SMTPSenderRefused),
        (ADDRESS, "rifiuta.tutto@example.it", smtplib.SMTPRecipientsRefused),
    ):
        with (
            smtplib.SMTP(smtp["host"], smtp["port"], local_hostname="t", timeout=10) as client,
            pytest.raises(refusal),
        ):
            client.sendmail(sender, [recipient], mail)
    assert httpx.get(f"{email_sandbox}/_sandbox/email/outbox", timeout=10).json() == []


def test_injecting_without_a_gateway_or_a_channel(
    email_sandbox: str, make_channel: MakeChannel
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    channel = make_channel(
        "email",
        credentials={"smtp_host": "127.0.0.1", "smtp_port": "25", "address": ADDRESS},
        settings={"gateway": f"127.0.0.1:{closed}"},
    )
    body = {"from": "a@example.it", "text": "ciao"}
    down = httpx.post(f"{email_sandbox}/_sandbox/email/{channel.id}/messages", json=body)
    assert down.status_code == 502
    assert "mail gateway" in down.json()["error"]
    missing = httpx.post(f"{email_sandbox}/_sandbox/email/{uuid.uuid4()}/messages", json=body)
    assert missing.status_code == 404
