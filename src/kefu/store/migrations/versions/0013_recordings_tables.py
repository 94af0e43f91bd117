"""The recordings slice: recordings, recording_tags, recording_audit, recording_inspectors.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")",
                              name=f"ck_{table}_{column}")


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(128), nullable=False),
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.Column("journey", sa.String(128), nullable=False),
        sa.Column("caller", sa.String(255), nullable=False),
        sa.Column("callee", sa.String(255), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("duration", sa.Double(), nullable=False),
        sa.Column("agent", sa.String(64), nullable=True),
        sa.Column("queue", sa.String(64), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("disposition", sa.String(16), nullable=True),
        sa.Column("policy", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("codec", sa.String(8), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("paused", JSON, nullable=False),
        sa.Column("qa_score", sa.Double(), nullable=True),
        _one_of("recordings", "direction", ("inbound", "outbound", "internal")),
        _one_of("recordings", "tier", ("live", "archive")),
        _one_of("recordings", "state", ("recording", "done", "interrupted", "deleted")),
        _one_of("recordings", "codec", ("wav", "flac", "opus")),
        sa.PrimaryKeyConstraint("id", name="pk_recordings"),
        sa.UniqueConstraint("call_id", "segment", name="uq_recordings_call_id_segment"),
    )
    for name, columns in (("journey", ["journey"]), ("started_at", ["started_at"]),
                          ("agent_started_at", ["agent", "started_at"]),
                          ("queue_started_at", ["queue", "started_at"]),
                          ("customer_id_started_at", ["customer_id", "started_at"]),
                          ("qa_score", ["qa_score"])):
        op.create_index(f"ix_recordings_{name}", "recordings", columns)
    for party in ("caller", "callee"):     # PostgreSQL: number prefixes (LIKE) in any collation
        op.create_index(f"ix_recordings_{party}_started_at", "recordings", [party, "started_at"],
                        postgresql_ops={party: "varchar_pattern_ops"})
    op.create_table(
        "recording_tags",
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"], ondelete="CASCADE",
                                name="fk_recording_tags_recording_id_recordings"),
        sa.PrimaryKeyConstraint("recording_id", "tag", name="pk_recording_tags"),
    )
    op.create_index("ix_recording_tags_tag", "recording_tags", ["tag", "recording_id"])
    op.create_table(
        "recording_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        _one_of("recording_audit", "action",
                ("play", "download", "phone_play", "archive", "delete", "export")),
        sa.PrimaryKeyConstraint("id", name="pk_recording_audit"),
    )
    op.create_index("ix_recording_audit_at", "recording_audit", ["at"])
    op.create_index("ix_recording_audit_recording_id", "recording_audit", ["recording_id"])
    op.create_table(
        "recording_inspectors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("pin_hash", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recording_inspectors"),
        sa.UniqueConstraint("code", name="uq_recording_inspectors_code"),
        sa.UniqueConstraint("username", name="uq_recording_inspectors_username"),
    )


def downgrade() -> None:
    for table in ("recording_inspectors", "recording_audit", "recording_tags", "recordings"):
        op.drop_table(table)
