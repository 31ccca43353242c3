"""Call notes: an operator writes down a phone call no telephony integration reported.

A call taken on a desk phone, or made from a mobile, still belongs on the customer's timeline:
the note is an interaction on the ``voice`` channel, inbound when the customer called and
outbound when we did, written by the operator (``author`` operator, whoever dialled). Like a
visit it joins the customer's active conversation but never opens one and never counts as an
answer: the call was handled live, there is nothing left to wait for in the inbox.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.customers.access import access_customer
from unisono.errors import Conflict, Invalid
from unisono.inbox.ingest import MAX_FUTURE_SKEW, MAX_TEXT_LENGTH
from unisono.inbox.threading import active_conversation
from unisono.integrations.events import publish
from unisono.integrations.payloads import interaction_data
from unisono.models import Author, ChannelKind, Direction, Interaction
from unisono.security.actor import Actor
from unisono.security.audit import record_audit

MAX_OUTCOME_LENGTH = 2_000
# A call note is written during or after a call; eight hours is longer than any call.
MAX_DURATION_MINUTES = 8 * 60


@dataclass(frozen=True, slots=True)
class CallNote:
    """A call as the operator describes it; nothing in it is trusted yet."""

    text: str
    direction: Direction = Direction.INBOUND
    occurred_at: datetime | None = None
    duration_minutes: int | None = None
    outcome: str | None = None


def _clean(value: str | None, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if "\x00" in value:
        raise Invalid(f"{name} must not contain NUL (\\u0000) characters")
    value = value.strip()
    if len(value) > limit:
        raise Invalid(f"{name} is longer than {limit} characters", reason=f"{name}_too_long")
    return value or None


def check_call_note(note: CallNote, now: datetime) -> CallNote:
    """``note`` validated: a text, a direction, a past moment in UTC, a plausible length."""
    text = _clean(note.text, "text", MAX_TEXT_LENGTH)
    if not text:
        raise Invalid("a call note needs its text", reason="text_missing")
    if note.direction not in (Direction.INBOUND, Direction.OUTBOUND):
        raise Invalid("direction is inbound (the customer called) or outbound (we called)")
    at = now
    if note.occurred_at is not None:
        if note.occurred_at.tzinfo is None:
            raise Invalid("occurred_at needs a timezone, e.g. 2026-03-05T10:00:00+01:00")
        at = note.occurred_at.astimezone(UTC).replace(microsecond=0)
        if at > now + MAX_FUTURE_SKEW:
            raise Invalid("occurred_at is in the future", reason="in_the_future")
    duration = note.duration_minutes
    if duration is not None and not 0 <= duration <= MAX_DURATION_MINUTES:
        raise Invalid(f"the duration is 0 to {MAX_DURATION_MINUTES} minutes", reason="bad_duration")
    return CallNote(
        text=text,
        direction=note.direction,
        occurred_at=at,
        duration_minutes=duration,
        outcome=_clean(note.outcome, "outcome", MAX_OUTCOME_LENGTH),
    )


def do_record_call_note(
    session: Session, actor: Actor, customer_id: uuid.UUID, note: CallNote
) -> Interaction:
    """Put a call the operator describes on the customer's timeline."""
    now = utcnow().replace(microsecond=0)
    checked = check_call_note(note, now)
    customer = access_customer(session, actor, customer_id, action="customer.update", lock=True)
    if customer.merged_into_id is not None:
        raise Conflict(
            f"customer {customer.id} was merged into {customer.merged_into_id}; record it there",
            merged_into_id=str(customer.merged_into_id),
        )
    at = checked.occurred_at or now
    conversation = active_conversation(session, customer, at)
    if conversation is not None:
        conversation.last_activity_at = max(conversation.last_activity_at, at)
    meta: dict[str, object] = {
        "source": "call_note",
        "recorded_by": str(actor.operator_id) if actor.operator_id else None,
    }
    if checked.duration_minutes is not None:
        meta["duration_minutes"] = checked.duration_minutes
    if checked.outcome:
        meta["outcome"] = checked.outcome
    interaction = Interaction(
        customer_id=customer.id,
        conversation_id=conversation.id if conversation else None,
        channel=ChannelKind.VOICE.value,
        direction=checked.direction,
        author=Author.OPERATOR,
        operator_id=actor.operator_id,
        text=checked.text,
        meta=meta,
        occurred_at=at,
        delivery_status=None,
    )
    session.add(interaction)
    session.flush()
    publish(session, "message.created", interaction_data(interaction))
    record_audit(
        session,
        actor,
        "call_note.recorded",
        "interaction",
        interaction.id,
        customer_id=customer.id,
        details={"direction": checked.direction.value},
    )
    return interaction
