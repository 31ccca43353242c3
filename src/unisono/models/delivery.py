"""Send attempts of outbound interactions: "did it send?" is answered from these rows."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unisono.models.base import Base, CreatedMixin, IdMixin


class DeliveryAttempt(IdMixin, CreatedMixin, Base):
    __tablename__ = "delivery_attempts"

    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interactions.id"), index=True)
    number: Mapped[int]
    # sent, retry (transient failure, tried again later) or failed (permanent).
    outcome: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
