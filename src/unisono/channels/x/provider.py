"""The X provider descriptor and its connection to one brand account.

Inbound: Account Activity API deliveries, proven by ``x-twitter-webhooks-signature`` and the
CRC challenge, both keyed with the app's consumer secret. Outbound: v2 one-to-one DMs, signed
with OAuth 1.0a user context (the app's consumer pair and the brand account's access pair).
"""

from __future__ import annotations

import json
from typing import ClassVar
from urllib.parse import urlsplit

from unisono.channels.base import (
    Capability,
    ChannelConfig,
    Connection,
    HandshakeReply,
    MediaRef,
    OutboundMessage,
    ParsedDelivery,
    Provider,
    SendResult,
    WebhookRequest,
)
from unisono.channels.errors import Rejected, SignatureInvalid, Unauthorized
from unisono.channels.http import ProviderClient
from unisono.channels.registry import register
from unisono.channels.signatures import same, x_crc_response, x_signature
from unisono.channels.x.inbound import parse_webhook
from unisono.channels.x.oauth import OAuth1Credentials, authorization_header
from unisono.channels.x.outbound import (
    X_API,
    describe_error,
    dm_event_id,
    dm_path,
    dm_payload,
    forbidden_is_auth,
)
from unisono.errors import Invalid

CREDENTIAL_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
# Where X keeps DM attachments: fetched only with the account's OAuth signature, unlike the
# media of public posts (pbs.twimg.com, video.twimg.com/ext_tw_video) that anyone may read.
DM_MEDIA_HOST = "ton.twitter.com"
DM_VIDEO_PATHS = ("/dm_video/", "/dm_gif/")
# The brand account's numeric id: Account Activity deliveries name it as ``for_user_id``.
ACCOUNT_SETTING = "user_id"


def account_id(config: ChannelConfig) -> str:
    """The brand account's user id from the channel's settings; Invalid when absent.

    Settings are not validated per provider when a channel is created yet, so a missing one
    surfaces here, naming what to set.
    """
    value = config.settings.get(ACCOUNT_SETTING)
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise Invalid(
            f"X channel '{config.name}' has no '{ACCOUNT_SETTING}' setting: set it to the "
            "numeric id of the brand account (the for_user_id of its webhook deliveries)"
        )
    return str(value).strip()


def oauth_credentials(config: ChannelConfig) -> OAuth1Credentials:
    """The channel's OAuth 1.0a user-context credentials; Unauthorized when any is missing."""
    missing = [k for k in CREDENTIAL_KEYS if not config.credentials.get(k)]
    if missing:
        raise Unauthorized(f"the X channel lacks credentials: {', '.join(missing)}")
    return OAuth1Credentials(
        consumer_key=config.credentials["consumer_key"],
        consumer_secret=config.credentials["consumer_secret"],
        token=config.credentials["access_token"],
        token_secret=config.credentials["access_token_secret"],
    )


class XConnection(Connection):
    def handshake(self, request: WebhookRequest) -> HandshakeReply | None:
        """Answer X's CRC: the consumer secret's HMAC of ``crc_token``, as JSON."""
        token = request.query.get("crc_token")
        if token is None:
            return None
        secret = self.config.credentials.get("consumer_secret", "")
        if not secret or not token:
            # Without a secret no answer can be right; a 403 tells X the check failed.
            return HandshakeReply(
                403, json.dumps({"error": "cannot answer the CRC"}), "application/json"
            )
        body = json.dumps({"response_token": x_crc_response(secret, token)})
        return HandshakeReply(200, body, "application/json")

    def verify(self, request: WebhookRequest) -> None:
        secret = self.config.credentials.get("consumer_secret", "")
        given = request.header("x-twitter-webhooks-signature")
        if not given:
            raise SignatureInvalid("the x-twitter-webhooks-signature header is missing")
        if not secret or not same(x_signature(secret, request.body), given):
            raise SignatureInvalid("the x-twitter-webhooks-signature does not match the body")

    def parse(self, request: WebhookRequest) -> ParsedDelivery:
        payload = request.json()
        parsed = parse_webhook(payload)
        # One X app has one webhook for every account it subscribes: keep only ours. Without
        # the setting the delivery's own for_user_id decides what the brand's messages are.
        expected = self.config.settings.get(ACCOUNT_SETTING)
        account = payload.get("for_user_id") if isinstance(payload, dict) else None
        if expected and account is not None and str(account) != str(expected):
            return ParsedDelivery(ignored=(f"other_account:{account}",))
        return parsed

    def send(self, message: OutboundMessage) -> SendResult:
        payload = dm_payload(message)
        credentials = oauth_credentials(self.config)
        base = self.config.api_base_url or X_API
        path = dm_path(message.recipient)
        # A fresh nonce and timestamp per request: X refuses a replayed signature.
        header = authorization_header(credentials, "POST", base + path)
        client = ProviderClient(
            base,
            headers={"Authorization": header},
            describe_error=describe_error,
            forbidden_is_auth=forbidden_is_auth,
        )
        return SendResult(external_id=dm_event_id(client.post_json(path, payload)))

    def fetch_media(self, ref: MediaRef) -> tuple[bytes, str | None]:
        """The attachment at ``ref.url``, signed when X keeps it private (DM media)."""
        if not ref.url or not ref.url.startswith(("http://", "https://")):
            raise Rejected("X media needs its URL")
        headers = {}
        if self._private_media(ref.url):
            credentials = oauth_credentials(self.config)
            headers["Authorization"] = authorization_header(credentials, "GET", ref.url)
        client = ProviderClient(
            self.config.api_base_url or X_API, headers=headers, describe_error=describe_error
        )
        response = client.request("GET", ref.url)
        return response.content, response.headers.get("content-type")

    def _private_media(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.hostname == DM_MEDIA_HOST:
            return True
        if parts.hostname == "video.twimg.com" and parts.path.startswith(DM_VIDEO_PATHS):
            return True
        # A stand-in for X (the sandbox) serves DM media from its own address.
        base = self.config.api_base_url
        return base is not None and urlsplit(base).netloc == parts.netloc


class XProvider(Provider):
    kind = "x"
    display_name = "X (direct messages and mentions)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.WEBHOOK, Capability.HANDSHAKE, Capability.SEND_TEXT, Capability.MEDIA}
    )
    credential_keys = CREDENTIAL_KEYS
    # Not enforced by the channel service yet (see ``account_id``), declared for when it is.
    required_settings: ClassVar[tuple[str, ...]] = (ACCOUNT_SETTING,)

    def connect(self, config: ChannelConfig) -> Connection:
        return XConnection(config)


register(XProvider())
