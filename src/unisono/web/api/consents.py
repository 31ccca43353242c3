"""A customer's consents (current choices and the append-only ledger) and identity verification."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from unisono.customers.access import access_customer
from unisono.customers.consents import (
    ConsentChoice,
    consent_ledger,
    current_consents,
    do_record_consent,
)
from unisono.identity.resolve import do_verify_identity
from unisono.models import Consent
from unisono.web.api.schemas import IdentityOut, PageOut, StrictIn
from unisono.web.deps import ApiActor, SessionDep

router = APIRouter(tags=["consents"])


class ConsentCreate(StrictIn):
    purpose: str = Field(
        min_length=1,
        max_length=32,
        description="a template purpose (advertise, payment_reminder...) or * for every purpose",
        examples=["advertise"],
    )
    channel: str = Field(
        min_length=1,
        max_length=32,
        description="a channel kind (email, sms...) or * for every channel",
        examples=["sms"],
    )
    granted: bool
    source: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="where the choice was made (web_form, sms_stop...); default: api",
    )
    note: str = Field(default="", max_length=2_000)


class ConsentOut(BaseModel):
    id: uuid.UUID
    purpose: str
    channel: str
    granted: bool
    source: str
    note: str
    operator_id: uuid.UUID | None
    recorded_at: datetime

    @classmethod
    def of(cls, c: Consent) -> ConsentOut:
        return cls(
            id=c.id,
            purpose=c.purpose,
            channel=c.channel,
            granted=c.granted,
            source=c.source,
            note=c.note,
            operator_id=c.operator_id,
            recorded_at=c.recorded_at,
        )


class IdentityVerify(StrictIn):
    verified: bool = True


@router.get("/customers/{customer_id}/consents")
def get_consents(
    customer_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    view: Literal["current", "ledger"] = "current",
    cursor: str | None = Query(default=None, max_length=500),
    limit: int | None = Query(default=None, ge=1, le=200),
) -> PageOut[ConsentOut]:
    """The current choice per purpose and channel, or (``view=ledger``) every recorded choice,
    newest first."""
    customer = access_customer(session, actor, customer_id)
    if view == "ledger":
        page = consent_ledger(session, actor, customer, cursor=cursor, limit=limit)
        return PageOut(items=[ConsentOut.of(c) for c in page.items], next_cursor=page.next_cursor)
    return PageOut(
        items=[ConsentOut.of(c) for c in current_consents(session, actor, customer)],
        next_cursor=None,
    )


@router.post("/customers/{customer_id}/consents", status_code=status.HTTP_201_CREATED)
def record_consent(
    customer_id: uuid.UUID, body: ConsentCreate, session: SessionDep, actor: ApiActor
) -> ConsentOut:
    """Append a grant or a refusal to the ledger; it becomes the current choice of its cell."""
    choice = ConsentChoice(**body.model_dump())
    return ConsentOut.of(do_record_consent(session, actor, customer_id, choice))


@router.post("/customers/{customer_id}/identities/{identity_id}/verify")
def verify_identity(
    customer_id: uuid.UUID,
    identity_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    body: IdentityVerify | None = None,
) -> IdentityOut:
    """Mark an identity as verified (or, with ``{"verified": false}``, as not verified)."""
    customer = access_customer(session, actor, customer_id, action="customer.update", lock=True)
    verified = body.verified if body is not None else True
    return IdentityOut.of(
        do_verify_identity(session, actor, customer, identity_id, verified=verified)
    )
