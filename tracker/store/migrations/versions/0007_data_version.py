"""a data version: one counter advanced by every write a buy box shows, and per product

Revision ID: 0007_data_version
Revises: 0006_seen_availability
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_data_version"
down_revision = "0006_seen_availability"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "data_versions",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )
    op.bulk_insert(table, [{"name": "data", "version": 1}])
    with op.batch_alter_table("products") as batch_op:
        batch_op.add_column(
            sa.Column("data_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.drop_column("data_version")
    op.drop_table("data_versions")
