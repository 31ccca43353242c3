"""Composing outbound mail: headers, multipart/alternative, threading; read back by our parser."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from unisono.channels.base import ChannelConfig, OutboundMessage
from unisono.channels.email.compose import (
    compose,
    reply_subject,
    subject_for,
    text_to_html,
)
from unisono.channels.email.mime import parse_message
from unisono.channels.errors import Rejected

TEXT = "Gentile signora Rossi,\nabbiamo ricalcolato la bolletta: 95,20 €.\n\nCordiali saluti <3"


def config(**settings: Any) -> ChannelConfig:
    return ChannelConfig(
        id=uuid.uuid4(),
        kind="email",
        name="Energia Chiara",
        settings=settings,
        credentials={
            "smtp_host": "127.0.0.1",
            "smtp_port": "25",
            "address": "assistenza@energiachiara.it",
        },
    )


def test_headers_and_both_bodies() -> None:
    now = datetime(2026, 3, 2, 9, 10, tzinfo=UTC)
    mail = compose(
        config(),
        OutboundMessage(recipient="maria.rossi@gmail.com", text=TEXT, subject="Bolletta"),
        now=now,
    )
    assert mail["From"] == "Energia Chiara <assistenza@energiachiara.it>"
    assert mail["To"] == "maria.rossi@gmail.com"
    assert mail["Subject"] == "Bolletta"
    assert mail["Date"] == "Mon, 02 Mar 2026 09:10:00 +0000"
    assert mail["Auto-Submitted"] == "no"
    assert str(mail["Message-ID"]).endswith("@energiachiara.it>")
    assert mail["In-Reply-To"] is None
    assert mail["References"] is None
    assert mail.get_content_type() == "multipart/alternative"
    plain, html = mail.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert plain["Content-Transfer-Encoding"] == "quoted-printable"
    assert plain.get_content() == TEXT + "\n"
    assert html.get_content_type() == "text/html"
    assert "<p>Gentile signora Rossi,<br>\nabbiamo ricalcolato la bolletta: 95,20 €.</p>" in (
        html.get_content()
    )
    assert "<p>Cordiali saluti &lt;3</p>" in html.get_content()
    # On the wire: 7-bit clean, CRLF.
    wire = mail.as_bytes(policy=email.policy.SMTP)
    assert all(b < 128 for b in wire)
    assert b"\r\n" in wire


def test_each_mail_has_its_own_message_id_in_the_configured_domain() -> None:
    message = OutboundMessage(recipient="a@example.it", text="ciao")
    first = compose(config(), message)["Message-ID"]
    second = compose(config(message_id_domain="mail.energiachiara.it"), message)["Message-ID"]
    assert first != second
    assert str(second).endswith("@mail.energiachiara.it>")


def test_threading_headers_name_the_answered_message_and_its_thread() -> None:
    mail = compose(
        config(),
        OutboundMessage(
            recipient="maria.rossi@gmail.com",
            text="Grazie, ricalcoliamo.",
            in_reply_to=(
                "<first@mail.gmail.com>",
                "sha256:" + "0" * 64,
                "second@mail.gmail.com",
                "not an id",
            ),
        ),
    )
    assert mail["In-Reply-To"] == "<second@mail.gmail.com>"
    assert mail["References"] == "<first@mail.gmail.com> <second@mail.gmail.com>"


def test_our_own_mail_reads_back_through_our_parser() -> None:
    mail = compose(
        config(),
        OutboundMessage(
            recipient="maria.rossi@gmail.com",
            text=TEXT,
            in_reply_to=("<q@mail.gmail.com>",),
            metadata={"in_reply_to_subject": "Bolletta di febbraio"},
        ),
    )
    parsed = parse_message(mail.as_bytes(policy=email.policy.SMTP))
    assert parsed.identity_value == "assistenza@energiachiara.it"
    assert parsed.sender_name == "Energia Chiara"
    assert parsed.text == TEXT
    assert parsed.external_id == mail["Message-ID"]
    assert parsed.replies_to == ("<q@mail.gmail.com>",)
    assert parsed.metadata["subject"] == "Re: Bolletta di febbraio"
    assert parsed.metadata["text_source"] == "plain"
    assert "auto_reply" not in parsed.metadata
    reparsed = email.message_from_bytes(mail.as_bytes(), policy=email.policy.default)
    html = reparsed.get_body(preferencelist=("html",))
    assert html is not None
    assert "95,20 €" in html.get_content()


@pytest.mark.parametrize(
    ("subject", "answer"),
    [
        ("Bolletta", "Re: Bolletta"),
        ("Re: Bolletta", "Re: Bolletta"),
        ("R: RE: re:Bolletta", "Re: Bolletta"),
        ("Rif: Bolletta", "Re: Bolletta"),
        ("AW: Re[2]: Rechnung", "Re: Rechnung"),
        ("Ricevuta: pagamento", "Re: Ricevuta: pagamento"),
        ("", "Re:"),
    ],
)
def test_reply_subjects_have_one_re(subject: str, answer: str) -> None:
    assert reply_subject(subject) == answer


def test_the_subject_comes_from_the_message_then_the_answered_mail_then_the_channel() -> None:
    def subject(cfg: ChannelConfig, **kw: Any) -> str:
        return subject_for(cfg, OutboundMessage(recipient="a@b.it", text="x", **kw))

    assert subject(config(), subject="Sollecito") == "Sollecito"
    assert subject(config(), subject="Re: R: Voltura") == "Re: Voltura"
    assert subject(config(), metadata={"in_reply_to_subject": "R: Voltura"}) == "Re: Voltura"
    assert subject(config(default_subject="Energia Chiara risponde")) == "Energia Chiara risponde"
    assert subject(config()) == "Energia Chiara"


def test_from_name_setting_and_html_paragraphs() -> None:
    mail = compose(
        config(from_name="Servizio clienti Energia Chiara"),
        OutboundMessage(recipient="a@b.it", text="x"),
    )
    assert mail["From"] == "Servizio clienti Energia Chiara <assistenza@energiachiara.it>"
    assert text_to_html("a\n\n\n b & c\nd").count("<p>") == 2
    assert "b &amp; c<br>\nd" in text_to_html("a\n\n\n b & c\nd")


@pytest.mark.parametrize(
    "recipient", ["not-an-address", "a@b.it\nBcc: spam@x.it", "", "a@b.it, c@d.it"]
)
def test_unusable_recipients_are_rejected_before_sending(recipient: str) -> None:
    with pytest.raises(Rejected):
        compose(config(), OutboundMessage(recipient=recipient, text="ciao"))


def test_an_empty_text_is_rejected() -> None:
    with pytest.raises(Rejected, match="needs some text"):
        compose(config(), OutboundMessage(recipient="a@b.it", text="  \n"))
