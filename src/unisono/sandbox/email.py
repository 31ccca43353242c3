"""Sandbox of email: customers writing in by SMTP, and an SMTP server that keeps what we send.

Inbound: ``POST /_sandbox/email/{channel_id}/messages`` with ``{"from", "name", "subject",
"text", "in_reply_to"?}`` builds the mail a customer's client would send (plain text and HTML,
threading headers when answering) and delivers it by SMTP to the Unisono mail gateway named by
the channel setting ``gateway`` ("host:port", default ``127.0.0.1:2525``). The answer carries
the gateway's SMTP reply.

Outbound: an SMTP server started with the sandbox on ``UNISONO_SANDBOX_SMTP_PORT`` (default
2526; 0 or a taken port: any free one, see ``GET /_sandbox/email/smtp``). Point a channel's
``smtp_host``/``smtp_port`` at it. It takes mail whose sender is an email channel's address
(else 550 5.7.1), AUTH with a channel's ``username``/``password`` if the client logs in, and
refuses recipients whose name starts with ``rifiuta`` (550 5.1.1 user unknown) or ``tardi``
(451 4.7.1 greylisted, try later). What it accepts is listed by ``GET /_sandbox/email/outbox``
and ``GET /_sandbox/sent``. Tests can run ``SandboxSMTP`` alone and read ``.messages``.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import os
import smtplib
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from unisono.channels.base import ChannelConfig
from unisono.channels.email.compose import text_to_html
from unisono.channels.email.listener import SMTPListener
from unisono.clock import utcnow
from unisono.sandbox.state import SandboxState, SentCall

log = logging.getLogger(__name__)

DEFAULT_GATEWAY = "127.0.0.1:2525"
DEFAULT_SMTP_PORT = 2526
PORT_VARIABLE = "UNISONO_SANDBOX_SMTP_PORT"


# -- outbound: the SMTP server Unisono sends to ----------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    """One message the sandbox SMTP server accepted, as the envelope and the bytes."""

    mail_from: str
    recipients: tuple[str, ...]
    raw: bytes
    channel_id: uuid.UUID | None = None
    at: float = field(default_factory=time.time)

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        return body.get_content().replace("\r\n", "\n") if body is not None else ""

    def summary(self) -> dict[str, Any]:
        message = self.message
        return {
            "channel_id": str(self.channel_id) if self.channel_id else None,
            "mail_from": self.mail_from,
            "recipients": list(self.recipients),
            "message_id": message.get("Message-ID"),
            "subject": message.get("Subject"),
            "in_reply_to": message.get("In-Reply-To"),
            "references": message.get("References"),
            "content_type": message.get_content_type(),
            "text": self.text(),
            "at": self.at,
        }


class SandboxSMTPHandler:
    """aiosmtpd hooks that accept, refuse and keep mail as documented above."""

    def __init__(
        self,
        *,
        sender_channel: Callable[[str], uuid.UUID | None] | None = None,
        on_accept: Callable[[ReceivedMail], None] | None = None,
    ) -> None:
        # Without sender_channel every sender is taken (a plain test server).
        self.sender_channel = sender_channel
        self.on_accept = on_accept
        self.messages: list[ReceivedMail] = []
        self.lock = threading.Lock()
        self._channels: dict[int, uuid.UUID | None] = {}

    async def handle_MAIL(  # noqa: N802 - aiosmtpd finds hooks by this name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        channel_id = None
        if self.sender_channel is not None:
            channel_id = await asyncio.to_thread(self.sender_channel, address)
            if channel_id is None:
                return f"550 5.7.1 <{address}>: sender not allowed (no email channel has it)"
        self._channels[id(envelope)] = channel_id
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd finds hooks by this name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        name = address.partition("@")[0].lower()
        if name.startswith("rifiuta"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if name.startswith("tardi"):
            return f"451 4.7.1 <{address}>: Recipient address rejected: Greylisted, try later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd finds hooks by this name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        mail = ReceivedMail(
            mail_from=envelope.mail_from or "",
            recipients=tuple(envelope.rcpt_tos),
            raw=envelope.original_content or b"",
            channel_id=self._channels.pop(id(envelope), None),
        )
        with self.lock:
            self.messages.append(mail)
        if self.on_accept is not None:
            await asyncio.to_thread(self.on_accept, mail)
        return f"250 2.0.0 Ok: queued as {uuid.uuid4().hex[:10].upper()}"


def _authenticator(
    check: Callable[[str, str], bool],
) -> Callable[[SMTP, Session, Envelope, str, Any], AuthResult]:
    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = check(data.login.decode("utf-8", "replace"), data.password.decode("utf-8", "replace"))
        return AuthResult(success=ok, handled=False, auth_data=data)

    return authenticate


class SandboxSMTP(SMTPListener):
    """The sandbox SMTP server: ``with SandboxSMTP() as smtp: ... smtp.handler.messages``."""

    handler: SandboxSMTPHandler

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        sender_channel: Callable[[str], uuid.UUID | None] | None = None,
        on_accept: Callable[[ReceivedMail], None] | None = None,
        credentials_ok: Callable[[str, str], bool] | None = None,
    ) -> None:
        handler = SandboxSMTPHandler(sender_channel=sender_channel, on_accept=on_accept)
        options: dict[str, Any] = {}
        if credentials_ok is not None:
            # Plain-text AUTH is fine on a local stand-in; a real server would demand TLS.
            options = {"authenticator": _authenticator(credentials_ok), "auth_require_tls": False}
        super().__init__(handler, host=host, port=port, server_hostname="smtp.sandbox", **options)

    @property
    def messages(self) -> list[ReceivedMail]:
        with self.handler.lock:
            return list(self.handler.messages)


def _same_address(a: str, b: str) -> bool:
    return a.strip().strip("<>").lower() == b.strip().strip("<>").lower()


def sandbox_smtp(state: SandboxState, port: int) -> SandboxSMTP:
    """The sandbox SMTP server for Unisono's email channels, recording into ``state``."""

    def sender_channel(address: str) -> uuid.UUID | None:
        for config in state.channels("email"):
            if _same_address(config.credentials.get("address", ""), address):
                return config.id
        return None

    def credentials_ok(login: str, password: str) -> bool:
        return any(
            c.credentials.get("username") == login and c.credentials.get("password") == password
            for c in state.channels("email")
        )

    def record(mail: ReceivedMail) -> None:
        summary = mail.summary()
        state.record(
            SentCall(
                "email",
                mail.channel_id or uuid.UUID(int=0),
                str(summary["message_id"] or ""),
                ", ".join(mail.recipients),
                summary,
            )
        )

    def make(chosen: int) -> SandboxSMTP:
        return SandboxSMTP(
            port=chosen,
            sender_channel=sender_channel,
            on_accept=record,
            credentials_ok=credentials_ok,
        )

    try:
        return make(port)
    except OSError as exc:
        # Two sandboxes on one machine (parallel tests): the second takes any free port.
        log.warning("sandbox SMTP port %s is taken (%s); using a free one", port, exc)
        return make(0)


