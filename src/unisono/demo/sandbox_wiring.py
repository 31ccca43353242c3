"""Pointing the demo's channels at the local sandbox providers, so messages flow both ways.

A new user runs ``make demo``, replies to a WhatsApp message in the console, and sees it sent,
delivered and read, without any real provider account.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from unisono.channels.registry import find_provider
from unisono.models import Channel
from unisono.security.secrets import encrypt_credentials

SANDBOX_URL = "http://127.0.0.1:8100"

# Made-up credentials the sandbox accepts; each channel kind uses its provider's own key names.
DEMO_CREDENTIALS: dict[str, dict[str, str]] = {
    "whatsapp": {
        "app_secret": "demo-whatsapp-secret",
        "verify_token": "demo-verify",
        "access_token": "demo-whatsapp-token",
        "phone_number_id": "106540352242922",
    },
    "messenger": {
        "app_secret": "demo-meta-secret",
        "verify_token": "demo-verify",
        "page_access_token": "demo-page-token",
        "page_id": "104500000000001",
    },
    "facebook_comments": {
        "app_secret": "demo-meta-secret",
        "verify_token": "demo-verify",
        "page_access_token": "demo-page-token",
        "page_id": "104500000000001",
    },
    "x": {
        "consumer_key": "demo-consumer-key",
        "consumer_secret": "demo-consumer-secret",
        "access_token": "1500000000000000001-demo",
        "access_token_secret": "demo-token-secret",
    },
    "sms": {
        "account_sid": "AC" + "d" * 32,
        "auth_token": "demo-twilio-token",
        "from_number": "+390200000000",
    },
    "voice": {
        "account_sid": "AC" + "d" * 32,
        "auth_token": "demo-twilio-token",
        "from_number": "+390200000000",
    },
}
# Path prefix of each provider's API on the sandbox.
API_PATHS = {"whatsapp": "/v21.0", "messenger": "/v21.0", "facebook_comments": "/v21.0"}
DEMO_SETTINGS = {"x": {"user_id": "1500000000000000001"}}


def wire_demo_channels(session: Session, sandbox_url: str = SANDBOX_URL) -> list[str]:
    """Give the demo's channels sandbox credentials and API URLs; returns the kinds wired."""
    wired = []
    for channel in session.scalars(select(Channel).order_by(Channel.created_at)):
        credentials = DEMO_CREDENTIALS.get(channel.kind)
        provider = find_provider(channel.kind)
        if credentials is None or provider is None:
            continue
        if not set(provider.credential_keys) <= set(credentials):
            continue
        channel.credentials_encrypted = encrypt_credentials(credentials)
        channel.settings = {
            **(channel.settings or {}),
            **DEMO_SETTINGS.get(channel.kind, {}),
            "api_base_url": sandbox_url.rstrip("/") + API_PATHS.get(channel.kind, ""),
        }
        wired.append(channel.kind)
    session.flush()
    return sorted(set(wired))
