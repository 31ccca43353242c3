"""Twilio's REST API (``/2010-04-01/Accounts/{AccountSid}/...``): basic auth, errors, media.

Every call authenticates with the account SID and auth token (HTTP basic). Errors come back as
``{"code", "message", "more_info", "status"}``; the shared client turns the HTTP status into the
error vocabulary (401 unauthorized, 429 rate limited, 5xx unreachable, else rejected) and this
module only says how to read Twilio's message and code.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from unisono.channels.base import ChannelConfig
from unisono.channels.errors import Rejected, Unauthorized
from unisono.channels.http import ProviderClient
from unisono.channels.twilio.codes import describe_code

TWILIO_API = "https://api.twilio.com"
API_VERSION = "2010-04-01"


def describe_error(response: httpx.Response) -> tuple[str, str | None]:
    """Twilio's error body as a readable message (with our advice) and its code."""
    try:
        body = response.json()
    except ValueError:
        return (response.text[:300] or response.reason_phrase, None)
    if not isinstance(body, dict):
        return (str(body)[:300], None)
    code = body.get("code")
    message = str(body.get("message") or body.get("detail") or response.reason_phrase)
    if code is None or isinstance(code, bool):
        return (message, None)
    text = describe_code(str(code), message)
    # Twilio's own message names the specifics (which number, which field); keep it too.
    if message and message not in text:
        text = f"{text}: {message}"
    return (text, str(code))


def api_base(config: ChannelConfig) -> str:
    return config.api_base_url or TWILIO_API


def client(config: ChannelConfig) -> ProviderClient:
    """A client of the channel's Twilio account; Unauthorized when its credentials are missing."""
    sid = config.credentials.get("account_sid", "")
    token = config.credentials.get("auth_token", "")
    if not sid or not token:
        raise Unauthorized("the Twilio channel needs its account_sid and auth_token")
    return ProviderClient(api_base(config), auth=(sid, token), describe_error=describe_error)


def account_path(config: ChannelConfig, resource: str) -> str:
    """``/2010-04-01/Accounts/{AccountSid}/{resource}`` for the channel's account."""
    return f"/{API_VERSION}/Accounts/{config.credentials.get('account_sid', '')}/{resource}"


def fetch(config: ChannelConfig, url: str) -> tuple[bytes, str | None]:
    """The bytes and content type behind a media or recording URL that Twilio handed out.

    The account's credentials are sent only to Twilio's API host (or the configured stand-in):
    a URL elsewhere is refused rather than given the auth token. Twilio answers media requests
    with a redirect to its storage, which is followed (httpx drops the credentials when the
    redirect leaves the API host).
    """
    base = urlsplit(api_base(config))
    target = urlsplit(url)
    if (target.scheme, target.netloc) != (base.scheme, base.netloc):
        raise Rejected(f"{url[:200]} is not on the Twilio API ({base.scheme}://{base.netloc})")
    response = client(config).request("GET", url, follow_redirects=True)
    content_type = response.headers.get("content-type")
    return response.content, content_type.split(";")[0].strip() if content_type else None
