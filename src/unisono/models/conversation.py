"""Conversations: cases that group a customer's interactions, whatever channels they cross."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from unisono.clock import utcnow
from unisono.models.base import Base, CreatedMixin, IdMixin
from unisono.models.customer import Customer
from unisono.models.operator import Operator, Team


def _values(e: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in e]


class ConversationStatus(enum.StrEnum):
    OPEN = "open"
    PENDING = "pending"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


# A conversation in one of these states still takes new messages.
ACTIVE_STATUSES = (ConversationStatus.OPEN, ConversationStatus.PENDING, ConversationStatus.SNOOZED)


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Conversation(IdMixin, CreatedMixin, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_customer_activity", "customer_id", "last_activity_at"),
        Index("ix_conversations_status_waiting", "status", "waiting_since"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[ConversationStatus] = mapped_column(
        Enum(ConversationStatus, native_enum=False, length=16, values_callable=_values),
        default=ConversationStatus.OPEN,
    )
    priority: Mapped[Priority] = mapped_column(
        Enum(Priority, native_enum=False, length=16, values_callable=_values),
        default=Priority.NORMAL,
    )
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"), index=True)
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"), index=True)
    labels: Mapped[list[str]] = mapped_column(default=list)
    subject: Mapped[str] = mapped_column(String(300), default="")
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the customer started waiting for an answer; None once an operator has replied.
    waiting_since: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    csat: Mapped[int | None]

    customer: Mapped[Customer] = relationship(lazy="raise")
    assignee: Mapped[Operator | None] = relationship(lazy="raise")
    team: Mapped[Team | None] = relationship(lazy="raise")
