"""A customer's timeline: every interaction across every channel, newest first."""

from __future__ import annotations

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from unisono.models import Customer, Interaction
from unisono.pagination import Page, clamp_limit, encode_cursor, time_id_cursor
from unisono.security.actor import Actor
from unisono.security.audit import record_audit


def customer_timeline(
    session: Session,
    actor: Actor,
    customer: Customer,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Interaction]:
    """One page of ``customer``'s timeline (keyset on occurred_at, id); the read is audited."""
    size = clamp_limit(limit)
    query = select(Interaction).where(Interaction.customer_id == customer.id)
    if cursor:
        at, last_id = time_id_cursor(cursor)
        query = query.where(tuple_(Interaction.occurred_at, Interaction.id) < tuple_(at, last_id))
    rows = list(
        session.scalars(
            query.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(size + 1)
        )
    )
    page = rows[:size]
    next_cursor = (
        encode_cursor(page[-1].occurred_at.isoformat(), str(page[-1].id))
        if len(rows) > size
        else None
    )
    record_audit(
        session,
        actor,
        "customer.timeline",
        "customer",
        customer.id,
        customer_id=customer.id,
        details={"count": len(page)},
    )
    return Page(page, next_cursor)
