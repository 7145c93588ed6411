"""clicks on affiliate buttons

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 06:40:00
"""

import sqlalchemy as sa
from alembic import op

import tracker.store.models

revision = '0004'
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('clicks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('clicked_at', tracker.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_clicks_listing_id_listings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clicks'))
    )
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.create_index('ix_clicks_listing_clicked', ['listing_id', 'clicked_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.drop_index('ix_clicks_listing_clicked')
    op.drop_table('clicks')