# -- inbound: a customer's mail to the gateway ----------------------------------------------


class InboundMail(BaseModel):
    from_address: str = Field(alias="from", examples=["maria.rossi@example.it"])
    name: str = "Cliente Sandbox"
    subject: str = "Richiesta informazioni"
    text: str = "Buongiorno, vorrei informazioni sulla mia bolletta."
    in_reply_to: str | None = Field(default=None, examples=["<id@energiachiara.it>"])


def customer_mail(config: ChannelConfig, body: InboundMail) -> EmailMessage:
    """The mail a customer's client would send to ``config``'s address."""
    mail = EmailMessage()
    mail["From"] = Address(display_name=body.name, addr_spec=body.from_address)
    mail["To"] = Address(display_name=config.name, addr_spec=config.credentials["address"])
    mail["Subject"] = body.subject
    mail["Date"] = format_datetime(utcnow())
    mail["Message-ID"] = make_msgid(domain=body.from_address.rpartition("@")[2] or "sandbox")
    if body.in_reply_to:
        mail["In-Reply-To"] = body.in_reply_to
        mail["References"] = body.in_reply_to
    mail["User-Agent"] = "Unisono sandbox"
    mail.set_content(body.text, charset="utf-8", cte="quoted-printable")
    mail.add_alternative(text_to_html(body.text), subtype="html", cte="quoted-printable")
    return mail


