"""IVR collected records (the ``store`` node): ivr_records.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ivr_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(128), nullable=False),
        sa.Column("caller", sa.String(255), nullable=False),
        sa.Column("flow", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("node", sa.String(64), nullable=False),
        sa.Column("record", sa.String(64), nullable=False),
        sa.Column("fields", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                  nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ivr_records"),
    )
    op.create_index("ix_ivr_records_call_id", "ivr_records", ["call_id"])
    op.create_index("ix_ivr_records_caller", "ivr_records", ["caller"])
    op.create_index("ix_ivr_records_created_at", "ivr_records", ["created_at"])
    op.create_index("ix_ivr_records_flow_created_at", "ivr_records", ["flow", "created_at"])


def downgrade() -> None:
    op.drop_table("ivr_records")
