"""Reading Twilio Voice webhooks into one timeline interaction per call.

Three kinds of request reach the channel's URL, all as forms signed like any Twilio webhook:

- the incoming call (the number's "A call comes in" URL, ``CallStatus=ringing``): the call
  appears on the timeline, ``external_id`` = ``CallSid``;
  https://www.twilio.com/docs/usage/webhooks/voice-webhooks
- the call's status callback (the number's "Call status changes" URL) when it ends
  (``completed``, ``busy``, ``no-answer``, ``failed``, ``canceled``) with ``CallDuration``:
  the same interaction gains its final status and duration;
  https://www.twilio.com/docs/voice/api/call-resource#statuscallback
- the recording status callback (``RecordingSid``, ``RecordingUrl``, ``RecordingStatus``): the
  recording becomes an attachment of the same interaction, fetched as MP3 (Twilio serves WAV
  unless ``.mp3`` is appended); https://www.twilio.com/docs/voice/api/recording#recordingstatuscallback

The last two change an interaction that already exists: they are ``InteractionUpdate`` events,
which the webhooks service merges into it (or, for a call whose start was never sent to us,
creates it from their ``fallback``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from unisono.channels.base import (
    InboundMessage,
    InteractionUpdate,
    MediaRef,
    ParsedDelivery,
)
from unisono.channels.errors import MalformedPayload
from unisono.channels.twilio.codes import describe_code
from unisono.channels.twilio.webhooks import Form, phone_sender

CALL_STARTED = frozenset({"queued", "initiated", "ringing", "in-progress"})
CALL_ENDED = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
INCOMING_CALL = "[incoming call]"
MISSED_CALL = "[missed call]"
# A recording of a few minutes is a few MB as MP3, ten times that as WAV.
RECORDING_FORMAT = (".mp3", "audio/mpeg")
# Facts worth keeping with a call (Twilio field -> metadata key).
CALL_FACTS = {
    "To": "to",
    "CallerName": "caller_name",
    "ForwardedFrom": "forwarded_from",
    "FromCity": "from_city",
    "FromState": "from_state",
    "FromCountry": "from_country",
}


def _seconds(form: Form, name: str) -> int | None:
    """A duration in whole seconds, or None when absent or not one (Twilio sends -1 at times)."""
    raw = (form.get(name) or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 9 else None


def _timestamp(form: Form, name: str) -> datetime | None:
    """An RFC 2822 time (``Mon, 02 Mar 2026 08:11:12 +0000``); None when absent or unreadable."""
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = parsedate_to_datetime(raw)
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # A time Twilio could have sent; anything else is read as absent, not as year 1.
    return value if 2000 <= value.year <= 2100 else None


def _call(
    form: Form, call_sid: str, status: str, occurred_at: datetime, extra: dict[str, Any]
) -> InboundMessage | None:
    """The call as it appears on the timeline; None for a caller without a phone number."""
    caller = phone_sender(form.text("From"))
    if caller is None:
        return None
    return InboundMessage(
        external_id=call_sid,
        identity_kind="phone",
        identity_value=caller,
        text=INCOMING_CALL if status in CALL_STARTED | {"completed"} else MISSED_CALL,
        occurred_at=occurred_at,
        metadata={
            "call_status": status,
            "direction": "inbound",
            **form.facts(CALL_FACTS),
            **extra,
        },
    )


def _recording_ref(form: Form, url_field: str, sid_field: str) -> MediaRef:
    url = form.require(url_field)
    if not url.startswith(("http://", "https://")):
        raise MalformedPayload(f"{url_field} is not a URL")
    suffix, content_type = RECORDING_FORMAT
    base = url.removesuffix(".wav").removesuffix(".mp3")
    sid = form.text(sid_field).strip() or None
    return MediaRef(
        content_type=content_type,
        provider_id=sid,
        url=base + suffix,
        filename=f"recording-{sid}{suffix}" if sid else None,
    )


def _ended(form: Form, call_sid: str, status: str, received: datetime) -> InteractionUpdate:
    ended_at = _timestamp(form, "Timestamp") or received
    duration = _seconds(form, "CallDuration")
    facts: dict[str, Any] = {"call_status": status, "ended_at": ended_at.isoformat()}
    if duration is not None:
        facts["duration_seconds"] = duration
    # A call recorded through the API (Record=true) reports its recording with its end.
    media = (
        (_recording_ref(form, "RecordingUrl", "RecordingSid"),) if form.get("RecordingUrl") else ()
    )
    # The call as it would have appeared when it started, for when that was never seen.
    fallback = _call(form, call_sid, status, ended_at - timedelta(seconds=duration or 0), facts)
    return InteractionUpdate(
        external_id=call_sid,
        occurred_at=ended_at,
        metadata=facts,
        text=None if status == "completed" else MISSED_CALL,
        media=media,
        fallback=replace(fallback, media=media) if fallback is not None else None,
    )


def _recorded(form: Form, call_sid: str, received: datetime) -> InteractionUpdate | str:
    recording = form.require("RecordingSid")
    status = form.text("RecordingStatus").strip().lower() or "completed"
    if status not in ("completed", "absent", "failed"):
        # "in-progress" and the like: the file comes with "completed".
        return f"recording:{status[:40]}"
    facts: dict[str, Any] = {"recording_sid": recording, "recording_status": status}
    duration = _seconds(form, "RecordingDuration")
    if duration is not None:
        facts["recording_duration_seconds"] = duration
    channels = _seconds(form, "RecordingChannels")
    if channels is not None:
        facts["recording_channels"] = channels
    media: tuple[MediaRef, ...] = ()
    if status == "completed":
        media = (_recording_ref(form, "RecordingUrl", "RecordingSid"),)
    else:
        # "absent" (too short, silent) or "failed": no file, say why on the call.
        code = form.text("ErrorCode").strip()
        facts["recording_error"] = (
            describe_code(code) if code and code != "0" else f"recording {status}"
        )
    return InteractionUpdate(
        external_id=call_sid,
        occurred_at=_timestamp(form, "RecordingStartTime") or received,
        metadata=facts,
        media=media,
    )


def read_call_event(form: Form, received: datetime) -> InboundMessage | InteractionUpdate | str:
    """The one event a Voice webhook carries: a call starting (a new interaction), a call ending
    or recorded (an update of it), or the reason it is ignored. The account is checked by the
    caller; MalformedPayload when the form is not a Voice webhook."""
    call_sid = form.require("CallSid")
    # A call recorded through the API reports RecordingSid with its end, but no RecordingStatus.
    if "RecordingStatus" in form or ("RecordingSid" in form and "CallStatus" not in form):
        return _recorded(form, call_sid, received)
    status = form.require("CallStatus").lower()
    direction = form.text("Direction").strip().lower() or "inbound"
    if direction != "inbound":
        # Calls we place (click-to-call) come later; <Dial> legs report on the parent call.
        return f"call:{direction[:40]}"
    if status in CALL_STARTED:
        return _call(form, call_sid, status, received, {}) or "call:no-caller-id"
    if status in CALL_ENDED:
        return _ended(form, call_sid, status, received)
    return f"call:{status[:40]}"


def parse_voice_webhook(form: Form, received: datetime) -> ParsedDelivery:
    """The neutral events of one Voice webhook."""
    event = read_call_event(form, received)
    if isinstance(event, InboundMessage):
        return ParsedDelivery(messages=(event,))
    if isinstance(event, InteractionUpdate):
        return ParsedDelivery(updates=(event,))
    return ParsedDelivery(ignored=(event,))
