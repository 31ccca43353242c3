"""The webchat provider: our own widget, reached over a WebSocket rather than a webhook.

Visitors' messages arrive through ``/webchat/{channel_id}/ws`` (see ``unisono.web.webchat``), so
the webhook endpoint refuses every POST for this kind. Outbound replies cannot be pushed from
the worker, which may run in another process than the visitor's socket: ``send`` only gives the
message an id and marks it sent, and every socket polls the database for sent replies to its
visitor (``unisono.inbox.webchat.new_messages``). The row is the single source of truth.
"""

from __future__ import annotations

import uuid
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
from unisono.channels.errors import Rejected, SignatureInvalid
from unisono.channels.registry import register


class WebchatConnection(Connection):
    def verify(self, request: WebhookRequest) -> None:
        raise SignatureInvalid("webchat uses the WebSocket endpoint")

    def parse(self, request: WebhookRequest) -> ParsedDelivery:
        return ParsedDelivery()

    def send(self, message: OutboundMessage) -> SendResult:
        # Delivery to the browser happens through the sockets' database poll; being "sent" is
        # what makes a reply visible to them, so there is nothing to call here.
        if not message.text.strip():
            raise Rejected("webchat messages need text")
        return SendResult(external_id=f"webchat-{uuid.uuid4().hex}")


class WebchatProvider(Provider):
    kind = "webchat"
    display_name = "Webchat (widget sul sito)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.SEND_TEXT})
    # Signs logged-in users' ids: the site computes HMAC-SHA256(site_key, user_id).
    credential_keys = ("site_key",)

    def connect(self, config: ChannelConfig) -> Connection:
        return WebchatConnection(config)


register(WebchatProvider())
