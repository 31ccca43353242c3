"""Sandbox of X: ``POST /2/dm_conversations/with/{participant_id}/messages`` and inbound events.

The DM endpoint checks the OAuth 1.0a signature as X does: it finds the channel by consumer
key and access token, recomputes the HMAC-SHA1 over the request it received with the channel's
two secrets, and refuses a wrong signature, a stale timestamp or a replayed nonce with a 401 in
X's problem format. Accepted DMs get snowflake ids and, as on X, come back to Unisono as a
``direct_message_events`` delivery sent by the brand account. Recipients whose id ends in 0403
do not accept DMs, 0429 are rate limited, 0500 hit a server error.

Inbound posts and DMs are injected with ``POST /_sandbox/x/{channel_id}/dms`` and
``/mentions``: documented Account Activity payloads, signed with the consumer secret. A DM may
carry a photo, served like ``ton.twitter.com`` does: only to a request signed with OAuth.
``POST /_sandbox/x/{channel_id}/crc`` runs X's challenge-response check against Unisono.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from unisono.channels.base import ChannelConfig
from unisono.channels.signatures import x_crc_response, x_signature
from unisono.channels.x.oauth import SIGNATURE_METHOD, parse_authorization_header, sign
from unisono.channels.x.provider import account_id
from unisono.errors import Invalid
from unisono.sandbox.state import SandboxState, SentCall

# X's own epoch for snowflake ids (2010-11-04T01:42:54.657Z).
TWITTER_EPOCH_MS = 1288834974657
# How far an oauth_timestamp may be from the sandbox's clock, as X tolerates.
TIMESTAMP_WINDOW = 300
MAX_DM_LENGTH = 10_000
AVATAR = "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
WEB_APP = {"id": "3033300", "name": "Twitter Web App", "url": "https://mobile.twitter.com"}
# The photo every injected DM attachment shows: bytes that read as a JPEG.
SAMPLE_PHOTO = b"\xff\xd8\xff\xe0 sandbox jpeg: foto del contatore"
# Builds a delivery from (channel, brand account id, new event id).
Builder = Callable[[ChannelConfig, str, str], dict[str, Any]]
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Snowflakes:
    """Ids shaped like X's: milliseconds since X's epoch, a worker number and a sequence."""

    def __init__(self) -> None:
        self.worker = int.from_bytes(os.urandom(2)) & 0x3FF
        self.sequence = 0
        self.lock = threading.Lock()

    def next(self) -> str:
        with self.lock:
            self.sequence = (self.sequence + 1) & 0xFFF
            millis = int(time.time() * 1000) - TWITTER_EPOCH_MS
            return str((millis << 22) | (self.worker << 12) | self.sequence)


def created_at(moment: datetime) -> str:
    """``Wed Oct 10 20:19:24 +0000 2018``, in English whatever the locale."""
    moment = moment.astimezone(UTC)
    return (
        f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:02d} "
        f"{moment:%H:%M:%S} +0000 {moment.year}"
    )


def problem(status: int, title: str, detail: str, kind: str = "about:blank") -> JSONResponse:
    """An error as X API v2 answers it."""
    return JSONResponse(
        {"title": title, "detail": detail, "type": kind, "status": status}, status_code=status
    )


def unauthorized(why: str) -> JSONResponse:
    # X says no more than "Unauthorized"; the reason helps whoever reads the sandbox's answer.
    return problem(401, "Unauthorized", f"Unauthorized: {why}")


def invalid_request(message: str, parameter: str) -> JSONResponse:
    return JSONResponse(
        {
            "errors": [{"parameters": {parameter: []}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
        status_code=400,
    )


def brand_id(config: ChannelConfig) -> str | None:
    """The account the channel's token belongs to: its ``user_id`` setting, else the numeric
    prefix X gives user access tokens (``370773112-GmHx...``)."""
    try:
        return account_id(config)
    except Invalid:
        prefix = config.credentials.get("access_token", "").split("-", 1)[0]
        return prefix if prefix.isdigit() else None


def screen_name_of(config: ChannelConfig) -> str:
    return str(config.settings.get("screen_name") or "brand")


def user_profile(user_id: str, name: str, screen_name: str) -> dict[str, Any]:
    """A user as the ``users`` map of a DM delivery describes one."""
    return {
        "id": user_id,
        "created_timestamp": "1422556069340",
        "name": name,
        "screen_name": screen_name,
        "protected": False,
        "verified": False,
        "followers_count": 120,
        "friends_count": 310,
        "statuses_count": 842,
        "profile_image_url": AVATAR.replace("https:", "http:"),
        "profile_image_url_https": AVATAR,
    }


def tweet_user(user_id: str, name: str, screen_name: str) -> dict[str, Any]:
    """A user as embedded in a classic post object."""
    return {
        "id": int(user_id),
        "id_str": user_id,
        "name": name,
        "screen_name": screen_name,
        "location": None,
        "url": None,
        "description": None,
        "protected": False,
        "verified": False,
        "followers_count": 120,
        "friends_count": 310,
        "listed_count": 0,
        "favourites_count": 57,
        "statuses_count": 842,
        "created_at": "Thu Jan 29 18:27:49 +0000 2015",
        "profile_image_url_https": AVATAR,
        "default_profile": True,
        "default_profile_image": True,
    }


def dm_delivery(
    account: str,
    event_id: str,
    sender: tuple[str, str, str],
    recipient: tuple[str, str, str],
    text: str,
    photo_url: str | None = None,
) -> dict[str, Any]:
    """A ``direct_message_events`` delivery; ``sender`` and ``recipient`` are (id, name, handle).

    With ``photo_url`` the DM carries a photo attachment, its t.co link appended to the text.
    """
    data: dict[str, Any] = {
        "text": text,
        "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
    }
    if photo_url is not None:
        link = f"https://t.co/{secrets.token_urlsafe(7)[:10]}"
        indices = [len(text) + 1, len(text) + 1 + len(link)]
        expanded = f"https://twitter.com/messages/media/{event_id}"
        display = f"pic.twitter.com/{link.rsplit('/', 1)[-1]}"
        media_id = photo_url.rstrip("/").split("/")[-2]
        data["text"] = f"{text} {link}"
        data["entities"]["urls"].append(
            {"url": link, "expanded_url": expanded, "display_url": display, "indices": indices}
        )
        data["attachment"] = {
            "type": "media",
            "media": {
                "id": int(media_id),
                "id_str": media_id,
                "indices": indices,
                "media_url": photo_url.replace("https:", "http:", 1),
                "media_url_https": photo_url,
                "url": link,
                "display_url": display,
                "expanded_url": expanded,
                "type": "photo",
                "sizes": {
                    "thumb": {"w": 150, "h": 150, "resize": "crop"},
                    "small": {"w": 510, "h": 680, "resize": "fit"},
                    "medium": {"w": 900, "h": 1200, "resize": "fit"},
                    "large": {"w": 1536, "h": 2048, "resize": "fit"},
                },
            },
        }
    return {
        "for_user_id": account,
        "direct_message_events": [
            {
                "type": "message_create",
                "id": event_id,
                "created_timestamp": str(int(time.time() * 1000)),
                "message_create": {
                    "target": {"recipient_id": recipient[0]},
                    "sender_id": sender[0],
                    "source_app_id": WEB_APP["id"],
                    "message_data": data,
                },
            }
        ],
        "apps": {WEB_APP["id"]: WEB_APP},
        "users": {person[0]: user_profile(*person) for person in (sender, recipient)},
    }


def mention_delivery(
    config: ChannelConfig,
    account: str,
    tweet_id: str,
    author: tuple[str, str, str],
    text: str,
    in_reply_to: str | None,
) -> dict[str, Any]:
    """A ``tweet_create_events`` delivery with one classic post mentioning the brand."""
    handle = screen_name_of(config)
    if f"@{handle}".lower() not in text.lower():
        text = f"@{handle} {text}"
    start = text.lower().index(f"@{handle}".lower())
    entities = {
        "hashtags": [],
        "urls": [],
        "user_mentions": [
            {
                "screen_name": handle,
                "name": config.name,
                "id": int(account),
                "id_str": account,
                "indices": [start, start + len(handle) + 1],
            }
        ],
        "symbols": [],
    }
    now = datetime.now(UTC)
    tweet: dict[str, Any] = {
        "created_at": created_at(now),
        "id": int(tweet_id),
        "id_str": tweet_id,
        "text": text,
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "truncated": False,
        "in_reply_to_status_id": int(in_reply_to) if in_reply_to else None,
        "in_reply_to_status_id_str": in_reply_to,
        "in_reply_to_user_id": int(account) if in_reply_to else None,
        "in_reply_to_user_id_str": account if in_reply_to else None,
        "in_reply_to_screen_name": handle if in_reply_to else None,
        "user": tweet_user(*author),
        "geo": None,
        "coordinates": None,
        "place": None,
        "contributors": None,
        "is_quote_status": False,
        "quote_count": 0,
        "reply_count": 0,
        "retweet_count": 0,
        "favorite_count": 0,
        "entities": entities,
        "favorited": False,
        "retweeted": False,
        "filter_level": "low",
        "lang": "it",
        "timestamp_ms": str(int(now.timestamp() * 1000)),
    }
    if len(text) > 140:
        # As X does: a truncated ``text`` ending in a link to the post, the rest elsewhere.
        link = f"https://t.co/{secrets.token_urlsafe(7)[:10]}"
        tweet |= {
            "text": f"{text[:113]}… {link}",
            "truncated": True,
            "extended_tweet": {
                "full_text": text,
                "display_text_range": [0, len(text)],
                "entities": entities,
            },
        }
    return {"for_user_id": account, "user_has_blocked": "false", "tweet_create_events": [tweet]}


def post_webhook(state: SandboxState, config: ChannelConfig, payload: dict[str, Any]) -> int:
    body = json.dumps(payload).encode()
    signature = x_signature(config.credentials.get("consumer_secret", ""), body)
    return state.post_to_unisono(
        state.webhook_url(config),
        content=body,
        headers={"Content-Type": "application/json", "x-twitter-webhooks-signature": signature},
    )


class InboundPost(BaseModel):
    sender_id: str = Field(default="1029384756", pattern=r"^[0-9]{1,19}$")
    name: str = "Cliente Sandbox"
    screen_name: str = Field(default="cliente_sandbox", pattern=r"^[A-Za-z0-9_]{1,15}$")
    text: str = Field(default="Buongiorno, ho un problema con la bolletta", min_length=1)


class InboundDM(InboundPost):
    photo: bool = Field(default=False, description="attach a photo (served behind OAuth)")


class InboundMention(InboundPost):
    in_reply_to_status_id: str | None = Field(default=None, pattern=r"^[0-9]{1,19}$")


class NonceLog:
    """Nonces seen within the timestamp window: X refuses a request signed twice."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], float] = {}
        self.lock = threading.Lock()

    def first_use(self, consumer_key: str, nonce: str) -> bool:
        now = time.time()
        with self.lock:
            for key in [k for k, at in self.seen.items() if now - at > 2 * TIMESTAMP_WINDOW]:
                del self.seen[key]
            if (consumer_key, nonce) in self.seen:
                return False
            self.seen[(consumer_key, nonce)] = now
            return True


