"""Audit events: who read or changed which customer data, when and from where."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from unisono.models.base import Base, CreatedMixin, IdMixin


class AuditEvent(IdMixin, CreatedMixin, Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_customer_created", "customer_id", "created_at"),
        Index("ix_audit_events_operator_created", "operator_id", "created_at"),
    )

    operator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    # Not a foreign key: the trail must outlive the customer row (erasure keeps the audit).
    customer_id: Mapped[uuid.UUID | None]
    via: Mapped[str] = mapped_column(String(32), default="api")
    ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
