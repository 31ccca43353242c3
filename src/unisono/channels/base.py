"""The adapter interface and the neutral dataclasses that cross it.

A ``Provider`` is a stateless descriptor of one channel kind (its capabilities and the credential
keys it needs); ``connect`` binds it to one configured channel as a ``Connection``, which
verifies and parses webhooks and sends messages. Nothing above this module sees a provider's
raw payload: only ``InboundMessage``, ``StatusUpdate``, ``InteractionUpdate`` and ``SendResult``.
"""

from __future__ import annotations

import enum
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from unisono.channels.errors import MalformedPayload
from unisono.models import DeliveryStatus


class Capability(enum.StrEnum):
    """What a channel can do; core code asks for a capability, never for a kind."""

    WEBHOOK = "webhook"  # the provider posts inbound events to us
    HANDSHAKE = "handshake"  # the provider verifies our endpoint with a GET challenge
    SEND_TEXT = "send_text"  # free-form text out
    SEND_TEMPLATE = "send_template"  # provider-approved template messages out
    SERVICE_WINDOW = "service_window"  # free-form text only within a window after the customer
    DELIVERY_STATUS = "delivery_status"  # the provider reports sent/delivered/read/failed
    MEDIA = "media"  # inbound or outbound attachments
    RECORDINGS = "recordings"  # call recordings to fetch and keep
    THREADED = "threaded"  # a reply names the message it answers (email, page comments)


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """One configured channel as an adapter sees it: credentials decrypted, no database row."""

    id: uuid.UUID
    kind: str
    name: str
    settings: Mapping[str, Any]
    credentials: Mapping[str, str]

    @property
    def api_base_url(self) -> str | None:
        value = self.settings.get("api_base_url")
        return str(value).rstrip("/") if value else None


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """An HTTP request from a provider, with its raw body exactly as received."""

    method: str
    url: str
    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    body: bytes
    # When the request reached us; set when a stored delivery is processed later, for providers
    # whose webhooks carry no time of their own (Twilio's incoming SMS and calls).
    received_at: datetime | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body as JSON; MalformedPayload when it is not."""
        import json

        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedPayload(f"the body is not JSON: {exc}") from exc

    def form(self) -> list[tuple[str, str]]:
        """The body as ``application/x-www-form-urlencoded`` pairs, in order."""
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedPayload("the form body is not UTF-8") from exc
        try:
            return parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
        except ValueError as exc:
            raise MalformedPayload(f"the body is not a form: {exc}") from exc


@dataclass(frozen=True, slots=True)
class MediaRef:
    """An attachment the provider holds (fetched later) or sent inline."""

    content_type: str
    provider_id: str | None = None
    url: str | None = None
    filename: str | None = None
    caption: str | None = None
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """Something a customer said or did on a channel, in neutral form."""

    external_id: str
    identity_kind: str
    identity_value: str
    text: str
    occurred_at: datetime
    sender_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    media: tuple[MediaRef, ...] = ()
    # Provider ids this message answers (email In-Reply-To/References, a comment's parent).
    replies_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """The provider's news about one of our outbound messages."""

    external_id: str
    status: DeliveryStatus
    occurred_at: datetime
    error: str | None = None


@dataclass(frozen=True, slots=True)
class InteractionUpdate:
    """News about an interaction already on the timeline: a call that ended, its recording.

    ``metadata`` is merged into the interaction's, ``text`` (when given) replaces its text and
    ``media`` become its attachments, each URL or provider id once. When the interaction is not
    there (events arrive out of order, or the provider never sent its start), ``fallback`` is
    stored instead and the update applied to it; without one the update is counted unmatched.
    """

    external_id: str
    occurred_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)
    text: str | None = None
    media: tuple[MediaRef, ...] = ()
    fallback: InboundMessage | None = None


@dataclass(frozen=True, slots=True)
class ParsedDelivery:
    """Everything one webhook delivery carried; ``ignored`` names events we do not handle."""

    messages: tuple[InboundMessage, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()
    ignored: tuple[str, ...] = ()
    updates: tuple[InteractionUpdate, ...] = ()


@dataclass(frozen=True, slots=True)
class HandshakeReply:
    """What to answer a provider's verification request."""

    status: int
    body: str
    media_type: str = "text/plain"


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A message to send: text, or a provider template with parameters."""

    recipient: str  # the identity value (E.164 phone, email, PSID, user id, ...)
    text: str
    template_name: str | None = None
    template_language: str | None = None
    template_parameters: tuple[str, ...] = ()
    # Provider ids of what this answers (email threading, the comment to reply to).
    in_reply_to: tuple[str, ...] = ()
    subject: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendResult:
    """The provider accepted the message under this id."""

    external_id: str
    status: DeliveryStatus = DeliveryStatus.SENT


class Connection(ABC):
    """A provider bound to one configured channel."""

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config

    def handshake(self, request: WebhookRequest) -> HandshakeReply | None:
        """Answer a verification challenge, or None when this is not one."""
        return None

    @abstractmethod
    def verify(self, request: WebhookRequest) -> None:
        """Raise SignatureInvalid unless the request really comes from the provider."""

    @abstractmethod
    def parse(self, request: WebhookRequest) -> ParsedDelivery:
        """The neutral events in a verified request; MalformedPayload when it cannot be read."""

    def send(self, message: OutboundMessage) -> SendResult:
        """Send ``message`` through the provider; raises a ChannelError on failure."""
        from unisono.channels.errors import Rejected

        raise Rejected(f"{self.config.kind} channels cannot send messages")

    def fetch_media(self, ref: MediaRef) -> tuple[bytes, str | None]:
        """The bytes (and content type) of media the provider holds; a ChannelError if not."""
        from unisono.channels.errors import Rejected

        raise Rejected(f"{self.config.kind} channels cannot fetch media")

    def ack(self) -> HandshakeReply:
        """What to answer the provider once a delivery is stored."""
        return HandshakeReply(200, "", "text/plain")


class Provider(ABC):
    """A stateless descriptor of one channel kind."""

    kind: ClassVar[str]
    display_name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    credential_keys: ClassVar[tuple[str, ...]] = ()
    # With Capability.SERVICE_WINDOW: how long after the customer's last message free text is ok.
    service_window: ClassVar[timedelta | None] = None
    # Credentials that may be left out (e.g. an access token only needed to send).
    optional_credential_keys: ClassVar[tuple[str, ...]] = ()
    # False for channels that reach the customer without a handle (a letter goes by post).
    needs_recipient: ClassVar[bool] = True
    # Settings a channel of this kind cannot work without (e.g. X's own account id).
    required_settings: ClassVar[tuple[str, ...]] = ()

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @abstractmethod
    def connect(self, config: ChannelConfig) -> Connection:
        """A connection for ``config``."""
