"""Webhook subscriptions of integrators: subscribe to events, list, switch off, see deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from unisono.integrations.events import (
    EVENT_TYPES,
    do_create_subscription,
    do_delete_subscription,
    list_subscriptions,
    recent_deliveries,
)
from unisono.models import Role, WebhookSubscription
from unisono.security.permissions import require_role
from unisono.web.api.schemas import StrictIn
from unisono.web.deps import ApiActor, SessionDep

router = APIRouter(prefix="/webhook-subscriptions", tags=["webhook subscriptions"])


class SubscriptionCreate(StrictIn):
    url: str = Field(min_length=8, max_length=2000, examples=["https://crm.example.it/unisono"])
    events: list[str] = Field(
        min_length=1,
        examples=[["message.created", "customer.merged"]],
        description=f"any of: {', '.join(EVENT_TYPES)}, or *",
    )
    description: str = Field(default="", max_length=300)
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="default: a random secret, returned once",
    )


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    description: str
    active: bool
    created_at: datetime
    secret: str | None = Field(default=None, description="only in the answer to the creation")

    @classmethod
    def of(cls, s: WebhookSubscription, secret: str | None = None) -> SubscriptionOut:
        return cls(
            id=s.id,
            url=s.url,
            events=s.events,
            description=s.description,
            active=s.active,
            created_at=s.created_at,
            secret=secret,
        )


class EventDeliveryOut(BaseModel):
    id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


@router.post("", status_code=status.HTTP_201_CREATED)
def subscribe(body: SubscriptionCreate, session: SessionDep, actor: ApiActor) -> SubscriptionOut:
    """Receive events, signed with the returned secret (``X-Unisono-Signature``)."""
    require_role(actor, [Role.ADMIN], "manage webhook subscriptions")
    subscription, secret = do_create_subscription(
        session,
        actor,
        url=body.url,
        events=body.events,
        description=body.description,
        secret=body.secret,
    )
    return SubscriptionOut.of(subscription, secret)


@router.get("")
def list_all(session: SessionDep, actor: ApiActor) -> list[SubscriptionOut]:
    require_role(actor, [Role.ADMIN], "manage webhook subscriptions")
    return [SubscriptionOut.of(s) for s in list_subscriptions(session)]


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def unsubscribe(subscription_id: uuid.UUID, session: SessionDep, actor: ApiActor) -> None:
    """Switch a subscription off (its delivery history stays)."""
    require_role(actor, [Role.ADMIN], "manage webhook subscriptions")
    do_delete_subscription(session, actor, subscription_id)


@router.get("/{subscription_id}/deliveries")
def deliveries(
    subscription_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    limit: int = Query(default=50, ge=1, le=200),
) -> list[EventDeliveryOut]:
    """The most recent deliveries, with their status and the last answer of the subscriber."""
    require_role(actor, [Role.ADMIN], "manage webhook subscriptions")
    rows = recent_deliveries(session, subscription_id, limit)
    return [
        EventDeliveryOut(
            id=d.id,
            event_type=d.event_type,
            status=d.status.value,
            attempts=d.attempts,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
            payload=d.payload,
        )
        for d in rows
    ]
