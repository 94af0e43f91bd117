"""The knowledge base slice: guided question trees (问题推测), kb_trees, and the agents'
walks through them, kb_walks.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WALK_STATES = ("open", "finished", "abandoned")


def upgrade() -> None:
    op.create_table(
        "kb_trees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("shape", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["kb_categories.id"],
                                name="fk_kb_trees_category_id_kb_categories"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_trees"),
    )
    op.create_index("ix_kb_trees_category_id", "kb_trees", ["category_id"])
    op.create_table(
        "kb_walks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_id", sa.Integer(), nullable=False),
        sa.Column("tree_version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("shape", JSON, nullable=False),
        sa.Column("call_id", sa.String(128), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("path", JSON, nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in WALK_STATES) + ")",
                           name="ck_kb_walks_state"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_walks"),
    )
    op.create_index("ix_kb_walks_tree_id", "kb_walks", ["tree_id"])
    op.create_index("ix_kb_walks_call_id", "kb_walks", ["call_id"])


def downgrade() -> None:
    op.drop_table("kb_walks")
    op.drop_table("kb_trees")
