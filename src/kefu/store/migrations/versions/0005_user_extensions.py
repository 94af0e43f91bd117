"""user_extensions: which extensions each agent may use (log in on, open a line for).

Existing installations start with no bindings: agents are refused every extension until
an admin binds them (``PUT /api/v1/users/{username}/extensions``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_extensions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(10), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_user_extensions_user_id_users"),
        sa.ForeignKeyConstraint(["number"], ["extensions.number"], ondelete="CASCADE",
                                name="fk_user_extensions_number_extensions"),
        sa.PrimaryKeyConstraint("user_id", "number", name="pk_user_extensions"),
    )
    op.create_index("ix_user_extensions_number", "user_extensions", ["number"])


def downgrade() -> None:
    op.drop_table("user_extensions")
