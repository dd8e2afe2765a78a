"""Initial schema: campaigns, units, campaign_units, actions, deliveries, submissions, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)
STATUS = sa.String(length=20)


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "campaigns",
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("file", sa.String(), nullable=False),
        sa.Column("organizer", sa.String(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("spec_hash", sa.String(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "units",
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("supervisor", sa.String(), nullable=True),
        sa.Column("headcount", sa.Integer(), nullable=True),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_units")),
    )
    op.create_table(
        "campaign_units",
        sa.Column("campaign_code", sa.String(), nullable=False),
        sa.Column("unit_code", sa.String(), nullable=False),
        sa.Column("role", STATUS, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_code"],
            ["campaigns.code"],
            name=op.f("fk_campaign_units_campaign_code_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["units.code"], name=op.f("fk_campaign_units_unit_code_units")
        ),
        sa.PrimaryKeyConstraint(
            "campaign_code", "unit_code", "role", name=op.f("pk_campaign_units")
        ),
    )
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_code", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("milestone", sa.String(), nullable=False),
        sa.Column("occurrence", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("run_name", sa.String(), nullable=False),
        sa.Column("scheduled_at", UTC_TIME, nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("flow_run_id", sa.String(), nullable=True),
        sa.Column("started_at", UTC_TIME, nullable=True),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.Column("late_seconds", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_code"], ["campaigns.code"], name=op.f("fk_actions_campaign_code_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
        sa.UniqueConstraint("campaign_code", "key", name="uq_actions_campaign_key"),
    )
    op.create_index(op.f("ix_actions_campaign_code"), "actions", ["campaign_code"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_code", sa.String(), nullable=False),
        sa.Column("action_key", sa.String(), nullable=False),
        sa.Column("occurrence", sa.String(), nullable=False),
        sa.Column("unit_code", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("sent_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "campaign_code",
            "action_key",
            "occurrence",
            "unit_code",
            "channel",
            name="uq_deliveries_key",
        ),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_code", sa.String(), nullable=False),
        sa.Column("milestone", sa.String(), nullable=False),
        sa.Column("occurrence", sa.String(), nullable=False),
        sa.Column("unit_code", sa.String(), nullable=False),
        sa.Column("submitted_at", UTC_TIME, nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint(
            "campaign_code", "milestone", "occurrence", "unit_code", name="uq_submissions_key"
        ),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("unit_code", sa.String(), nullable=True),
        sa.Column("campaign_code", sa.String(), nullable=True),
        sa.Column("action_key", sa.String(), nullable=True),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("eml_path", sa.String(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(op.f("ix_outbox_mailbox"), "outbox", ["mailbox"])


def downgrade() -> None:
    """Downgrade the schema."""
    op.drop_index(op.f("ix_outbox_mailbox"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("submissions")
    op.drop_table("deliveries")
    op.drop_index(op.f("ix_actions_campaign_code"), table_name="actions")
    op.drop_table("actions")
    op.drop_table("campaign_units")
    op.drop_table("units")
    op.drop_table("campaigns")
