"""Reading WhatsApp Cloud API webhooks (``entry[].changes[].value``) into neutral events.

One delivery can carry several entries, changes, messages and statuses at once; each message
type (text, media, location, contacts, buttons, interactive replies, reactions) becomes text a
person can read on the timeline, with the raw specifics kept in metadata.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from unisono.channels.base import InboundMessage, MediaRef, ParsedDelivery, StatusUpdate
from unisono.channels.errors import MalformedPayload
from unisono.models import DeliveryStatus

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
STATUSES = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
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


def _str(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str | int) or value == "":
        raise MalformedPayload(f"{where}.{key} is missing")
    return str(value)


def _time(obj: dict[str, Any], where: str) -> datetime:
    raw = _str(obj, "timestamp", where)
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise MalformedPayload(f"{where}.timestamp is not a Unix time") from exc


def _media(kind: str, body: dict[str, Any]) -> MediaRef:
    return MediaRef(
        content_type=str(body.get("mime_type") or "application/octet-stream"),
        provider_id=str(body["id"]) if body.get("id") else None,
        url=body.get("url") if isinstance(body.get("url"), str) else None,
        filename=body.get("filename") if isinstance(body.get("filename"), str) else None,
        caption=body.get("caption") if isinstance(body.get("caption"), str) else None,
    )


def _describe(message: dict[str, Any], kind: str) -> tuple[str, dict[str, Any], list[MediaRef]]:
    """The readable text, extra metadata and media of one message."""
    body = _maybe_obj(message.get(kind))
    if kind == "text":
        return str(body.get("body", "")), {}, []
    if kind in MEDIA_TYPES:
        ref = _media(kind, body)
        text = ref.caption or (f"[{kind}: {ref.filename}]" if ref.filename else f"[{kind}]")
        return text, {"voice": bool(body.get("voice"))} if kind == "audio" else {}, [ref]
    if kind == "location":
        parts = [str(body.get(k)) for k in ("name", "address") if body.get(k)]
        coords = f"{body.get('latitude')}, {body.get('longitude')}"
        return f"[location: {' - '.join([*parts, coords])}]", {"location": body}, []
    if kind == "contacts":
        names = [
            str(_obj(c, "contact").get("name", {}).get("formatted_name", ""))
            for c in _list(message.get("contacts"), "message.contacts")
        ]
        return (
            f"[contacts: {', '.join(n for n in names if n)}]",
            {"contacts": message["contacts"]},
            [],
        )
    if kind == "button":
        return str(body.get("text", "")), {"button_payload": body.get("payload")}, []
    if kind == "interactive":
        reply = _maybe_obj(body.get("button_reply") or body.get("list_reply"))
        return str(reply.get("title", "")), {"interactive": body}, []
    if kind == "reaction":
        return str(body.get("emoji", "")), {"reaction_to": body.get("message_id")}, []
    # "unsupported", "order", "system" and whatever Meta adds next: keep it readable.
    errors = message.get("errors")
    return f"[{kind}]", {"unsupported": True, **({"errors": errors} if errors else {})}, []


def parse_change(
    value: dict[str, Any], ignored: list[str]
) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    names = {}
    for contact in _list(value.get("contacts"), "value.contacts"):
        contact = _obj(contact, "contact")
        profile = _maybe_obj(contact.get("profile"))
        if contact.get("wa_id"):
            names[str(contact["wa_id"])] = str(profile.get("name") or "") or None
    business = _maybe_obj(value.get("metadata"))
    messages = []
    for raw in _list(value.get("messages"), "value.messages"):
        message = _obj(raw, "message")
        sender = _str(message, "from", "message")
        kind = str(message.get("type") or "unknown")
        text, extra, media = _describe(message, kind)
        context = _maybe_obj(message.get("context"))
        messages.append(
            InboundMessage(
                external_id=_str(message, "id", "message"),
                identity_kind="phone",
                identity_value="+" + sender.lstrip("+"),
                text=text,
                occurred_at=_time(message, "message"),
                sender_name=names.get(sender),
                metadata={
                    "whatsapp_type": kind,
                    **extra,
                    **(
                        {"business_phone_number_id": business["phone_number_id"]}
                        if business.get("phone_number_id")
                        else {}
                    ),
                },
                media=tuple(media),
                replies_to=(str(context["id"]),) if context.get("id") else (),
            )
        )
    statuses = []
    for raw in _list(value.get("statuses"), "value.statuses"):
        status = _obj(raw, "status")
        name = str(status.get("status", ""))
        if name not in STATUSES:
            ignored.append(f"status:{name or 'unknown'}")
            continue
        errors = [e for e in _list(status.get("errors"), "status.errors") if isinstance(e, dict)]
        error = None
        if errors:
            first = errors[0]
            details = _maybe_obj(first.get("error_data")).get("details")
            error = f"{first.get('code', '')} {first.get('title') or first.get('message') or ''}"
            error = (error + (f": {details}" if details else "")).strip()
        statuses.append(
            StatusUpdate(
                _str(status, "id", "status"), STATUSES[name], _time(status, "status"), error
            )
        )
    return messages, statuses


def parse_webhook(payload: Any) -> ParsedDelivery:
    """Every message and status in one Cloud API webhook delivery."""
    payload = _obj(payload, "the body")
    if payload.get("object") != "whatsapp_business_account":
        raise MalformedPayload("object is not whatsapp_business_account")
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    ignored: list[str] = []
    for entry in _list(payload.get("entry"), "entry"):
        for change in _list(_obj(entry, "entry").get("changes"), "entry.changes"):
            change = _obj(change, "change")
            if change.get("field") != "messages":
                ignored.append(f"field:{change.get('field')}")
                continue
            found, updates = parse_change(_obj(change.get("value"), "change.value"), ignored)
            messages += found
            statuses += updates
    return ParsedDelivery(tuple(messages), tuple(statuses), tuple(ignored))
