"""The consent ledger: what a customer allowed or refused, per purpose and channel.

Rows are only ever appended: the customer's current choice for a purpose and channel is the
newest row, and the older ones are the proof of what held before.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unisono.clock import utcnow
from unisono.models.base import Base, IdMixin


class Consent(IdMixin, Base):
    __tablename__ = "consents"
    __table_args__ = (
        Index("ix_consents_customer_purpose", "customer_id", "purpose", "channel", "recorded_at"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    # A template purpose (``advertise``, ``payment_reminder``...) or ``*`` for every purpose.
    purpose: Mapped[str] = mapped_column(String(32))
    # A channel kind, or ``*`` for every channel.
    channel: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool]
    # Where the choice was made: ``console``, ``api``, ``web_form``, ``sms_stop``, ``import``...
    source: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    operator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
