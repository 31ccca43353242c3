"""Customers, the identities that resolve to them, their profile history and merges."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from unisono.clock import utcnow
from unisono.models.base import Base, CreatedMixin, IdMixin, JSONType


class Customer(IdMixin, CreatedMixin, Base):
    __tablename__ = "customers"

    display_name: Mapped[str] = mapped_column(String(300), default="")
    # Lower-cased, accent-folded name kept for case-insensitive search on both databases.
    name_key: Mapped[str] = mapped_column(String(300), default="", index=True)
    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(10))
    preferred_channel: Mapped[str | None] = mapped_column(String(32))
    vulnerable: Mapped[bool] = mapped_column(default=False)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    segments: Mapped[list[str]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Set while this customer has been merged into another one; its data then lives there.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"), index=True)

    identities: Mapped[list[Identity]] = relationship(
        back_populates="customer", order_by="Identity.created_at", lazy="selectin"
    )


class Identity(IdMixin, CreatedMixin, Base):
    """A normalised handle, e.g. ``phone:+393331234567``, that belongs to exactly one customer."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(320))
    # What the customer or operator actually typed, for display.
    raw_value: Mapped[str] = mapped_column(String(320), default="")
    verified: Mapped[bool] = mapped_column(default=False)
    label: Mapped[str | None] = mapped_column(String(100))

    customer: Mapped[Customer] = relationship(back_populates="identities")


class ProfileChange(IdMixin, CreatedMixin, Base):
    """One field of one profile changed: who, from what, to what, through which source."""

    __tablename__ = "profile_changes"
    __table_args__ = (Index("ix_profile_changes_customer_created", "customer_id", "created_at"),)

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    field: Mapped[str] = mapped_column(String(200))
    old_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    operator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"))
    source: Mapped[str] = mapped_column(String(64))


class CustomerMerge(IdMixin, CreatedMixin, Base):
    """A merge of ``merged`` into ``survivor``, with everything needed to undo it exactly."""

    __tablename__ = "customer_merges"

    survivor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    operator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"))
    # Ids of what moved, and the survivor's profile fields as they were before the merge.
    moved: Mapped[dict[str, Any]] = mapped_column(default=dict)
    survivor_before: Mapped[dict[str, Any]] = mapped_column(default=dict)
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"))
