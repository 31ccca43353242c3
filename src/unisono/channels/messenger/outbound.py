"""Building Send API requests: free-form text to a PSID, with a message tag when one is chosen.

Within 24 hours of the customer's last message a page answers with ``messaging_type: RESPONSE``.
After that Meta only accepts tagged messages (``MESSAGE_TAG``); ``HUMAN_AGENT`` lets a person
answer for 7 days once the app holds the Human Agent permission. The tag is read from the
interaction's metadata (``message_tag``), so choosing it stays a decision of the core.
https://developers.facebook.com/docs/messenger-platform/reference/send-api
"""

from __future__ import annotations

import re
from typing import Any

from unisono.channels.base import OutboundMessage
from unisono.channels.errors import Rejected

# Meta refuses longer texts with (#100) "Length of param message[text] must be <= 2000".
MAX_TEXT = 2000
TAG = re.compile(r"^[A-Z][A-Z_]{1,63}$")


def message_payload(message: OutboundMessage) -> dict[str, Any]:
    """The JSON body of ``POST /me/messages`` for ``message``; Rejected when it cannot be sent.

    A text over 2000 characters is refused rather than split: each part would get its own id,
    and the interaction can track only one delivery.
    """
    if message.template_name:
        raise Rejected("Messenger has no message templates; send text instead")
    body = message.text.strip()
    if not body:
        raise Rejected("the message is empty")
    if len(body) > MAX_TEXT:
        raise Rejected(
            f"Messenger messages are at most {MAX_TEXT} characters; this one has {len(body)}"
        )
    payload: dict[str, Any] = {
        "recipient": {"id": message.recipient},
        "messaging_type": "RESPONSE",
        "message": {"text": body},
    }
    tag = message.metadata.get("message_tag")
    if tag is not None:
        if not isinstance(tag, str) or not TAG.fullmatch(tag):
            raise Rejected(f"'{str(tag)[:40]}' is not a Messenger message tag (e.g. HUMAN_AGENT)")
        payload |= {"messaging_type": "MESSAGE_TAG", "tag": tag}
    return payload
