"""The app channel's request signature, used in both directions with the channel's ``app_key``.

Every request carries two headers:

- ``X-Unisono-Timestamp``: the Unix time in whole seconds when the request was signed;
- ``X-Unisono-Signature``: ``sha256=`` + the lower-case hex HMAC-SHA256, keyed with the app key,
  of ``timestamp + "." + body`` (the raw body bytes exactly as sent).

A request signed more than five minutes before (or after) the receiver's clock is refused: the
timestamp is part of the signed string, so a captured request cannot be replayed later with a
fresh timestamp. Within the five minutes a replay is harmless, because events are idempotent on
their ``id``. A media download (``GET``) has no body: its signed string is
``timestamp + "." + url``, so the signature of one file does not open another.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from unisono.channels.errors import SignatureInvalid
from unisono.channels.signatures import hmac_sha256_hex, same

SIGNATURE_HEADER = "X-Unisono-Signature"
TIMESTAMP_HEADER = "X-Unisono-Timestamp"
# How far the signer's clock may be from ours, either way.
TOLERANCE_SECONDS = 300


def app_signature(app_key: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``timestamp.body`` keyed with ``app_key``."""
    return "sha256=" + hmac_sha256_hex(app_key, timestamp.encode() + b"." + body)


def signed_headers(app_key: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The two signature headers for ``body`` signed now (or at ``now``)."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: app_signature(app_key, timestamp, body),
    }


def verify_signed(
    app_key: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> None:
    """SignatureInvalid unless ``headers`` (lower-case names) sign ``body`` recently.

    The reason names the first thing wrong, so the backend's developers can fix their signer.
    """
    timestamp = headers.get(TIMESTAMP_HEADER.lower())
    given = headers.get(SIGNATURE_HEADER.lower())
    if not timestamp:
        raise SignatureInvalid(f"the {TIMESTAMP_HEADER} header is missing")
    if not given:
        raise SignatureInvalid(f"the {SIGNATURE_HEADER} header is missing")
    timestamp = timestamp.strip()
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureInvalid(f"{TIMESTAMP_HEADER} is not a Unix time in seconds")
    skew = abs((time.time() if now is None else now) - int(timestamp))
    if skew > TOLERANCE_SECONDS:
        raise SignatureInvalid(
            f"{TIMESTAMP_HEADER} is {int(skew)} seconds away from our clock "
            f"(at most {TOLERANCE_SECONDS} allowed): sign each request when sending it"
        )
    if not app_key or not same(app_signature(app_key, timestamp, body), given):
        raise SignatureInvalid(
            f"the {SIGNATURE_HEADER} signature does not match timestamp + '.' + body"
        )
