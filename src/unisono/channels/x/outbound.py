"""Building X API v2 direct-message requests and reading X's error bodies."""

from __future__ import annotations

from typing import Any

import httpx

from unisono.channels.base import OutboundMessage
from unisono.channels.errors import Rejected

X_API = "https://api.x.com"
# X refuses longer DMs ("text" of POST /2/dm_conversations/with/:id/messages).
MAX_DM_LENGTH = 10_000


def dm_path(participant_id: str) -> str:
    """Where a one-to-one DM to ``participant_id`` is posted."""
    return f"/2/dm_conversations/with/{participant_id}/messages"


def dm_payload(message: OutboundMessage) -> dict[str, Any]:
    """The JSON body for ``message``; Rejected when X could never accept it."""
    if message.template_name:
        raise Rejected("X has no message templates; write the text instead")
    if not message.recipient.isascii() or not message.recipient.isdigit():
        raise Rejected(f"'{message.recipient[:40]}' is not an X user id")
    text = message.text.strip()
    if not text:
        raise Rejected("an X direct message needs text")
    if len(text) > MAX_DM_LENGTH:
        raise Rejected(f"an X direct message holds at most {MAX_DM_LENGTH} characters")
    return {"text": text}


def dm_event_id(body: Any) -> str:
    """The id of the DM X created, from ``{"data": {"dm_conversation_id", "dm_event_id"}}``."""
    data = body.get("data") if isinstance(body, dict) else None
    event_id = data.get("dm_event_id") if isinstance(data, dict) else None
    if not isinstance(event_id, str | int) or isinstance(event_id, bool) or event_id == "":
        raise Rejected(f"X answered without a dm_event_id: {body!r:.200}")
    return str(event_id)


def _problem_code(kind: Any) -> str | None:
    """``invalid-request`` from ``https://api.twitter.com/2/problems/invalid-request``."""
    if not isinstance(kind, str) or not kind or kind == "about:blank":
        return None
    return kind.rstrip("/").rsplit("/", 1)[-1]


def describe_error(response: httpx.Response) -> tuple[str, str | None]:
    """A message and code from either of X's error shapes.

    v2 answers with a problem (``{"title", "detail", "type", "status"}``, sometimes with the
    failing parameters under ``errors``); v1.1-style endpoints and the authentication layer
    answer ``{"errors": [{"message", "code"}]}``.
    """
    try:
        body = response.json()
    except ValueError:
        return (response.text[:300] or response.reason_phrase, None)
    if not isinstance(body, dict):
        return (str(body)[:300], None)
    listed = body.get("errors")
    errors = [e for e in listed if isinstance(e, dict)] if isinstance(listed, list) else []
    details = [str(e["message"]) for e in errors if e.get("message")]
    numeric = next((str(e["code"]) for e in errors if e.get("code") is not None), None)
    summary = body.get("detail") or body.get("title")
    if summary:
        # "One or more parameters to your request was invalid." says little without the why.
        message = str(summary) + (f": {'; '.join(details)}" if details else "")
        return (message[:300], _problem_code(body.get("type")) or numeric)
    if details:
        return ("; ".join(details)[:300], numeric)
    return (str(body)[:300], None)


# X's codes for authentication failures; any other 403 refuses this message, not our keys.
AUTH_ERROR_CODES = frozenset({"32", "89", "99", "135", "215", "unsupported-authentication"})


def forbidden_is_auth(code: str | None) -> bool:
    """Whether a 403 with ``code`` means our credentials are wrong (else: the DM is refused)."""
    return code is None or code in AUTH_ERROR_CODES
