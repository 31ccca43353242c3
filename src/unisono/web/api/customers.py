"""Customers: search, profile, identities, timeline, merge and undo."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, status

from unisono.config import get_settings
from unisono.customers.access import access_customer
from unisono.customers.profile import do_update_profile, profile_history
from unisono.customers.search import search_customers
from unisono.customers.timeline import customer_timeline
from unisono.identity.merge import do_merge_customers, do_undo_merge
from unisono.identity.normalize import normalize_handle
from unisono.identity.resolve import do_add_identity, do_remove_identity
from unisono.web.api.schemas import (
    CustomerOut,
    CustomerSummaryOut,
    CustomerUpdate,
    IdentityCreate,
    IdentityOut,
    InteractionOut,
    MergeCreate,
    MergeOut,
    PageOut,
    ProfileChangeOut,
)
from unisono.web.deps import ApiActor, SessionDep

router = APIRouter(tags=["customers"])

Cursor = Query(default=None, max_length=500)
Limit = Query(default=None, ge=1, le=200)


@router.get("/customers")
def list_customers(
    session: SessionDep,
    actor: ApiActor,
    q: str = Query(default="", max_length=200),
    cursor: str | None = Cursor,
    limit: int | None = Limit,
) -> PageOut[CustomerSummaryOut]:
    """Customers by name, phone in any format, email or social handle."""
    page = search_customers(session, actor, q, cursor=cursor, limit=limit)
    return PageOut(
        items=[CustomerSummaryOut.of(c) for c in page.items], next_cursor=page.next_cursor
    )


@router.get("/customers/{customer_id}")
def get_customer(customer_id: uuid.UUID, session: SessionDep, actor: ApiActor) -> CustomerOut:
    """A customer's profile with identities and custom attributes."""
    return CustomerOut.of(access_customer(session, actor, customer_id))


@router.patch("/customers/{customer_id}")
def update_customer(
    customer_id: uuid.UUID, body: CustomerUpdate, session: SessionDep, actor: ApiActor
) -> CustomerOut:
    """Edit profile fields; each change is kept in the field history."""
    customer = access_customer(session, actor, customer_id, action="customer.update", lock=True)
    changes = body.model_dump(exclude_unset=True, exclude={"attributes"})
    do_update_profile(session, actor, customer, changes, attributes=body.attributes)
    return CustomerOut.of(customer)


@router.get("/customers/{customer_id}/history")
def get_history(
    customer_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    cursor: str | None = Cursor,
    limit: int | None = Limit,
) -> PageOut[ProfileChangeOut]:
    """Who changed which profile field, from what to what, through which source, when."""
    customer = access_customer(session, actor, customer_id)
    page = profile_history(session, actor, customer, cursor=cursor, limit=limit)
    return PageOut(items=[ProfileChangeOut.of(c) for c in page.items], next_cursor=page.next_cursor)


@router.post("/customers/{customer_id}/identities", status_code=status.HTTP_201_CREATED)
def add_identity(
    customer_id: uuid.UUID, body: IdentityCreate, session: SessionDep, actor: ApiActor
) -> IdentityOut:
    """Attach a phone, email or handle; 409 when another customer owns it (merge instead)."""
    customer = access_customer(session, actor, customer_id, action="customer.update", lock=True)
    handle = normalize_handle(body.kind, body.value, region=get_settings().default_region)
    identity = do_add_identity(
        session, customer, handle, raw_value=body.value, label=body.label, verified=body.verified
    )
    return IdentityOut.of(identity)


@router.delete(
    "/customers/{customer_id}/identities/{identity_id}", status_code=status.HTTP_204_NO_CONTENT
)
def remove_identity(
    customer_id: uuid.UUID, identity_id: uuid.UUID, session: SessionDep, actor: ApiActor
) -> None:
    """Detach an identity; the interactions it brought stay on the timeline."""
    customer = access_customer(session, actor, customer_id, action="customer.update", lock=True)
    do_remove_identity(session, customer, identity_id)


@router.get("/customers/{customer_id}/timeline")
def get_timeline(
    customer_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    cursor: str | None = Cursor,
    limit: int | None = Limit,
) -> PageOut[InteractionOut]:
    """Every interaction across channels, newest first."""
    customer = access_customer(session, actor, customer_id)
    page = customer_timeline(session, actor, customer, cursor=cursor, limit=limit)
    return PageOut(items=[InteractionOut.of(i) for i in page.items], next_cursor=page.next_cursor)


@router.post("/customers/{customer_id}/merge", status_code=status.HTTP_201_CREATED)
def merge_customers(
    customer_id: uuid.UUID, body: MergeCreate, session: SessionDep, actor: ApiActor
) -> MergeOut:
    """Merge ``other_id`` into this customer; undo with POST /merges/{id}/undo."""
    return MergeOut.of(do_merge_customers(session, actor, customer_id, body.other_id))


@router.post("/merges/{merge_id}/undo")
def undo_merge(merge_id: uuid.UUID, session: SessionDep, actor: ApiActor) -> MergeOut:
    """Undo a merge exactly."""
    return MergeOut.of(do_undo_merge(session, actor, merge_id))
