"""The knowledge base's use: kb_searches (every search, its hits; gaps and their drafts),
kb_views (with call/session for co-viewing), kb_votes (one per user per version), and the
admins' vocabulary: kb_synonyms, kb_words.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ENTRY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "kb_searches",
        sa.Column("id", ENTRY, autoincrement=True, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("query", sa.String(200), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("top_id", sa.Integer(), nullable=True),
        sa.Column("handled_at", sa.Double(), nullable=True),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_kb_searches"),
    )
    op.create_index("ix_kb_searches_at", "kb_searches", ["at"])
    op.create_index("ix_kb_searches_gap", "kb_searches", ["hits", "query"])
    op.create_table(
        "kb_views",
        sa.Column("id", ENTRY, autoincrement=True, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("session", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["kb_articles.id"],
                                name="fk_kb_views_article_id_kb_articles"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_views"),
    )
    op.create_index("ix_kb_views_article_at", "kb_views", ["article_id", "at"])
    op.create_index("ix_kb_views_call_id", "kb_views", ["call_id"])
    op.create_index("ix_kb_views_session", "kb_views", ["session"])
    op.create_table(
        "kb_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["kb_articles.id"],
                                name="fk_kb_votes_article_id_kb_articles"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_votes"),
        sa.UniqueConstraint("article_id", "version", "username",
                            name="uq_kb_votes_article_id_version_username"),
    )
    op.create_index("ix_kb_votes_article_id", "kb_votes", ["article_id"])
    op.create_table(
        "kb_synonyms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("words", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kb_synonyms"),
    )
    op.create_table(
        "kb_words",
        sa.Column("word", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("word", name="pk_kb_words"),
    )


def downgrade() -> None:
    for table in ("kb_words", "kb_synonyms", "kb_votes", "kb_views", "kb_searches"):
        op.drop_table(table)
