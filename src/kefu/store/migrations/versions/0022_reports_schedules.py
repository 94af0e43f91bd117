"""The reports slice: scheduled reports and their delivery log.

Revision ID: 0022
Revises: 0020 (the lead re-chains it after 0021)
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")",
                              name=f"ck_{table}_{column}")


def upgrade() -> None:
    op.create_table(
        "report_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report", sa.String(64), nullable=False),
        sa.Column("filters", JSON, nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("frequency", sa.String(16), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("day", sa.Integer(), nullable=True),
        sa.Column("recipients", JSON, nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("done_through", sa.Double(), nullable=False),
        sa.Column("failed_at", sa.Double(), nullable=True),
        _one_of("report_schedules", "frequency", ("daily", "weekly", "monthly")),
        _one_of("report_schedules", "period", ("yesterday", "last_week", "last_month")),
        _one_of("report_schedules", "lang", ("zh", "en")),
        sa.PrimaryKeyConstraint("id", name="pk_report_schedules"),
    )
    op.create_table(
        "report_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("slot", sa.Double(), nullable=True),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("recipients", JSON, nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        _one_of("report_deliveries", "trigger", ("schedule", "manual")),
        sa.ForeignKeyConstraint(["schedule_id"], ["report_schedules.id"], ondelete="CASCADE",
                                name="fk_report_deliveries_schedule_id_report_schedules"),
        sa.PrimaryKeyConstraint("id", name="pk_report_deliveries"),
    )
    op.create_index("ix_report_deliveries_schedule_id_at", "report_deliveries",
                    ["schedule_id", "at"])


def downgrade() -> None:
    op.drop_table("report_deliveries")
    op.drop_table("report_schedules")
