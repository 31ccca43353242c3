"""Sandbox of Twilio: Programmable Messaging's ``Messages.json`` and Voice's call webhooks.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` checks basic auth against the SMS
channel of that account, answers 201 with Twilio's Message resource (``sid`` ``SM`` + 32 hex,
``status`` ``queued``) or Twilio's error body, then posts the status callbacks ``sent`` and
``delivered`` to the message's ``StatusCallback`` (else the channel's webhook URL), signed like
Twilio with the auth token. Recipients ending in 0000 end ``undelivered`` with ErrorCode 30003,
1610 are refused as unsubscribed (21610), 0429 are rate limited (20429), 0500 hit a 500.

Media of injected MMS and call recordings are served, with basic auth, where Twilio serves them:
``/2010-04-01/Accounts/{sid}/Messages/{MessageSid}/Media/{MediaSid}`` (a redirect to the bytes,
as Twilio redirects to its storage) and ``/2010-04-01/Accounts/{sid}/Recordings/{sid}.mp3``.

Inbound: ``POST /_sandbox/sms/{channel_id}/messages`` ``{"from", "body", "media"}`` posts an
incoming SMS/MMS; ``POST /_sandbox/voice/{channel_id}/calls`` ``{"from", "duration", "record"}``
plays a whole call: the incoming-call webhook (whose TwiML answer says where recordings go),
the ``completed`` status callback with the duration, then the recording callback.
"""

from __future__ import annotations

import base64
import html
import math
import re
import time
import uuid
from collections.abc import Callable
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from unisono.channels.base import ChannelConfig
from unisono.channels.signatures import twilio_signature
from unisono.clock import utcnow
from unisono.sandbox.state import SandboxState, SentCall

API_VERSION = "2010-04-01"
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# Where Unisono's TwiML answer asks for recording callbacks. A pattern, not an XML parser: the
# sandbox needs this one attribute, and no parser of untrusted XML is then in play.
RECORDING_CALLBACK = re.compile(r'recordingStatusCallback="([^"]*)"')
SAMPLE_MEDIA = {
    "image/jpeg": b"\xff\xd8\xff\xe0 sandbox jpeg: foto del contatore",
    "image/png": b"\x89PNG\r\n\x1a\n sandbox png: foto del contatore",
    "application/pdf": b"%PDF-1.4 sandbox: bolletta di marzo",
}
# Enough of an MP3 for a player to recognise one: an ID3 tag, then an MPEG-1 Layer III frame.
MP3_HEADER = b"ID3\x03\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x64"
WAV_HEADER = b"RIFF\x24\x00\x00\x00WAVEfmt "


def twilio_sid(prefix: str) -> str:
    """A Twilio resource sid: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def twilio_error(status: int, code: int, message: str) -> JSONResponse:
    """An error as Twilio's REST API answers it."""
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
    )


def basic_auth(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return None
    return user, password


def rfc2822_now() -> str:
    return format_datetime(utcnow())


def public_url(state: SandboxState, config: ChannelConfig) -> str:
    """The URL Twilio would have been given for the channel (what it signs)."""
    configured = config.settings.get("webhook_url")
    return str(configured) if configured else state.webhook_url(config)


def call_unisono(
    state: SandboxState,
    config: ChannelConfig,
    fields: dict[str, str],
    *,
    signed_url: str,
    post_url: str | None = None,
) -> httpx.Response | None:
    """Post ``fields`` as Twilio does: a form, signed over ``signed_url`` with the auth token."""
    signature = twilio_signature(
        config.credentials.get("auth_token", ""), signed_url, fields.items()
    )
    url = post_url or signed_url
    try:
        response: httpx.Response | None = httpx.post(
            url,
            content=urlencode(fields).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
                "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
                "User-Agent": "TwilioProxy/1.1",
            },
            timeout=10,
        )
    except httpx.HTTPError:
        response = None
    with state.lock:
        state.callbacks.append(
            {
                "url": url,
                "status": response.status_code if response is not None else 0,
                "at": time.time(),
            }
        )
    return response


def to_channel(
    state: SandboxState, config: ChannelConfig, fields: dict[str, str], url: str | None = None
) -> httpx.Response | None:
    """Post to ``url`` (default: the channel's public webhook URL) as Twilio would.

    The signature is over the public URL; the post goes to where Unisono really listens when
    that URL is the channel's own (behind a proxy, the public one may not be reachable here).
    """
    signed = url or public_url(state, config)
    own = signed == public_url(state, config)
    return call_unisono(
        state,
        config,
        fields,
        signed_url=signed,
        post_url=state.webhook_url(config) if own else None,
    )


def country(number: str) -> str:
    return "IT" if number.startswith("+39") else ""


def segments(body: str) -> int:
    return 1 if len(body) <= 160 else math.ceil(len(body) / 153)


