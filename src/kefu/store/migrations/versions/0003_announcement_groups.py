"""Announcements to groups (技能组): announcements.groups and announcements.recipients.

``groups`` keeps the queue names a notice was posted to (for display); ``recipients`` the
usernames it reaches, resolved when posted.  Existing rows reach exactly their audience,
so ``recipients`` starts as a copy of it (an empty audience stays "every agent").

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON_LIST = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("announcements") as batch:
        batch.add_column(sa.Column("groups", JSON_LIST, server_default=sa.text("'[]'"),
                                   nullable=False))
        batch.add_column(sa.Column("recipients", JSON_LIST, server_default=sa.text("'[]'"),
                                   nullable=False))
    op.execute("UPDATE announcements SET recipients = audience")


def downgrade() -> None:
    with op.batch_alter_table("announcements") as batch:
        batch.drop_column("recipients")
        batch.drop_column("groups")
