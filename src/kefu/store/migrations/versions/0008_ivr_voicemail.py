"""IVR voicemail: ivr_mailboxes, ivr_messages.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ivr_mailboxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("pin_hash", sa.String(255), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.CheckConstraint("kind IN ('extension', 'queue', 'flow')",
                           name="ck_ivr_mailboxes_kind"),
        sa.PrimaryKeyConstraint("id", name="pk_ivr_mailboxes"),
        sa.UniqueConstraint("kind", "owner", name="uq_ivr_mailboxes_kind_owner"),
    )
    op.create_table(
        "ivr_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(128), nullable=False),
        sa.Column("caller", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("duration", sa.Double(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_by", sa.String(64), nullable=True),
        sa.Column("done_at", sa.Double(), nullable=True),
        sa.CheckConstraint("status IN ('new', 'saved', 'deleted')",
                           name="ck_ivr_messages_status"),
        sa.ForeignKeyConstraint(["mailbox_id"], ["ivr_mailboxes.id"],
                                name="fk_ivr_messages_mailbox_id_ivr_mailboxes"),
        sa.PrimaryKeyConstraint("id", name="pk_ivr_messages"),
    )
    op.create_index("ix_ivr_messages_mailbox_id", "ivr_messages", ["mailbox_id"])


def downgrade() -> None:
    op.drop_table("ivr_messages")
    op.drop_table("ivr_mailboxes")
