"""The QA slice: qa_scorecards, qa_evaluations, qa_comments, qa_steps, qa_examples.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
STATES = ("draft", "submitted", "acknowledged", "disputed", "revised", "upheld")
ACTIONS = ("create", "submit", "acknowledge", "dispute", "revise", "uphold")


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")",
                              name=f"ck_{table}_{column}")


def upgrade() -> None:
    op.create_table(
        "qa_scorecards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sections", JSON, nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_qa_scorecards"),
        sa.UniqueConstraint("name", "version", name="uq_qa_scorecards_name_version"),
    )
    op.create_table(
        "qa_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("inspector", sa.String(64), nullable=False),
        sa.Column("agent", sa.String(64), nullable=True),
        sa.Column("queue", sa.String(64), nullable=True),
        sa.Column("call_started_at", sa.Double(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        _one_of("qa_evaluations", "state", STATES),
        sa.ForeignKeyConstraint(["scorecard_id"], ["qa_scorecards.id"],
                                name="fk_qa_evaluations_scorecard_id_qa_scorecards"),
        sa.PrimaryKeyConstraint("id", name="pk_qa_evaluations"),
    )
    for name, columns in (("recording_id", ["recording_id"]),
                          ("scorecard_id", ["scorecard_id"]),
                          ("inspector", ["inspector"]),
                          ("call_started_at", ["call_started_at"]),
                          ("agent_call_started_at", ["agent", "call_started_at"])):
        op.create_index(f"ix_qa_evaluations_{name}", "qa_evaluations", columns)
    op.create_table(
        "qa_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["evaluation_id"], ["qa_evaluations.id"], ondelete="CASCADE",
                                name="fk_qa_comments_evaluation_id_qa_evaluations"),
        sa.PrimaryKeyConstraint("id", name="pk_qa_comments"),
    )
    op.create_index("ix_qa_comments_evaluation_id", "qa_comments", ["evaluation_id"])
    op.create_table(
        "qa_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        _one_of("qa_steps", "action", ACTIONS),
        _one_of("qa_steps", "state", STATES),
        sa.ForeignKeyConstraint(["evaluation_id"], ["qa_evaluations.id"], ondelete="CASCADE",
                                name="fk_qa_steps_evaluation_id_qa_evaluations"),
        sa.PrimaryKeyConstraint("id", name="pk_qa_steps"),
    )
    op.create_index("ix_qa_steps_evaluation_id", "qa_steps", ["evaluation_id"])
    op.create_table(
        "qa_examples",
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        _one_of("qa_examples", "kind", ("good", "bad")),
        sa.PrimaryKeyConstraint("recording_id", name="pk_qa_examples"),
    )


def downgrade() -> None:
    for table in ("qa_examples", "qa_steps", "qa_comments", "qa_evaluations",
                  "qa_scorecards"):
        op.drop_table(table)
