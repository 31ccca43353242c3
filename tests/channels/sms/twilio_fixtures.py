"""What the SMS and Voice tests share: a Twilio account, signed form posts, fresh rows.

Twilio signs the full URL it called followed by the sorted POST parameters, HMAC-SHA1 with the
auth token, base64 (https://www.twilio.com/docs/usage/security#validating-requests).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from unisono.channels.base import ChannelConfig, WebhookRequest
from unisono.channels.signatures import twilio_signature

ACCOUNT_SID = "AC3f9b2c7d4e5a6b1c0d9e8f7a6b5c4d3e"
AUTH_TOKEN = "twilio-auth-token-0123456789abcdef"
BUSINESS_NUMBER = "+390212345678"
CREDENTIALS = {
    "account_sid": ACCOUNT_SID,
    "auth_token": AUTH_TOKEN,
    "from_number": BUSINESS_NUMBER,
}
# The URL Starlette's test client calls.
TEST_SERVER = "http://testserver"


def read_fixture(here: Path, name: str) -> bytes:
    return (here / name).read_bytes()


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    return parse_qsl(body.decode(), keep_blank_values=True)


def with_fields(body: bytes, **changes: str | None) -> bytes:
    """``body`` with fields changed (a value), added, or removed (None), order kept."""
    pairs = form_pairs(body)
    names = {name for name, _ in pairs}
    changed = [
        (name, changes.get(name, value))
        for name, value in pairs
        if name not in changes or changes[name] is not None
    ]
    added = [(name, value) for name, value in changes.items() if name not in names]
    return urlencode([(k, v) for k, v in changed + added if v is not None]).encode()


def signed(body: bytes, url: str, token: str = AUTH_TOKEN) -> dict[str, str]:
    """Twilio's headers for ``body`` posted to ``url``."""
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(token, url, form_pairs_lenient(body)),
    }


def form_pairs_lenient(body: bytes) -> list[tuple[str, str]]:
    return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def post_webhook(
    client: TestClient, channel: Any, body: bytes, *, signed_url: str | None = None
) -> Response:
    """``body`` posted to the channel's webhook as Twilio would, signed over ``signed_url``."""
    path = f"/webhooks/{channel.kind}/{channel.id}"
    response: Response = client.post(
        path, content=body, headers=signed(body, signed_url or TEST_SERVER + path)
    )
    return response


def config_of(
    kind: str, *, credentials: dict[str, str] | None = None, **settings: Any
) -> ChannelConfig:
    """A channel's configuration as an adapter sees it, without a database."""
    return ChannelConfig(
        id=uuid.UUID("0190a4b2-0000-7000-8000-000000000001"),
        kind=kind,
        name=f"{kind} di prova",
        settings=settings,
        credentials={**CREDENTIALS, **(credentials or {})},
    )


def request_of(body: bytes, url: str = "https://unisono.example/webhooks/sms/x") -> WebhookRequest:
    return WebhookRequest(method="POST", url=url, headers={}, query={}, body=body)


def rows(session: Session, model: type) -> list[Any]:
    """Fresh rows, detached: touching them later opens no transaction (which would hold
    SQLite's write lock against the app and the worker)."""
    session.rollback()
    found: list[Any] = list(session.scalars(select(model)))
    session.expunge_all()
    session.rollback()
    return found