def check_oauth(
    state: SandboxState, request: Request, nonces: NonceLog
) -> ChannelConfig | JSONResponse:
    """The channel whose credentials signed ``request``, or X's 401."""
    params = parse_authorization_header(request.headers.get("authorization"))
    required = ("oauth_consumer_key", "oauth_token", "oauth_signature", "oauth_timestamp")
    missing = [k for k in (*required, "oauth_nonce") if not params.get(k)]
    if missing:
        return unauthorized(f"no OAuth 1.0a header with {', '.join(missing)}")
    if params.get("oauth_signature_method") != SIGNATURE_METHOD:
        return unauthorized(f"oauth_signature_method must be {SIGNATURE_METHOD}")
    if params.get("oauth_version", "1.0") != "1.0":
        return unauthorized("oauth_version must be 1.0")
    config = state.channel(
        "x", consumer_key=params["oauth_consumer_key"], access_token=params["oauth_token"]
    )
    if config is None:
        return unauthorized("unknown consumer key or access token")
    try:
        skew = abs(time.time() - int(params["oauth_timestamp"]))
    except ValueError:
        return unauthorized("oauth_timestamp is not a number")
    if skew > TIMESTAMP_WINDOW:
        return unauthorized("timestamp out of bounds")
    oauth = {k: v for k, v in params.items() if k.startswith("oauth_")}
    expected = sign(
        request.method,
        str(request.url),
        oauth,
        config.credentials.get("consumer_secret", ""),
        config.credentials.get("access_token_secret", ""),
    )
    if not hmac.compare_digest(expected.encode(), params["oauth_signature"].encode()):
        return unauthorized("the signature does not match the request")
    if not nonces.first_use(params["oauth_consumer_key"], params["oauth_nonce"]):
        return unauthorized("this nonce was already used")
    return config


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()
    ids = Snowflakes()
    nonces = NonceLog()
    photos: dict[str, uuid.UUID] = {}  # media id -> the channel whose DM carried it

    def channel(channel_id: uuid.UUID) -> ChannelConfig | None:
        return next((c for c in state.channels("x") if c.id == channel_id), None)

    @api.post("/2/dm_conversations/with/{participant_id}/messages")
    async def send_dm(participant_id: str, request: Request) -> JSONResponse:
        signed = check_oauth(state, request, nonces)
        if isinstance(signed, JSONResponse):
            return signed
        config = signed
        if not participant_id.isascii() or not participant_id.isdigit():
            return invalid_request(
                f"The `participant_id` query parameter value [{participant_id}] is not valid",
                "participant_id",
            )
        try:
            payload = await request.json()
        except ValueError:
            return invalid_request("The request body is not valid JSON", "text")
        text = payload.get("text") if isinstance(payload, dict) else None
        if not isinstance(text, str) or not text:
            return invalid_request("The `text` field is required and must not be empty", "text")
        if len(text) > MAX_DM_LENGTH:
            return invalid_request(f"`text` is longer than {MAX_DM_LENGTH} characters", "text")
        if participant_id.endswith("0403"):
            return problem(
                403,
                "Forbidden",
                "You are not permitted to send messages to this user.",
                "https://api.twitter.com/2/problems/not-authorized-for-resource",
            )
        if participant_id.endswith("0429"):
            return problem(429, "Too Many Requests", "Too Many Requests")
        if participant_id.endswith("0500"):
            return problem(503, "Service Unavailable", "Service Unavailable")
        event_id = ids.next()
        account = brand_id(config)
        pair = sorted((account or "0", participant_id), key=int)
        state.record(SentCall("x", config.id, event_id, participant_id, payload))
        if account is not None:
            # X delivers the account's own DMs to its webhook too (Unisono must ignore them).
            echo = dm_delivery(
                account,
                event_id,
                (account, config.name, screen_name_of(config)),
                (participant_id, "X user", f"user_{participant_id[-6:]}"),
                text,
            )
            state.later([lambda: post_webhook(state, config, echo)])
        return JSONResponse(
            {"data": {"dm_conversation_id": "-".join(pair), "dm_event_id": event_id}},
            status_code=201,
        )

    def inject(channel_id: uuid.UUID, build: Builder) -> JSONResponse:
        config = channel(channel_id)
        if config is None:
            return JSONResponse({"error": f"no x channel {channel_id}"}, status_code=404)
        try:
            account = account_id(config)
        except Invalid as exc:
            return JSONResponse({"error": exc.detail}, status_code=409)
        event_id = ids.next()
        status = post_webhook(state, config, build(config, account, event_id))
        return JSONResponse({"id": event_id, "unisono_status": status})

    @api.post("/_sandbox/x/{channel_id}/dms")
    def inject_dm(channel_id: uuid.UUID, body: InboundDM, request: Request) -> JSONResponse:
        """Pretend a customer sent the brand account a DM; returns Unisono's answer."""

        def build(config: ChannelConfig, account: str, event_id: str) -> dict[str, Any]:
            photo_url = None
            if body.photo:
                # Where ton.twitter.com would keep it, on the sandbox's own address.
                media_id = ids.next()
                photos[media_id] = config.id
                base = str(request.base_url).rstrip("/")
                photo_url = (
                    f"{base}/1.1/ton/data/dm/{event_id}/{media_id}/{secrets.token_hex(4)}.jpg"
                )
            return dm_delivery(
                account,
                event_id,
                (body.sender_id, body.name, body.screen_name),
                (account, config.name, screen_name_of(config)),
                body.text,
                photo_url,
            )

        return inject(channel_id, build)

    @api.get("/1.1/ton/data/dm/{dm_id}/{media_id}/{name}")
    def dm_media(dm_id: str, media_id: str, name: str, request: Request) -> Response:
        """A DM attachment: like ton.twitter.com, only for a request signed by the account."""
        signed = check_oauth(state, request, nonces)
        if isinstance(signed, JSONResponse):
            return signed
        # Only the account the DM was sent to may read its attachment.
        if photos.get(media_id) != signed.id:
            return problem(404, "Not Found Error", f"Could not find media {media_id}")
        return Response(SAMPLE_PHOTO, media_type="image/jpeg")

    @api.post("/_sandbox/x/{channel_id}/mentions")
    def inject_mention(channel_id: uuid.UUID, body: InboundMention) -> JSONResponse:
        """Pretend a customer mentioned the brand account in a public post."""

        def build(config: ChannelConfig, account: str, event_id: str) -> dict[str, Any]:
            author = (body.sender_id, body.name, body.screen_name)
            return mention_delivery(
                config, account, event_id, author, body.text, body.in_reply_to_status_id
            )

        return inject(channel_id, build)

    @api.post("/_sandbox/x/{channel_id}/crc")
    def crc(channel_id: uuid.UUID) -> JSONResponse:
        """Run X's challenge-response check against Unisono's webhook for this channel."""
        config = channel(channel_id)
        if config is None:
            return JSONResponse({"error": f"no x channel {channel_id}"}, status_code=404)
        token = str(uuid.uuid4())
        try:
            response = httpx.get(state.webhook_url(config), params={"crc_token": token}, timeout=3)
        except httpx.HTTPError as exc:
            return JSONResponse({"valid": False, "error": str(exc)})
        try:
            answer = response.json()
        except ValueError:
            answer = None
        expected = x_crc_response(config.credentials.get("consumer_secret", ""), token)
        valid = (
            response.status_code == 200
            and isinstance(answer, dict)
            and answer.get("response_token") == expected
        )
        return JSONResponse({"valid": valid, "unisono_status": response.status_code})

    return api
