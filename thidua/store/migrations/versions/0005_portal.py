"""The unit portal: personal links, staff accounts, the audit log, receipt numbers, and a
submission answered by an official document's number and date instead of a file.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Upgrade the schema."""
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("doc_number", sa.String(), nullable=True))
        batch.add_column(sa.Column("doc_date", sa.Date(), nullable=True))
    op.create_table(
        "portal_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        sa.Column("last_used_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_links_token_hash")),
        sa.UniqueConstraint("unit_code", "generation", name="uq_portal_links_unit_generation"),
    )
    op.create_index(op.f("ix_portal_links_unit_code"), "portal_links", ["unit_code"], unique=False)
    op.create_table(
        "staff_users",
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_staff_users")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("campaign_code", sa.String(), nullable=True),
        sa.Column("unit_code", sa.String(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("campaign_code", sa.String(), nullable=False),
        sa.Column("unit_code", sa.String(), nullable=False),
        sa.Column("issued_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("number", name=op.f("uq_receipts_number")),
    )
    op.create_index(op.f("ix_receipts_unit_code"), "receipts", ["unit_code"], unique=False)


def downgrade() -> None:
    """Downgrade the schema."""
    op.drop_index(op.f("ix_receipts_unit_code"), table_name="receipts")
    op.drop_table("receipts")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("staff_users")
    op.drop_index(op.f("ix_portal_links_unit_code"), table_name="portal_links")
    op.drop_table("portal_links")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("doc_date")
        batch.drop_column("doc_number")
