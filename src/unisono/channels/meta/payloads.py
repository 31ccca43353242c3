"""Reading Meta's page webhooks defensively: every wrong shape becomes MalformedPayload.

Messenger (``entry[].messaging[]``) and page feed (``entry[].changes[]``) deliveries share the
envelope ``{"object": "page", "entry": [{"id": PAGE_ID, "time": ...}]}`` and the same habits:
ids as strings or numbers, times in milliseconds (Messenger) or seconds (feed). These readers
let the two adapters refuse a bad body with a message that says where it went wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from unisono.channels.errors import MalformedPayload

# Above this a Unix time is in milliseconds: 1e11 seconds is the year 5138, 1e11 ms is 1973.
_MILLISECONDS_FROM = 10**11


def obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedPayload(f"{where} is not an object")
    return value


def maybe_obj(value: Any) -> dict[str, Any]:
    """``value`` when it is an object, else an empty one (for optional parts)."""
    return value if isinstance(value, dict) else {}


def items(value: Any, where: str) -> list[Any]:
    """A list that may be absent; anything else is malformed."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedPayload(f"{where} is not a list")
    return value


def text(value: Any) -> str | None:
    """An optional string field, None when absent or not a string."""
    return value if isinstance(value, str) else None


def graph_id(value: Any) -> str | None:
    """A Graph id (page, PSID, mid, comment) as text, or None when there is none.

    Ids arrive as strings or numbers; a boolean, a float or anything with whitespace or control
    characters is not an id and is refused, since it would later become an identity or a path.
    """
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise MalformedPayload(f"'{str(value)[:40]}' is not an id")
    if len(value) > 255 or not value.isprintable() or any(c.isspace() for c in value):
        raise MalformedPayload(f"'{value[:40]}' is not an id")
    return value


def required_id(parent: dict[str, Any], key: str, where: str) -> str:
    found = graph_id(parent.get(key))
    if found is None:
        raise MalformedPayload(f"{where}.{key} is missing")
    return found


def unix_time(value: Any, where: str) -> datetime:
    """A Unix time in seconds or milliseconds (number or numeric string) as an aware datetime."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise MalformedPayload(f"{where} is not a Unix time")
    try:
        number = float(value)
        if number != number or number < 0:  # NaN (Python's json reads it) or before 1970
            raise ValueError(value)
        seconds = number / 1000 if number >= _MILLISECONDS_FROM else number
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise MalformedPayload(f"{where} is not a Unix time") from exc


def page_entries(payload: Any) -> list[dict[str, Any]]:
    """The entries of a page webhook; MalformedPayload unless it is one."""
    body = obj(payload, "the body")
    if body.get("object") != "page":
        raise MalformedPayload("object is not page")
    return [obj(entry, "entry") for entry in items(body.get("entry"), "entry")]


def foreign_page(entry: dict[str, Any], page_id: str | None) -> str | None:
    """The entry's page id when it belongs to another page than ``page_id``, else None.

    One Meta app posts every subscribed page's events to the same callback URL; a channel is one
    page, so another page's events must not land on its customers' timelines or be answered
    with its token.
    """
    entry_page = graph_id(entry.get("id"))
    if page_id and entry_page and entry_page != page_id:
        return entry_page
    return None
