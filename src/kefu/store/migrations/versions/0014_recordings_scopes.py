"""The recordings slice: recording_scopes (the queues a supervisor or inspector may hear).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recording_scopes",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("username", "queue", name="pk_recording_scopes"),
    )


def downgrade() -> None:
    op.drop_table("recording_scopes")
