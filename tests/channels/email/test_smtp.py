"""Sending through a real (local) SMTP server: success, refusals and failures as channel errors."""

from __future__ import annotations

import smtplib
import socket
import ssl
import uuid
from typing import Any

import pytest

from unisono.channels.base import ChannelConfig, OutboundMessage, WebhookRequest
from unisono.channels.email.client import SmtpServer, flag, smtp_error
from unisono.channels.email.listener import SMTPListener
from unisono.channels.errors import (
    ProviderTimeout,
    RateLimited,
    Rejected,
    SignatureInvalid,
    Unauthorized,
    Unreachable,
)
from unisono.channels.registry import provider_for
from unisono.sandbox.email import SandboxSMTP

ADDRESS = "assistenza@energiachiara.it"


def channel(server: tuple[str, int] | None = None, settings: Any = None, **credentials: str) -> Any:
    host, port = server or ("127.0.0.1", 25)
    return provider_for("email").connect(
        ChannelConfig(
            id=uuid.uuid4(),
            kind="email",
            name="Energia Chiara",
            settings=settings or {},
            credentials={
                "smtp_host": host,
                "smtp_port": str(port),
                "address": ADDRESS,
                **credentials,
            },
        )
    )


def test_the_provider_is_registered_with_its_credentials() -> None:
    provider = provider_for("email")
    assert provider.credential_keys == ("smtp_host", "smtp_port", "address")
    assert set(provider.optional_credential_keys) == {"username", "password", "imap_host"}
    assert {c.value for c in provider.capabilities} == {"send_text", "media", "threaded"}


def test_a_mail_is_handed_over_and_its_message_id_is_the_external_id(
    smtp_server: SandboxSMTP,
) -> None:
    result = channel(smtp_server.address).send(
        OutboundMessage(
            recipient="maria.rossi@gmail.com",
            text="Gentile signora, la bolletta è stata ricalcolata.",
            in_reply_to=("<q1@mail.gmail.com>",),
            metadata={"in_reply_to_subject": "Bolletta di febbraio"},
        )
    )
    (received,) = smtp_server.messages
    assert received.mail_from == ADDRESS
    assert received.recipients == ("maria.rossi@gmail.com",)
    message = received.message
    assert result.external_id == message["Message-ID"]
    assert message["Subject"] == "Re: Bolletta di febbraio"
    assert message["In-Reply-To"] == "<q1@mail.gmail.com>"
    assert received.text() == "Gentile signora, la bolletta è stata ricalcolata.\n"


def test_login_when_a_username_is_set(smtp_server: SandboxSMTP) -> None:
    channel(smtp_server.address, username="assistenza", password="segreta").send(
        OutboundMessage(recipient="a@example.it", text="ciao")
    )
    assert len(smtp_server.messages) == 1
    with pytest.raises(Unauthorized, match="refused our login: 535"):
        channel(smtp_server.address, username="assistenza", password="sbagliata").send(
            OutboundMessage(recipient="a@example.it", text="ciao")
        )
    assert len(smtp_server.messages) == 1


def test_an_unknown_recipient_is_rejected_for_good(smtp_server: SandboxSMTP) -> None:
    with pytest.raises(Rejected) as caught:
        channel(smtp_server.address).send(
            OutboundMessage(recipient="rifiuta.mario@example.net", text="ciao")
        )
    assert caught.value.code == "550"
    assert "User unknown" in caught.value.detail
    assert not caught.value.transient
    assert smtp_server.messages == []


def test_a_temporary_refusal_is_retried(smtp_server: SandboxSMTP) -> None:
    with pytest.raises(Unreachable) as caught:
        channel(smtp_server.address).send(
            OutboundMessage(recipient="tardi.luca@example.net", text="ciao")
        )
    assert caught.value.transient
    assert "451" in caught.value.detail


def test_a_sender_the_server_does_not_accept_is_rejected() -> None:
    with (
        SandboxSMTP(sender_channel=lambda address: None) as server,
        pytest.raises(Rejected, match="our sender address was refused: 550"),
    ):
        channel(server.address).send(OutboundMessage(recipient="a@example.it", text="x"))


def test_no_server_listening_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unreachable, match="cannot be reached"):
        channel(("127.0.0.1", port)).send(OutboundMessage(recipient="a@example.it", text="x"))


def test_starttls_required_but_not_offered_is_refused_not_sent_in_clear(
    smtp_server: SandboxSMTP,
) -> None:
    with pytest.raises(Unauthorized, match="does not support"):
        channel(smtp_server.address, settings={"smtp_starttls": "true"}).send(
            OutboundMessage(recipient="a@example.it", text="x")
        )
    assert smtp_server.messages == []


