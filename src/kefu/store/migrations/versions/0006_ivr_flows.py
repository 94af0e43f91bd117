"""IVR flows and their versions: ivr_flows, ivr_flow_versions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ivr_flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ivr_flows"),
        sa.UniqueConstraint("name", name="uq_ivr_flows_name"),
    )
    op.create_table(
        "ivr_flow_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("published_at", sa.Double(), nullable=True),
        sa.Column("retired_at", sa.Double(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'published', 'retired')",
                           name="ck_ivr_flow_versions_status"),
        sa.ForeignKeyConstraint(["flow_id"], ["ivr_flows.id"], ondelete="CASCADE",
                                name="fk_ivr_flow_versions_flow_id_ivr_flows"),
        sa.PrimaryKeyConstraint("id", name="pk_ivr_flow_versions"),
        sa.UniqueConstraint("flow_id", "number", name="uq_ivr_flow_versions_flow_id_number"),
    )


def downgrade() -> None:
    op.drop_table("ivr_flow_versions")
    op.drop_table("ivr_flows")
