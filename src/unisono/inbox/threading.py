"""Which conversation a new interaction belongs to.

An inbound interaction joins the customer's active conversation, whatever channel it came on,
when that conversation's last activity is within the threading window (7 days by default);
otherwise it opens a new conversation. Outbound interactions join an active conversation in the
window but never open one: a bill sent is not a case to work.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from unisono.config import get_settings
from unisono.models import ACTIVE_STATUSES, Conversation, ConversationStatus, Customer


def thread_window() -> timedelta:
    return timedelta(days=get_settings().thread_window_days)


def active_conversation(session: Session, customer: Customer, at: datetime) -> Conversation | None:
    """The customer's most recent active conversation still within the window at ``at``."""
    conversation = session.scalar(
        select(Conversation)
        .where(Conversation.customer_id == customer.id, Conversation.status.in_(ACTIVE_STATUSES))
        .order_by(Conversation.last_activity_at.desc())
        .limit(1)
    )
    if conversation is None or at - conversation.last_activity_at > thread_window():
        return None
    return conversation


def thread_inbound(
    session: Session, customer: Customer, at: datetime, *, subject: str = ""
) -> Conversation:
    """The conversation an inbound interaction at ``at`` joins, opened if needed.

    The caller holds the customer's row lock, so two messages cannot open two conversations.
    """
    return join_or_open(session, customer, at, subject=subject)[0]


def join_or_open(
    session: Session, customer: Customer, at: datetime, *, subject: str = ""
) -> tuple[Conversation, bool]:
    """``thread_inbound``, also saying whether the conversation was opened for this interaction
    (one query for the active conversation instead of asking again beforehand)."""
    conversation = active_conversation(session, customer, at)
    if conversation is None:
        conversation = Conversation(
            customer_id=customer.id,
            status=ConversationStatus.OPEN,
            subject=subject[:300],
            last_activity_at=at,
            waiting_since=at,
        )
        session.add(conversation)
        session.flush()
        return conversation, True
    conversation.last_activity_at = max(conversation.last_activity_at, at)
    if conversation.waiting_since is None:
        conversation.waiting_since = at
    # The customer wrote again: a snoozed or pending case needs attention now.
    conversation.status = ConversationStatus.OPEN
    return conversation, False


def note_outbound(conversation: Conversation, at: datetime, *, answers_customer: bool) -> None:
    """Record an outbound interaction at ``at``; an operator's answer ends the customer's wait."""
    conversation.last_activity_at = max(conversation.last_activity_at, at)
    if answers_customer:
        conversation.waiting_since = None
        if conversation.first_response_at is None:
            conversation.first_response_at = at
