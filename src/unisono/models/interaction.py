"""Interactions: every message, call, visit or note on a customer's timeline."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from unisono.models.base import Base, CreatedMixin, IdMixin

if TYPE_CHECKING:
    from unisono.models.attachment import Attachment


def _values(e: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in e]


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    NOTE = "note"


class Author(enum.StrEnum):
    CUSTOMER = "customer"
    OPERATOR = "operator"
    BOT = "bot"
    SYSTEM = "system"


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class Interaction(IdMixin, CreatedMixin, Base):
    __tablename__ = "interactions"
    __table_args__ = (
        # Providers retry deliveries: one provider message id is one interaction per channel kind.
        UniqueConstraint("channel", "external_id"),
        Index("ix_interactions_customer_timeline", "customer_id", "occurred_at", "id"),
        Index("ix_interactions_conversation_time", "conversation_id", "occurred_at"),
        Index("ix_interactions_delivery_queue", "delivery_status", "next_attempt_at"),
        # Lets a common search word walk matches newest first instead of fetching them all.
        Index("ix_interactions_occurred_at", "occurred_at"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("channels.id"))
    identity_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identities.id"))
    direction: Mapped[Direction] = mapped_column(
        Enum(Direction, native_enum=False, length=16, values_callable=_values)
    )
    author: Mapped[Author] = mapped_column(
        Enum(Author, native_enum=False, length=16, values_callable=_values)
    )
    operator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    external_id: Mapped[str | None] = mapped_column(String(255))
    occurred_at: Mapped[datetime]
    delivery_status: Mapped[DeliveryStatus | None] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16, values_callable=_values)
    )
    delivery_error: Mapped[str | None] = mapped_column(Text)
    enrichment: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Outbound sending: how often we tried, and when the next try is due (None: not queued).
    send_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]

    # Loaded with the interaction (one extra query per page), so timelines show them.
    attachments: Mapped[list[Attachment]] = relationship(
        lazy="selectin", order_by="Attachment.created_at"
    )
