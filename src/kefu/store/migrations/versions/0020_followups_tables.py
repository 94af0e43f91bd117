"""The follow-ups slice: followups (callbacks and return visits).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

KINDS = ("callback", "visit")
STATES = ("pending", "in_progress", "done", "failed", "cancelled")
OUTCOMES = ("", "reached", "no_answer", "busy", "wrong_number", "refused", "other")


def _one_of(column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")",
                              name=f"ck_followups_{column}")


def upgrade() -> None:
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("due_at", sa.Double(), nullable=False),
        sa.Column("assignee", sa.String(64), nullable=False),
        sa.Column("group", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("call_id", sa.String(128), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("reminded", sa.Boolean(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        _one_of("kind", KINDS),
        _one_of("state", STATES),
        _one_of("outcome", OUTCOMES),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name="fk_followups_customer_id_customers"),
        sa.PrimaryKeyConstraint("id", name="pk_followups"),
    )
    for name, columns in (("customer_id", ["customer_id"]), ("group", ["group"]),
                          ("ticket_id", ["ticket_id"]), ("state_due_at", ["state", "due_at"]),
                          ("assignee_state", ["assignee", "state"])):
        op.create_index(f"ix_followups_{name}", "followups", columns)


def downgrade() -> None:
    op.drop_table("followups")
