"""The reports slice: its summary tables (report_facts, report_counts, report_cursor).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
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
        "report_facts",
        sa.Column("interval", Interval, nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        *[sa.Column(name, sa.Double(), nullable=False) for name in SECONDS],
        sa.PrimaryKeyConstraint("interval", "queue", "agent"))
    op.create_index("ix_report_facts_agent", "report_facts", ["agent", "interval"])
    op.create_index("ix_report_facts_queue", "report_facts", ["queue", "interval"])
    op.create_table(
        "report_counts",
        sa.Column("interval", Interval, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("sub", sa.String(64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("interval", "kind", "key", "sub"))
    op.create_table(
        "report_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"))


def downgrade() -> None:
    op.drop_table("report_cursor")
    op.drop_table("report_counts")
    op.drop_index("ix_report_facts_queue", "report_facts")
    op.drop_index("ix_report_facts_agent", "report_facts")
    op.drop_table("report_facts")
