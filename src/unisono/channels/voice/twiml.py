"""The TwiML that answers an incoming call: recorded, as a voice message or while forwarded.

Unisono is not an IVR: it answers a call only so that the call and its recording reach the
customer's timeline. What it answers depends on the channel's settings:

- ``forward_to`` (an E.164 number or a ``sip:`` URI, the company's contact centre): a short
  notice, then ``<Dial record="record-from-answer-dual">``: the conversation is recorded from
  the moment someone answers, each party on its own channel
  (https://www.twilio.com/docs/voice/twiml/dial#record);
- otherwise a voice-message line: a greeting, then ``<Start><Recording>`` of the caller while a
  ``<Pause>`` waits for them to speak and hang up
  (https://www.twilio.com/docs/voice/twiml/recording). Not ``<Record>``: when it ends Twilio
  fetches its ``action`` URL, by default this same URL, and this answer would start over;
- ``record: false`` turns recording off (the call is still logged).

Where the company's own IVR answers the calls, Twilio sends Unisono only the status and recording
callbacks and this answer is never asked for. Twilio ignores the body of its answers to those
callbacks, so every request of the channel may be given the same document.

``greeting`` replaces the spoken text, ``voice_language`` its language (default ``it-IT``),
``max_message_seconds`` bounds a voice message (default 120).
"""

from __future__ import annotations

import logging

from unisono.channels.base import ChannelConfig
from unisono.channels.twilio.webhooks import (
    E164,
    XML_DECLARATION,
    configured_webhook_url,
    xml_text,
)

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "it-IT"
DEFAULT_MESSAGE_SECONDS = 120
GREETINGS = {
    "voicemail": (
        "Grazie per averci chiamato. Lasci pure il suo messaggio: la chiamata viene registrata. "
        "Al termine può riagganciare."
    ),
    "forward": "Grazie per averci chiamato. La chiamata viene registrata per gestire la sua "
    "richiesta.",
    "forward_unrecorded": "",
    "log_only": "Grazie per averci chiamato. Al momento non possiamo rispondere: la richiameremo "
    "al più presto.",
}
GOODBYE = "Grazie, arrivederci."


def recording_callback(config: ChannelConfig) -> str:
    """Where Twilio posts the recording's status: the channel's public URL when configured, else
    its path, which Twilio resolves against the URL it called for this very call."""
    return configured_webhook_url(config) or f"/webhooks/{config.kind}/{config.id}"


def forward_target(config: ChannelConfig) -> str | None:
    """The ``forward_to`` setting when it is a number or SIP URI Twilio can dial."""
    value = config.settings.get("forward_to")
    if value is None or value == "":
        return None
    if isinstance(value, str) and (E164.fullmatch(value.strip()) or value.startswith("sip:")):
        return value.strip()
    # A typo here must not break the answer to a ringing phone: take the voice message line.
    log.warning("voice channel %s: forward_to %r is not a +number or sip: URI", config.id, value)
    return None


def _setting_text(config: ChannelConfig, key: str, default: str) -> str:
    value = config.settings.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else default


def _message_seconds(config: ChannelConfig) -> int:
    value = config.settings.get("max_message_seconds")
    if isinstance(value, int) and not isinstance(value, bool):
        return min(max(value, 5), 600)
    return DEFAULT_MESSAGE_SECONDS


def answer_call(config: ChannelConfig) -> str:
    """The TwiML document answering a call to ``config``'s number."""
    language = xml_text(_setting_text(config, "voice_language", DEFAULT_LANGUAGE))
    record = config.settings.get("record", True) is not False
    callback = xml_text(recording_callback(config))
    target = forward_target(config)
    mode = (
        ("forward" if record else "forward_unrecorded")
        if target
        else ("voicemail" if record else "log_only")
    )
    greeting = _setting_text(config, "greeting", GREETINGS[mode])
    parts = [f'<Say language="{language}">{xml_text(greeting)}</Say>'] if greeting else []
    recorded = (
        f'recordingStatusCallback="{callback}" recordingStatusCallbackEvent="completed absent"'
    )
    if target:
        dialled = (
            f"<Sip>{xml_text(target)}</Sip>"
            if target.startswith("sip:")
            else f"<Number>{xml_text(target)}</Number>"
        )
        options = f' record="record-from-answer-dual" {recorded}' if record else ""
        parts.append(f"<Dial{options}>{dialled}</Dial>")
    elif record:
        parts += [
            f'<Start><Recording {recorded} track="inbound" channels="mono"/></Start>',
            f'<Pause length="{_message_seconds(config)}"/>',
            f'<Say language="{language}">{xml_text(GOODBYE)}</Say>',
            "<Hangup/>",
        ]
    else:
        parts.append("<Hangup/>")
    return f"{XML_DECLARATION}<Response>{''.join(parts)}</Response>"
