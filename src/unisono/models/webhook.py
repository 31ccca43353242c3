"""Webhook deliveries from providers, stored raw before they are answered and processed."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unisono.models.base import Base, CreatedMixin, IdMixin


class WebhookStatus(enum.StrEnum):
    RECEIVED = "received"  # stored, not yet processed
    PROCESSED = "processed"
    FAILED = "failed"  # processing raised; kept with its error, replayable
    INVALID = "invalid"  # the payload could not be read; kept for inspection


class WebhookDelivery(IdMixin, CreatedMixin, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_status_created", "status", "created_at"),)

    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[WebhookStatus] = mapped_column(
        Enum(
            WebhookStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=WebhookStatus.RECEIVED,
    )
    url: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    processed_at: Mapped[datetime | None]
