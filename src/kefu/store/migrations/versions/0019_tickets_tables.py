"""Tickets (工单): ticket_types (workflow JSON, version, SLA, custom fields), tickets,
ticket_comments, ticket_attachments and the append-only ticket_activity (a trigger refuses
UPDATE and DELETE on both backends).

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
EntryId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PRIORITIES = ("low", "normal", "high", "urgent")
STATE_KINDS = ("open", "waiting", "closed")
ACTIONS = ("created", "transition", "assigned", "changed", "comment", "attachment",
           "sla_warning", "sla_breached", "escalated", "state_mapped")
REFUSE = "ticket activity is append-only"


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")",
                              name=f"ck_{table}_{column}")


def _text(name: str, length: int | None = None) -> sa.Column:
    return sa.Column(name, sa.String(length) if length else sa.Text(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "ticket_types",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("name", 64), _text("label_zh", 128), _text("label_en", 128),
        sa.Column("workflow", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sla", JSON, nullable=False),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_types"),
        sa.UniqueConstraint("name", name="uq_ticket_types_name"),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        _text("state", 64), _text("state_kind", 16), _text("title", 200), _text("description"),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        _text("number", 32),
        sa.Column("call_id", sa.String(128), nullable=True),
        sa.Column("voicemail_id", sa.Integer(), nullable=True),
        _text("priority", 16), _text("assignee", 64), _text("group_name", 64),
        _text("created_by", 64),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("due_at", sa.Double(), nullable=True),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("fr_due", sa.Double(), nullable=True),
        sa.Column("fr_met_at", sa.Double(), nullable=True),
        sa.Column("fr_warned", sa.Boolean(), nullable=False),
        sa.Column("fr_breached", sa.Boolean(), nullable=False),
        sa.Column("res_due", sa.Double(), nullable=True),
        sa.Column("resolved_at", sa.Double(), nullable=True),
        _text("resolved_by", 64),
        sa.Column("res_warned", sa.Boolean(), nullable=False),
        sa.Column("res_breached", sa.Boolean(), nullable=False),
        sa.Column("paused_at", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["type_id"], ["ticket_types.id"],
                                name="fk_tickets_type_id_ticket_types"),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        _one_of("tickets", "priority", PRIORITIES),
        _one_of("tickets", "state_kind", STATE_KINDS),
    )
    for column in ("type_id", "customer_id", "call_id", "assignee", "group_name", "created_at"):
        op.create_index(f"ix_tickets_{column}", "tickets", [column])
    op.create_index("ix_tickets_state_kind_created_at", "tickets", ["state_kind", "created_at"])
    op.create_table(
        "ticket_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        _text("author", 64), _text("body"),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name="fk_ticket_comments_ticket_id_tickets"),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_comments"),
    )
    op.create_index("ix_ticket_comments_ticket_id", "ticket_comments", ["ticket_id"])
    op.create_table(
        "ticket_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        _text("name", 255), _text("mime", 128),
        sa.Column("size", sa.Integer(), nullable=False),
        _text("path", 64), _text("by", 64),
        sa.Column("at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name="fk_ticket_attachments_ticket_id_tickets"),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_attachments"),
    )
    op.create_index("ix_ticket_attachments_ticket_id", "ticket_attachments", ["ticket_id"])
    op.create_table(
        "ticket_activity",
        sa.Column("id", EntryId, autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        _text("actor", 64), _text("action", 16), _text("field", 64),
        _text("old"), _text("new"), _text("detail"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name="fk_ticket_activity_ticket_id_tickets"),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_activity"),
        _one_of("ticket_activity", "action", ACTIONS),
    )
    op.create_index("ix_ticket_activity_ticket_id", "ticket_activity", ["ticket_id"])
    _append_only()


def _append_only() -> None:
    """Refuse UPDATE and DELETE on ticket_activity, whoever connects."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION ticket_activity_append_only() RETURNS trigger "
                   f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{REFUSE}'; END $$")
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER ticket_activity_no_{verb.lower()} BEFORE {verb} "
                       "ON ticket_activity FOR EACH ROW "
                       "EXECUTE FUNCTION ticket_activity_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER ticket_activity_no_{verb.lower()} BEFORE {verb} "
                       f"ON ticket_activity BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END")


def downgrade() -> None:
    op.drop_table("ticket_activity")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION ticket_activity_append_only()")
    op.drop_table("ticket_attachments")
    op.drop_table("ticket_comments")
    op.drop_table("tickets")
    op.drop_table("ticket_types")
