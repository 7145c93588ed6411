"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 05:59:34.789518
"""

import sqlalchemy as sa
from alembic import op

import tracker.store.models

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('brand', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('image', sa.String(length=2000), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('slug', name=op.f('uq_products_slug'))
    )
    op.create_table('vendors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('homepage', sa.String(length=2000), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('affiliate_template', sa.String(length=2000), nullable=True),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendors')),
    sa.UniqueConstraint('slug', name=op.f('uq_vendors_slug'))
    )
    op.create_table('crawl_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=True),
    sa.Column('runner', sa.String(length=32), nullable=False),
    sa.Column('job_id', sa.String(length=200), nullable=True),
    sa.Column('trigger', sa.String(length=32), nullable=False),
    sa.Column('host', sa.String(length=200), nullable=True),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('started_at', tracker.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', tracker.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('checks', sa.Integer(), nullable=False),
    sa.Column('offers', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id'], name=op.f('fk_crawl_runs_vendor_id_vendors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crawl_runs'))
    )
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crawl_runs_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('listings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('affiliate_url', sa.String(length=2000), nullable=False),
    sa.Column('variant_sku', sa.String(length=200), nullable=True),
    sa.Column('variant_text', sa.String(length=200), nullable=True),
    sa.Column('variant_position', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=40), nullable=True),
    sa.Column('strength_amount', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('strength_unit', sa.String(length=20), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('current_span_id', sa.Integer(), nullable=True),
    sa.Column('last_checked_at', tracker.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_ok_at', tracker.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.String(length=32), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_listings_product_id_products')),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id'], name=op.f('fk_listings_vendor_id_vendors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listings')),
    sa.UniqueConstraint('vendor_id', 'key', name=op.f('uq_listings_vendor_id_key'))
    )
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listings_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_listings_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('observation_spans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('price', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('availability', sa.String(length=32), nullable=False),
    sa.Column('regular_price', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('first_seen_at', tracker.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', tracker.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=True),
    sa.Column('raw_price', sa.String(length=200), nullable=True),
    sa.Column('seen_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_observation_spans_listing_id_listings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation_spans'))
    )
    with op.batch_alter_table('observation_spans', schema=None) as batch_op:
        batch_op.create_index('ix_spans_listing_last_seen', ['listing_id', 'last_seen_at'], unique=False)

    # listings and observation_spans point at each other: add that key last.
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f('fk_listings_current_span_id_observation_spans'),
            'observation_spans', ['current_span_id'], ['id'],
        )



def downgrade() -> None:
    with op.batch_alter_table('observation_spans', schema=None) as batch_op:
        batch_op.drop_index('ix_spans_listing_last_seen')

    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f('fk_listings_current_span_id_observation_spans'), type_='foreignkey'
        )
    op.drop_table('observation_spans')
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listings_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_listings_product_id'))

    op.drop_table('listings')
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crawl_runs_vendor_id'))

    op.drop_table('crawl_runs')
    op.drop_table('vendors')
    op.drop_table('products')