class InboundSms(BaseModel):
    from_number: str = Field(alias="from", examples=["+393331234567"])
    body: str = "Buongiorno, vorrei la bolletta di marzo"
    media: list[str] = Field(default_factory=list, examples=[["image/jpeg"]], max_length=10)


class InboundCall(BaseModel):
    from_number: str = Field(alias="from", examples=["+393331234567"])
    duration: int = Field(default=42, ge=0, le=4 * 3600)
    record: bool = True


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()
    # Bytes the sandbox "holds" for Unisono to fetch, by media or recording sid.
    held: dict[str, tuple[bytes, str]] = {}

    def authorised(request: Request, account_sid: str) -> bool:
        given = basic_auth(request)
        if given is None or given[0] != account_sid:
            return False
        return any(
            config.credentials.get("auth_token") == given[1]
            for kind in ("sms", "voice")
            for config in state.channels(kind)
            if config.credentials.get("account_sid") == account_sid
        )

    @api.post(f"/{API_VERSION}/Accounts/{{account_sid}}/Messages.json")
    async def create_message(account_sid: str, request: Request) -> JSONResponse:
        config = state.channel("sms", account_sid=account_sid)
        path = f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"
        if config is None:
            return twilio_error(404, 20404, f"The requested resource {path} was not found")
        if not authorised(request, account_sid):
            return twilio_error(401, 20003, "Authenticate")
        form = dict(
            parse_qsl((await request.body()).decode(errors="replace"), keep_blank_values=True)
        )
        to, sender, body = form.get("To", "").strip(), form.get("From", ""), form.get("Body", "")
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not E164.fullmatch(to):
            return twilio_error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if sender != config.credentials.get("from_number"):
            return twilio_error(
                400,
                21606,
                f"The 'From' phone number provided ({sender}) is not a valid message-capable "
                "Twilio phone number for this destination/account",
            )
        if not body.strip():
            return twilio_error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return twilio_error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if to.endswith("1610"):
            return twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")
        if to.endswith("0429"):
            return twilio_error(429, 20429, "Too Many Requests")
        if to.endswith("0500"):
            return twilio_error(500, 20500, "Internal Server Error")
        sid = twilio_sid("SM")
        state.record(SentCall("sms", config.id, sid, to, form))
        callback = form.get("StatusCallback")

        def report(status: str) -> Callable[[], object]:
            fields = {
                "AccountSid": account_sid,
                "ApiVersion": API_VERSION,
                "From": sender,
                "MessageSid": sid,
                "MessageStatus": status,
                "SmsSid": sid,
                "SmsStatus": status,
                "To": to,
            }
            if status == "undelivered":
                fields["ErrorCode"] = "30003"
            if status == "delivered":
                fields["RawDlrDoneDate"] = utcnow().strftime("%y%m%d%H%M")
            return lambda: to_channel(state, config, fields, callback or None)

        final = "undelivered" if to.endswith("0000") else "delivered"
        state.later([report("sent"), report(final)])
        now = rfc2822_now()
        return JSONResponse(
            {
                "account_sid": account_sid,
                "api_version": API_VERSION,
                "body": body,
                "date_created": now,
                "date_sent": None,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": sender,
                "messaging_service_sid": None,
                "num_media": "0",
                "num_segments": str(segments(body)),
                "price": None,
                "price_unit": "EUR",
                "sid": sid,
                "status": "queued",
                "subresource_uris": {"media": f"{path.removesuffix('.json')}/{sid}/Media.json"},
                "to": to,
                "uri": f"{path.removesuffix('.json')}/{sid}.json",
            },
            status_code=201,
        )

    @api.get(
        f"/{API_VERSION}/Accounts/{{account_sid}}/Messages/{{message_sid}}/Media/{{media_sid}}"
    )
    def media(account_sid: str, message_sid: str, media_sid: str, request: Request) -> Response:
        if not authorised(request, account_sid):
            return twilio_error(401, 20003, "Authenticate")
        if media_sid not in held:
            return twilio_error(404, 20404, f"Media {media_sid} was not found")
        # Twilio answers with a redirect to where the file is stored.
        return RedirectResponse(f"/_sandbox/twilio/files/{media_sid}", status_code=307)

    @api.get("/_sandbox/twilio/files/{sid}")
    def stored_file(sid: str) -> Response:
        found = held.get(sid)
        if found is None:
            return Response(status_code=404)
        return Response(found[0], media_type=found[1])

    @api.get(f"/{API_VERSION}/Accounts/{{account_sid}}/Recordings/{{name}}")
    def recording(account_sid: str, name: str, request: Request) -> Response:
        if not authorised(request, account_sid):
            return twilio_error(401, 20003, "Authenticate")
        sid, _, extension = name.partition(".")
        found = held.get(sid)
        if found is None or extension not in ("", "mp3", "wav"):
            return twilio_error(404, 20404, f"Recording {name} was not found")
        if extension == "mp3":
            return Response(found[0], media_type="audio/mpeg")
        # Without an extension (or with .wav) Twilio serves WAV: the same sound, ten times larger.
        return Response(WAV_HEADER + found[0].removeprefix(MP3_HEADER), media_type="audio/x-wav")

    @api.post("/_sandbox/sms/{channel_id}/messages")
    def inject_sms(channel_id: uuid.UUID, message: InboundSms, request: Request) -> dict[str, Any]:
        """Pretend a customer texted the channel's number; returns Unisono's answer."""
        config = next((c for c in state.channels("sms") if c.id == channel_id), None)
        if config is None:
            return {"error": f"no sms channel {channel_id}"}
        sid = twilio_sid("MM" if message.media else "SM")
        account = config.credentials.get("account_sid", "")
        number = config.credentials.get("from_number", "")
        base = str(request.base_url).rstrip("/")
        fields = {
            "ToCountry": country(number),
            "ToState": "",
            "SmsMessageSid": sid,
            "NumMedia": str(len(message.media)),
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": message.body,
            "FromCountry": country(message.from_number),
            "To": number,
            "ToZip": "",
            "NumSegments": str(segments(message.body)),
            "MessageSid": sid,
            "AccountSid": account,
            "From": message.from_number,
            "ApiVersion": API_VERSION,
        }
        for index, content_type in enumerate(message.media):
            media_sid = twilio_sid("ME")
            held[media_sid] = (SAMPLE_MEDIA.get(content_type, b"sandbox media"), content_type)
            fields[f"MediaContentType{index}"] = content_type
            fields[f"MediaUrl{index}"] = (
                f"{base}/{API_VERSION}/Accounts/{account}/Messages/{sid}/Media/{media_sid}"
            )
        response = to_channel(state, config, fields)
        return {"sid": sid, "unisono_status": response.status_code if response is not None else 0}

    @api.post("/_sandbox/voice/{channel_id}/calls")
    def inject_call(channel_id: uuid.UUID, call: InboundCall, request: Request) -> dict[str, Any]:
        """Play a whole incoming call: ringing, completed, recorded; returns Unisono's answers."""
        config = next((c for c in state.channels("voice") if c.id == channel_id), None)
        if config is None:
            return {"error": f"no voice channel {channel_id}"}
        account = config.credentials.get("account_sid", "")
        number = config.credentials.get("from_number", "")
        call_sid = twilio_sid("CA")
        base = str(request.base_url).rstrip("/")
        fields = {
            "AccountSid": account,
            "ApiVersion": API_VERSION,
            "CallSid": call_sid,
            "CallStatus": "ringing",
            "Called": number,
            "CalledCountry": country(number),
            "Caller": call.from_number,
            "CallerCountry": country(call.from_number),
            "Direction": "inbound",
            "From": call.from_number,
            "FromCountry": country(call.from_number),
            "To": number,
            "ToCountry": country(number),
        }
        answered = to_channel(state, config, fields)
        twiml = answered.text if answered is not None else ""
        statuses = [answered.status_code if answered is not None else 0]
        ended = {
            **fields,
            "CallStatus": "completed",
            "CallDuration": str(call.duration),
            "Duration": str(math.ceil(call.duration / 60)),
            "Timestamp": rfc2822_now(),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": "0",
        }
        response = to_channel(state, config, ended)
        statuses.append(response.status_code if response is not None else 0)
        asked = RECORDING_CALLBACK.search(twiml)
        recording_sid = None
        if call.record and asked:
            recording_sid = twilio_sid("RE")
            held[recording_sid] = (
                MP3_HEADER + f" sandbox recording of {call_sid}".encode(),
                "audio/mpeg",
            )
            target = html.unescape(asked.group(1))
            recorded = {
                "AccountSid": account,
                "CallSid": call_sid,
                "RecordingSid": recording_sid,
                "RecordingUrl": f"{base}/{API_VERSION}/Accounts/{account}/Recordings/"
                + recording_sid,
                "RecordingStatus": "completed" if call.duration else "absent",
                "RecordingDuration": str(call.duration),
                "RecordingChannels": "2" if "dual" in twiml else "1",
                "RecordingStartTime": rfc2822_now(),
                "RecordingSource": "DialVerb" if "<Dial" in twiml else "StartCallRecording",
                "RecordingTrack": "both" if "<Dial" in twiml else "inbound",
            }
            if not call.duration:
                recorded["ErrorCode"] = "16101"
            # A relative callback resolves against the URL Twilio called for this call.
            response = to_channel(
                state, config, recorded, urljoin(public_url(state, config), target)
            )
            statuses.append(response.status_code if response is not None else 0)
        return {
            "call_sid": call_sid,
            "recording_sid": recording_sid,
            "twiml": twiml,
            "unisono_statuses": statuses,
        }

    return api
