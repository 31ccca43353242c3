"""Reading Programmable Messaging webhooks: an incoming SMS/MMS, or news about one of ours.

Twilio posts both to the same URL as a form. An incoming message carries ``Body`` (empty for
a picture-only MMS) and ``NumMedia`` with ``SmsStatus=received``; a status callback carries
``MessageStatus`` (and the older ``SmsStatus``) with no body. Parameters:
https://www.twilio.com/docs/messaging/guides/webhook-request and
https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
"""

from __future__ import annotations

from datetime import datetime

from unisono.channels.base import InboundMessage, MediaRef, ParsedDelivery, StatusUpdate
from unisono.channels.errors import MalformedPayload
from unisono.channels.twilio.codes import describe_code
from unisono.channels.twilio.webhooks import Form, phone_sender
from unisono.models import DeliveryStatus

# Twilio accepts at most 10 media per MMS.
MAX_MEDIA = 10
STATUSES = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    # Only scheduled messages are canceled; ours are not, but if one is it will never arrive.
    "canceled": DeliveryStatus.FAILED,
}
# Steps before "sent" (never mapped to our "queued": that would mean "send it again"), and the
# statuses of incoming messages.
IGNORED_STATUSES = frozenset(
    {"queued", "accepted", "scheduled", "sending", "receiving", "received"}
)
# Facts worth keeping with an incoming message (Twilio field -> metadata key).
FACTS = {
    "To": "to",
    "MessagingServiceSid": "messaging_service_sid",
    "NumSegments": "num_segments",
    "FromCity": "from_city",
    "FromState": "from_state",
    "FromZip": "from_zip",
    "FromCountry": "from_country",
    # Advanced Opt-Out: STOP, START or HELP when the customer texted a keyword.
    "OptOutType": "opt_out_type",
}


def _failure(form: Form, status: str) -> str:
    code = (form.get("ErrorCode") or "").strip()
    message = (form.get("ErrorMessage") or "").strip() or None
    if code and code != "0":
        return describe_code(code, message)
    return message or f"Twilio reported the message {status}"


def _status(form: Form, occurred_at: datetime, ignored: list[str]) -> list[StatusUpdate]:
    sid = form.require("MessageSid", "SmsSid")
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    mapped = STATUSES.get(status)
    if mapped is None:
        ignored.append(f"status:{status[:40] or 'unknown'}")
        return []
    error = _failure(form, status) if mapped == DeliveryStatus.FAILED else None
    return [StatusUpdate(sid, mapped, occurred_at, error)]


def _media(form: Form) -> list[MediaRef]:
    refs = []
    for index in range(form.count("NumMedia", at_most=MAX_MEDIA)):
        url = form.require(f"MediaUrl{index}")
        if not url.startswith(("http://", "https://")):
            raise MalformedPayload(f"MediaUrl{index} is not a URL")
        content_type = (form.get(f"MediaContentType{index}") or "").strip()
        refs.append(MediaRef(content_type=content_type or "application/octet-stream", url=url))
    return refs


def _kind(content_type: str) -> str:
    """What a medium is called on the timeline: image, audio, video, else a document."""
    main = content_type.partition("/")[0].lower()
    return main if main in ("image", "audio", "video") else "document"


def _message(form: Form, occurred_at: datetime, ignored: list[str]) -> list[InboundMessage]:
    sid = form.require("MessageSid", "SmsMessageSid", "SmsSid")
    sender = form.require("From")
    media = _media(form)
    phone = phone_sender(sender)
    if phone is None:
        # "whatsapp:+39...", "rcs:..." and the like reach a Messaging Service too; they are
        # another channel, and an SMS reply would not reach them.
        scheme = sender.partition(":")[0][:20] if ":" in sender else "not-a-phone"
        ignored.append(f"sender:{scheme}")
        return []
    body = form.text("Body")
    labels = [f"[{_kind(ref.content_type)}]" for ref in media]
    return [
        InboundMessage(
            external_id=sid,
            identity_kind="phone",
            identity_value=phone,
            text=body if body.strip() else " ".join(labels) or "[empty message]",
            occurred_at=occurred_at,
            metadata={"twilio_type": "mms" if media else "sms", **form.facts(FACTS)},
            media=tuple(media),
        )
    ]


def is_incoming(form: Form) -> bool:
    """An incoming message (rather than a status callback about one of ours)."""
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    carries_content = "Body" in form or "NumMedia" in form
    return carries_content and status in ("", "received")


def parse_sms_webhook(form: Form, occurred_at: datetime) -> ParsedDelivery:
    """The message or status in one Messaging webhook (the account is checked by the caller)."""
    ignored: list[str] = []
    if is_incoming(form):
        return ParsedDelivery(
            messages=tuple(_message(form, occurred_at, ignored)), ignored=tuple(ignored)
        )
    if form.get("MessageStatus") or form.get("SmsStatus"):
        return ParsedDelivery(
            statuses=tuple(_status(form, occurred_at, ignored)), ignored=tuple(ignored)
        )
    raise MalformedPayload("neither an incoming message (Body) nor a status (MessageStatus)")
