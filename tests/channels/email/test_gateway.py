"""The mail gateway end to end: SMTP in, stored before 250, on the timeline after the worker.

Also the way back: an operator's reply goes out by SMTP, the customer's answer to it is
recognised by its In-Reply-To, and a bounce of it marks it failed.
"""

from __future__ import annotations

import email
import email.policy
import smtplib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.channels.email.conftest import ADDRESS, MakeEmailChannel, eml, rows
from unisono.channels.email import gateway as gateway_module
from unisono.models import (
    Attachment,
    AttachmentStatus,
    Channel,
    Conversation,
    DeliveryStatus,
    Interaction,
    WebhookDelivery,
    WebhookStatus,
)
from unisono.sandbox.email import SandboxSMTP

Address = tuple[str, int]


def smtp_send(gateway: Address, raw: bytes, *, sender: str, to: list[str]) -> dict[str, Any]:
    """``raw`` sent as a mail server would: lines end in CRLF on the wire."""
    wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    with smtplib.SMTP(*gateway, local_hostname="mx.sender.test", timeout=10) as smtp:
        return dict(smtp.sendmail(sender, to, wire))


def test_a_mail_is_stored_before_250_and_lands_on_the_timeline_with_its_attachments(
    gateway: Address, email_channel: Channel, session: Session, app: Any, api: TestClient
) -> None:
    message = email.message_from_bytes(eml("attachments.eml"), policy=email.policy.default)
    with smtplib.SMTP(*gateway, local_hostname="mx.sender.test", timeout=10) as smtp:
        assert smtp.send_message(message) == {}
    # Answered 250 only once committed: the row is there as soon as the client returns.
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.kind == "email"
    assert delivery.channel_id == email_channel.id
    assert delivery.status == WebhookStatus.RECEIVED
    assert b"Subject: Autolettura e bolletta contestata" in delivery.body
    assert delivery.headers["x-envelope-from"] == "luca.ferri@gmx.net"
    assert delivery.headers["x-envelope-to"] == ADDRESS
    assert delivery.headers["x-unisono-source"] == "smtp"
    assert delivery.url == f"smtp://mx.test/{ADDRESS}"
    assert rows(session, Interaction) == []

    assert app.state.worker.drain() >= 1
    (interaction,) = rows(session, Interaction)
    assert interaction.channel == "email"
    assert interaction.channel_id == email_channel.id
    assert interaction.external_id == "<A1B2C3D4-E5F6-4789-9ABC-DEF012345678@gmx.net>"
    assert interaction.text.startswith("Buongiorno,\nvi mando la foto del contatore")
    assert interaction.meta["subject"] == "Autolettura e bolletta contestata"
    assert rows(session, WebhookDelivery)[0].status == WebhookStatus.PROCESSED

    timeline = api.get(f"/api/v1/customers/{interaction.customer_id}/timeline").json()["items"]
    (item,) = timeline
    assert {a["filename"]: a["status"] for a in item["attachments"]} == {
        "contatore.png": "stored",
        "bolletta marzo 2026 – contestata.pdf": "stored",
    }
    pdf = next(a for a in item["attachments"] if a["content_type"] == "application/pdf")
    downloaded = api.get(pdf["download_path"])
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"] == "application/pdf"
    assert downloaded.content.startswith(b"%PDF-1.4")
    assert all(a.status == AttachmentStatus.STORED for a in rows(session, Attachment))
    customer = api.get(f"/api/v1/customers/{interaction.customer_id}").json()
    assert customer["display_name"] == "Luca Ferri"


def test_an_unknown_recipient_is_refused_with_550_and_nothing_is_stored(
    gateway: Address, email_channel: Channel, session: Session
) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp_send(
            gateway,
            eml("plain_utf8.eml"),
            sender="maria.rossi@libero.it",
            to=["vendite@energiachiara.it"],
        )
    code, text = refused.value.recipients["vendite@energiachiara.it"]
    assert code == 550
    assert b"no such mailbox" in text
    assert rows(session, WebhookDelivery) == []


def test_one_delivery_per_channel_addressed_and_unknown_recipients_are_left_out(
    gateway: Address, make_email_channel: MakeEmailChannel, session: Session, app: Any
) -> None:
    support = make_email_channel()
    billing = make_email_channel(address="Fatture@EnergiaChiara.it", name="Fatture")
    refused = smtp_send(
        gateway,
        eml("latin1_qp.eml"),
        sender="g.cesaro@alice.it",
        to=["ASSISTENZA@energiachiara.it", "nessuno@energiachiara.it", "fatture@energiachiara.it"],
    )
    assert refused == {"nessuno@energiachiara.it": (550, refused["nessuno@energiachiara.it"][1])}
    deliveries = rows(session, WebhookDelivery)
    assert {d.channel_id for d in deliveries} == {support.id, billing.id}
    app.state.worker.drain()
    # Two channels, one message: ingestion is idempotent on the Message-ID.
    (interaction,) = rows(session, Interaction)
    assert interaction.text.startswith("Buonasera,\nho ricevuto un sollecito")


def test_the_same_mail_twice_is_one_interaction(
    gateway: Address, email_channel: Channel, session: Session, app: Any
) -> None:
    for _ in range(2):
        smtp_send(gateway, eml("no_message_id.eml"), sender="s@studio.it", to=[ADDRESS])
    app.state.worker.drain()
    assert len(rows(session, WebhookDelivery)) == 2
    (interaction,) = rows(session, Interaction)
    assert interaction.external_id is not None
    assert interaction.external_id.startswith("sha256:")
    assert interaction.meta["message_id_missing"] is True


