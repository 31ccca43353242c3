"""The WhatsApp provider descriptor and its connection to one configured number."""

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
from unisono.channels.http import ProviderClient
from unisono.channels.meta.webhooks import GRAPH_API, meta_handshake, meta_verify
from unisono.channels.registry import register
from unisono.channels.whatsapp.inbound import parse_webhook
from unisono.channels.whatsapp.outbound import describe_error, message_payload

# Meta refuses free-form messages this long after the customer's last message (error 131047).
SERVICE_WINDOW = timedelta(hours=24)


class WhatsAppConnection(Connection):
    def handshake(self, request: WebhookRequest) -> HandshakeReply | None:
        return meta_handshake(self.config, request)

    def verify(self, request: WebhookRequest) -> None:
        meta_verify(self.config, request)

    def parse(self, request: WebhookRequest) -> ParsedDelivery:
        return parse_webhook(request.json())

    def client(self) -> ProviderClient:
        token = self.config.credentials.get("access_token", "")
        return ProviderClient(
            self.config.api_base_url or GRAPH_API,
            headers={"Authorization": f"Bearer {token}"},
            describe_error=describe_error,
        )

    def send(self, message: OutboundMessage) -> SendResult:
        number_id = self.config.credentials.get("phone_number_id")
        if not number_id:
            raise Rejected("the channel has no phone_number_id to send from")
        body = self.client().post_json(f"/{number_id}/messages", message_payload(message))
        try:
            return SendResult(external_id=str(body["messages"][0]["id"]))
        except (KeyError, IndexError, TypeError) as exc:
            raise Rejected(f"the Cloud API answered without a message id: {body!r:.200}") from exc

    def fetch_media(self, ref: MediaRef) -> tuple[bytes, str | None]:
        """Graph gives a short-lived URL for the media id; both calls need the access token."""
        if not ref.provider_id:
            raise Rejected("WhatsApp media needs its media id")
        client = self.client()
        info = client.request("GET", f"/{ref.provider_id}").json()
        url = info.get("url") if isinstance(info, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise Rejected(f"the Cloud API gave no download URL for media {ref.provider_id}")
        response = client.request("GET", url)
        return response.content, info.get("mime_type") or response.headers.get("content-type")


class WhatsAppProvider(Provider):
    kind = "whatsapp"
    display_name = "WhatsApp Business (Cloud API)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.WEBHOOK,
            Capability.HANDSHAKE,
            Capability.SEND_TEXT,
            Capability.SEND_TEMPLATE,
            Capability.SERVICE_WINDOW,
            Capability.DELIVERY_STATUS,
            Capability.MEDIA,
        }
    )
    credential_keys = ("app_secret", "verify_token", "access_token", "phone_number_id")
    service_window = SERVICE_WINDOW

    def connect(self, config: ChannelConfig) -> Connection:
        return WhatsAppConnection(config)


register(WhatsAppProvider())
