"""Initial schema: extensions, users, api_tokens, call_events, calls.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(10), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("realm", sa.String(128), nullable=False),
        sa.Column("ha1_md5", sa.String(32), nullable=False),
        sa.Column("ha1_sha256", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_extensions"),
        sa.UniqueConstraint("number", name="uq_extensions_number"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'supervisor', 'agent', 'qa')",
                           name="ck_users_role"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_api_tokens_user_id_users"),
        sa.PrimaryKeyConstraint("token_sha256", name="pk_api_tokens"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "call_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("ts", sa.Double(), nullable=False),
        sa.Column("call_id", sa.String(128), nullable=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_call_events"),
    )
    op.create_index("ix_call_events_call_id", "call_events", ["call_id"])
    op.create_table(
        "calls",
        sa.Column("call_id", sa.String(128), nullable=False),
        sa.Column("caller", sa.String(255), nullable=False),
        sa.Column("callee", sa.String(255), nullable=False),
        sa.Column("caller_name", sa.Text(), nullable=False),
        sa.Column("start_ts", sa.Double(), nullable=False),
        sa.Column("answer_ts", sa.Double(), nullable=True),
        sa.Column("end_ts", sa.Double(), nullable=True),
        sa.Column("duration", sa.Double(), nullable=False),
        sa.Column("disposition", sa.String(16), nullable=True),
        sa.Column("hangup_by", sa.String(16), nullable=True),
        sa.Column("sip_code", sa.Integer(), nullable=True),
        sa.Column("recording_path", sa.Text(), nullable=True),
        sa.Column("recording_duration", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("call_id", name="pk_calls"),
    )
    op.create_index("ix_calls_start_ts", "calls", ["start_ts"])
    op.create_index("ix_calls_caller", "calls", ["caller"])
    op.create_index("ix_calls_callee", "calls", ["callee"])


def downgrade() -> None:
    op.drop_table("calls")
    op.drop_table("call_events")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("extensions")
