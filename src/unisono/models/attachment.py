"""Attachments of interactions: recordings, photos, documents, scanned letters."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unisono.models.base import Base, CreatedMixin, IdMixin


class AttachmentStatus(enum.StrEnum):
    PENDING = "pending"  # the provider holds it; the worker fetches it
    STORED = "stored"
    FAILED = "failed"  # could not be fetched; the error says why


class Attachment(IdMixin, CreatedMixin, Base):
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_status_next", "status", "next_attempt_at"),)

    interaction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("interactions.id"), index=True
    )
    status: Mapped[AttachmentStatus] = mapped_column(
        Enum(
            AttachmentStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=AttachmentStatus.PENDING,
    )
    content_type: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    filename: Mapped[str | None] = mapped_column(String(300))
    caption: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int | None]
    # Content address of the stored bytes (the same file stored twice is kept once).
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    # Where the provider keeps it, for the worker to fetch.
    provider_id: Mapped[str | None] = mapped_column(String(300))
    source_url: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
