"""Submissions carry timing, files and figures; nominations and their audit trail.

`submissions.on_time` becomes `timing` (on_time / late / early), because a window
("trong ngày 03 và ngày 04 tháng 7") can be missed on either side.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)
STATUS = sa.String(length=20)


def upgrade() -> None:
    """Upgrade the schema."""
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("timing", STATUS, nullable=False, server_default="on_time"))
        batch.add_column(
            sa.Column("requirement", sa.String(), nullable=False, server_default="none")
        )
        batch.add_column(sa.Column("files", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("figures", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("source", sa.String(), nullable=False, server_default="cli"))
        batch.add_column(sa.Column("recorded_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("recorded_at", UTC_TIME, nullable=True))
    op.execute("UPDATE submissions SET timing = 'late' WHERE NOT on_time")
    op.execute("UPDATE submissions SET recorded_at = submitted_at")
    with op.batch_alter_table("submissions") as batch:
        batch.alter_column("recorded_at", existing_type=UTC_TIME, nullable=False)
        batch.drop_column("on_time")
        # The defaults only served the rows that existed; the models set every field.
        for name in ("timing", "requirement", "files", "figures", "source"):
            batch.alter_column(name, server_default=None)

    op.create_table(
        "nominations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_code", sa.String(), nullable=False),
        sa.Column("unit_code", sa.String(), nullable=False),
        sa.Column("award", sa.String(), nullable=False),
        sa.Column("nominee_kind", sa.String(), nullable=False),
        sa.Column("nominee_name", sa.String(), nullable=False),
        sa.Column("nominee_key", sa.String(), nullable=False),
        sa.Column("position", sa.String(), nullable=True),
        sa.Column("workplace", sa.String(), nullable=True),
        sa.Column("achievement", sa.Text(), nullable=False),
        sa.Column("achievement_key", sa.String(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("milestone", sa.String(), nullable=True),
        sa.Column("occurrence", sa.String(), nullable=False),
        sa.Column("timing", STATUS, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("submitted_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nominations")),
        sa.UniqueConstraint(
            "campaign_code",
            "nominee_kind",
            "nominee_key",
            "achievement_key",
            name="uq_nominations_nominee",
        ),
    )
    op.create_index(
        op.f("ix_nominations_campaign_code"), "nominations", ["campaign_code"], unique=False
    )
    op.create_table(
        "nomination_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("from_status", STATUS, nullable=True),
        sa.Column("to_status", STATUS, nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["nominations.id"],
            name=op.f("fk_nomination_events_nomination_id_nominations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomination_events")),
    )
    op.create_index(
        op.f("ix_nomination_events_nomination_id"),
        "nomination_events",
        ["nomination_id"],
        unique=False,
    )


def downgrade() -> None:
    """Downgrade the schema."""
    op.drop_index(op.f("ix_nomination_events_nomination_id"), table_name="nomination_events")
    op.drop_table("nomination_events")
    op.drop_index(op.f("ix_nominations_campaign_code"), table_name="nominations")
    op.drop_table("nominations")
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("on_time", sa.Boolean(), nullable=False, server_default="1"))
    op.execute("UPDATE submissions SET on_time = (timing = 'on_time')")
    with op.batch_alter_table("submissions") as batch:
        batch.alter_column("on_time", server_default=None)
        for name in ("recorded_at", "recorded_by", "source", "figures", "files", "requirement"):
            batch.drop_column(name)
        batch.drop_column("timing")
