"""Reading the app backend's event deliveries into neutral events.

The app backend posts ``POST /webhooks/app/{channel_id}`` with ``Content-Type:
application/json``, signed as ``signing`` describes, and a body of one or more events::

    {"events": [
      {"id": "evt-7f3a21",                        # required, unique: retries are ignored by it
       "type": "message",
       "user_id": "u-48213",                      # the app's user id: identity "app:u-48213"
       "user_name": "Maria Rossi",                # optional, names a new customer
       "text": "La bolletta di marzo è sbagliata",
       "sent_at": "2026-03-02T09:10:00+01:00",    # ISO 8601 with a timezone
       "in_reply_to": "0190c4…",                  # optional: the id of our message it answers
       "attachments": [                           # optional
         {"content_type": "image/jpeg", "filename": "contatore.jpg", "caption": "Il contatore",
          "url": "https://app-backend.example/files/9d2c"},        # fetched later, signed GET
         {"content_type": "application/pdf", "filename": "bolletta.pdf",
          "data": "JVBERi0xLjQK…"}                                 # or inline, base64
       ]},
      {"id": "evt-7f3a22", "type": "read", "message_id": "0190c4…",
       "at": "2026-03-02T09:12:00+01:00"}
    ]}

Event types:

- ``message``: the user wrote in the app. ``text`` may be empty only when attachments are
  present. Each attachment has a ``content_type`` and exactly one of ``url`` (http or https;
  Unisono's worker downloads it with a signed ``GET``) or ``data`` (base64, at most 5 MB
  decoded; larger files go by URL).
- ``delivered``, ``read``, ``failed``: news about an in-app message Unisono sent; ``message_id``
  is the ``id`` of that message, ``at`` when it happened, ``error`` (optional, ``failed`` only)
  why it could not be shown.

Unknown event types are acknowledged and ignored (the delivery summary lists them), so the
backend can add types before Unisono reads them. Unknown fields are ignored. A body that is not
this shape, or a known event missing a required field, is refused as a whole with 400 and kept
for inspection: the backend should fix the event, not have half a batch land.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from unisono.channels.base import InboundMessage, MediaRef, ParsedDelivery, StatusUpdate
from unisono.channels.errors import MalformedPayload
from unisono.models import DeliveryStatus

MAX_INLINE_BYTES = 5 * 1024 * 1024
MAX_ID_LENGTH = 255
# What a timeline stores (``inbox.ingest.MAX_TEXT_LENGTH``), refused here rather than in the worker.
MAX_TEXT_LENGTH = 100_000
STATUSES = {
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedPayload(f"{where} is not an object")
    return value


def _no_nul(value: str, where: str) -> str:
    # PostgreSQL cannot store NUL: refused with the delivery, not failed later in the worker.
    if "\x00" in value:
        raise MalformedPayload(f"{where} contains a NUL (\\u0000) character")
    return value


def _required(event: dict[str, Any], key: str, where: str) -> str:
    value = event.get(key)
    if not isinstance(value, str) or not value.strip():
        raise MalformedPayload(f"{where}.{key} is missing or not a string")
    _no_nul(value, f"{where}.{key}")
    if len(value) > MAX_ID_LENGTH:
        raise MalformedPayload(f"{where}.{key} is longer than {MAX_ID_LENGTH} characters")
    return value.strip()


def _optional(event: dict[str, Any], key: str, where: str) -> str | None:
    value = event.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedPayload(f"{where}.{key} is not a string")
    return _no_nul(value, f"{where}.{key}").strip() or None


def _time(event: dict[str, Any], key: str, where: str) -> datetime:
    raw = event.get(key)
    if not isinstance(raw, str):
        raise MalformedPayload(f"{where}.{key} is missing or not an ISO 8601 string")
    try:
        value = datetime.fromisoformat(raw)
        if value.tzinfo is None:
            raise MalformedPayload(f"{where}.{key} has no timezone, e.g. +01:00 or Z")
        # Normalised here: a far-off offset near year 1 or 9999 fails now, not in the worker.
        return value.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise MalformedPayload(f"{where}.{key} is not an ISO 8601 time: {raw[:40]!r}") from exc


def _attachment(raw: Any, where: str) -> MediaRef:
    item = _obj(raw, where)
    content_type = _required(item, "content_type", where)
    url = _optional(item, "url", where)
    data = _optional(item, "data", where)
    if (url is None) == (data is None):
        raise MalformedPayload(f"{where} needs exactly one of url and data")
    if url is not None and not url.startswith(("http://", "https://")):
        raise MalformedPayload(f"{where}.url is not an http(s) URL")
    content: bytes | None = None
    if data is not None:
        if len(data) > (MAX_INLINE_BYTES * 4) // 3 + 4:
            raise MalformedPayload(f"{where}.data is larger than 5 MB; send a url instead")
        try:
            content = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedPayload(f"{where}.data is not base64") from exc
    return MediaRef(
        content_type=content_type,
        url=url,
        filename=_optional(item, "filename", where),
        caption=_optional(item, "caption", where),
        data=content,
    )


def _describe_media(media: tuple[MediaRef, ...]) -> str:
    """Readable text for a message made only of attachments (like other channels do)."""
    parts = []
    for ref in media:
        kind = ref.content_type.split("/", 1)[0] or "file"
        parts.append(f"[{kind}: {ref.filename}]" if ref.filename else f"[{kind}]")
    return " ".join(parts)


def _message(event: dict[str, Any], where: str) -> InboundMessage:
    raw_attachments = event.get("attachments")
    if raw_attachments is not None and not isinstance(raw_attachments, list):
        raise MalformedPayload(f"{where}.attachments is not a list")
    media = tuple(
        _attachment(a, f"{where}.attachments[{n}]") for n, a in enumerate(raw_attachments or [])
    )
    text = event.get("text")
    if text is not None and not isinstance(text, str):
        raise MalformedPayload(f"{where}.text is not a string")
    _no_nul(text or "", f"{where}.text")
    if not (text or "").strip() and not media:
        raise MalformedPayload(f"{where} has neither text nor attachments")
    if text and len(text) > MAX_TEXT_LENGTH:
        raise MalformedPayload(f"{where}.text is longer than {MAX_TEXT_LENGTH} characters")
    in_reply_to = _optional(event, "in_reply_to", where)
    return InboundMessage(
        external_id=_required(event, "id", where),
        identity_kind="app",
        identity_value=_required(event, "user_id", where),
        text=(text or "").strip() or _describe_media(media),
        occurred_at=_time(event, "sent_at", where),
        sender_name=_optional(event, "user_name", where),
        media=media,
        replies_to=(in_reply_to,) if in_reply_to else (),
    )


def _status(event: dict[str, Any], kind: str, where: str) -> StatusUpdate:
    return StatusUpdate(
        external_id=_required(event, "message_id", where),
        status=STATUSES[kind],
        occurred_at=_time(event, "at", where),
        error=_optional(event, "error", where) if kind == "failed" else None,
    )


def parse_events(payload: Any) -> ParsedDelivery:
    """Every message and status in one delivery; MalformedPayload when it is not the format."""
    body = _obj(payload, "the body")
    events = body.get("events")
    if not isinstance(events, list):
        raise MalformedPayload("events is missing or not a list")
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    ignored: list[str] = []
    for n, raw in enumerate(events):
        where = f"events[{n}]"
        event = _obj(raw, where)
        kind = event.get("type")
        if not isinstance(kind, str) or not kind:
            raise MalformedPayload(f"{where}.type is missing or not a string")
        _no_nul(kind, f"{where}.type")
        if kind == "message":
            messages.append(_message(event, where))
        elif kind in STATUSES:
            statuses.append(_status(event, kind, where))
        else:
            ignored.append(f"type:{kind[:40]}")
    return ParsedDelivery(tuple(messages), tuple(statuses), tuple(ignored))
