"""The reports slice: the measures added for issue 16's KPIs (``rejected``: offers the
agent declined, apart from ``ring_no_answer``, those that rang out).  The summary tables
are derived from the event log: they are emptied here, and the next start refolds the
whole log in the background, old declines counted as rejected.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

FACT_TABLES = ("report_facts", "report_days")       # every table with the measure columns of report_facts
COUNTS = ("rejected",)                # kefu.reports.fold.ADDED, as of this revision


def upgrade() -> None:
    for table in FACT_TABLES:
        with op.batch_alter_table(table) as batch:
            for name in COUNTS:
                batch.add_column(sa.Column(name, sa.Integer(), nullable=False,
                                           server_default="0"))
    for table in FACT_TABLES + ("report_counts", "report_cursor"):
        op.execute(sa.text(f"DELETE FROM {table}"))


def downgrade() -> None:
    for table in FACT_TABLES:
        with op.batch_alter_table(table) as batch:
            for name in COUNTS:
                batch.drop_column(name)
