"""The knowledge base slice: kb_categories, kb_articles, kb_versions, kb_files and the
append-only kb_audit (a trigger refuses UPDATE and DELETE on both backends).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

STATES = ("draft", "pending", "scheduled", "published", "rejected", "superseded")
VISIBILITIES = ("internal", "public")
FILE_KINDS = ("image", "attachment")
ACTIONS = ("created", "edited", "submitted", "approved", "scheduled", "published", "rejected",
           "unpublished", "moved", "file_added", "category_created", "category_renamed",
           "category_moved", "category_deleted")

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")",
                              name=f"ck_{table}_{column}")


def upgrade() -> None:
    op.create_table(
        "kb_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["kb_categories.id"],
                                name="fk_kb_categories_parent_id_kb_categories"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_categories"),
    )
    op.create_index("ix_kb_categories_parent_id", "kb_categories", ["parent_id"])
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("live_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["kb_categories.id"],
                                name="fk_kb_articles_category_id_kb_categories"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_articles"),
    )
    op.create_index("ix_kb_articles_category_id", "kb_articles", ["category_id"])
    op.create_table(
        "kb_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("keywords", JSON, nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("submitted_at", sa.Double(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("decided_at", sa.Double(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("publish_at", sa.Double(), nullable=True),
        sa.Column("published_at", sa.Double(), nullable=True),
        _one_of("kb_versions", "state", STATES),
        _one_of("kb_versions", "visibility", VISIBILITIES),
        sa.ForeignKeyConstraint(["article_id"], ["kb_articles.id"],
                                name="fk_kb_versions_article_id_kb_articles"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_versions"),
        sa.UniqueConstraint("article_id", "number", name="uq_kb_versions_article_id_number"),
    )
    op.create_index("ix_kb_versions_article_id", "kb_versions", ["article_id"])
    op.create_index("ix_kb_versions_state_publish_at", "kb_versions", ["state", "publish_at"])
    op.create_table(
        "kb_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("mime", sa.String(128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(64), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        _one_of("kb_files", "kind", FILE_KINDS),
        sa.ForeignKeyConstraint(["article_id"], ["kb_articles.id"],
                                name="fk_kb_files_article_id_kb_articles"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_files"),
    )
    op.create_index("ix_kb_files_article_id", "kb_files", ["article_id"])
    op.create_table(
        "kb_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        _one_of("kb_audit", "action", ACTIONS),
        sa.PrimaryKeyConstraint("id", name="pk_kb_audit"),
    )
    op.create_index("ix_kb_audit_article_id", "kb_audit", ["article_id"])
    _append_only()


REFUSE = "kb_audit is append-only"


def _append_only() -> None:
    """Refuse UPDATE and DELETE on kb_audit, whoever connects."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION kb_audit_append_only() RETURNS trigger "
                   f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{REFUSE}'; END $$")
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER kb_audit_no_{verb.lower()} BEFORE {verb} "
                       "ON kb_audit FOR EACH ROW EXECUTE FUNCTION kb_audit_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER kb_audit_no_{verb.lower()} BEFORE {verb} "
                       f"ON kb_audit BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END")


def downgrade() -> None:
    for table in ("kb_audit", "kb_files", "kb_versions", "kb_articles", "kb_categories"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION kb_audit_append_only()")
