"""Integrators' webhook subscriptions and the deliveries of events to them (an outbox)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unisono.models.base import Base, CreatedMixin, IdMixin


class EventDeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the last retry, or the subscriber answered 410 Gone


class WebhookSubscription(IdMixin, CreatedMixin, Base):
    __tablename__ = "webhook_subscriptions"

    url: Mapped[str] = mapped_column(Text)
    # Event types, e.g. ["message.created", "customer.merged"]; ["*"] for all.
    events: Mapped[list[str]] = mapped_column(default=list)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)


class EventDelivery(IdMixin, CreatedMixin, Base):
    """One event for one subscriber; written in the transaction that caused the event."""

    __tablename__ = "event_deliveries"
    __table_args__ = (Index("ix_event_deliveries_status_next", "status", "next_attempt_at"),)

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[EventDeliveryStatus] = mapped_column(
        Enum(
            EventDeliveryStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=EventDeliveryStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
