"""Twilio webhooks: ``X-Twilio-Signature`` over the public URL, the form fields, TwiML answers.

Twilio signs the URL it called (scheme, host, path and query exactly as configured in its
console) followed by every POST parameter sorted by name, with the account's auth token
(https://www.twilio.com/docs/usage/security#validating-requests). Behind a proxy, a load
balancer or a tunnel the URL Unisono sees is not that one, so a channel may name its public URL
in the ``webhook_url`` setting; Twilio's status and recording callbacks are sent there too.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from unisono.channels.base import ChannelConfig, HandshakeReply, WebhookRequest
from unisono.channels.errors import MalformedPayload, SignatureInvalid
from unisono.channels.signatures import same, twilio_signature
from unisono.clock import utcnow

log = logging.getLogger(__name__)

WEBHOOK_URL_SETTING = "webhook_url"
TWIML_MEDIA_TYPE = "text/xml"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
EMPTY_TWIML = f"{XML_DECLARATION}<Response></Response>"
# A phone number as Twilio writes it; other senders ("client:anna", "sip:...", "anonymous",
# "whatsapp:+39...") are not a phone identity of this channel.
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def configured_webhook_url(config: ChannelConfig) -> str | None:
    """The channel's public webhook URL from its settings, when one is set."""
    value = config.settings.get(WEBHOOK_URL_SETTING)
    if isinstance(value, str) and value.strip().startswith(("http://", "https://")):
        return value.strip()
    return None


def public_url(config: ChannelConfig, request: WebhookRequest) -> str:
    """The URL Twilio called, as Twilio signed it: the ``webhook_url`` setting, else ours.

    A query string Twilio was given (``?channel=...``) arrives with the request; it is part of
    what Twilio signed, so it is carried over unless the setting names a query of its own.
    """
    configured = configured_webhook_url(config)
    if configured is None:
        return request.url
    query = urlsplit(request.url).query
    if query and not urlsplit(configured).query:
        return f"{configured}?{query}"
    return configured


def url_variants(url: str) -> list[str]:
    """``url``, and ``url`` with its default port added or removed.

    Whether Twilio signs ``https://host/...`` or ``https://host:443/...`` depends on how the URL
    was typed in its console; Twilio's own validators accept both, and so do we.
    """
    parts = urlsplit(url)
    default = _DEFAULT_PORTS.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:
        return [url]
    if default is None or not parts.hostname:
        return [url]
    userinfo, _, hostport = parts.netloc.rpartition("@")
    prefix = f"{userinfo}@" if userinfo else ""
    if port is None:
        other = f"{prefix}{hostport}:{default}"
    elif port == default:
        other = prefix + hostport[: -len(f":{port}")]
    else:
        return [url]
    return [url, urlunsplit(parts._replace(netloc=other))]


def signed_params(body: bytes) -> list[tuple[str, str]]:
    """The POST parameters as Twilio signed them, read leniently.

    A body that is not a proper form still has its signature checked: if it is Twilio's it is
    then kept as malformed (400) for inspection, if not it is refused (401) and not stored.
    """
    return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def verify_twilio(config: ChannelConfig, request: WebhookRequest) -> None:
    """SignatureInvalid unless ``X-Twilio-Signature`` is the auth token's HMAC of the request."""
    given = request.header("x-twilio-signature")
    if not given:
        raise SignatureInvalid("the X-Twilio-Signature header is missing")
    token = config.credentials.get("auth_token", "")
    if not token:
        raise SignatureInvalid("the channel has no auth_token to check Twilio's signature with")
    url = public_url(config, request)
    params = signed_params(request.body)
    if any(same(twilio_signature(token, u, params), given) for u in url_variants(url)):
        return
    hint = (
        ""
        if configured_webhook_url(config)
        else "; behind a proxy, set the channel's webhook_url setting to the URL given to Twilio"
    )
    raise SignatureInvalid(f"the X-Twilio-Signature does not match {url} and the body{hint}")


class Form:
    """A Twilio webhook's form fields. Unknown fields are kept and ignored: Twilio adds new
    ones without notice. A field we read that is given twice with different values is
    ambiguous, so it is refused rather than guessed."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value)

    @classmethod
    def of(cls, request: WebhookRequest) -> Form:
        """The request's form body; MalformedPayload when it is not one."""
        pairs = request.form()
        if not pairs:
            raise MalformedPayload("the body is empty: Twilio posts a form")
        return cls(pairs)

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def get(self, name: str) -> str | None:
        values = self._values.get(name)
        if not values:
            return None
        if len(set(values)) > 1:
            raise MalformedPayload(f"{name} is given {len(values)} times with different values")
        return values[0]

    def text(self, name: str) -> str:
        """The field, or "" when absent."""
        return self.get(name) or ""

    def require(self, *names: str) -> str:
        """The first of ``names`` that is present and not empty; MalformedPayload otherwise."""
        for name in names:
            value = (self.get(name) or "").strip()
            if value:
                return value
        raise MalformedPayload(f"{' or '.join(names)} is missing")

    def count(self, name: str, *, at_most: int) -> int:
        """A non-negative whole number field (absent: 0); MalformedPayload when it is not one."""
        raw = (self.get(name) or "0").strip()
        if not raw.isdigit() or not raw.isascii():
            raise MalformedPayload(f"{name} is not a whole number: {raw[:20]!r}")
        value = int(raw)
        if value > at_most:
            raise MalformedPayload(f"{name} is {value}; Twilio sends at most {at_most}")
        return value

    def facts(self, names: dict[str, str]) -> dict[str, str]:
        """``{our_key: value}`` for each Twilio field of ``names`` present and not empty."""
        found = {}
        for field, key in names.items():
            value = self.get(field)
            if value:
                found[key] = value
        return found


def check_account(config: ChannelConfig, form: Form) -> str:
    """The delivery's ``AccountSid``, which must be the channel's ``account_sid``.

    A mismatch is refused as malformed (kept, 400), not as a bad signature: the signature has
    already proved Twilio sent it, so this is a delivery meant for another account's channel
    (a number moved between accounts or subaccounts, a webhook URL pasted into the wrong
    number). Keeping it lets an operator see it and replay it once the channel is fixed;
    a 401 would throw a real customer's message away.
    """
    account = form.require("AccountSid")
    expected = config.credentials.get("account_sid", "")
    if account != expected:
        raise MalformedPayload(
            f"AccountSid {account} is not this channel's account ({expected or 'none set'})"
        )
    return account


def phone_sender(value: str) -> str | None:
    """``value`` when it is an E.164 phone number, else None."""
    value = value.strip()
    return value if E164.fullmatch(value) else None


def received_at(request: WebhookRequest) -> datetime:
    """When Twilio sent ``request``: its SMS and call-start webhooks carry no time of their own,
    so a stored delivery replayed days later still lands when it was received."""
    return request.received_at or utcnow()


def twiml_reply(body: str) -> HandshakeReply:
    """A 200 answer carrying TwiML ``body`` (one ``<Response>`` document)."""
    return HandshakeReply(200, body, TWIML_MEDIA_TYPE)


def xml_text(value: str) -> str:
    """``value`` escaped for an XML element's text or a double-quoted attribute."""
    return html.escape(value, quote=True)
