"""Figures about customers at a glance: conversations, interactions, last activity, merges.

For lists (search results) and comparisons (before a merge): one grouped query per figure for
any number of customers, never one query per customer. Callers have already loaded (and so
audited) the customers these figures describe.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from unisono.models import ACTIVE_STATUSES, ChannelKind, Conversation, CustomerMerge, Interaction

VISIT_CHANNELS = (ChannelKind.BRANCH_VISIT.value, ChannelKind.HOME_VISIT.value)


@dataclass(frozen=True, slots=True)
class CustomerFigures:
    conversations: int = 0
    active_conversations: int = 0
    interactions: int = 0
    last_activity: datetime | None = None


def last_activity(
    session: Session, customer_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """The moment of each customer's newest interaction (customers without any are left out)."""
    if not customer_ids:
        return {}
    rows = session.execute(
        select(Interaction.customer_id, func.max(Interaction.occurred_at))
        .where(Interaction.customer_id.in_(list(customer_ids)))
        .group_by(Interaction.customer_id)
    ).all()
    return {customer_id: at for customer_id, at in rows if at is not None}


def customer_figures(
    session: Session, customer_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, CustomerFigures]:
    """Conversation and interaction counts and the last activity of each customer."""
    ids = list(customer_ids)
    if not ids:
        return {}
    active = list(ACTIVE_STATUSES)
    conversations = {
        customer_id: (total, open_)
        for customer_id, total, open_ in session.execute(
            select(
                Conversation.customer_id,
                func.count(),
                func.count().filter(Conversation.status.in_(active)),
            )
            .where(Conversation.customer_id.in_(ids))
            .group_by(Conversation.customer_id)
        ).all()
    }
    interactions = {
        customer_id: (count, at)
        for customer_id, count, at in session.execute(
            select(Interaction.customer_id, func.count(), func.max(Interaction.occurred_at))
            .where(Interaction.customer_id.in_(ids))
            .group_by(Interaction.customer_id)
        ).all()
    }
    return {
        cid: CustomerFigures(
            conversations=conversations.get(cid, (0, 0))[0],
            active_conversations=conversations.get(cid, (0, 0))[1],
            interactions=interactions.get(cid, (0, None))[0],
            last_activity=interactions.get(cid, (0, None))[1],
        )
        for cid in ids
    }


def undoable_merges(
    session: Session, survivor_id: uuid.UUID, limit: int = 5
) -> list[CustomerMerge]:
    """The newest merges into ``survivor_id`` that have not been undone."""
    return list(
        session.scalars(
            select(CustomerMerge)
            .where(CustomerMerge.survivor_id == survivor_id, CustomerMerge.undone_at.is_(None))
            .order_by(CustomerMerge.created_at.desc(), CustomerMerge.id.desc())
            .limit(limit)
        )
    )


def scheduled_visits(session: Session, customer_id: uuid.UUID, limit: int = 50) -> list[uuid.UUID]:
    """The ids of the customer's visits still waiting for their outcome (status ``scheduled``).

    One query for the whole timeline, so each of its visits knows whether to offer the outcome
    form; the list of visits due (``inbox.offline.list_visits``) reads the same status.
    """
    status = type_coerce(Interaction.meta["visit_status"].as_string(), String)
    return list(
        session.scalars(
            select(Interaction.id)
            .where(
                Interaction.customer_id == customer_id,
                Interaction.channel.in_(VISIT_CHANNELS),
                status == "scheduled",
            )
            .order_by(Interaction.occurred_at.desc())
            .limit(limit)
        )
    )
