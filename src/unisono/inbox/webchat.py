"""Webchat visitors: who is behind a widget, their messages in, their replies out.

A visitor is identified by the widget's hello. An anonymous one by the random id the widget
keeps in localStorage (identity kind ``webchat``); a customer logged in on the site by the site's
user id, vouched for by ``HMAC-SHA256(site_key, user_id)`` computed on the site's server
(identity kind ``webchat_user``). The customer is created lazily, at the first message or
identify, so page views that never chat leave no trace.

Replies reach the browser by polling, not by a push from the worker: the worker and the socket
may live in different processes, so the database row is the only shared truth. Each socket
asks, about once a second, for its visitor's webchat interactions newer than a cursor, on the
``(customer_id, occurred_at)`` index. PostgreSQL's LISTEN/NOTIFY could later wake the sockets
instead of the timer, with this same query still doing the reading.

What a widget sees is scoped to its own identity, not to the whole customer: an ``identify``
is an unverified claim that may merge the visitor into another customer, and it must not show
the visitor that customer's conversations.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.config import get_settings
from unisono.errors import Conflict, Invalid
from unisono.identity.merge import do_merge_customers
from unisono.identity.normalize import Handle, normalize_handle
from unisono.identity.resolve import do_add_identity, find_identity, resolve_customer
from unisono.inbox.ingest import NewInteraction, do_ingest_interaction
from unisono.models import (
    Channel,
    ChannelKind,
    DeliveryStatus,
    Direction,
    Identity,
    Interaction,
)
from unisono.security.actor import Actor

CHANNEL = ChannelKind.WEBCHAT.value
ANONYMOUS_KIND = "webchat"
USER_KIND = "webchat_user"
# A browser frame larger than this is refused unread: chat messages are short.
MAX_FRAME_BYTES = 16_384
MAX_MESSAGE_LENGTH = 4_000
HISTORY_LIMIT = 50
POLL_LIMIT = 100
# The widget makes these; anything else is a hand-made client we need not indulge.
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_USER_ID_LENGTH = 255
ACTOR = Actor(operator=None, via="webchat")
VISIBLE_OUTBOUND = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ)


class Refused(Invalid):
    """The visitor cannot be let in (a forged user hash): the socket is closed after saying so."""


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who is behind one widget connection."""

    channel_id: uuid.UUID
    handle: Handle
    logged_in: bool

    @property
    def message_key(self) -> str:
        """A short stable prefix that makes one visitor's client ids unique in the channel kind."""
        return hashlib.sha256(str(self.handle).encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a socket's poll is: everything before ``since``, and ``seen`` at it, was handled."""

    since: datetime
    seen: frozenset[uuid.UUID] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Identified:
    """What an identify did: the handle was attached, already known, or caused a merge."""

    customer_id: uuid.UUID
    merged: bool


# -- origins and hello -----------------------------------------------------------------------


def normalize_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` in lower case, or None when ``origin`` is not an http(s) origin."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def origin_allowed(settings: Mapping[str, Any], origin: str | None) -> bool:
    """Whether a page at ``origin`` may open the channel's socket (``allowed_origins``)."""
    if not origin:
        return False
    wanted = normalize_origin(origin)
    allowed = settings.get("allowed_origins") or []
    if wanted is None or not isinstance(allowed, list):
        return False
    return any(isinstance(a, str) and normalize_origin(a) == wanted for a in allowed)


def user_hash(site_key: str, user_id: str) -> str:
    """What the site's server computes to vouch for a logged-in user."""
    return hmac.new(site_key.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def _string(frame: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = frame.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise Invalid(f"'{key}' must be a string")
    return value


def visitor_from_hello(channel_id: uuid.UUID, site_key: str, frame: Mapping[str, Any]) -> Visitor:
    """The visitor a hello frame names; Invalid on a malformed hello, Refused on a forged one."""
    if frame.get("type") != "hello":
        raise Invalid("the first frame must be a hello")
    user_id = _string(frame, "user_id")
    given_hash = _string(frame, "user_hash")
    if user_id:
        if len(user_id) > MAX_USER_ID_LENGTH:
            raise Invalid(f"user_id is at most {MAX_USER_ID_LENGTH} characters")
        expected = user_hash(site_key, user_id)
        # Constant time: the hash is a credential, not a value to be guessed byte by byte.
        if not given_hash or not hmac.compare_digest(given_hash.lower(), expected):
            raise Refused("the user hash does not match this user id")
        return Visitor(channel_id, normalize_handle(USER_KIND, user_id), logged_in=True)
    visitor_id = _string(frame, "visitor_id", required=True) or ""
    if not VISITOR_ID.fullmatch(visitor_id):
        raise Invalid("visitor_id must be 8 to 64 letters, digits, '-' or '_'")
    return Visitor(channel_id, Handle(ANONYMOUS_KIND, visitor_id), logged_in=False)


# -- messages in -------------------------------------------------------------------------------


def check_message(frame: Mapping[str, Any]) -> tuple[str, str]:
    """``(text, client_id)`` of a message frame; Invalid when either is missing or wrong."""
    text = (_string(frame, "text", required=True) or "").strip()
    client_id = _string(frame, "client_id", required=True) or ""
    if not text:
        raise Invalid("the message is empty")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise Invalid(f"the message is longer than {MAX_MESSAGE_LENGTH} characters")
    if not CLIENT_ID.fullmatch(client_id):
        raise Invalid("client_id must be 1 to 64 letters, digits or '-_.:'")
    return text, client_id


def do_webchat_message(
    session: Session, channel: Channel, visitor: Visitor, text: str, client_id: str
) -> tuple[Interaction, bool]:
    """Store a visitor's message once per ``client_id``; ``(interaction, created)``.

    The widget resends unacknowledged messages after a reconnect with the same client id; the
    external id prefixes it with the visitor's key so two visitors' ids can never collide.
    """
    return do_ingest_interaction(
        session,
        ACTOR,
        NewInteraction(
            channel=CHANNEL,
            identity_kind=visitor.handle.kind,
            identity_value=visitor.handle.value,
            direction=Direction.INBOUND,
            text=text,
            occurred_at=utcnow(),
            external_id=f"{visitor.message_key}:{client_id}",
            metadata={"client_id": client_id, "logged_in": visitor.logged_in},
            channel_id=channel.id,
        ),
    )


# -- identify ----------------------------------------------------------------------------------


def check_identify(frame: Mapping[str, Any]) -> list[Handle]:
    """The handles an identify frame gives (an email, a phone, or both), normalised."""
    region = get_settings().default_region
    handles = []
    for kind in ("email", "phone"):
        value = _string(frame, kind)
        if value is not None and value.strip():
            handles.append(normalize_handle(kind, value, region=region))
    if not handles:
        raise Invalid("identify needs an email or a phone")
    return handles


def do_webchat_identify(
    session: Session, visitor: Visitor, handles: Sequence[Handle]
) -> Identified:
    """Attach the visitor's email or phone to their customer, merging into its owner if known.

    Only an anonymous visitor may identify (a logged-in one is known by the site already), and a
    merge only ever folds a visitor-only customer into the owner, never an established customer
    into another on an unverified claim: then the handle is just not attached (Conflict).
    """
    if visitor.logged_in:
        raise Invalid("logged-in visitors are identified by the site")
    customer, _, _ = resolve_customer(session, visitor.handle, raw_value=visitor.handle.value)
    merged = False
    for handle in handles:
        owner = find_identity(session, handle)
        if owner is None:
            do_add_identity(session, customer, handle, raw_value=handle.value, verified=False)
        elif owner.customer_id != customer.id:
            kinds = set(
                session.scalars(select(Identity.kind).where(Identity.customer_id == customer.id))
            )
            if kinds - {ANONYMOUS_KIND}:
                raise Conflict(f"{handle.kind} belongs to another customer")
            survivor_id = owner.customer_id
            do_merge_customers(session, ACTOR, survivor_id, customer.id)
            customer = session.get_one(type(customer), survivor_id)
            merged = True
    return Identified(customer.id, merged)


# -- messages out ------------------------------------------------------------------------------


def message_frame(interaction: Interaction) -> dict[str, Any]:
    """The widget's view of one interaction."""
    frame: dict[str, Any] = {
        "type": "message",
        "id": str(interaction.id),
        "from": "visitor" if interaction.direction == Direction.INBOUND else "operator",
        "text": interaction.text,
        "at": interaction.occurred_at.isoformat(),
    }
    client_id = (interaction.meta or {}).get("client_id")
    if isinstance(client_id, str):
        frame["client_id"] = client_id
    return frame


def _visible(interaction: Interaction) -> bool:
    return interaction.direction == Direction.INBOUND or (
        interaction.delivery_status in VISIBLE_OUTBOUND
    )


def _mine(identity: Identity) -> Any:
    # customer_id first: the filter runs on the (customer_id, occurred_at) timeline index.
    return (
        Interaction.customer_id == identity.customer_id,
        Interaction.identity_id == identity.id,
        Interaction.channel == CHANNEL,
        Interaction.direction != Direction.NOTE,
    )


def history(session: Session, visitor: Visitor, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """The visitor's last ``limit`` messages, oldest first."""
    identity = find_identity(session, visitor.handle)
    if identity is None:
        return []
    found = session.scalars(
        select(Interaction)
        .where(*_mine(identity))
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(limit)
    )
    return [message_frame(i) for i in reversed(list(found)) if _visible(i)]


def start_cursor(session: Session, visitor: Visitor) -> Cursor:
    """Where a new socket starts polling: now, or at the oldest reply not sent yet."""
    now = utcnow()
    identity = find_identity(session, visitor.handle)
    if identity is None:
        return Cursor(now)
    pending = session.scalar(
        select(Interaction.occurred_at)
        .where(*_mine(identity), Interaction.delivery_status == DeliveryStatus.QUEUED)
        .order_by(Interaction.occurred_at)
        .limit(1)
    )
    return Cursor(min(now, pending) if pending else now)


def new_messages(
    session: Session, visitor: Visitor, cursor: Cursor
) -> tuple[list[dict[str, Any]], Cursor]:
    """What the visitor has not been shown since ``cursor``, and the cursor after it.

    A reply still queued stops the scan: it becomes visible once the worker marks it sent, and
    anything after it waits so the widget never shows replies out of order.
    """
    identity = find_identity(session, visitor.handle)
    if identity is None:
        return [], cursor
    found = session.scalars(
        select(Interaction)
        .where(*_mine(identity), Interaction.occurred_at >= cursor.since)
        .order_by(Interaction.occurred_at, Interaction.id)
        .limit(POLL_LIMIT)
    )
    since, seen = cursor.since, set(cursor.seen)
    frames = []
    for interaction in found:
        if interaction.id in seen:
            continue
        if interaction.delivery_status == DeliveryStatus.QUEUED:
            break
        if interaction.occurred_at > since:
            since, seen = interaction.occurred_at, set()
        seen.add(interaction.id)
        if _visible(interaction):
            frames.append(message_frame(interaction))
    return frames, Cursor(since, frozenset(seen))