def gateway_address(config: ChannelConfig) -> tuple[str, int]:
    host, _, port = str(config.settings.get("gateway") or DEFAULT_GATEWAY).rpartition(":")
    return (host or "127.0.0.1", int(port))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def deliver(config: ChannelConfig, mail: EmailMessage) -> tuple[int, str]:
    """Hand ``mail`` to the gateway; its final SMTP reply (code, text)."""
    host, port = gateway_address(config)
    sender = str(mail["From"].addresses[0].addr_spec)
    recipient = config.credentials["address"]
    reply: bytes | str
    with smtplib.SMTP(host, port, local_hostname="client.sandbox", timeout=10) as smtp:
        smtp.ehlo()
        code, reply = smtp.mail(sender)
        if code == 250:
            code, reply = smtp.rcpt(recipient)
        if code in (250, 251):
            try:
                code, reply = smtp.data(mail.as_bytes(policy=email.policy.SMTP))
            except smtplib.SMTPDataError as exc:
                code, reply = exc.smtp_code, exc.smtp_error
    return code, _text(reply)


def router(state: SandboxState) -> APIRouter:
    try:
        port = int(os.environ.get(PORT_VARIABLE, DEFAULT_SMTP_PORT))
    except ValueError:
        port = DEFAULT_SMTP_PORT
    holder: dict[str, SandboxSMTP] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            server = await asyncio.to_thread(sandbox_smtp, state, port)
            await asyncio.to_thread(server.start)
            holder["smtp"] = server
            log.info("sandbox SMTP server on %s:%s", *server.address)
        except Exception:
            # The rest of the sandbox is still useful without it.
            log.exception("the sandbox SMTP server did not start")
        try:
            yield
        finally:
            if "smtp" in holder:
                await asyncio.to_thread(holder.pop("smtp").stop)

    api = APIRouter(lifespan=lifespan)

    @api.get("/_sandbox/email/smtp")
    def smtp_address() -> JSONResponse:
        """Where the sandbox SMTP server listens: use as a channel's smtp_host/smtp_port."""
        server = holder.get("smtp")
        if server is None:
            return JSONResponse({"error": "the sandbox SMTP server is not running"}, 503)
        host, bound = server.address
        return JSONResponse({"host": host, "port": bound})

    @api.get("/_sandbox/email/outbox")
    def outbox() -> list[dict[str, Any]]:
        """Every mail the sandbox SMTP server accepted, oldest first."""
        server = holder.get("smtp")
        return [m.summary() for m in server.messages] if server is not None else []

    @api.post("/_sandbox/email/{channel_id}/messages")
    def inject(channel_id: uuid.UUID, body: InboundMail) -> JSONResponse:
        """Pretend a customer wrote to the channel's address; returns the gateway's answer."""
        config = next((c for c in state.channels("email") if c.id == channel_id), None)
        if config is None or not config.credentials.get("address"):
            return JSONResponse({"error": f"no email channel {channel_id}"}, 404)
        mail = customer_mail(config, body)
        try:
            code, reply = deliver(config, mail)
        except (smtplib.SMTPException, OSError) as exc:
            gateway_host, gateway_port = gateway_address(config)
            return JSONResponse(
                {"error": f"the mail gateway at {gateway_host}:{gateway_port} failed: {exc}"}, 502
            )
        return JSONResponse(
            {"message_id": mail["Message-ID"], "smtp_status": code, "smtp_reply": reply},
            200 if code == 250 else 502,
        )

    return api