def test_an_unreadable_mail_is_kept_as_invalid_and_refused_with_554(
    gateway: Address, email_channel: Channel, session: Session
) -> None:
    with pytest.raises(smtplib.SMTPDataError) as refused:
        smtp_send(
            gateway, b"Subject: chi sono?\r\n\r\nniente mittente\r\n", sender="", to=[ADDRESS]
        )
    assert refused.value.smtp_code == 554
    (delivery,) = rows(session, WebhookDelivery)
    assert delivery.status == WebhookStatus.INVALID
    assert delivery.error == "the message has no From address"


def test_a_storage_failure_is_a_temporary_refusal(
    gateway: Address, email_channel: Channel, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(gateway_module, "do_store_raw_mail", broken)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        smtp_send(gateway, eml("plain_utf8.eml"), sender="m@libero.it", to=[ADDRESS])
    # 4xx: the sending server keeps the message and tries again later.
    assert refused.value.smtp_code == 451
    assert rows(session, WebhookDelivery) == []


def test_a_missing_date_takes_the_time_the_gateway_received_it(
    gateway: Address, email_channel: Channel, session: Session, app: Any
) -> None:
    smtp_send(
        gateway,
        b"From: a@example.it\r\nSubject: x\r\n\r\nciao\r\n",
        sender="a@example.it",
        to=[ADDRESS],
    )
    app.state.worker.drain()
    (delivery,) = rows(session, WebhookDelivery)
    (interaction,) = rows(session, Interaction)
    assert interaction.meta["date_source"] == "received"
    assert (
        interaction.occurred_at.isoformat()[:19] == (delivery.headers["x-unisono-received-at"][:19])
    )


def test_an_inactive_channel_gets_no_mail(
    gateway: Address, email_channel: Channel, session: Session
) -> None:
    channel = session.get_one(Channel, email_channel.id)
    channel.active = False
    session.commit()
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        smtp_send(gateway, eml("plain_utf8.eml"), sender="m@libero.it", to=[ADDRESS])
    assert rows(session, WebhookDelivery) == []


def test_webhook_posts_to_an_email_channel_are_refused(
    client: TestClient, email_channel: Channel, session: Session
) -> None:
    response = client.post(f"/webhooks/email/{email_channel.id}", content=eml("plain_utf8.eml"))
    assert response.status_code == 401
    assert rows(session, WebhookDelivery) == []


def test_reply_then_answer_then_bounce(
    gateway: Address,
    email_channel: Channel,
    smtp_server: SandboxSMTP,
    session: Session,
    app: Any,
    api: TestClient,
) -> None:
    # The customer writes.
    smtp_send(gateway, eml("plain_utf8.eml"), sender="maria.rossi@libero.it", to=[ADDRESS])
    app.state.worker.drain()
    (first,) = rows(session, Interaction)
    (conversation,) = rows(session, Conversation)

    # The operator answers; the worker sends it through the channel's SMTP server.
    reply = api.post(
        f"/api/v1/conversations/{conversation.id}/messages",
        json={"text": "Gentile signora Rossi,\nla lettura era stimata: ricalcoliamo."},
    )
    assert reply.status_code == 201, reply.text
    app.state.worker.drain()
    (sent,) = smtp_server.messages
    assert sent.recipients == ("maria.rossi@libero.it",)
    # Threaded under her mail, so her client shows the answer in the same thread.
    assert sent.message["In-Reply-To"] == first.external_id
    assert sent.message["Subject"] == "Re: Bolletta di febbraio: importo più alto del solito"
    outbound = next(i for i in rows(session, Interaction) if i.direction == "outbound")
    assert outbound.delivery_status == DeliveryStatus.SENT
    assert outbound.external_id == sent.message["Message-ID"]

    # She answers that mail: it names our Message-ID and joins the same conversation.
    answer = (
        f"From: Maria Rossi <maria.rossi@libero.it>\r\nTo: {ADDRESS}\r\n"
        f"Subject: Re: {sent.message['Subject']}\r\n"
        "Message-ID: <risposta-1@libero.it>\r\n"
        f"In-Reply-To: {outbound.external_id}\r\nReferences: {outbound.external_id}\r\n"
        "Date: Mon, 2 Mar 2026 12:00:00 +0100\r\n\r\n"
        "Grazie mille.\r\n\r\n"
        "Il giorno lun 2 mar 2026 alle ore 11:00 Energia Chiara <assistenza@energiachiara.it>"
        " ha scritto:\r\n> Gentile signora Rossi,\r\n"
    ).encode()
    smtp_send(gateway, answer, sender="maria.rossi@libero.it", to=[ADDRESS])
    app.state.worker.drain()
    answered = next(
        i for i in rows(session, Interaction) if i.external_id == "<risposta-1@libero.it>"
    )
    assert answered.meta["replies_to"] == [outbound.external_id]
    assert answered.meta["reply_text"] == "Grazie mille."
    assert answered.conversation_id == first.conversation_id
    assert answered.customer_id == first.customer_id

    # Her provider bounces a later copy: the report names our Message-ID, which fails.
    bounce = eml("bounce_dsn.eml").replace(
        b"<177304680311.4242.8812@energiachiara.it>", outbound.external_id.encode()
    )
    smtp_send(gateway, bounce, sender="", to=[ADDRESS])
    app.state.worker.drain()
    outbound = next(i for i in rows(session, Interaction) if i.direction == "outbound")
    assert outbound.delivery_status == DeliveryStatus.FAILED
    assert "User unknown" in (outbound.delivery_error or "")
    latest = rows(session, WebhookDelivery)
    assert sorted(d.summary.get("statuses_matched", 0) for d in latest)[-1] == 1
    # The bounce is news about our message, not a customer called MAILER-DAEMON.
    assert not any("mailer-daemon" in (i.text or "").lower() for i in rows(session, Interaction))
