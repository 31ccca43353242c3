"""The mail gateway: an SMTP server that takes mail for our channel addresses and stores it.

Put it behind the organisation's MX (Postfix ``transport`` or ``relayhost`` to it) or point a
domain's MX at it directly. A recipient is accepted only when it is the ``address`` of an
active email channel (else ``550``); the message is committed as a delivery of each channel it
was addressed to *before* we answer ``250``, so a crash after that loses nothing and a crash
before it makes the sending server try again. The worker then turns each delivery into an
interaction through the email connection's ``parse``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import Engine
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from unisono.channels.email.listener import SMTPListener
from unisono.clock import utcnow
from unisono.db import session_factory
from unisono.inbox.mail_intake import do_store_raw_mail, find_mail_channel
from unisono.models import Channel, WebhookStatus

log = logging.getLogger(__name__)

# Large enough for the biggest attachment we store (50 MB) after base64 has grown it by a
# third; bigger mail is refused during DATA with 552, before anything is stored.
MAX_MESSAGE_BYTES = 70 * 1024 * 1024
DEFAULT_PORT = 2525


@dataclass(frozen=True, slots=True)
class Stored:
    """What one DATA became: a delivery id per channel, and why it cannot be read, if so."""

    delivery_ids: tuple[uuid.UUID, ...]
    malformed: str | None = None


def _reply_text(text: str) -> str:
    """``text`` fit for an SMTP reply line: one line, ASCII, not too long."""
    return re.sub(r"[^\x20-\x7e]", " ", text)[:200]


class GatewayHandler:
    """aiosmtpd hooks; the database work runs in threads so the event loop keeps serving."""

    def __init__(
        self,
        sessions: sessionmaker[DbSession],
        *,
        hostname: str = "localhost",
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.hostname = hostname
        self.on_stored = on_stored

    def channel_for(self, address: str) -> uuid.UUID | None:
        with self.sessions() as session:
            channel = find_mail_channel(session, address)
            return channel.id if channel is not None else None

    def store(self, raw: bytes, mail_from: str | None, recipients: list[str]) -> Stored:
        """Commit ``raw`` as one delivery per channel among ``recipients``."""
        received_at = utcnow()
        with self.sessions() as session, session.begin():
            targets: dict[uuid.UUID, tuple[Channel, list[str]]] = {}
            for recipient in recipients:
                channel = find_mail_channel(session, recipient)
                # A channel switched off since RCPT simply does not get a copy.
                if channel is not None:
                    targets.setdefault(channel.id, (channel, []))[1].append(recipient)
            deliveries = [
                do_store_raw_mail(
                    session,
                    channel,
                    raw,
                    source="smtp",
                    url=f"smtp://{self.hostname}/{addresses[0]}",
                    received_at=received_at,
                    envelope_from=mail_from,
                    envelope_to=addresses,
                )
                for channel, addresses in targets.values()
            ]
        if deliveries and self.on_stored is not None:
            self.on_stored()
        invalid = [d.error for d in deliveries if d.status == WebhookStatus.INVALID]
        return Stored(tuple(d.id for d in deliveries), invalid[0] if invalid else None)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd finds hooks by this name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            channel_id = await asyncio.to_thread(self.channel_for, address)
        except Exception:
            log.exception("mail gateway: looking up recipient %s failed", address)
            return "451 4.3.0 Temporary failure, please try again later"
        if channel_id is None:
            return f"550 5.1.1 <{_reply_text(address)}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd finds hooks by this name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        try:
            stored = await asyncio.to_thread(
                self.store, raw, envelope.mail_from, list(envelope.rcpt_tos)
            )
        except Exception:
            log.exception("mail gateway: storing a message from %s failed", envelope.mail_from)
            return "451 4.3.0 Message not stored, please try again later"
        if not stored.delivery_ids:
            return "554 5.1.1 None of the recipients is accepted here any more"
        if stored.malformed is not None:
            # Kept for inspection like a malformed webhook, but the sender should know.
            return f"554 5.6.0 Message stored but cannot be read: {_reply_text(stored.malformed)}"
        return f"250 2.0.0 OK queued as {','.join(str(i) for i in stored.delivery_ids)}"


def mail_gateway(
    engine: Engine,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    hostname: str = "localhost",
    on_stored: Callable[[], None] | None = None,
) -> SMTPListener:
    """The gateway for ``engine``'s channels, not yet started (``with`` it, or ``start()``)."""
    handler = GatewayHandler(session_factory(engine), hostname=hostname, on_stored=on_stored)
    return SMTPListener(
        handler,
        host=host,
        port=port,
        server_hostname=hostname,
        data_size_limit=MAX_MESSAGE_BYTES,
        # Keep the bytes exactly as sent: the parser decodes, and hashes them if there is no
        # Message-ID.
        decode_data=False,
    )
