"""the publish gate: spans record the sources that agreed, why they were held, rejection

Revision ID: 0005_publish_gate
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_publish_gate"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("observation_spans") as batch_op:
        batch_op.add_column(sa.Column("agreed", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("held_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("rejected", sa.Boolean(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("listings") as batch_op:
        batch_op.add_column(sa.Column("rejected_span_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("listings") as batch_op:
        batch_op.drop_column("rejected_span_id")
    with op.batch_alter_table("observation_spans") as batch_op:
        batch_op.drop_column("rejected")
        batch_op.drop_column("held_reason")
        batch_op.drop_column("agreed")
