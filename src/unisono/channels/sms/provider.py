"""The SMS provider descriptor (Twilio Programmable Messaging) and its connection to one number.

Configure the number (or its Messaging Service) in Twilio with the channel's webhook URL for
"a message comes in". Settings: ``webhook_url``, the public URL given to Twilio (needed behind a
proxy, and for delivery statuses: it is sent as each message's ``StatusCallback``);
``api_base_url`` to use a stand-in of Twilio's API (the sandbox).
"""

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
from unisono.channels.registry import register
from unisono.channels.sms.inbound import parse_sms_webhook
from unisono.channels.sms.outbound import message_form, message_sid
from unisono.channels.twilio import rest
from unisono.channels.twilio.webhooks import (
    EMPTY_TWIML,
    Form,
    check_account,
    configured_webhook_url,
    received_at,
    twiml_reply,
    verify_twilio,
)


class SmsConnection(Connection):
    def verify(self, request: WebhookRequest) -> None:
        verify_twilio(self.config, request)

    def parse(self, request: WebhookRequest) -> ParsedDelivery:
        form = Form.of(request)
        check_account(self.config, form)
        return parse_sms_webhook(form, received_at(request))

    def ack(self) -> HandshakeReply:
        # Empty TwiML: received, nothing to answer. Replies are sent through the API later,
        # by an operator, never as an automatic <Message>.
        return twiml_reply(EMPTY_TWIML)

    def send(self, message: OutboundMessage) -> SendResult:
        from_number = self.config.credentials.get("from_number", "")
        if not from_number:
            raise Rejected("the channel has no from_number to send from")
        form = message_form(message, from_number, configured_webhook_url(self.config))
        body = rest.client(self.config).post_form(
            rest.account_path(self.config, "Messages.json"), form
        )
        return SendResult(external_id=message_sid(body))

    def fetch_media(self, ref: MediaRef) -> tuple[bytes, str | None]:
        if not ref.url:
            raise Rejected("Twilio media needs its MediaUrl")
        data, content_type = rest.fetch(self.config, ref.url)
        return data, content_type or ref.content_type


class SmsProvider(Provider):
    kind = "sms"
    display_name = "SMS (Twilio)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.WEBHOOK,
            Capability.SEND_TEXT,
            Capability.DELIVERY_STATUS,
            Capability.MEDIA,
        }
    )
    credential_keys = ("account_sid", "auth_token", "from_number")

    def connect(self, config: ChannelConfig) -> Connection:
        return SmsConnection(config)


register(SmsProvider())
