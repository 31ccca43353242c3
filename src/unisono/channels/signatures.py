"""Provider signature schemes, computed and compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def hmac_sha256_base64(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def meta_signature(app_secret: str, body: bytes) -> str:
    """``X-Hub-Signature-256`` as Meta sends it: ``sha256=`` + HMAC-SHA256 hex of the raw body."""
    return "sha256=" + hmac_sha256_hex(app_secret, body)


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """``X-Twilio-Signature``: HMAC-SHA1 of the full URL followed by the sorted POST parameters."""
    data = url + "".join(k + v for k, v in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def x_signature(consumer_secret: str, body: bytes) -> str:
    """``x-twitter-webhooks-signature``: ``sha256=`` + base64 HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac_sha256_base64(consumer_secret, body)


def x_crc_response(consumer_secret: str, crc_token: str) -> str:
    """The ``response_token`` answering X's CRC challenge."""
    return "sha256=" + hmac_sha256_base64(consumer_secret, crc_token.encode())


def same(expected: str, given: str | None) -> bool:
    """Constant-time comparison; a missing header never matches."""
    return given is not None and hmac.compare_digest(expected.encode(), given.strip().encode())
