"""Reading Messenger Platform webhooks (``entry[].messaging[]``) into neutral events.

One delivery can carry several entries and several events each. What becomes what:

- ``message`` from a person: an inbound message (text, attachments as media or readable text,
  the quick-reply payload and the message it replies to kept).
- ``message`` with ``is_echo`` (or sent by the page itself): ignored. It is our own page's
  message, either one we sent (already on the timeline) or one written in Meta's inbox.
- ``postback`` (a button, Get Started, a persistent-menu item): an inbound message whose text is
  the button title; the developer payload is kept in metadata.
- ``message_edit``: a new inbound message ``<mid>:edited:<num_edit>`` with ``edit_of`` in its
  metadata, so the timeline keeps what the customer first wrote and shows what they changed it
  to (the same policy as edited Facebook comments).
- ``delivery``: DELIVERED for each listed ``mids``; a delivery with only a watermark is ignored.
- ``read``: ignored. It carries only a watermark ("everything before this time was read"), not
  message ids, and a StatusUpdate names one message: mapping it would need the core to move
  every outbound message of that customer up to the watermark, which is its decision, not ours.
- ``reaction``, ``optin``, ``referral``, handover and anything Meta adds next: ignored by name.
- ``standby`` (events while another app owns the thread): ignored; the owning app answers them.

Sender names are not in Messenger payloads (they need a Graph profile lookup): left None.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from unisono.channels.base import InboundMessage, MediaRef, ParsedDelivery, StatusUpdate
from unisono.channels.meta.payloads import (
    foreign_page,
    graph_id,
    items,
    maybe_obj,
    obj,
    page_entries,
    required_id,
    text,
    unix_time,
)
from unisono.models import DeliveryStatus

IDENTITY_KIND = "messenger"
# Attachment types Meta serves as files on its CDN; placeholders until the fetch names the type.
MEDIA_TYPES = {
    "image": "image/*",
    "audio": "audio/*",
    "video": "video/*",
    "file": "application/octet-stream",
}
# Shares of Facebook/Instagram content: a link to open, not a file to keep.
SHARE_TYPES = ("reel", "ig_reel", "post", "ig_post", "share")
# The Like button sends these stickers (small, medium, large thumbs-up).
LIKE_STICKERS = frozenset({"369239263222822", "369239343222814", "369239383222810"})
# Keys of a messaging event that are not the event itself.
ENVELOPE_KEYS = frozenset({"sender", "recipient", "timestamp"})


def _filename(url: str | None) -> str | None:
    """The file name a CDN URL ends with (``.../bolletta_marzo.pdf?_nc_cat=...``), if any."""
    if not url:
        return None
    name = PurePosixPath(urlsplit(url).path).name
    return name if "." in name else None


def _attachment(raw: Any) -> tuple[str, dict[str, Any], MediaRef | None]:
    """One attachment as readable text, metadata and media to fetch."""
    attachment = obj(raw, "attachment")
    kind = text(attachment.get("type")) or "unknown"
    payload = maybe_obj(attachment.get("payload"))
    url = text(payload.get("url")) or text(attachment.get("url"))
    if kind == "sticker" or (kind == "image" and payload.get("sticker_id")):
        sticker = graph_id(payload.get("sticker_id"))
        return ("👍" if sticker in LIKE_STICKERS else "[sticker]"), {"sticker_id": sticker}, None
    if kind in MEDIA_TYPES:
        name = _filename(url) if kind == "file" else None
        label = f"[{kind}: {name}]" if name else f"[{kind}]"
        ref = MediaRef(MEDIA_TYPES[kind], url=url, filename=name) if url else None
        return label, {}, ref
    if kind == "location":
        coordinates = maybe_obj(payload.get("coordinates"))
        where = f"{coordinates.get('lat')}, {coordinates.get('long')}"
        return f"[location: {where}]", {"location": coordinates}, None
    if kind == "fallback":
        # v6.0+ puts title and url in the payload; older versions beside it.
        title = text(payload.get("title")) or text(attachment.get("title")) or ""
        parts = [p for p in (title, url) if p]
        return f"[link: {' - '.join(parts)}]" if parts else "[link]", {"link": url}, None
    if kind in SHARE_TYPES:
        return (f"[{kind}: {url}]" if url else f"[{kind}]"), {"shared": url}, None
    # template (echoes only), appointment_booking, product and what comes next: say what it was.
    return f"[{kind}]", {"unsupported": kind}, None


def _attachments(message: dict[str, Any]) -> tuple[list[str], dict[str, Any], list[MediaRef]]:
    raw = items(message.get("attachments"), "message.attachments")
    kinds = {maybe_obj(a).get("type") for a in raw}
    labels: list[str] = []
    extra: dict[str, Any] = {}
    media: list[MediaRef] = []
    for attachment in raw:
        # While Meta moves stickers to their own type (2026) both a "sticker" and an "image" with
        # the same sticker arrive: keep one.
        payload = maybe_obj(maybe_obj(attachment).get("payload"))
        is_image = maybe_obj(attachment).get("type") == "image"
        if "sticker" in kinds and is_image and payload.get("sticker_id"):
            continue
        label, more, ref = _attachment(attachment)
        labels.append(label)
        extra |= more
        if ref is not None:
            media.append(ref)
    if raw:
        extra["attachment_types"] = [str(maybe_obj(a).get("type")) for a in raw]
    return labels, extra, media


def _message(
    event: dict[str, Any], psid: str, at: datetime, ignored: list[str]
) -> InboundMessage | None:
    message = obj(event.get("message"), "message")
    if message.get("is_echo") is True:
        ignored.append("echo")
        return None
    mid = required_id(message, "mid", "message")
    labels, extra, media = _attachments(message)
    body = text(message.get("text"))
    quick_reply = maybe_obj(message.get("quick_reply"))
    if quick_reply:
        extra["quick_reply_payload"] = quick_reply.get("payload")
    reply_to = graph_id(maybe_obj(message.get("reply_to")).get("mid"))
    return InboundMessage(
        external_id=mid,
        identity_kind=IDENTITY_KIND,
        identity_value=psid,
        text=body or ", ".join(labels) or "[message]",
        occurred_at=at,
        metadata={"messenger_type": "message", **extra},
        media=tuple(media),
        replies_to=(reply_to,) if reply_to else (),
    )


def _postback(event: dict[str, Any], psid: str, at: datetime, raw_time: Any) -> InboundMessage:
    postback = obj(event.get("postback"), "postback")
    title = text(postback.get("title"))
    payload = text(postback.get("payload"))
    # Older postbacks have no mid; the person and the millisecond identify the tap.
    mid = graph_id(postback.get("mid")) or f"postback:{psid}:{raw_time}"
    extra: dict[str, Any] = {"postback_payload": payload}
    if isinstance(postback.get("referral"), dict):
        extra["referral"] = postback["referral"]
    return InboundMessage(
        external_id=mid,
        identity_kind=IDENTITY_KIND,
        identity_value=psid,
        text=title or payload or "[postback]",
        occurred_at=at,
        metadata={"messenger_type": "postback", **extra},
    )


def _edit(event: dict[str, Any], psid: str, at: datetime, raw_time: Any) -> InboundMessage:
    edit = obj(event.get("message_edit"), "message_edit")
    mid = required_id(edit, "mid", "message_edit")
    count = graph_id(edit.get("num_edit")) or str(raw_time)
    return InboundMessage(
        external_id=f"{mid}:edited:{count}",
        identity_kind=IDENTITY_KIND,
        identity_value=psid,
        text=text(edit.get("text")) or "[message edited]",
        occurred_at=at,
        metadata={"messenger_type": "message_edit", "edit_of": mid, "num_edit": count},
    )


def _delivery(event: dict[str, Any], at: datetime | None, ignored: list[str]) -> list[StatusUpdate]:
    delivery = obj(event.get("delivery"), "delivery")
    mids = [m for m in (graph_id(x) for x in items(delivery.get("mids"), "delivery.mids")) if m]
    if not mids:
        # Older clients send only the watermark: no message to name.
        ignored.append("delivery:watermark_only")
        return []
    when = at or unix_time(delivery.get("watermark"), "delivery.watermark")
    return [StatusUpdate(mid, DeliveryStatus.DELIVERED, when) for mid in mids]


def parse_event(
    event: dict[str, Any], page_id: str | None, ignored: list[str]
) -> tuple[InboundMessage | None, list[StatusUpdate]]:
    """One ``messaging`` event: a message, statuses, or a reason in ``ignored``."""
    kinds = [k for k in event if k not in ENVELOPE_KEYS]
    kind = next(
        (k for k in ("message", "postback", "message_edit", "delivery") if k in event), None
    )
    sender = maybe_obj(event.get("sender"))
    psid = graph_id(sender.get("id"))
    if kind == "delivery":
        raw_time = event.get("timestamp")
        at = unix_time(raw_time, "event.timestamp") if raw_time is not None else None
        return None, _delivery(event, at, ignored)
    if kind is None:
        ignored.append(kinds[0] if kinds else "empty")
        return None, []
    if psid is None:
        # The website chat plugin's guests have a user_ref, not a PSID: no one to answer.
        ignored.append("sender:user_ref" if sender.get("user_ref") else "sender:missing")
        return None, []
    if page_id and psid == page_id:
        ignored.append("echo")
        return None, []
    raw_time = event.get("timestamp")
    at = unix_time(raw_time, "event.timestamp")
    if kind == "message":
        return _message(event, psid, at, ignored), []
    if kind == "postback":
        return _postback(event, psid, at, raw_time), []
    return _edit(event, psid, at, raw_time), []


def parse_webhook(payload: Any, page_id: str | None = None) -> ParsedDelivery:
    """Every message and delivery receipt in one Messenger webhook delivery for ``page_id``."""
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    ignored: list[str] = []
    for entry in page_entries(payload):
        other = foreign_page(entry, page_id)
        if other is not None:
            ignored.append(f"page:{other}")
            continue
        for change in items(entry.get("changes"), "entry.changes"):
            # A page app subscribed to feed as well posts comments here too.
            ignored.append(f"field:{maybe_obj(change).get('field')}")
        ignored += ["standby"] * len(items(entry.get("standby"), "entry.standby"))
        for raw in items(entry.get("messaging"), "entry.messaging"):
            message, updates = parse_event(obj(raw, "messaging event"), page_id, ignored)
            if message is not None:
                messages.append(message)
            statuses += updates
    return ParsedDelivery(tuple(messages), tuple(statuses), tuple(ignored))
