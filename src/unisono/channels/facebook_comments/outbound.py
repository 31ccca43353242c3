"""Answering a comment: ``POST /{comment_id}/comments`` with ``message``, as the page.

The comment to answer is ``OutboundMessage.in_reply_to`` (its last id, the direct parent, as for
email threads) or, failing that, ``metadata["reply_to_comment_id"]``. Inbound comments carry
``reply_to_comment_id`` in their metadata: the top comment of their thread.
https://developers.facebook.com/docs/graph-api/reference/object/comments/#publish
"""

from __future__ import annotations

from typing import Any

from unisono.channels.base import OutboundMessage
from unisono.channels.errors import Rejected
from unisono.channels.meta.graph import GRAPH_ID

# Facebook cuts comments at 8000 characters; refusing says so instead of losing the tail.
MAX_TEXT = 8000


def comment_to_answer(message: OutboundMessage) -> str:
    """The id of the comment ``message`` answers; Rejected when there is none or it is not an id."""
    fallback = message.metadata.get("reply_to_comment_id")
    target = message.in_reply_to[-1] if message.in_reply_to else fallback
    if not target:
        raise Rejected(
            "a Facebook comment reply needs the comment to answer: pass its id in in_reply_to "
            "(or metadata reply_to_comment_id); a page cannot write to a person's wall"
        )
    if not isinstance(target, str) or not GRAPH_ID.fullmatch(target):
        raise Rejected(f"'{str(target)[:40]}' is not a Facebook comment id")
    return target


def reply_payload(message: OutboundMessage) -> dict[str, Any]:
    """The JSON body of the reply; Rejected for templates and empty or oversized texts."""
    if message.template_name:
        raise Rejected("Facebook comments have no message templates; send text instead")
    body = message.text.strip()
    if not body:
        raise Rejected("the reply is empty")
    if len(body) > MAX_TEXT:
        raise Rejected(f"Facebook comments are at most {MAX_TEXT} characters; this has {len(body)}")
    return {"message": body}
