"""Ingesting an interaction from any channel: resolve the customer, thread, persist once."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.config import get_settings
from unisono.errors import Invalid
from unisono.identity.normalize import Handle, name_key, normalize_handle
from unisono.identity.resolve import lock_owners, resolve_customer
from unisono.inbox.threading import active_conversation, join_or_open, note_outbound
from unisono.integrations.events import publish
from unisono.integrations.payloads import conversation_data, interaction_data
from unisono.models import (
    Author,
    ChannelKind,
    Conversation,
    Customer,
    DeliveryStatus,
    Direction,
    Identity,
    Interaction,
)
from unisono.security.actor import Actor
from unisono.security.audit import record_audit

MAX_TEXT_LENGTH = 100_000
MAX_FUTURE_SKEW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class NewInteraction:
    """A channel-neutral interaction as an adapter or integration hands it over."""

    channel: str
    identity_kind: str
    identity_value: str
    direction: Direction
    text: str
    occurred_at: datetime
    external_id: str | None = None
    customer_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    channel_id: uuid.UUID | None = None
    author: Author | None = None


def check_new_interaction(item: NewInteraction) -> None:
    """Refuse what cannot be stored sensibly, before anything is written."""
    try:
        ChannelKind(item.channel)
    except ValueError as exc:
        raise Invalid(
            f"'{item.channel}' is not a channel kind; use one of {', '.join(ChannelKind)}"
        ) from exc
    if item.direction not in (Direction.INBOUND, Direction.OUTBOUND):
        raise Invalid("direction must be inbound or outbound")
    if len(item.text) > MAX_TEXT_LENGTH:
        raise Invalid(f"text is longer than {MAX_TEXT_LENGTH} characters")
    if item.occurred_at.tzinfo is None:
        raise Invalid("occurred_at needs a timezone, e.g. 2026-03-01T09:10:00+01:00")
    if item.occurred_at > utcnow() + MAX_FUTURE_SKEW:
        raise Invalid("occurred_at is in the future")
    if item.external_id is not None and not 0 < len(item.external_id) <= 255:
        raise Invalid("external_id is 1 to 255 characters")


def _existing(session: Session, channel: str, external_id: str | None) -> Interaction | None:
    if external_id is None:
        return None
    return session.scalar(
        select(Interaction).where(
            Interaction.channel == channel, Interaction.external_id == external_id
        )
    )


@dataclass(slots=True)
class Lookahead:
    """What several interactions about to be ingested in one transaction need, looked up
    together (a statement for all instead of a few for each; see ``look_ahead``)."""

    #: ``(channel, external_id)`` stored by nobody when looked up. Each answers once: another
    #: interaction with the same pair (a redelivery in the same batch) asks the database. One
    #: stored concurrently since is caught by the unique constraint, as without a lookahead.
    absent: set[tuple[str, str]] = field(default_factory=set)
    #: The customers, row-locked until the transaction ends, and identities of known handles.
    owners: dict[Handle, tuple[Customer, Identity]] = field(default_factory=dict)

    def known_absent(self, item: NewInteraction) -> bool:
        key = (item.channel, item.external_id)
        if item.external_id is not None and key in self.absent:
            self.absent.discard(key)
            return True
        return False


def look_ahead(session: Session, items: Iterable[NewInteraction]) -> Lookahead:
    """Which of ``items`` are not stored yet and who their senders are, in one statement each;
    the senders' customers are locked (in id order) until the transaction ends. Items that
    ``do_ingest_interaction`` would refuse are left out: it refuses them as usual."""
    region = get_settings().default_region
    keys: dict[str, set[str]] = {}
    handles: set[Handle] = set()
    for item in items:
        try:
            check_new_interaction(item)
            handles.add(normalize_handle(item.identity_kind, item.identity_value, region=region))
        except Invalid:
            continue
        if item.external_id is not None:
            keys.setdefault(item.channel, set()).add(item.external_id)
    wanted = {(channel, external_id) for channel, ids in keys.items() for external_id in ids}
    return Lookahead(absent=wanted - _stored(session, keys), owners=lock_owners(session, handles))


def _stored(session: Session, keys: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Which of the external ids (by channel) are stored, in one statement."""
    if not keys:
        return set()
    query = select(Interaction.channel, Interaction.external_id).where(
        or_(
            *(
                and_(Interaction.channel == c, Interaction.external_id.in_(e))
                for c, e in keys.items()
            )
        )
    )
    return {
        (channel, external_id) for channel, external_id in session.execute(query) if external_id
    }


def do_ingest_interaction(
    session: Session, actor: Actor, item: NewInteraction, lookahead: Lookahead | None = None
) -> tuple[Interaction, bool]:
    """Store ``item`` on its customer's timeline; ``(interaction, created)``.

    The same ``(channel, external_id)`` again returns the stored interaction and changes nothing.
    ``lookahead`` (from ``look_ahead`` in this transaction) saves looking up what it knows.
    """
    check_new_interaction(item)
    handle = normalize_handle(
        item.identity_kind, item.identity_value, region=get_settings().default_region
    )
    if lookahead is None or not lookahead.known_absent(item):
        existing = _existing(session, item.channel, item.external_id)
        if existing is not None:
            return existing, False
    try:
        with session.begin_nested():
            interaction = _store(session, actor, item, handle, lookahead)
    except IntegrityError:
        # A concurrent delivery of the same provider message won the race.
        existing = _existing(session, item.channel, item.external_id)
        if existing is None:
            raise
        return existing, False
    return interaction, True


def _store(
    session: Session,
    actor: Actor,
    item: NewInteraction,
    handle: Handle,
    lookahead: Lookahead | None,
) -> Interaction:
    # Locked: threading is serialised per customer, two messages at once must not open two
    # conversations.
    owner = lookahead.owners.get(handle) if lookahead else None
    if owner is not None:
        customer, identity = owner
    else:
        customer, identity, _ = resolve_customer(
            session,
            handle,
            raw_value=item.identity_value,
            display_name=item.customer_name,
            lock=True,
        )
    if item.customer_name and not customer.display_name:
        customer.display_name = item.customer_name.strip()[:300]
        customer.name_key = name_key(customer.display_name)
    at = item.occurred_at
    new_conversation = False
    if item.direction == Direction.INBOUND:
        conversation: Conversation | None
        conversation, new_conversation = join_or_open(
            session, customer, at, subject=str(item.metadata.get("subject") or item.text)[:120]
        )
        author = item.author or Author.CUSTOMER
        status = None
    else:
        conversation = active_conversation(session, customer, at)
        author = item.author or Author.SYSTEM
        if conversation is not None:
            note_outbound(conversation, at, answers_customer=author == Author.OPERATOR)
        status = DeliveryStatus.SENT
    interaction = Interaction(
        customer_id=customer.id,
        conversation_id=conversation.id if conversation else None,
        channel=item.channel,
        channel_id=item.channel_id,
        identity_id=identity.id,
        direction=item.direction,
        author=author,
        text=item.text,
        meta=item.metadata,
        external_id=item.external_id,
        occurred_at=at,
        delivery_status=status,
    )
    session.add(interaction)
    session.flush()
    if conversation is not None and new_conversation:
        publish(session, "conversation.created", conversation_data(conversation))
    publish(session, "message.created", interaction_data(interaction))
    record_audit(
        session,
        actor,
        "interaction.ingested",
        "interaction",
        interaction.id,
        customer_id=customer.id,
        details={"channel": item.channel},
    )
    return interaction
