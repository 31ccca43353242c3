"""Reading page ``feed`` webhooks (``entry[].changes[].value``) into neutral comment messages.

What becomes what:

- ``item: comment, verb: add`` by a person: an inbound message from identity ``facebook:<from.id>``
  named ``from.name``, with ``post_id``, ``comment_id``, ``parent_id`` and ``verb`` in metadata
  and ``reply_to_comment_id``: the comment an answer must go under to land in the same thread
  (Facebook threads are two levels deep, so an answer to a reply goes under its top comment).
- ``verb: edited``: a new inbound message ``<comment_id>:edited:<time>`` with
  ``edit_of: <comment_id>`` in metadata. An operator needs what the customer says *now* (an
  edit can turn praise into a complaint) and what they first said (a complaint that vanishes is
  still a complaint). ``time`` is the entry's time, when the edit happened: ``created_time`` is
  the comment's creation and would make a second edit look like a retry of the first.
- ``remove``, ``hide``, ``unhide`` and comments by the page itself (``from.id`` = our page id,
  e.g. our own replies): ignored. So are posts, reactions, likes, shares and other fields.
- A comment without ``from`` (Meta leaves it out when the app may not see the person): ignored,
  since there is no customer to attach it to or answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from unisono.channels.base import InboundMessage, MediaRef, ParsedDelivery
from unisono.channels.errors import MalformedPayload
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

IDENTITY_KIND = "facebook"
INGESTED_VERBS = ("add", "edited")


def _time(value: dict[str, Any], entry: dict[str, Any], *, edit: bool) -> tuple[datetime, str]:
    """When it happened and the raw value naming that moment (for an edit's external id)."""
    created = value.get("created_time")
    order = (entry.get("time"), created) if edit else (created, entry.get("time"))
    for raw in order:
        if raw is None:
            continue
        if isinstance(raw, str) and not raw.isdigit():
            # Some API versions send ISO times ("2026-03-02T08:10:00+0000").
            try:
                parsed = datetime.fromisoformat(raw)
            except ValueError as exc:
                raise MalformedPayload("value.created_time is not a time") from exc
            # Graph times are UTC; one without an offset must not become a naive datetime.
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)), raw
        return unix_time(raw, "value.created_time"), str(raw)
    raise MalformedPayload("the comment has no created_time and the entry no time")


def parse_comment(
    value: dict[str, Any], entry: dict[str, Any], page_id: str | None, ignored: list[str]
) -> InboundMessage | None:
    """One ``feed`` change value: a comment message, or a reason in ``ignored``."""
    item = text(value.get("item")) or "unknown"
    verb = text(value.get("verb")) or "unknown"
    if item != "comment":
        ignored.append(f"item:{item}")
        return None
    if verb not in INGESTED_VERBS:
        ignored.append(f"comment:{verb}")
        return None
    comment_id = required_id(value, "comment_id", "value")
    sender = maybe_obj(value.get("from"))
    author = graph_id(sender.get("id"))
    if author is None:
        ignored.append("comment:no_sender")
        return None
    if page_id and author == page_id:
        ignored.append("comment:own")
        return None
    post_id = graph_id(value.get("post_id"))
    parent_id = graph_id(value.get("parent_id"))
    # A top comment's parent is the post; a reply's parent is the top comment of its thread.
    replies_to_comment = parent_id if parent_id and parent_id != post_id else None
    edit = verb == "edited"
    occurred_at, raw_time = _time(value, entry, edit=edit)
    media: list[MediaRef] = []
    photo = text(value.get("photo"))
    if photo and photo.startswith(("https://", "http://")):
        media.append(MediaRef("image/*", url=photo))
    video = text(value.get("video"))
    if video and video.startswith(("https://", "http://")):
        media.append(MediaRef("video/*", url=video))
    body = text(value.get("message")) or ("[photo]" if photo else "[video]" if video else "")
    post = maybe_obj(value.get("post"))
    metadata: dict[str, Any] = {
        "post_id": post_id,
        "comment_id": comment_id,
        "parent_id": parent_id,
        "verb": verb,
        "reply_to_comment_id": replies_to_comment or comment_id,
    }
    if text(post.get("permalink_url")):
        metadata["post_url"] = post["permalink_url"]
    if edit:
        metadata["edit_of"] = comment_id
    return InboundMessage(
        external_id=f"{comment_id}:edited:{raw_time}" if edit else comment_id,
        identity_kind=IDENTITY_KIND,
        identity_value=author,
        text=body or "[comment]",
        occurred_at=occurred_at,
        sender_name=(text(sender.get("name")) or "").strip() or None,
        metadata=metadata,
        media=tuple(media),
        replies_to=(replies_to_comment,) if replies_to_comment else (),
    )


def parse_webhook(payload: Any, page_id: str | None = None) -> ParsedDelivery:
    """Every customer comment in one page webhook delivery for ``page_id``."""
    messages: list[InboundMessage] = []
    ignored: list[str] = []
    for entry in page_entries(payload):
        other = foreign_page(entry, page_id)
        if other is not None:
            ignored.append(f"page:{other}")
            continue
        # Messenger events come to the same app callback when it subscribes to both.
        ignored += ["messaging"] * len(items(entry.get("messaging"), "entry.messaging"))
        for raw in items(entry.get("changes"), "entry.changes"):
            change = obj(raw, "change")
            if change.get("field") != "feed":
                ignored.append(f"field:{change.get('field')}")
                continue
            found = parse_comment(obj(change.get("value"), "change.value"), entry, page_id, ignored)
            if found is not None:
                messages.append(found)
    return ParsedDelivery(messages=tuple(messages), ignored=tuple(ignored))
