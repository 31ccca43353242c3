"""Reading Account Activity API deliveries into neutral events.

A delivery is one JSON object naming the subscribed account (``for_user_id``) and one or more
event arrays. Two of them are customers talking to us: ``direct_message_events`` (private) and
``tweet_create_events`` that mention or answer the account (public, which operators must
know before they answer). Whatever the account itself did (its own DMs, which X echoes back,
and its own posts) and every other activity (likes, follows, typing, read receipts, deletions,
revokes) is ignored by name, so a delivery summary says what was left out.
"""

from __future__ import annotations

import html
import mimetypes
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from unisono.channels.base import InboundMessage, MediaRef, ParsedDelivery
from unisono.channels.errors import MalformedPayload

IDENTITY_KIND = "x"
# Keys of a delivery that describe it rather than carry events.
ENVELOPE_KEYS = frozenset({"for_user_id", "users", "apps", "user_has_blocked", "is_blocked_by"})
MESSAGE_EVENTS = ("direct_message_events", "tweet_create_events")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedPayload(f"{where} is not an object")
    return value


def _maybe_obj(value: Any) -> dict[str, Any]:
    """``value`` when it is an object, else an empty one (for optional parts)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedPayload(f"{where} is not a list")
    return value


def _items(value: Any) -> list[dict[str, Any]]:
    """The objects of an optional list (entities, variants): anything else counts as none."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _id(obj: dict[str, Any], key: str, where: str) -> str:
    """A required id; X sends ids as strings (``*_str``) or numbers, never empty."""
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise MalformedPayload(f"{where}.{key} is missing")
    return str(value)


def _object_id(obj: dict[str, Any], where: str) -> str:
    """A post's or user's id: ``id_str`` as X recommends, the number ``id`` otherwise."""
    if isinstance(obj.get("id_str"), str) and obj["id_str"]:
        return str(obj["id_str"])
    return _id(obj, "id", where)


def _maybe_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) and value else None


