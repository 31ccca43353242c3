"""Resolving a handle to its customer (creating one for a stranger) and managing identities."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from unisono.errors import Conflict, NotFound
from unisono.identity.normalize import Handle, name_key
from unisono.models import Customer, Identity, Interaction
from unisono.security.actor import Actor
from unisono.security.audit import record_audit


def find_identity(session: Session, handle: Handle) -> Identity | None:
    """The identity for ``handle``, if anyone has it."""
    return session.scalar(
        select(Identity).where(Identity.kind == handle.kind, Identity.value == handle.value)
    )


def _owners_query(*handles: Handle) -> Select[Customer, Identity]:
    # The identities and their customers in one statement; the customers' identities are not
    # loaded along, only if someone reads them.
    values: dict[str, list[str]] = {}
    for handle in handles:
        values.setdefault(handle.kind, []).append(handle.value)
    return (
        select(Customer, Identity)
        .join(Identity, Identity.customer_id == Customer.id)
        .where(or_(*(and_(Identity.kind == k, Identity.value.in_(v)) for k, v in values.items())))
        .options(lazyload(Customer.identities))
    )


def _owner(session: Session, handle: Handle, *, lock: bool) -> tuple[Customer, Identity] | None:
    query = _owners_query(handle)
    if lock:
        query = query.with_for_update(of=Customer)
    row = session.execute(query).one_or_none()
    return None if row is None else (row[0], row[1])


def lock_owners(
    session: Session, handles: Iterable[Handle]
) -> dict[Handle, tuple[Customer, Identity]]:
    """The customers and identities of those of ``handles`` someone has, in one statement; the
    customers are row-locked until the transaction ends, in id order (as merges lock them), so
    that two callers locking several customers cannot deadlock."""
    wanted = set(handles)
    if not wanted:
        return {}
    query = _owners_query(*wanted).order_by(Customer.id).with_for_update(of=Customer)
    return {
        Handle(identity.kind, identity.value): (customer, identity)
        for customer, identity in session.execute(query)
    }


def resolve_customer(
    session: Session,
    handle: Handle,
    *,
    raw_value: str = "",
    display_name: str | None = None,
    lock: bool = False,
) -> tuple[Customer, Identity, bool]:
    """The customer who owns ``handle``, creating the customer and identity for a new handle.

    Returns ``(customer, identity, created)``. Safe against a concurrent request creating the
    same identity: the loser of the race reads the winner's row. With ``lock`` the caller holds
    the customer's row lock on return (a customer created here is invisible to others until
    the caller commits, which is as good).
    """
    owner = _owner(session, handle, lock=lock)
    if owner is None:
        try:
            with session.begin_nested():
                customer = Customer(
                    display_name=(display_name or "").strip(),
                    name_key=name_key(display_name or ""),
                )
                session.add(customer)
                session.flush()
                identity = Identity(
                    customer_id=customer.id,
                    kind=handle.kind,
                    value=handle.value,
                    raw_value=(raw_value or handle.value).strip()[:320],
                )
                session.add(identity)
                session.flush()
            return customer, identity, True
        except IntegrityError:
            owner = _owner(session, handle, lock=lock)
            if owner is None:
                raise
    customer, identity = owner
    return customer, identity, False


def do_add_identity(
    session: Session,
    customer: Customer,
    handle: Handle,
    *,
    raw_value: str = "",
    label: str | None = None,
    verified: bool = False,
) -> Identity:
    """Attach ``handle`` to ``customer``; Conflict when another customer has it (merge instead)."""
    existing = find_identity(session, handle)
    if existing is not None:
        if existing.customer_id == customer.id:
            return existing
        raise Conflict(
            f"{handle} belongs to another customer; merge the two customers instead",
            other_customer_id=str(existing.customer_id),
        )
    identity = Identity(
        customer_id=customer.id,
        kind=handle.kind,
        value=handle.value,
        raw_value=(raw_value or handle.value).strip()[:320],
        label=label,
        verified=verified,
    )
    session.add(identity)
    session.flush()
    return identity


def do_remove_identity(session: Session, customer: Customer, identity_id: uuid.UUID) -> Identity:
    """Detach and delete one of ``customer``'s identities."""
    identity = session.get(Identity, identity_id)
    if identity is None or identity.customer_id != customer.id:
        raise NotFound("this customer has no such identity")
    # The interactions stay on the timeline; they only forget which handle they came from.
    session.execute(
        update(Interaction).where(Interaction.identity_id == identity.id).values(identity_id=None)
    )
    session.delete(identity)
    session.flush()
    return identity


def do_verify_identity(
    session: Session,
    actor: Actor,
    customer: Customer,
    identity_id: uuid.UUID,
    *,
    verified: bool = True,
) -> Identity:
    """Mark one of ``customer``'s identities as verified (or not); audited when it changes."""
    identity = session.get(Identity, identity_id)
    if identity is None or identity.customer_id != customer.id:
        raise NotFound("this customer has no such identity")
    if identity.verified != verified:
        identity.verified = verified
        session.flush()
        record_audit(
            session,
            actor,
            "identity.verified" if verified else "identity.unverified",
            "identity",
            identity.id,
            customer_id=customer.id,
            details={"kind": identity.kind},
        )
    return identity
