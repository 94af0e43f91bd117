"""An index on call_events.ts: the ACD replays today's queue events at start.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_call_events_ts", "call_events", ["ts"])


def downgrade() -> None:
    op.drop_index("ix_call_events_ts", table_name="call_events")
