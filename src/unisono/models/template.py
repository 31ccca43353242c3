"""The communication studio's data: templates, shared content blocks, their versions, history.

A ``Template`` names a message (its purpose, the channel variants and locales it supports); its
content lives in numbered ``TemplateVersion`` rows. A ``ContentBlock`` (brand header, legal
notice, signature) is included by name from every template and is versioned the same way in
``ContentBlockVersion``. Both version kinds go through one review workflow (see
``unisono.studio.workflow``):

    draft -> in_review -> approved -> retired
                       -> rejected

A version's content never changes once submitted; a change is a new version. ``studio_events``
is the per-template (and per-block) history of who did what when, with the reviewer's comment.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from unisono.clock import utcnow
from unisono.models.base import Base, CreatedMixin, IdMixin
from unisono.studio.spec import Purpose


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"  # editable by designers
    IN_REVIEW = "in_review"  # submitted: frozen, waiting for compliance
    APPROVED = "approved"  # the one version used to send (at most one per template or block)
    RETIRED = "retired"  # was approved; superseded by a newer approval or withdrawn
    REJECTED = "rejected"  # sent back by compliance with a comment; a new version fixes it


def _enum(cls: type[enum.StrEnum], length: int) -> Enum:
    return Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class ReviewedVersionMixin(IdMixin, CreatedMixin):
    """The workflow columns every versioned studio object shares."""

    number: Mapped[int]
    status: Mapped[VersionStatus] = mapped_column(
        _enum(VersionStatus, 16), default=VersionStatus.DRAFT
    )
    # SHA-256 of the canonical JSON of the content (``unisono.studio.schema.content_hash``).
    content_hash: Mapped[str] = mapped_column(String(64))
    # The number of the version this one was copied from (None for a first version).
    based_on: Mapped[int | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"))
    submitted_at: Mapped[datetime | None]
    # The compliance decision: approval or rejection (``status`` says which; a retired version
    # keeps the approval that made it usable).
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"))
    reviewed_at: Mapped[datetime | None]
    review_comment: Mapped[str] = mapped_column(Text, default="")
    retired_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"))
    retired_at: Mapped[datetime | None]


class Template(IdMixin, CreatedMixin, Base):
    __tablename__ = "templates"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Fixed at creation: the purpose is the legal basis compliance approves content for.
    purpose: Mapped[Purpose] = mapped_column(_enum(Purpose, 32))
    # ``VariantKind`` values, in display order.
    variant_kinds: Mapped[list[str]] = mapped_column(default=list)
    # Locales with a variant each; the default locale (``it``) first.
    locales: Mapped[list[str]] = mapped_column(default=list)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TemplateVersion(ReviewedVersionMixin, Base):
    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    template_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("templates.id"))
    # The declared data schema: a list of ``VariableSpec`` as JSON objects.
    schema: Mapped[list[Any]] = mapped_column(default=list)
    # {variant kind: {locale: {field: source}}}; see ``unisono.studio.spec.VARIANT_FIELDS``.
    variants: Mapped[dict[str, Any]] = mapped_column(default=dict)

    template: Mapped[Template] = relationship(lazy="joined")


class ContentBlock(IdMixin, CreatedMixin, Base):
    __tablename__ = "content_blocks"

    # Templates include it as ``{% include "brand_header" %}``.
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ContentBlockVersion(ReviewedVersionMixin, Base):
    __tablename__ = "content_block_versions"
    __table_args__ = (UniqueConstraint("block_id", "number"),)

    block_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("content_blocks.id"))
    # {locale: {"html": source, "text": source}}
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)

    block: Mapped[ContentBlock] = relationship(lazy="joined")


class StudioEvent(IdMixin, CreatedMixin, Base):
    """One step in the history of a template or a block: who did what, when, and why."""

    __tablename__ = "studio_events"
    __table_args__ = (Index("ix_studio_events_subject_created", "subject_id", "created_at"),)

    # ``template`` or ``block``; ``subject_id`` is the template's or the block's id.
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[uuid.UUID]
    version: Mapped[int | None]
    # created, updated, version_created, edited, submitted, approved, rejected, retired
    action: Mapped[str] = mapped_column(String(32))
    operator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
