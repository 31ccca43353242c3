"""Merging two customers into one, and undoing a merge exactly.

A merge moves the other customer's identities, conversations and interactions to the survivor,
fills the survivor's empty profile fields from the other, and marks the other as merged. The
merge row records every id it moved and every field it filled, so undo puts each back.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.customers.access import access_customer
from unisono.customers.profile import set_profile_field
from unisono.errors import Conflict, Invalid, NotFound
from unisono.integrations.events import publish
from unisono.models import Conversation, Customer, CustomerMerge, Identity, Interaction
from unisono.security.actor import Actor
from unisono.security.audit import record_audit

# Core fields the survivor takes from the other customer when its own are empty.
FILLABLE_FIELDS = ("display_name", "given_name", "family_name", "language", "preferred_channel")


def _ids(session: Session, column: Any, owner: Any) -> list[str]:
    return [str(i) for i in session.scalars(select(column).where(owner))]


def _uuids(values: list[str]) -> list[uuid.UUID]:
    return [uuid.UUID(v) for v in values]


def do_merge_customers(
    session: Session, actor: Actor, survivor_id: uuid.UUID, other_id: uuid.UUID
) -> CustomerMerge:
    """Merge ``other_id`` into ``survivor_id``; returns the merge record (undo with its id)."""
    if survivor_id == other_id:
        raise Invalid("a customer cannot be merged with itself", reason="same_customer")
    # Lock in id order so two opposite merges cannot deadlock.
    first, second = sorted([survivor_id, other_id])
    locked = {
        cid: access_customer(session, actor, cid, action="customer.merge", lock=True)
        for cid in (first, second)
    }
    survivor, other = locked[survivor_id], locked[other_id]
    for customer in (survivor, other):
        if customer.merged_into_id is not None:
            raise Conflict(
                f"customer {customer.id} was merged into {customer.merged_into_id} already",
                merged_into_id=str(customer.merged_into_id),
            )

    moved = {
        "identities": _ids(session, Identity.id, Identity.customer_id == other.id),
        "conversations": _ids(session, Conversation.id, Conversation.customer_id == other.id),
        "interactions": _ids(session, Interaction.id, Interaction.customer_id == other.id),
    }
    filled: dict[str, Any] = {}
    for field in FILLABLE_FIELDS:
        mine, theirs = getattr(survivor, field), getattr(other, field)
        if not mine and theirs:
            filled[field] = [mine, theirs]
            set_profile_field(session, actor, survivor, field, theirs, "merge")
    added_attributes = {
        k: v for k, v in (other.attributes or {}).items() if k not in (survivor.attributes or {})
    }
    if added_attributes:
        survivor.attributes = {**(survivor.attributes or {}), **added_attributes}
    if other.vulnerable and not survivor.vulnerable:
        filled["vulnerable"] = [False, True]
        set_profile_field(session, actor, survivor, "vulnerable", True, "merge")

    for model, key in (
        (Identity, "identities"),
        (Conversation, "conversations"),
        (Interaction, "interactions"),
    ):
        if moved[key]:
            session.execute(
                update(model)
                .where(model.id.in_(_uuids(moved[key])))
                .values(customer_id=survivor.id)
                .execution_options(synchronize_session=False)
            )
    other.merged_into_id = survivor.id
    merge = CustomerMerge(
        survivor_id=survivor.id,
        merged_id=other.id,
        operator_id=actor.operator_id,
        moved=moved,
        survivor_before={"filled": filled, "attributes_added": sorted(added_attributes)},
    )
    session.add(merge)
    session.flush()
    session.expire_all()
    publish(
        session,
        "customer.merged",
        {"merge_id": str(merge.id), "survivor_id": str(survivor_id), "merged_id": str(other_id)},
    )
    record_audit(
        session,
        actor,
        "customer.merged",
        "customer_merge",
        merge.id,
        customer_id=survivor_id,
        details={"merged_id": str(other_id)},
    )
    return merge


def do_undo_merge(session: Session, actor: Actor, merge_id: uuid.UUID) -> CustomerMerge:
    """Undo a merge: everything it moved goes back and the fields it filled are emptied again.

    What happened since (new conversations, new identities, later edits of a filled field)
    stays with the survivor; messages added to a conversation that moved back go with it.
    """
    merge = session.get(CustomerMerge, merge_id, with_for_update=True)
    if merge is None:
        raise NotFound(f"no merge {merge_id}")
    if merge.undone_at is not None:
        raise Conflict("this merge was undone already", reason="already_undone")
    first, second = sorted([merge.survivor_id, merge.merged_id])
    locked = {
        cid: access_customer(session, actor, cid, action="customer.unmerge", lock=True)
        for cid in (first, second)
    }
    survivor, other = locked[merge.survivor_id], locked[merge.merged_id]
    if survivor.merged_into_id is not None:
        raise Conflict(
            f"customer {survivor.id} was itself merged into {survivor.merged_into_id} later; "
            "undo that merge first",
            reason="merged_later",
        )

    conversations = _uuids(merge.moved.get("conversations", []))
    interactions = _uuids(merge.moved.get("interactions", []))
    identities = _uuids(merge.moved.get("identities", []))
    if identities:
        session.execute(
            update(Identity)
            .where(Identity.id.in_(identities), Identity.customer_id == survivor.id)
            .values(customer_id=other.id)
            .execution_options(synchronize_session=False)
        )
    if conversations:
        session.execute(
            update(Conversation)
            .where(Conversation.id.in_(conversations))
            .values(customer_id=other.id)
            .execution_options(synchronize_session=False)
        )
    moved_back = Interaction.id.in_(interactions) if interactions else None
    in_conversations = Interaction.conversation_id.in_(conversations) if conversations else None
    conditions = [c for c in (moved_back, in_conversations) if c is not None]
    if conditions:
        session.execute(
            update(Interaction)
            .where(or_(*conditions), Interaction.customer_id == survivor.id)
            .values(customer_id=other.id)
            .execution_options(synchronize_session=False)
        )
    session.expire_all()
    survivor = session.get_one(Customer, merge.survivor_id)
    other = session.get_one(Customer, merge.merged_id)
    for field, (before, after) in merge.survivor_before.get("filled", {}).items():
        if getattr(survivor, field) == after:
            set_profile_field(session, actor, survivor, field, before, "merge_undo")
    added = merge.survivor_before.get("attributes_added", [])
    if added:
        survivor.attributes = {
            k: v
            for k, v in (survivor.attributes or {}).items()
            if k not in added or (other.attributes or {}).get(k) != v
        }
    other.merged_into_id = None
    merge.undone_at = utcnow()
    merge.undone_by_id = actor.operator_id
    session.flush()
    publish(
        session,
        "customer.unmerged",
        {
            "merge_id": str(merge.id),
            "survivor_id": str(merge.survivor_id),
            "merged_id": str(merge.merged_id),
        },
    )
    record_audit(
        session,
        actor,
        "customer.unmerged",
        "customer_merge",
        merge.id,
        customer_id=merge.survivor_id,
        details={"merged_id": str(merge.merged_id)},
    )
    return merge
