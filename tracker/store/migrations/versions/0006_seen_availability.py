"""listings keep what the last page read showed of stock, with or without a price

Revision ID: 0006_seen_availability
Revises: 0005_publish_gate
"""

import sqlalchemy as sa
from alembic import op

import tracker.store.models

revision = "0006_seen_availability"
down_revision = "0005_publish_gate"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("listings") as batch_op:
        batch_op.add_column(sa.Column("seen_availability", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column(
                "seen_availability_at",
                tracker.store.models.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("listings") as batch_op:
        batch_op.drop_column("seen_availability_at")
        batch_op.drop_column("seen_availability")
