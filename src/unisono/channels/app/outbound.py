"""Building what an operator's reply becomes on the app: an in-app message and maybe a push.

**In-app message.** ``POST {app_backend_url}/unisono/messages`` (the channel setting), signed as
``signing`` describes, with the body::

    {"id": "0190c4d2-…",            # Unisono's id: statuses name it as message_id
     "user_id": "u-48213",
     "text": "Gentile signora, verifichiamo subito la bolletta",
     "sent_at": "2026-03-02T09:15:00+00:00",
     "in_reply_to": ["evt-7f3a21"]}  # present when the reply answers given app events

Any 2xx answer means the backend has the message (its body is not read). The backend shows it
in the app and reports ``delivered``/``read``/``failed`` events back (see ``inbound``). It also
knows the user's devices, so it is the one that normally notifies them.

**Push notification** (optional). Only when the channel has the setting ``fcm_project_id``, the
credential ``fcm_access_token`` *and* the outbound message's metadata carries a
``device_token``: ``POST {api_base_url or https://fcm.googleapis.com}/v1/projects/{project}/
messages:send`` in the FCM HTTP v1 format, with the token as ``Authorization: Bearer``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from unisono.channels.base import OutboundMessage

FCM_API = "https://fcm.googleapis.com"
# A lock-screen preview, not the message: the app opens the full text from its backend.
PUSH_BODY_LENGTH = 160


def in_app_payload(message: OutboundMessage, message_id: str, sent_at: datetime) -> dict[str, Any]:
    """The JSON body of ``POST {app_backend_url}/unisono/messages`` for ``message``."""
    payload: dict[str, Any] = {
        "id": message_id,
        "user_id": message.recipient,
        "text": message.text,
        "sent_at": sent_at.isoformat(),
    }
    if message.subject:
        payload["subject"] = message.subject
    if message.in_reply_to:
        payload["in_reply_to"] = list(message.in_reply_to)
    return payload


def preview(text: str, limit: int = PUSH_BODY_LENGTH) -> str:
    """``text`` on one line, cut at a word boundary with an ellipsis when longer than ``limit``."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0] or flat[: limit - 1]
    return cut + "…"


def fcm_payload(
    message: OutboundMessage, *, device_token: str, message_id: str, title: str
) -> dict[str, Any]:
    """The FCM HTTP v1 ``messages:send`` body notifying ``device_token`` of ``message``.

    ``data`` values are strings (FCM refuses anything else) and avoid FCM's reserved keys
    (``from``, ``message_type``, ``google.*``, ``gcm.*``); the app reads ``unisono_message_id``
    to open the message.
    """
    return {
        "message": {
            "token": device_token,
            "notification": {"title": title, "body": preview(message.text)},
            "data": {
                "kind": "unisono_message",
                "unisono_message_id": message_id,
                "user_id": message.recipient,
            },
            # A person wrote to the customer: show it now, also on a sleeping phone.
            "android": {"priority": "high", "notification": {"tag": message_id}},
            "apns": {
                "headers": {"apns-priority": "10", "apns-collapse-id": message_id[:64]},
                "payload": {"aps": {"sound": "default"}},
            },
        }
    }


def fcm_path(project_id: str) -> str:
    return f"/v1/projects/{project_id}/messages:send"


def describe_fcm_error(response: httpx.Response) -> tuple[str, str | None]:
    """FCM's ``{"error": {"code", "message", "status", "details": [{"errorCode"}]}}``.

    The code is FCM's own ``errorCode`` (``UNREGISTERED``, ``QUOTA_EXCEEDED``...) when the
    details carry one, else the canonical ``status`` (``INVALID_ARGUMENT``, ``NOT_FOUND``...).
    """
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return (response.text[:300] or response.reason_phrase, None)
    if not isinstance(error, dict):
        return (str(error)[:300], None)
    code = error.get("status")
    details = error.get("details")
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            code = detail["errorCode"]
            break
    message = str(error.get("message") or "FCM refused the message")
    return (f"{code}: {message}" if code else message, str(code) if code else None)
