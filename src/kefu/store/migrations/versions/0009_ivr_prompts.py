"""IVR uploaded prompts: ivr_prompts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ivr_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("duration", sa.Double(), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.CheckConstraint("language IN ('zh', 'en')", name="ck_ivr_prompts_language"),
        sa.PrimaryKeyConstraint("id", name="pk_ivr_prompts"),
        sa.UniqueConstraint("name", "language", name="uq_ivr_prompts_name_language"),
    )


def downgrade() -> None:
    op.drop_table("ivr_prompts")
