"""The voice provider descriptor (Twilio Voice) and its connection to one number.

Configure the number in Twilio with the channel's webhook URL both for "A call comes in" and
for "Call status changes"; the answer (``twiml.py``) asks for recording callbacks at the same
URL. Settings: ``webhook_url``, the public URL given to Twilio (needed behind a proxy);
``api_base_url`` to fetch recordings from a stand-in of Twilio's API (the sandbox); and the
answer's settings described in ``twiml.py``. No calls out yet (click-to-call comes later).
"""

from __future__ import annotations

from typing import ClassVar

from unisono.channels.base import (
    Capability,
    ChannelConfig,
    Connection,
    HandshakeReply,
    MediaRef,
    ParsedDelivery,
    Provider,
    WebhookRequest,
)
from unisono.channels.errors import Rejected
from unisono.channels.registry import register
from unisono.channels.twilio import rest
from unisono.channels.twilio.webhooks import (
    Form,
    check_account,
    received_at,
    twiml_reply,
    verify_twilio,
)
from unisono.channels.voice.inbound import parse_voice_webhook
from unisono.channels.voice.twiml import answer_call


class VoiceConnection(Connection):
    def verify(self, request: WebhookRequest) -> None:
        verify_twilio(self.config, request)

    def parse(self, request: WebhookRequest) -> ParsedDelivery:
        form = Form.of(request)
        check_account(self.config, form)
        return parse_voice_webhook(form, received_at(request))

    def ack(self) -> HandshakeReply:
        return twiml_reply(answer_call(self.config))

    def fetch_media(self, ref: MediaRef) -> tuple[bytes, str | None]:
        if not ref.url:
            raise Rejected("a Twilio recording needs its RecordingUrl")
        data, content_type = rest.fetch(self.config, ref.url)
        return data, content_type or ref.content_type


class VoiceProvider(Provider):
    kind = "voice"
    display_name = "Voice (Twilio)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.WEBHOOK, Capability.RECORDINGS, Capability.MEDIA}
    )
    # from_number is the line's own number: kept for click-to-call, not needed to receive.
    credential_keys = ("account_sid", "auth_token", "from_number")

    def connect(self, config: ChannelConfig) -> Connection:
        return VoiceConnection(config)


register(VoiceProvider())
