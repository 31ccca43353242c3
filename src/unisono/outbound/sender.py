"""Sending queued outbound interactions through their channel's adapter.

The database row is the source of truth: an interaction is ``queued`` until a send succeeds or
fails for good. Sending happens in three steps so no transaction is open while a provider is
called: claim (take a lease on the row, commit), call the provider, record the outcome (commit).
A worker that dies mid-send leaves a lease that expires, and the message is tried again.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from unisono.backoff import backoff
from unisono.channels.base import Connection, OutboundMessage
from unisono.channels.errors import ChannelError, RateLimited
from unisono.channels.registry import find_provider
from unisono.clock import utcnow
from unisono.inbox.channel_config import channel_for_kind, connection_for
from unisono.models import (
    Channel,
    DeliveryAttempt,
    DeliveryStatus,
    Direction,
    Identity,
    Interaction,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# How long a claimed send is reserved for the worker that claimed it.
LEASE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Claim:
    """A send reserved for this worker: what to send, through which connection."""

    interaction_id: uuid.UUID
    attempt: int
    connection: Connection | None
    message: OutboundMessage | None
    problem: str | None = None


def _message(session: Session, interaction: Interaction) -> OutboundMessage | None:
    identity = session.get(Identity, interaction.identity_id) if interaction.identity_id else None
    provider = find_provider(interaction.channel)
    if identity is None and (provider is None or provider.needs_recipient):
        return None
    meta = interaction.meta or {}
    return OutboundMessage(
        recipient=identity.value if identity else "",
        text=interaction.text,
        template_name=meta.get("template_name"),
        template_language=meta.get("template_language"),
        template_parameters=tuple(str(p) for p in meta.get("template_parameters", ())),
        in_reply_to=tuple(str(r) for r in meta.get("in_reply_to", ())),
        subject=meta.get("subject"),
        metadata=meta,
    )


def claim_due_sends(session: Session, now: datetime, limit: int = 20) -> list[Claim]:
    """Reserve queued sends that are due; the caller commits, then sends outside a transaction."""
    rows = session.scalars(
        select(Interaction)
        .where(
            Interaction.direction == Direction.OUTBOUND,
            Interaction.delivery_status == DeliveryStatus.QUEUED,
            or_(Interaction.next_attempt_at.is_(None), Interaction.next_attempt_at <= now),
        )
        .order_by(Interaction.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claims = []
    for interaction in rows:
        interaction.send_attempts += 1
        interaction.next_attempt_at = now + LEASE
        channel = (
            session.get(Channel, interaction.channel_id)
            if interaction.channel_id
            else channel_for_kind(session, interaction.channel)
        )
        problem = None
        connection = None
        message = _message(session, interaction)
        if channel is None or not channel.active:
            problem = f"no active {interaction.channel} channel is configured"
        elif message is None:
            problem = "the customer has no handle on this channel"
        else:
            interaction.channel_id = channel.id
            try:
                connection = connection_for(channel)
            except Exception as exc:  # noqa: BLE001 - a broken channel config fails the send
                problem = f"the channel cannot be used: {exc}"
        claims.append(
            Claim(interaction.id, interaction.send_attempts, connection, message, problem)
        )
    return claims


def record_outcome(
    session: Session,
    claim: Claim,
    *,
    external_id: str | None = None,
    error: ChannelError | None = None,
    problem: str | None = None,
) -> None:
    """Write the attempt and move the interaction to sent, retry later, or failed."""
    interaction = session.get_one(Interaction, claim.interaction_id)
    now = utcnow()
    if external_id is not None:
        interaction.external_id = external_id
        interaction.delivery_status = DeliveryStatus.SENT
        interaction.delivery_error = None
        interaction.next_attempt_at = None
        outcome = "sent"
    elif error is not None and error.transient and claim.attempt < MAX_ATTEMPTS:
        retry_after = error.retry_after if isinstance(error, RateLimited) else None
        interaction.next_attempt_at = now + backoff(claim.attempt, retry_after)
        interaction.delivery_error = f"{error.detail} (attempt {claim.attempt}, will retry)"
        outcome = "retry"
    else:
        interaction.delivery_status = DeliveryStatus.FAILED
        interaction.delivery_error = problem or (error.detail if error else "unknown failure")
        interaction.next_attempt_at = None
        outcome = "failed"
    session.add(
        DeliveryAttempt(
            interaction_id=interaction.id,
            number=claim.attempt,
            outcome=outcome,
            error_code=type(error).__name__ if error else ("config" if problem else None),
            error=(error.detail if error else problem),
            provider_message_id=external_id,
        )
    )


def send_due(sessions: sessionmaker[Session], limit: int = 20) -> int:
    """Claim, send and record one batch of due messages; returns how many were tried."""
    with sessions() as session, session.begin():
        claims = claim_due_sends(session, utcnow(), limit)
    for claim in claims:
        external_id: str | None = None
        error: ChannelError | None = None
        if claim.problem is None and claim.connection and claim.message:
            try:
                external_id = claim.connection.send(claim.message).external_id
            except ChannelError as exc:
                error = exc
            except Exception as exc:
                log.exception("adapter failed sending %s", claim.interaction_id)
                error = ChannelError(f"unexpected adapter error: {exc}")
        with sessions() as session, session.begin():
            record_outcome(
                session, claim, external_id=external_id, error=error, problem=claim.problem
            )
    return len(claims)
