"""The Facebook comments provider descriptor and its connection to one Facebook page."""

from __future__ import annotations

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
from unisono.channels.facebook_comments.inbound import parse_webhook
from unisono.channels.facebook_comments.outbound import comment_to_answer, reply_payload
from unisono.channels.meta.graph import (
    appsecret_proof,
    fetch_public_media,
    graph_json,
    page_client,
)
from unisono.channels.meta.webhooks import meta_handshake, meta_verify
from unisono.channels.registry import register


class FacebookCommentsConnection(Connection):
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
        """A public reply under the customer's comment (``message.recipient`` is not needed)."""
        payload = reply_payload(message)
        response = page_client(self.config).request(
            "POST",
            f"/{comment_to_answer(message)}/comments",
            json=payload,
            params=appsecret_proof(self.config),
        )
        body = graph_json(response)
        comment_id = body.get("id") if isinstance(body, dict) else None
        if not comment_id:
            raise Rejected(f"Graph answered the reply without a comment id: {body!r:.200}")
        return SendResult(external_id=str(comment_id))

    def fetch_media(self, ref: MediaRef) -> tuple[bytes, str | None]:
        return fetch_public_media(ref)


class FacebookCommentsProvider(Provider):
    kind = "facebook_comments"
    display_name = "Facebook page comments"
    # No SERVICE_WINDOW (a public reply has no time limit) and no DELIVERY_STATUS (Graph
    # reports none for comments: a reply is "sent" once Graph returns its id).
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.THREADED,
            Capability.WEBHOOK,
            Capability.HANDSHAKE,
            Capability.SEND_TEXT,
            Capability.MEDIA,
        }
    )
    credential_keys = ("app_secret", "verify_token", "page_access_token", "page_id")

    def connect(self, config: ChannelConfig) -> Connection:
        return FacebookCommentsConnection(config)


register(FacebookCommentsProvider())
