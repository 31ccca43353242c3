"""The communication studio: templates, content blocks, their versions and history.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 19:21:37.048919
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import unisono.models.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_blocks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", unisono.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", unisono.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["operators.id"],
            name=op.f("fk_content_blocks_created_by_id_operators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_blocks")),
        sa.UniqueConstraint("name", name=op.f("uq_content_blocks_name")),
    )
    op.create_table(
        "studio_events",
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", unisono.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_studio_events_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studio_events")),
    )
    with op.batch_alter_table("studio_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_studio_events_subject_created", ["subject_id", "created_at"], unique=False
        )

    op.create_table(
        "templates",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "inform",
                "explain",
                "advise",
                "educate",
                "advertise",
                "payment_reminder",
                "service",
                name="purpose",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "variant_kinds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "locales",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", unisono.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", unisono.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["operators.id"], name=op.f("fk_templates_created_by_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_templates_name")),
    )
    op.create_table(
        "content_block_versions",
        sa.Column("block_id", sa.Uuid(), nullable=False),
        sa.Column(
            "content",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "in_review",
                "approved",
                "retired",
                "rejected",
                name="versionstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", unisono.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_by_id", sa.Uuid(), nullable=True),
        sa.Column("submitted_at", unisono.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.Uuid(), nullable=True),
        sa.Column("reviewed_at", unisono.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=False),
        sa.Column("retired_by_id", sa.Uuid(), nullable=True),
        sa.Column("retired_at", unisono.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", unisono.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["block_id"],
            ["content_blocks.id"],
            name=op.f("fk_content_block_versions_block_id_content_blocks"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["operators.id"],
            name=op.f("fk_content_block_versions_created_by_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["retired_by_id"],
            ["operators.id"],
            name=op.f("fk_content_block_versions_retired_by_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["operators.id"],
            name=op.f("fk_content_block_versions_reviewed_by_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["operators.id"],
            name=op.f("fk_content_block_versions_submitted_by_id_operators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_block_versions")),
        sa.UniqueConstraint(
            "block_id", "number", name=op.f("uq_content_block_versions_block_id_number")
        ),
    )
    op.create_table(
        "template_versions",
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column(
            "schema",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "variants",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "in_review",
                "approved",
                "retired",
                "rejected",
                name="versionstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", unisono.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_by_id", sa.Uuid(), nullable=True),
        sa.Column("submitted_at", unisono.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.Uuid(), nullable=True),
        sa.Column("reviewed_at", unisono.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=False),
        sa.Column("retired_by_id", sa.Uuid(), nullable=True),
        sa.Column("retired_at", unisono.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", unisono.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["operators.id"],
            name=op.f("fk_template_versions_created_by_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["retired_by_id"],
            ["operators.id"],
            name=op.f("fk_template_versions_retired_by_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["operators.id"],
            name=op.f("fk_template_versions_reviewed_by_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["operators.id"],
            name=op.f("fk_template_versions_submitted_by_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["templates.id"],
            name=op.f("fk_template_versions_template_id_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_versions")),
        sa.UniqueConstraint(
            "template_id", "number", name=op.f("uq_template_versions_template_id_number")
        ),
    )


def downgrade() -> None:
    op.drop_table("template_versions")
    op.drop_table("content_block_versions")
    op.drop_table("templates")
    with op.batch_alter_table("studio_events", schema=None) as batch_op:
        batch_op.drop_index("ix_studio_events_subject_created")

    op.drop_table("studio_events")
    op.drop_table("content_blocks")
