"""The CRM's customers grow up: several numbers (customer_numbers, in E.164), e-mails,
tags, custom fields (crm_fields), birthday, address; call notes get a way of handling and
a queue, their types become the site's list; the customers' timeline (crm_timeline) and
the CRM's audit (crm_audit).

The numbers move out of ``customers.number`` into ``customer_numbers``, each in
:mod:`kefu.crm.phones`' one spelling read as a Chinese number (``[crm] region``'s
default; a number that reads as no phone number at all is kept as it was).  Every note
already written gets a timeline line.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import phonenumbers

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
EntryId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMELINE_KINDS = ("call", "note", "ticket", "voicemail", "survey", "followup", "chat", "email")
MIGRATED_REGION = "CN"


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")",
                              name=f"ck_{table}_{column}")


def _spelt(raw: str) -> tuple[str, str]:
    """kefu.crm.phones.normalise as it was at this revision (the store imports no slice)."""
    try:
        parsed = phonenumbers.parse(raw, MIGRATED_REGION)
    except phonenumbers.NumberParseException:
        return raw, ""
    if not phonenumbers.is_valid_number(parsed):
        return raw, ""
    return (phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
            parsed.extension or "")


def upgrade() -> None:
    op.create_table(
        "customer_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("extension", sa.String(16), nullable=False),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name="fk_customer_numbers_customer_id_customers"),
        sa.PrimaryKeyConstraint("id", name="pk_customer_numbers"),
        sa.UniqueConstraint("customer_id", "number", name="uq_customer_numbers_customer_id_number"),
    )
    op.create_index("ix_customer_numbers_customer_id", "customer_numbers", ["customer_id"])
    op.create_index("ix_customer_numbers_number", "customer_numbers", ["number"])
    op.create_table(
        "customer_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name="fk_customer_emails_customer_id_customers"),
        sa.PrimaryKeyConstraint("id", name="pk_customer_emails"),
        sa.UniqueConstraint("customer_id", "email", name="uq_customer_emails_customer_id_email"),
    )
    op.create_index("ix_customer_emails_customer_id", "customer_emails", ["customer_id"])
    op.create_index("ix_customer_emails_email", "customer_emails", ["email"])
    op.create_table(
        "customer_tags",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name="fk_customer_tags_customer_id_customers"),
        sa.PrimaryKeyConstraint("customer_id", "tag", name="pk_customer_tags"),
    )
    op.create_index("ix_customer_tags_tag", "customer_tags", ["tag"])
    op.create_table(
        "crm_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("choices", JSON, nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        _one_of("crm_fields", "kind", ("text", "number", "date", "choice")),
        sa.PrimaryKeyConstraint("id", name="pk_crm_fields"),
        sa.UniqueConstraint("name", name="uq_crm_fields_name"),
    )
    op.create_table(
        "crm_timeline",
        sa.Column("id", EntryId, nullable=False, autoincrement=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(128), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("summary", sa.String(255), nullable=False),
        sa.Column("data", JSON, nullable=False),
        _one_of("crm_timeline", "kind", TIMELINE_KINDS),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name="fk_crm_timeline_customer_id_customers"),
        sa.PrimaryKeyConstraint("id", name="pk_crm_timeline"),
    )
    op.create_index("ix_crm_timeline_customer_at", "crm_timeline", ["customer_id", "at", "id"])
    op.create_index("ix_crm_timeline_kind_ref", "crm_timeline", ["kind", "ref"])
    op.create_table(
        "crm_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("detail", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crm_audit"),
    )
    op.create_index("ix_crm_audit_at", "crm_audit", ["at"])

    conn = op.get_bind()
    customers = sa.table("customers", sa.column("id", sa.Integer), sa.column("number", sa.String))
    numbers = sa.table("customer_numbers", *(sa.column(c) for c in (
        "customer_id", "number", "extension", "label", "position")))
    moved = []
    for cid, raw in conn.execute(sa.select(customers.c.id, customers.c.number)):
        number, extension = _spelt(raw)
        moved.append({"customer_id": cid, "number": number, "extension": extension,
                      "label": "", "position": 0})
    if moved:
        conn.execute(numbers.insert(), moved)

    with op.batch_alter_table("customers") as batch:
        batch.drop_constraint("uq_customers_number", type_="unique")
        batch.drop_column("number")
        batch.add_column(sa.Column("birthday", sa.String(10), nullable=True))
        batch.add_column(sa.Column("address", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("fields", JSON, nullable=False, server_default="{}"))
    with op.batch_alter_table("customers") as batch:
        batch.alter_column("address", server_default=None)
        batch.alter_column("fields", server_default=None)
    op.create_index("ix_customers_owner", "customers", ["owner"])
    op.create_index("ix_customers_company_name", "customers", ["company", "name"])

    with op.batch_alter_table("contact_notes") as batch:
        batch.drop_constraint("ck_contact_notes_type", type_="check")
        batch.alter_column("type", type_=sa.String(32), existing_type=sa.String(16),
                           existing_nullable=False)
        batch.add_column(sa.Column("queue", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("handling", sa.String(64), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("contact_notes") as batch:
        batch.alter_column("queue", server_default=None)
        batch.alter_column("handling", server_default=None)
    op.create_index("ix_contact_notes_created_type", "contact_notes", ["created_at", "type"])

    notes = sa.table("contact_notes", *(sa.column(c) for c in (
        "id", "customer_id", "call_id", "agent", "type", "result", "notes", "created_at")))
    timeline = sa.table("crm_timeline", *(sa.column(c) for c in (
        "customer_id", "at", "kind", "ref", "agent", "summary")), sa.column("data", JSON))
    lines = [{"customer_id": n.customer_id, "at": n.created_at, "kind": "note",
              "ref": str(n.id), "agent": n.agent, "summary": n.notes[:255],
              "data": {"type": n.type, "result": n.result, "handling": "",
                       "call_id": n.call_id}}
             for n in conn.execute(sa.select(notes))]
    if lines:
        conn.execute(timeline.insert(), lines)


def downgrade() -> None:
    op.drop_index("ix_contact_notes_created_type", "contact_notes")
    with op.batch_alter_table("contact_notes") as batch:
        batch.drop_column("handling")
        batch.drop_column("queue")
        batch.alter_column("type", type_=sa.String(16), existing_type=sa.String(32),
                           existing_nullable=False)
        batch.create_check_constraint(
            "ck_contact_notes_type", "type IN ('inquiry', 'complaint', 'suggestion', 'other')")
    op.drop_index("ix_customers_company_name", "customers")
    op.drop_index("ix_customers_owner", "customers")
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("number", sa.String(32), nullable=False, server_default=""))
        batch.drop_column("fields")
        batch.drop_column("address")
        batch.drop_column("birthday")
    conn = op.get_bind()
    main = conn.execute(sa.text(
        "SELECT customer_id, number FROM customer_numbers WHERE position = 0")).all()
    for cid, number in main:
        conn.execute(sa.text("UPDATE customers SET number = :n WHERE id = :i"),
                     {"n": number, "i": cid})
    with op.batch_alter_table("customers") as batch:
        batch.alter_column("number", server_default=None)
        batch.create_unique_constraint("uq_customers_number", ["number"])
    for table in ("crm_audit", "crm_timeline", "crm_fields", "customer_tags",
                  "customer_emails", "customer_numbers"):
        op.drop_table(table)
