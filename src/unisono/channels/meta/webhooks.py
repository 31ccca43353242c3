"""Meta webhook verification: the ``hub.challenge`` handshake and ``X-Hub-Signature-256``."""

from __future__ import annotations

from unisono.channels.base import ChannelConfig, HandshakeReply, WebhookRequest
from unisono.channels.errors import SignatureInvalid
from unisono.channels.signatures import meta_signature, same

GRAPH_API = "https://graph.facebook.com/v21.0"


def meta_handshake(config: ChannelConfig, request: WebhookRequest) -> HandshakeReply | None:
    """Echo ``hub.challenge`` when Meta subscribes with our verify token; 403 otherwise."""
    if request.query.get("hub.mode") != "subscribe":
        return None
    expected = config.credentials.get("verify_token", "")
    if not expected or not same(expected, request.query.get("hub.verify_token")):
        return HandshakeReply(403, "verify token mismatch")
    return HandshakeReply(200, request.query.get("hub.challenge", ""))


def meta_verify(config: ChannelConfig, request: WebhookRequest) -> None:
    """SignatureInvalid unless ``X-Hub-Signature-256`` is the app secret's HMAC of the body."""
    secret = config.credentials.get("app_secret", "")
    given = request.header("x-hub-signature-256")
    if not given:
        raise SignatureInvalid("the X-Hub-Signature-256 header is missing")
    if not secret or not same(meta_signature(secret, request.body), given):
        raise SignatureInvalid("the X-Hub-Signature-256 signature does not match the body")
