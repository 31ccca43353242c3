"""webhook deliveries and send attempts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:36:42.128843
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import unisono.models.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "processed",
                "failed",
                "invalid",
                name="webhookstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column(
            "headers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "summary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("processed_at", unisono.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", unisono.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_webhook_deliveries_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_channel_id"), ["channel_id"], unique=False
        )
        batch_op.create_index(
            "ix_webhook_deliveries_status_created", ["status", "created_at"], unique=False
        )

    op.create_table(
        "delivery_attempts",
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("provider_message_id", sa.String(length=255), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", unisono.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_delivery_attempts_interaction_id_interactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_attempts_interaction_id"), ["interaction_id"], unique=False
        )

    # Plain ALTER TABLE, never a batch "move and copy": that would drop SQLite's FTS triggers.
    op.add_column(
        "interactions",
        sa.Column("send_attempts", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "interactions",
        sa.Column("next_attempt_at", unisono.models.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_interactions_delivery_queue",
        "interactions",
        ["delivery_status", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_interactions_delivery_queue", table_name="interactions")
    op.drop_column("interactions", "next_attempt_at")
    op.drop_column("interactions", "send_attempts")

    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_attempts_interaction_id"))

    op.drop_table("delivery_attempts")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_status_created")
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_channel_id"))

    op.drop_table("webhook_deliveries")