def _from_millis(raw: str, where: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(raw) / 1000, UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise MalformedPayload(f"{where}.created_timestamp is not a time in milliseconds") from exc


def parse_created_at(raw: Any) -> datetime:
    """A classic ``created_at`` (``Wed Oct 10 20:19:24 +0000 2018``) as an aware datetime.

    Read by hand: ``strptime``'s ``%a``/``%b`` follow the process locale, X's names do not.
    """
    if not isinstance(raw, str):
        raise MalformedPayload("tweet.created_at is missing")
    try:
        _weekday, month, day, clock, offset, year = raw.split()
        hours, minutes, seconds = (int(p) for p in clock.split(":"))
        if len(offset) != 5 or offset[0] not in "+-":
            raise ValueError(offset)
        sign = -1 if offset[0] == "-" else 1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        local = datetime(int(year), _MONTHS[month], int(day), hours, minutes, seconds, 0, zone)
        return local.astimezone(UTC)
    except (ValueError, KeyError, OverflowError) as exc:
        raise MalformedPayload(f"tweet.created_at '{raw[:40]}' is not X's date format") from exc


def _media(entity: dict[str, Any]) -> MediaRef:
    """One media entity (photo, video or GIF) of a DM attachment or a post."""
    kind = str(entity.get("type") or "photo")
    url = _maybe_str(entity, "media_url_https") or _maybe_str(entity, "media_url")
    content_type = None
    if kind in ("video", "animated_gif"):
        # The playable file is among the variants; the media URL is only a still frame.
        variants = [
            v
            for v in _items(_maybe_obj(entity.get("video_info")).get("variants"))
            if isinstance(v.get("url"), str)
        ]
        best = max(
            variants,
            key=lambda v: (v.get("content_type") == "video/mp4", _number(v.get("bitrate"))),
            default=None,
        )
        if best is not None:
            url = best["url"]
            content_type = _maybe_str(best, "content_type")
    if content_type is None and url:
        content_type = mimetypes.guess_type(url.split("?")[0])[0]
    fallback = "video/mp4" if kind in ("video", "animated_gif") else "image/jpeg"
    provider_id = entity.get("id_str") or entity.get("id")
    return MediaRef(
        content_type=content_type or fallback,
        provider_id=str(provider_id) if isinstance(provider_id, str | int) else None,
        url=url,
    )


def _number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _expand(text: str, entities: dict[str, Any], media: list[dict[str, Any]]) -> str:
    """``text`` with t.co links spelled out and the media links (shown as attachments) removed."""
    media_links = {m["url"] for m in media if _maybe_str(m, "url")}
    for link in media_links:
        text = text.replace(link, "")
    for url in _items(entities.get("urls")):
        short, expanded = _maybe_str(url, "url"), _maybe_str(url, "expanded_url")
        if short and expanded and short not in media_links:
            text = text.replace(short, expanded)
    return text.strip()


def _placeholder(media: list[dict[str, Any]]) -> str:
    """What to show for a message that is nothing but attachments."""
    kinds = [str(m.get("type") or "photo") for m in media]
    return " ".join(f"[{kind}]" for kind in kinds)


def _users(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(k): v for k, v in _maybe_obj(payload.get("users")).items() if isinstance(v, dict)}


def parse_direct_message(
    event: dict[str, Any], account: str, users: dict[str, dict[str, Any]], ignored: list[str]
) -> InboundMessage | None:
    """A customer's DM to ``account``; None (and a note in ``ignored``) for anything else."""
    kind = event.get("type")
    if kind != "message_create":
        ignored.append(f"direct_message_events:{kind or 'unknown'}")
        return None
    create = _obj(event.get("message_create"), "message_create")
    sender = _id(create, "sender_id", "message_create")
    if sender == account:
        # X echoes every DM the account sends, ours included: the outbound row already exists.
        ignored.append("direct_message_events:sent_by_account")
        return None
    data = _obj(create.get("message_data"), "message_create.message_data")
    attachment = _maybe_obj(data.get("attachment"))
    media = [attachment["media"]] if isinstance(attachment.get("media"), dict) else []
    text = _expand(str(data.get("text") or ""), _maybe_obj(data.get("entities")), media)
    profile = users.get(sender, {})
    screen_name = _maybe_str(profile, "screen_name")
    message_id = _id(event, "id", "direct_message_event")
    return InboundMessage(
        external_id=message_id,
        identity_kind=IDENTITY_KIND,
        identity_value=sender,
        text=text or _placeholder(media),
        occurred_at=_from_millis(
            _id(event, "created_timestamp", "direct_message_event"), "direct_message_event"
        ),
        sender_name=_maybe_str(profile, "name") or screen_name,
        metadata={
            "x_type": "direct_message",
            "visibility": "private",
            "x_dm_id": message_id,
            "x_account_id": account,
            **({"screen_name": screen_name} if screen_name else {}),
        },
        media=tuple(_media(m) for m in media),
    )


def parse_tweet(
    tweet: dict[str, Any], account: str, envelope: dict[str, Any], ignored: list[str]
) -> InboundMessage | None:
    """A post mentioning or answering ``account``; None for the account's own posts and retweets."""
    user = _obj(tweet.get("user"), "tweet.user")
    author = _object_id(user, "tweet.user")
    if author == account:
        ignored.append("tweet_create_events:by_account")
        return None
    if "retweeted_status" in tweet:
        # A plain retweet repeats someone else's words; nobody is asking us anything.
        ignored.append("tweet_create_events:retweet")
        return None
    tweet_id = _object_id(tweet, "tweet")
    # Posts over 140 characters arrive truncated, the whole of them in ``extended_tweet``.
    extended = _maybe_obj(tweet.get("extended_tweet"))
    source = extended if _maybe_str(extended, "full_text") else tweet
    raw_text = _maybe_str(source, "full_text") or str(tweet.get("text") or "")
    # ``extended_entities`` lists every photo of a post; ``entities`` only the first.
    media = _items(
        _maybe_obj(source.get("extended_entities")).get("media")
        or _maybe_obj(source.get("entities")).get("media")
    )
    # Classic post text escapes &, < and > as HTML entities; DMs do not.
    text = html.unescape(_expand(raw_text, _maybe_obj(source.get("entities")), media))
    screen_name = _maybe_str(user, "screen_name")
    in_reply_to = _maybe_str(tweet, "in_reply_to_status_id_str")
    quoted = _maybe_str(tweet, "quoted_status_id_str")
    metadata: dict[str, Any] = {
        "x_type": "mention",
        # Public: the customer's words and any answer on the timeline are seen by everyone.
        "visibility": "public",
        "x_tweet_id": tweet_id,
        "x_account_id": account,
        **({"screen_name": screen_name} if screen_name else {}),
        **({"tweet_url": f"https://x.com/{screen_name}/status/{tweet_id}"} if screen_name else {}),
        **({"in_reply_to_status_id": in_reply_to} if in_reply_to else {}),
        **({"quoted_status_id": quoted} if quoted else {}),
    }
    if envelope.get("user_has_blocked") in (True, "true"):
        metadata["user_has_blocked"] = True
    return InboundMessage(
        external_id=tweet_id,
        identity_kind=IDENTITY_KIND,
        identity_value=author,
        text=text or _placeholder(media),
        occurred_at=parse_created_at(tweet.get("created_at")),
        sender_name=_maybe_str(user, "name") or screen_name,
        metadata=metadata,
        media=tuple(_media(m) for m in media),
        replies_to=(in_reply_to,) if in_reply_to else (),
    )


def parse_webhook(payload: Any) -> ParsedDelivery:
    """Every customer DM and mention in one Account Activity delivery."""
    payload = _obj(payload, "the body")
    ignored = [key for key in payload if key not in ENVELOPE_KEYS and key not in MESSAGE_EVENTS]
    if not any(key in payload for key in MESSAGE_EVENTS):
        # e.g. ``user_event`` (an app revoked): documented without ``for_user_id``.
        return ParsedDelivery(ignored=tuple(ignored))
    account = _id(payload, "for_user_id", "the body")
    users = _users(payload)
    messages: list[InboundMessage] = []
    for raw in _list(payload.get("direct_message_events"), "direct_message_events"):
        message = parse_direct_message(_obj(raw, "direct_message_event"), account, users, ignored)
        if message is not None:
            messages.append(message)
    for raw in _list(payload.get("tweet_create_events"), "tweet_create_events"):
        message = parse_tweet(_obj(raw, "tweet"), account, payload, ignored)
        if message is not None:
            messages.append(message)
    return ParsedDelivery(messages=tuple(messages), ignored=tuple(ignored))
