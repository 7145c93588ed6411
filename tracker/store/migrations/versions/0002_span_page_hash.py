"""observation spans record a hash of the page their price was read from

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("observation_spans") as batch_op:
        batch_op.add_column(sa.Column("page_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("observation_spans") as batch_op:
        batch_op.drop_column("page_hash")
