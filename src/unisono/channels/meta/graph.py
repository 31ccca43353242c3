"""Calling Meta's Graph API: errors read by their Graph code, page tokens, public media.

Graph answers most failures with HTTP 400 whatever they mean, so the status alone cannot tell the
sender to retry or to disable the channel: an expired page token (code 190) or a throttled app
(codes 4, 17, 32, 613) arrive as 400 like a truly bad request. ``GraphClient`` re-reads the code.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from unisono.channels.base import ChannelConfig, MediaRef
from unisono.channels.errors import RateLimited, Rejected, Unauthorized, Unreachable
from unisono.channels.http import ProviderClient
from unisono.channels.meta.webhooks import GRAPH_API
from unisono.channels.signatures import hmac_sha256_hex

# https://developers.facebook.com/docs/graph-api/guides/error-handling
TOKEN_CODES = frozenset({"102", "190"})  # the token is invalid, expired or revoked
RATE_CODES = frozenset({"4", "17", "32", "613"})  # app, user, page or custom rate limits
TEMPORARY_CODES = frozenset({"1", "2"})  # "unknown error" / "service temporarily unavailable"

# Ids of Graph objects addressed by path (pages, posts, comments: digits, "_"-joined): anything
# else (a slash, "..", a query) must not be pasted into a request path.
GRAPH_ID = re.compile(r"^[A-Za-z0-9_]{1,200}$")
# Meta's messages often start with their own "(#100) "; the describer writes code/subcode itself.
_CODE_PREFIX = re.compile(r"^\(#\d+\)\s*")


def describe_graph_error(response: httpx.Response) -> tuple[str, str | None]:
    """``{"error": {"message", "code", "error_subcode", "error_user_msg", "error_data"}}``.

    The message says code and subcode like Meta's own tooling (``(#10/2018278) ...``), because
    that pair is what Meta's error tables and support answers are keyed on.
    """
    try:
        body = response.json()
    except ValueError:
        return (response.text[:300] or response.reason_phrase, None)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return (str(body)[:300], None)
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    text = str(error.get("error_user_msg") or details or error.get("message") or "rejected")
    text = _CODE_PREFIX.sub("", text)
    code = error.get("code")
    subcode = error.get("error_subcode")
    if code is None:
        return (text[:500], None)
    label = f"{code}/{subcode}" if subcode is not None else str(code)
    return (f"(#{label}) {text}"[:500], str(code))


class GraphClient(ProviderClient):
    """A ProviderClient that maps Graph error codes to the error vocabulary, not just statuses."""

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return super().request(method, path, **kwargs)
        except Rejected as exc:
            if exc.code in TOKEN_CODES:
                raise Unauthorized(f"Meta refused the page access token: {exc.detail}") from exc
            if exc.code in RATE_CODES:
                # Graph gives no Retry-After: the sender's backoff decides when to try again.
                raise RateLimited(f"rate limited by Meta: {exc.detail}") from exc
            if exc.code in TEMPORARY_CODES:
                raise Unreachable(f"Meta failed temporarily: {exc.detail}") from exc
            raise


def page_client(config: ChannelConfig) -> GraphClient:
    """Graph calls as the configured page.

    The token travels in the Authorization header rather than the documented ``access_token``
    query parameter, so it never appears in URLs that end up in logs and delivery errors.
    """
    token = config.credentials.get("page_access_token", "")
    return GraphClient(
        config.api_base_url or GRAPH_API,
        headers={"Authorization": f"Bearer {token}"},
        describe_error=describe_graph_error,
    )


def appsecret_proof(config: ChannelConfig) -> dict[str, str]:
    """The ``appsecret_proof`` query parameter, required by apps with "Require App Secret" on.

    Sent always: it is harmless where not required and makes a stolen page token useless
    without the app secret. https://developers.facebook.com/docs/graph-api/security#appsecret_proof
    """
    token = config.credentials.get("page_access_token", "")
    secret = config.credentials.get("app_secret", "")
    return {"appsecret_proof": hmac_sha256_hex(secret, token.encode())} if token and secret else {}


def graph_json(response: httpx.Response) -> Any:
    """The JSON of a 2xx Graph answer; Rejected when it is not JSON (the send's fate is unknown)."""
    try:
        return response.json()
    except ValueError as exc:
        raise Rejected(f"Graph answered {response.status_code} without JSON") from exc


def fetch_public_media(ref: MediaRef) -> tuple[bytes, str | None]:
    """Download media Meta serves from its CDN with a signed, expiring URL.

    No token is sent: the URL itself is the credential, and the page token must not travel to a
    host named by a payload.
    """
    url = ref.url or ""
    if not url.startswith(("https://", "http://")):
        raise Rejected("the attachment has no download URL")
    response = ProviderClient(url).request("GET", url)
    return response.content, response.headers.get("content-type")
