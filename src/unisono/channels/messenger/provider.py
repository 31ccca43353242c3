"""The Messenger provider descriptor and its connection to one Facebook page."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from unisono.channels.base import (
    Capability,
    ChannelConfig,
    Connection,
    HandshakeReply,
    MediaRef,
    OutboundMessage,
    ParsedDelivery,
    Provider,
    SendResult,
    WebhookRequest,
)
from unisono.channels.errors import Rejected
from unisono.channels.messenger.inbound import parse_webhook
from unisono.channels.messenger.outbound import message_payload
from unisono.channels.meta.graph import (
    appsecret_proof,
    fetch_public_media,
    graph_json,
    page_client,
)
from unisono.channels.meta.webhooks import meta_handshake, meta_verify
from unisono.channels.registry import register

# Standard messaging: free-form answers within 24 hours of the customer's last message
# (afterwards Meta refuses with (#10/2018278) unless a message tag is used).
SERVICE_WINDOW = timedelta(hours=24)


class MessengerConnection(Connection):
    @property
    def page_id(self) -> str | None:
        return self.config.credentials.get("page_id") or None

    def handshake(self, request: WebhookRequest) -> HandshakeReply | None:
        return meta_handshake(self.config, request)

    def verify(self, request: WebhookRequest) -> None:
        meta_verify(self.config, request)

    def parse(self, request: WebhookRequest) -> ParsedDelivery:
        return parse_webhook(request.json(), self.page_id)

    def send(self, message: OutboundMessage) -> SendResult:
        # /me is the page the token belongs to: the token, not a typed id, picks the sender.
        response = page_client(self.config).request(
            "POST",
            "/me/messages",
            json=message_payload(message),
            params=appsecret_proof(self.config),
        )
        body = graph_json(response)
        message_id = body.get("message_id") if isinstance(body, dict) else None
        if not message_id:
            raise Rejected(f"the Send API answered without a message_id: {body!r:.200}")
        return SendResult(external_id=str(message_id))

    def fetch_media(self, ref: MediaRef) -> tuple[bytes, str | None]:
        return fetch_public_media(ref)


class MessengerProvider(Provider):
    kind = "messenger"
    display_name = "Facebook Messenger"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.WEBHOOK,
            Capability.HANDSHAKE,
            Capability.SEND_TEXT,
            Capability.SERVICE_WINDOW,
            Capability.DELIVERY_STATUS,
            Capability.MEDIA,
        }
    )
    credential_keys = ("app_secret", "verify_token", "page_access_token", "page_id")
    service_window = SERVICE_WINDOW

    def connect(self, config: ChannelConfig) -> Connection:
        return MessengerConnection(config)


register(MessengerProvider())
