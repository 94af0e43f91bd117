"""CRM and announcements: customers, contact_notes, announcements, announcement_acks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("company", sa.String(128), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        sa.UniqueConstraint("number", name="uq_customers_number"),
    )
    op.create_table(
        "contact_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(128), nullable=True),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.CheckConstraint("type IN ('inquiry', 'complaint', 'suggestion', 'other')",
                           name="ck_contact_notes_type"),
        sa.CheckConstraint("result IN ('resolved', 'follow_up', 'escalated', 'other')",
                           name="ck_contact_notes_result"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name="fk_contact_notes_customer_id_customers"),
        sa.PrimaryKeyConstraint("id", name="pk_contact_notes"),
    )
    op.create_index("ix_contact_notes_customer_id", "contact_notes", ["customer_id"])
    op.create_index("ix_contact_notes_call_id", "contact_notes", ["call_id"])
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("audience", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                  nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_announcements"),
    )
    op.create_table(
        "announcement_acks",
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("acked_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["announcement_id"], ["announcements.id"], ondelete="CASCADE",
                                name="fk_announcement_acks_announcement_id_announcements"),
        sa.PrimaryKeyConstraint("announcement_id", "username", name="pk_announcement_acks"),
    )


def downgrade() -> None:
    op.drop_table("announcement_acks")
    op.drop_table("announcements")
    op.drop_table("contact_notes")
    op.drop_table("customers")
