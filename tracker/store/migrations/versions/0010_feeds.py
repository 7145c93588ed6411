"""listings priced by product feeds; the state of each feed

Revision ID: 0010_feeds
Revises: 0008_alerts
"""

import sqlalchemy as sa
from alembic import op

import tracker.store.models

revision = "0010_feeds"
down_revision = "0008_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("listings") as batch_op:
        batch_op.add_column(sa.Column("feed_key", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("feed_value", sa.String(length=2000), nullable=True))
        batch_op.add_column(
            sa.Column("feed_link_wanted", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("feed_link", sa.String(length=2000), nullable=True))
    op.create_table(
        "feed_states",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("etag", sa.String(length=300), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("feed_date", tracker.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", tracker.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("good_rows", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_feed_states")),
    )


def downgrade() -> None:
    op.drop_table("feed_states")
    with op.batch_alter_table("listings") as batch_op:
        batch_op.drop_column("feed_link")
        batch_op.drop_column("feed_link_wanted")
        batch_op.drop_column("feed_value")
        batch_op.drop_column("feed_key")
