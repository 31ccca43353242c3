"""The one way to load a customer for an operator; every such read is audited."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from unisono.errors import NotFound
from unisono.models import Customer
from unisono.security.actor import Actor
from unisono.security.audit import record_audit


def access_customer(
    session: Session,
    actor: Actor,
    customer_id: uuid.UUID,
    *,
    action: str = "customer.read",
    lock: bool = False,
) -> Customer:
    """The customer ``customer_id`` as ``actor`` may see it; records the access.

    With ``lock`` the row is locked for update (PostgreSQL) until the transaction ends.
    """
    customer = session.get(Customer, customer_id, with_for_update=lock or None)
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    record_audit(session, actor, action, "customer", customer.id, customer_id=customer.id)
    return customer
