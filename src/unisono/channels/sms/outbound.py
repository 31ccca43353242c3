"""Building ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` requests.

https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
"""

from __future__ import annotations

from typing import Any

from unisono.channels.base import OutboundMessage
from unisono.channels.errors import Rejected


def message_form(
    message: OutboundMessage, from_number: str, status_callback: str | None
) -> dict[str, str]:
    """The form body sending ``message`` from ``from_number``.

    ``StatusCallback`` makes Twilio report sent/delivered/undelivered to that URL. Without it
    (no public ``webhook_url`` known) Twilio reports nothing for this message, unless the
    number's Messaging Service has a status callback URL of its own.
    """
    form = {"To": message.recipient, "From": from_number, "Body": message.text}
    if status_callback:
        form["StatusCallback"] = status_callback
    return form


def message_sid(body: Any) -> str:
    """The ``sid`` of the created Message; Rejected when Twilio answered without one."""
    sid = body.get("sid") if isinstance(body, dict) else None
    if not isinstance(sid, str) or not sid:
        raise Rejected(f"Twilio answered without a message sid: {body!r:.200}")
    return sid
