"""alert rules' states, the alert messages (pending, sent, folded, suppressed), link checks

Revision ID: 0008_alerts
Revises: 0007_data_version
"""

import sqlalchemy as sa
from alembic import op

import tracker.store.models

revision = "0008_alerts"
down_revision = "0007_data_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("since", tracker.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("checked_at", tracker.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fired_at", tracker.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fires", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("updated_at", tracker.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_states")),
        sa.UniqueConstraint("rule", "subject", name=op.f("uq_alert_states_rule_subject")),
    )
    op.create_table(
        "alert_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", tracker.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", tracker.store.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("sent_at", tracker.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_messages")),
    )
    op.create_index(
        "ix_alert_messages_status_next",
        "alert_messages",
        ["status", "next_attempt_at"],
        unique=False,
    )


    op.create_table(
        "link_checks",
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", tracker.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.String(length=2000), nullable=True),
        sa.Column("final_host", sa.String(length=300), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column(
            "broken_since", tracker.store.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_link_checks_listing_id_listings")
        ),
        sa.PrimaryKeyConstraint("listing_id", name=op.f("pk_link_checks")),
    )


def downgrade() -> None:
    op.drop_table("link_checks")
    op.drop_index("ix_alert_messages_status_next", table_name="alert_messages")
    op.drop_table("alert_messages")
    op.drop_table("alert_states")
