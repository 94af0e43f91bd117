"""The reports' daily rollup: report_days (report_facts per local day) and the zone of
its days on report_cursor (None: to build, which the summaries do at start).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

COUNTS = ("entered", "answered", "answered_in_sl", "abandoned", "short_abandoned",
          "overflowed", "refused", "handled", "ring_no_answer", "transfers", "consults",
          "callbacks_requested", "callbacks_made", "callbacks_connected", "callbacks_failed",
          "outbound", "surveys", "survey_score")
SECONDS = ("wait_answered", "wait_abandoned", "talk", "hold", "wrap_up", "login", "ready",
           "paused", "busy", "max_wait")
Interval = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "report_days",
        sa.Column("interval", Interval, nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        *[sa.Column(name, sa.Double(), nullable=False) for name in SECONDS],
        sa.PrimaryKeyConstraint("interval", "queue", "agent"))
    op.create_index("ix_report_days_agent", "report_days", ["agent", "interval"])
    op.create_index("ix_report_days_queue", "report_days", ["queue", "interval"])
    with op.batch_alter_table("report_cursor") as batch:
        batch.add_column(sa.Column("zone", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report_cursor") as batch:
        batch.drop_column("zone")
    op.drop_index("ix_report_days_queue", "report_days")
    op.drop_index("ix_report_days_agent", "report_days")
    op.drop_table("report_days")
