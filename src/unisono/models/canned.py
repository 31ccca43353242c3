"""Canned responses: reusable reply texts that operators insert with a ``/shortcut``."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unisono.clock import utcnow
from unisono.models.base import Base, CreatedMixin, IdMixin


class CannedResponse(IdMixin, CreatedMixin, Base):
    __tablename__ = "canned_responses"
    __table_args__ = (UniqueConstraint("shortcut", "locale"),)

    # Typed after ``/`` in the composer: lower-case letters, digits and dashes.
    shortcut: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(10), default="it")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # None: every team may use it.
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"), index=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
