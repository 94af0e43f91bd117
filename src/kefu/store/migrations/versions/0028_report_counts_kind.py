"""The reports' counts found by kind: a month's pause reasons are read without scanning
the month's handle-time and abandon-wait buckets (which grow with the calls).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_report_counts_kind", "report_counts", ["kind", "interval"])


def downgrade() -> None:
    op.drop_index("ix_report_counts_kind", "report_counts")
