"""OAuth 1.0a request signing (RFC 5849, HMAC-SHA1), as X requires for user-context calls.

Written here rather than taken from a library because no OAuth 1.0a package is among the
project's dependencies and the scheme is small: percent-encode (RFC 3986 unreserved set only),
sort the parameters, build the signature base string, HMAC it with the two secrets. The
sandbox uses the same functions to check our signatures, so both sides are tested against the
worked example of X's "Creating a signature" page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit

SIGNATURE_METHOD = "HMAC-SHA1"
VERSION = "1.0"
# Parameters that describe the signature rather than the request (RFC 5849 §3.4.1.3.1).
_NOT_SIGNED = frozenset({"oauth_signature", "realm"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class OAuth1Credentials:
    """An app's consumer key pair and one user's access token pair."""

    consumer_key: str
    consumer_secret: str
    token: str
    token_secret: str


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding of UTF-8 bytes; only ``A-Z a-z 0-9 - . _ ~`` stay as they are.

    ``urllib.parse.quote`` alone is not enough: by default it keeps ``/`` unencoded.
    """
    return quote(value.encode("utf-8"), safe="-._~")


def base_string_uri(url: str) -> str:
    """The request URL as signed: lower-case scheme and host, default port and query dropped."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    port = parts.port
    authority = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{authority}{parts.path or '/'}"


def normalized_parameters(params: Iterable[tuple[str, str]]) -> str:
    """Every name/value pair encoded, sorted by name then value, joined with ``&``."""
    encoded = sorted(
        (percent_encode(k), percent_encode(v)) for k, v in params if k not in _NOT_SIGNED
    )
    return "&".join(f"{k}={v}" for k, v in encoded)


def signature_base_string(method: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """``METHOD&encoded-URI&encoded-parameters``; the URL's own query joins ``params``."""
    query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    return "&".join(
        (
            method.upper(),
            percent_encode(base_string_uri(url)),
            percent_encode(normalized_parameters([*query, *params])),
        )
    )


def hmac_sha1_signature(base_string: str, consumer_secret: str, token_secret: str) -> str:
    """Base64 HMAC-SHA1 of ``base_string`` keyed with both encoded secrets joined by ``&``."""
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def oauth_parameters(
    credentials: OAuth1Credentials, *, nonce: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """The ``oauth_*`` protocol parameters of one request, without the signature."""
    return {
        "oauth_consumer_key": credentials.consumer_key,
        # X rejects a nonce it has seen before; 32 hex characters never repeat in practice.
        "oauth_nonce": nonce if nonce is not None else secrets.token_hex(16),
        "oauth_signature_method": SIGNATURE_METHOD,
        "oauth_timestamp": str(timestamp if timestamp is not None else int(time.time())),
        "oauth_token": credentials.token,
        "oauth_version": VERSION,
    }


def sign(
    method: str,
    url: str,
    oauth_params: Mapping[str, str],
    consumer_secret: str,
    token_secret: str,
    form: Iterable[tuple[str, str]] = (),
) -> str:
    """The ``oauth_signature`` of a request; ``form`` is a url-encoded body's pairs, if any.

    A JSON body is not signed: RFC 5849 only covers ``application/x-www-form-urlencoded``.
    """
    base = signature_base_string(method, url, [*oauth_params.items(), *form])
    return hmac_sha1_signature(base, consumer_secret, token_secret)


def authorization_header(
    credentials: OAuth1Credentials,
    method: str,
    url: str,
    form: Iterable[tuple[str, str]] = (),
    *,
    nonce: str | None = None,
    timestamp: int | None = None,
) -> str:
    """The ``Authorization: OAuth ...`` value for one request (nonce and time fresh by default)."""
    params = oauth_parameters(credentials, nonce=nonce, timestamp=timestamp)
    params["oauth_signature"] = sign(
        method, url, params, credentials.consumer_secret, credentials.token_secret, form
    )
    return "OAuth " + ", ".join(
        f'{percent_encode(k)}="{percent_encode(v)}"' for k, v in sorted(params.items())
    )


def parse_authorization_header(value: str | None) -> dict[str, str]:
    """The parameters of an ``OAuth ...`` header, decoded; empty when it is not one."""
    if not value or value[:6].lower() != "oauth ":
        return {}
    params = {}
    for item in value[6:].split(","):
        name, sep, raw = item.strip().partition("=")
        if not sep:
            continue
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1]
        params[unquote(name.strip())] = unquote(raw)
    return params
