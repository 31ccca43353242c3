"""The email provider descriptor and its connection to one mailbox.

Mail does not arrive by webhook: the SMTP gateway (``unisono mail-gateway``) or IMAP polling
stores each raw message as a delivery of kind ``email``, and the worker hands it to ``parse``
like any webhook body. ``verify`` therefore refuses every HTTP post: a raw-MIME webhook would
be a second, weaker way in (no provider signs such posts), and nothing needs it.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from unisono.channels.base import (
    Capability,
    ChannelConfig,
    Connection,
    OutboundMessage,
    ParsedDelivery,
    Provider,
    SendResult,
    WebhookRequest,
)
from unisono.channels.email.client import SmtpServer, send_mail
from unisono.channels.email.compose import compose
from unisono.channels.email.mime import parse_mail
from unisono.channels.errors import Rejected, SignatureInvalid
from unisono.channels.registry import register

# Stored with a delivery by the gateway and the poller: when the message reached us (the
# fallback for a missing Date), and how (smtp or imap).
RECEIVED_AT_HEADER = "x-unisono-received-at"
SOURCE_HEADER = "x-unisono-source"


def _received_at(request: WebhookRequest) -> datetime | None:
    value = request.header(RECEIVED_AT_HEADER)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class EmailConnection(Connection):
    def verify(self, request: WebhookRequest) -> None:
        raise SignatureInvalid(
            "email arrives through the mail gateway or IMAP polling, not by webhook"
        )

    def parse(self, request: WebhookRequest) -> ParsedDelivery:
        """The raw RFC 5322 message in ``request.body``: one message, a bounce, or nothing."""
        own = self.config.credentials.get("address", "")
        authserv_id = self.config.settings.get("authserv_id")
        return parse_mail(
            request.body,
            received_at=_received_at(request),
            authserv_id=str(authserv_id) if authserv_id else None,
            own_addresses=(own,) if own else (),
        )

    def send(self, message: OutboundMessage) -> SendResult:
        address = self.config.credentials.get("address", "")
        if not address:
            raise Rejected("the channel has no address to send from")
        mail = compose(self.config, message)
        send_mail(SmtpServer.of(self.config), mail, sender=address, recipients=[message.recipient])
        return SendResult(external_id=str(mail["Message-ID"]))


class EmailProvider(Provider):
    kind = "email"
    display_name = "Email (SMTP, IMAP)"
    # THREADED: a reply carries In-Reply-To/References, so mail clients thread it.
    # Not DELIVERY_STATUS: mail reports only failures (bounces, applied as statuses when they
    # come back), never "delivered" or "read", so no one should wait for those.
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.SEND_TEXT, Capability.MEDIA, Capability.THREADED}
    )
    credential_keys = ("smtp_host", "smtp_port", "address")
    # A local relay needs no login; IMAP only when the mailbox is polled rather than gatewayed.
    optional_credential_keys = ("username", "password", "imap_host")

    def connect(self, config: ChannelConfig) -> Connection:
        return EmailConnection(config)


register(EmailProvider())
