"""Mentions of operators in internal notes, so a colleague sees the notes that ask for them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unisono.models.base import Base, CreatedMixin, IdMixin


class Mention(IdMixin, CreatedMixin, Base):
    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("interaction_id", "operator_id"),
        Index("ix_mentions_operator_seen", "operator_id", "seen_at"),
    )

    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interactions.id"))
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id"), index=True)
    seen_at: Mapped[datetime | None]
