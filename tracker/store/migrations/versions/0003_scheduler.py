"""scheduler: crawl run node, scheduler state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 06:40:00
"""

import sqlalchemy as sa
from alembic import op

import tracker.store.models

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('node', sa.String(length=300), nullable=True))
    op.create_table('scheduler_state',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('host', sa.String(length=200), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', tracker.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('beat_at', tracker.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_state'))
    )


def downgrade() -> None:
    op.drop_table('scheduler_state')
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.drop_column('node')
