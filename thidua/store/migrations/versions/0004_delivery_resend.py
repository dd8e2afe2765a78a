"""Deliveries of a resend are their own, and remember which contact they went to.

`resend` joins the exactly-once key (0: the action's own run, n: its n-th resend);
`contact_fp` is a fingerprint of the contact URL template (never the URL), so a
permanent failure becomes eligible again once the registry changes the address.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ["campaign_code", "action_key", "occurrence", "unit_code", "channel"]


def upgrade() -> None:
    """Upgrade the schema."""
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("resend", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("contact_fp", sa.String(), nullable=True))
        batch.drop_constraint("uq_deliveries_key", type_="unique")
        batch.create_unique_constraint("uq_deliveries_key", [*KEY, "resend"])


def downgrade() -> None:
    """Downgrade the schema."""
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_deliveries_key", type_="unique")
        batch.execute("DELETE FROM deliveries WHERE resend <> 0")
        batch.create_unique_constraint("uq_deliveries_key", KEY)
        batch.drop_column("contact_fp")
        batch.drop_column("resend")
