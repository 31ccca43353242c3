"""Operator replies and internal notes: interactions an operator adds to a conversation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unisono.channels.base import Capability
from unisono.channels.registry import find_provider
from unisono.clock import utcnow
from unisono.errors import Invalid
from unisono.identity.normalize import CHANNEL_IDENTITY_KIND
from unisono.inbox.ingest import MAX_TEXT_LENGTH
from unisono.inbox.mentions import do_record_mentions
from unisono.inbox.threading import note_outbound
from unisono.integrations.events import publish
from unisono.integrations.payloads import interaction_data
from unisono.models import (
    Author,
    Channel,
    ChannelKind,
    Conversation,
    DeliveryStatus,
    Direction,
    Identity,
    Interaction,
)
from unisono.security.actor import Actor
from unisono.security.audit import record_audit

# Notes belong to no customer-facing channel.
NOTE_CHANNEL = "internal"
# Channels an operator can write on from the inbox (calls and visits are recorded, not sent).
REPLY_CHANNELS = frozenset(
    {
        ChannelKind.EMAIL,
        ChannelKind.SMS,
        ChannelKind.WHATSAPP,
        ChannelKind.MESSENGER,
        ChannelKind.FACEBOOK_COMMENTS,
        ChannelKind.X,
        ChannelKind.WEBCHAT,
        ChannelKind.APP,
        ChannelKind.LETTER,
    }
)


def _check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise Invalid("the message is empty", reason="empty_message")
    if len(text) > MAX_TEXT_LENGTH:
        raise Invalid(
            f"the message is longer than {MAX_TEXT_LENGTH} characters", reason="message_too_long"
        )
    return text


def default_reply_channel(session: Session, conversation: Conversation) -> str:
    """The channel the customer last wrote on (in this conversation, else anywhere)."""
    for where in (
        Interaction.conversation_id == conversation.id,
        Interaction.customer_id == conversation.customer_id,
    ):
        channel = session.scalar(
            select(Interaction.channel)
            .where(
                where,
                Interaction.direction == Direction.INBOUND,
                Interaction.channel.in_(REPLY_CHANNELS),
            )
            .order_by(Interaction.occurred_at.desc())
            .limit(1)
        )
        if channel:
            return channel
    raise Invalid(
        "the customer has not written on a channel we can answer on; choose one",
        reason="no_reply_channel",
    )


def _recipient(session: Session, conversation: Conversation, channel: str) -> Identity | None:
    kind = CHANNEL_IDENTITY_KIND.get(channel)
    if kind is None:
        return None
    # Prefer the handle the customer last used on this very channel.
    used = session.scalar(
        select(Identity)
        .join(Interaction, Interaction.identity_id == Identity.id)
        .where(
            Interaction.customer_id == conversation.customer_id,
            Interaction.channel == channel,
            Identity.customer_id == conversation.customer_id,
        )
        .order_by(Interaction.occurred_at.desc())
        .limit(1)
    )
    return used or session.scalar(
        select(Identity)
        .where(Identity.customer_id == conversation.customer_id, Identity.kind == kind)
        .order_by(Identity.verified.desc(), Identity.created_at.desc())
        .limit(1)
    )


def check_service_window(
    session: Session, conversation: Conversation, channel: str, *, template: bool
) -> None:
    """Invalid when the channel only takes free text shortly after the customer's last message."""
    provider = find_provider(channel)
    if template or provider is None or not provider.supports(Capability.SERVICE_WINDOW):
        return
    window = provider.service_window
    last = session.scalar(
        select(Interaction.occurred_at)
        .where(
            Interaction.customer_id == conversation.customer_id,
            Interaction.channel == channel,
            Interaction.direction == Direction.INBOUND,
        )
        .order_by(Interaction.occurred_at.desc())
        .limit(1)
    )
    if window is not None and (last is None or utcnow() - last > window):
        hours = int(window.total_seconds() // 3600)
        raise Invalid(
            f"{provider.display_name} accepts free-form messages only within {hours} hours of "
            "the customer's last message; send an approved template instead",
            reason="service_window_closed",
        )


def reply_target(session: Session, conversation: Conversation, channel: str) -> dict[str, Any]:
    """For threaded channels, the message a reply answers: the customer's latest on it.

    Page comments answer under the thread's top comment (``reply_to_comment_id``); email
    answers the customer's Message-ID, so mail clients thread the reply.
    """
    provider = find_provider(channel)
    if provider is None or not provider.supports(Capability.THREADED):
        return {}
    last = session.scalar(
        select(Interaction)
        .where(
            Interaction.conversation_id == conversation.id,
            Interaction.channel == channel,
            Interaction.direction == Direction.INBOUND,
        )
        .order_by(Interaction.occurred_at.desc())
        .limit(1)
    )
    if last is None:
        return {}
    target = (last.meta or {}).get("reply_to_comment_id") or last.external_id
    # The whole chain (the customer's own References, then the message answered), so mail
    # clients thread the reply; the last id is the one answered.
    earlier = [str(r) for r in (last.meta or {}).get("replies_to", []) if r != target]
    meta: dict[str, Any] = {"in_reply_to": [*earlier, str(target)]} if target else {}
    subject = (last.meta or {}).get("subject")
    if subject:
        meta["subject"] = subject if str(subject).lower().startswith("re:") else f"Re: {subject}"
    return meta


def do_reply(
    session: Session,
    actor: Actor,
    conversation: Conversation,
    text: str,
    *,
    channel: str | None = None,
) -> Interaction:
    """Queue an operator reply on ``channel`` (default: the customer's last inbound channel)."""
    text = _check_text(text)
    channel = channel or default_reply_channel(session, conversation)
    check_service_window(session, conversation, channel, template=False)
    if channel not in REPLY_CHANNELS:
        raise Invalid(
            f"cannot reply on '{channel}'; choose one of {', '.join(sorted(REPLY_CHANNELS))}",
            reason="not_a_reply_channel",
        )
    return queue_outbound(session, actor, conversation, channel, text)


def queue_outbound(
    session: Session,
    actor: Actor,
    conversation: Conversation,
    channel: str,
    text: str,
    *,
    meta: Mapping[str, Any] | None = None,
    action: str = "conversation.replied",
    details: Mapping[str, Any] | None = None,
) -> Interaction:
    """Queue an operator's outbound interaction on ``channel`` to the conversation's customer.

    The caller has checked the text, the channel and its service window. ``meta`` is merged
    over the reply target (threading) and read by the sender (subject, template fields); the
    audit event is ``action`` with ``details`` beside the channel.
    """
    recipient = _recipient(session, conversation, channel)
    stored = {**reply_target(session, conversation, channel), **(meta or {})}
    if recipient is None and channel != ChannelKind.LETTER:
        raise Invalid(
            f"the customer has no {CHANNEL_IDENTITY_KIND[channel]} to reach on {channel}",
            reason="no_recipient",
        )
    now = utcnow()
    interaction = Interaction(
        customer_id=conversation.customer_id,
        conversation_id=conversation.id,
        channel=channel,
        identity_id=recipient.id if recipient else None,
        direction=Direction.OUTBOUND,
        author=Author.OPERATOR,
        operator_id=actor.operator_id,
        text=text,
        meta=stored,
        occurred_at=now,
        delivery_status=DeliveryStatus.QUEUED,
    )
    session.add(interaction)
    note_outbound(conversation, now, answers_customer=True)
    session.flush()
    publish(session, "message.created", interaction_data(interaction))
    record_audit(
        session,
        actor,
        action,
        "interaction",
        interaction.id,
        customer_id=conversation.customer_id,
        details={"channel": channel, **(details or {})},
    )
    return interaction


def do_add_note(
    session: Session, actor: Actor, conversation: Conversation, text: str
) -> Interaction:
    """Add an internal note, seen by operators only."""
    text = _check_text(text)
    now = utcnow()
    note = Interaction(
        customer_id=conversation.customer_id,
        conversation_id=conversation.id,
        channel=NOTE_CHANNEL,
        direction=Direction.NOTE,
        author=Author.OPERATOR,
        operator_id=actor.operator_id,
        text=text,
        occurred_at=now,
    )
    session.add(note)
    session.flush()
    do_record_mentions(session, actor, note)
    publish(session, "message.created", interaction_data(note))
    record_audit(
        session,
        actor,
        "conversation.noted",
        "interaction",
        note.id,
        customer_id=conversation.customer_id,
    )
    return note


@dataclass(frozen=True, slots=True)
class ReplyOption:
    """A channel an operator may pick to answer on, and why free text cannot go there now."""

    channel: str
    # None when a free-text reply can go out now; else a code: ``not_configured`` (no active
    # channel of this kind sends it), ``service_window_closed`` (approved templates only).
    blocked: str | None = None
    window_hours: int | None = None
    last_inbound_at: datetime | None = None


def reply_options(
    session: Session, conversation: Conversation, *, identity_kinds: set[str] | None = None
) -> list[ReplyOption]:
    """The channels ``conversation``'s customer can be reached on: those the customer has a
    handle for (a letter needs none), each with what stops a free-text reply (three queries).

    ``identity_kinds``: the kinds of the customer's identities, when the caller has them loaded.
    """
    handles = (
        identity_kinds
        if identity_kinds is not None
        else set(
            session.scalars(
                select(Identity.kind)
                .where(Identity.customer_id == conversation.customer_id)
                .distinct()
            )
        )
    )
    configured = set(
        session.scalars(select(Channel.kind).where(Channel.active.is_(True)).distinct())
    )
    windows = {
        kind.value: provider.service_window
        for kind in REPLY_CHANNELS
        if (provider := find_provider(kind)) is not None
        and provider.supports(Capability.SERVICE_WINDOW)
        and provider.service_window is not None
    }
    rows = session.execute(
        select(Interaction.channel, func.max(Interaction.occurred_at))
        .where(
            Interaction.customer_id == conversation.customer_id,
            Interaction.direction == Direction.INBOUND,
            Interaction.channel.in_(list(windows)),
        )
        .group_by(Interaction.channel)
    )
    last_inbound: dict[str, datetime] = {row[0]: row[1] for row in rows}
    now = utcnow()
    options = []
    for kind in sorted(REPLY_CHANNELS, key=list(ChannelKind).index):
        channel = kind.value
        needs = CHANNEL_IDENTITY_KIND.get(channel)
        if channel == ChannelKind.LETTER:
            if channel not in configured:
                continue  # every customer could get a letter: offer it only when we send them
        elif needs not in handles:
            continue
        window = windows.get(channel)
        last = last_inbound.get(channel)
        blocked = None
        if channel not in configured:
            blocked = "not_configured"
        elif window is not None and (last is None or now - last > window):
            blocked = "service_window_closed"
        options.append(
            ReplyOption(
                channel=channel,
                blocked=blocked,
                window_hours=int(window.total_seconds() // 3600) if window else None,
                last_inbound_at=last,
            )
        )
    return options
