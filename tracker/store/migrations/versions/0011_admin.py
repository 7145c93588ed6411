"""the operator dashboard: accounts, sessions, secrets; clicks keep a visitor hash and article

Revision ID: 0011_admin
Revises: 0010_feeds
"""

import sqlalchemy as sa
from alembic import op

import tracker.store.models

revision = "0011_admin"
down_revision = "0010_feeds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", tracker.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
        sa.UniqueConstraint("name", name=op.f("uq_operators_name")),
    )
    op.create_table(
        "operator_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", tracker.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", tracker.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_operator_sessions_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_operator_sessions_token_hash")),
    )
    with op.batch_alter_table("operator_sessions") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_sessions_operator_id"), ["operator_id"], unique=False
        )
    op.create_table(
        "secret_keys",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_secret_keys")),
    )
    with op.batch_alter_table("clicks") as batch_op:
        batch_op.add_column(sa.Column("visitor", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("article", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clicks") as batch_op:
        batch_op.drop_column("article")
        batch_op.drop_column("visitor")
    op.drop_table("secret_keys")
    with op.batch_alter_table("operator_sessions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_sessions_operator_id"))
    op.drop_table("operator_sessions")
    op.drop_table("operators")