def test_the_email_channel_takes_no_webhooks() -> None:
    request = WebhookRequest("POST", "http://x/webhooks/email/1", {}, {}, b"From: a@b.it\n\nx")
    with pytest.raises(SignatureInvalid, match="mail gateway or IMAP"):
        channel().verify(request)


# -- configuration decisions and the error vocabulary ---------------------------------------


def smtp_config(settings: dict[str, Any] | None = None, **credentials: str) -> ChannelConfig:
    return ChannelConfig(
        id=uuid.uuid4(),
        kind="email",
        name="x",
        settings=settings or {},
        credentials={"smtp_host": "smtp.example.it", "smtp_port": "587", "address": ADDRESS}
        | credentials,
    )


def test_tls_defaults() -> None:
    remote = SmtpServer.of(smtp_config())
    assert (remote.starttls, remote.implicit_tls) == (True, False)
    assert remote.local_hostname == "energiachiara.it"
    local = SmtpServer.of(smtp_config(smtp_host="localhost"))
    assert (local.starttls, local.implicit_tls) == (False, False)
    implicit = SmtpServer.of(smtp_config(smtp_port="465"))
    assert (implicit.starttls, implicit.implicit_tls) == (False, True)
    off = SmtpServer.of(smtp_config({"smtp_starttls": "false", "helo_name": "mx1.e.it"}))
    assert (off.starttls, off.local_hostname) == (False, "mx1.e.it")
    assert SmtpServer.of(smtp_config(username="u", password="p")).username == "u"
    with pytest.raises(Unauthorized, match="not a port number"):
        SmtpServer.of(smtp_config(smtp_port="venticinque"))
    with pytest.raises(Unauthorized):
        SmtpServer.of(smtp_config(smtp_port="70000"))


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [
        (None, True, True),
        ("", False, False),
        ("false", True, False),
        ("YES", False, True),
        (True, False, True),
        ("0", True, False),
    ],
)
def test_flag(value: Any, default: bool, expected: bool) -> None:
    assert flag({"x": value}, "x", default) is expected


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"), Unauthorized),
        (smtplib.SMTPRecipientsRefused({"a@b.it": (550, b"5.1.1 unknown")}), Rejected),
        (smtplib.SMTPRecipientsRefused({"a@b.it": (452, b"4.2.2 mailbox full")}), Unreachable),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 not owner", "x@y"), Rejected),
        (smtplib.SMTPDataError(554, b"5.7.1 spam"), Rejected),
        (smtplib.SMTPDataError(451, b"4.7.0 try later"), Unreachable),
        (smtplib.SMTPDataError(421, b"4.7.0 too many messages, slow down"), RateLimited),
        (smtplib.SMTPConnectError(421, b"busy"), Unreachable),
        (smtplib.SMTPResponseException(530, b"5.7.0 authentication required"), Unauthorized),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), ProviderTimeout),
        (TimeoutError("timed out"), ProviderTimeout),
        (ConnectionRefusedError(111, "refused"), Unreachable),
        (socket.gaierror(-2, "Name or service not known"), Unreachable),
    ],
)
def test_smtp_failures_map_to_the_error_vocabulary(error: Exception, kind: type) -> None:
    assert type(smtp_error(error)) is kind


# -- TLS: certificates are verified ---------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


def server_context(certificate: tuple[str, str]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_tls_to_a_trusted_server_works_and_to_an_untrusted_one_is_refused(
    mode: str, certificate: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from unisono.sandbox.email import SandboxSMTPHandler

    handler = SandboxSMTPHandler()
    if mode == "starttls":
        options: dict[str, Any] = {"tls_context": server_context(certificate)}
        settings = {"smtp_starttls": "true"}
    else:
        options = {"ssl_context": server_context(certificate)}
        settings = {"smtp_ssl": "true"}
    with SMTPListener(handler, **options) as server:
        # Nobody vouches for a self-signed certificate: nothing is sent.
        with pytest.raises(Unreachable, match=r"TLS|certificate"):
            channel(server.address, settings=settings).send(
                OutboundMessage(recipient="a@example.it", text="x")
            )
        assert handler.messages == []
        # Trusted (as a real CA-signed one would be), the mail goes through encrypted.
        monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
        channel(server.address, settings=settings).send(
            OutboundMessage(recipient="a@example.it", text="cifrato")
        )
        assert len(handler.messages) == 1
