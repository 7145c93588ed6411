"""SQLAlchemy 2.x models. History (observation spans, crawl runs) is never deleted."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from tracker.domain import CheckStatus, RunStatus
from tracker.profile import DEFAULT_PROFILE, VendorProfile

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MONEY = Numeric(14, 4, asdecimal=True)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python; naive UTC in SQLite, timestamptz in PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


E = TypeVar("E", bound=enum.StrEnum)


class StrEnumType(TypeDecorator[E]):
    """A StrEnum stored as its value in a plain string column (no database enum, no migration).

    A value that is not a member is refused on the way in; on the way out every stored value
    comes back as its member.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_type: type[E], length: int) -> None:
        super().__init__(length)
        self.enum_type = enum_type

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_type(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum_type(value)


class ProfileType(TypeDecorator[VendorProfile]):
    """A vendor's profile, kept as JSON and read back as the typed model (never the JSON)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dict[str, Any] | None:
        return None if value is None else VendorProfile.model_validate(value).stored()

    def process_result_value(self, value: Any, dialect: Dialect) -> VendorProfile:
        return VendorProfile.from_stored(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(String(2000))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The data version at which this product's box data last changed (store/versions.py).
    data_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    listings: Mapped[list[Listing]] = relationship(back_populates="product")


class Vendor(Base):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    homepage: Mapped[str] = mapped_column(String(2000))
    currency: Mapped[str] = mapped_column(String(3))
    affiliate_template: Mapped[str | None] = mapped_column(String(2000))
    # The column keeps its first name: the JSON stored by earlier versions reads as a profile.
    profile: Mapped[VendorProfile] = mapped_column(
        "settings", ProfileType, default=lambda: DEFAULT_PROFILE
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    listings: Mapped[list[Listing]] = relationship(back_populates="vendor")


class Listing(Base):
    """One purchasable pack of one product at one vendor, with its check state."""

    __tablename__ = "listings"
    __table_args__ = (UniqueConstraint("vendor_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    key: Mapped[str] = mapped_column(String(160))
    label: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    affiliate_url: Mapped[str] = mapped_column(String(2000))
    variant_sku: Mapped[str | None] = mapped_column(String(200))
    variant_text: Mapped[str | None] = mapped_column(String(200))
    variant_position: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int | None] = mapped_column(Integer)
    unit: Mapped[str | None] = mapped_column(String(40))
    strength_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    strength_unit: Mapped[str | None] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    # Check state: a failed check never touches the current span, it only ages it.
    current_span_id: Mapped[int | None] = mapped_column(
        ForeignKey("observation_spans.id", use_alter=True)
    )
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[CheckStatus | None] = mapped_column(StrEnumType(CheckStatus, 32))
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # The span the operator rejected last (`tracker prices --reject`): read again, it stays bad.
    # (No foreign key: adding one would rebuild the table on SQLite; spans are never deleted.)
    rejected_span_id: Mapped[int | None] = mapped_column(Integer)
    # What the last page read showed of stock, with or without a price ("out of stock", no
    # price), and when: the box shows a listing out of stock at once, the price span stays.
    seen_availability: Mapped[str | None] = mapped_column(String(32))
    seen_availability_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Priced by its vendor's feed (never crawled): the identifier's kind and value, and the
    # item's deep link when the listing takes it as its link.
    feed_key: Mapped[str | None] = mapped_column(String(16))
    feed_value: Mapped[str | None] = mapped_column(String(2000))
    feed_link_wanted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    feed_link: Mapped[str | None] = mapped_column(String(2000))

    vendor: Mapped[Vendor] = relationship(back_populates="listings")
    product: Mapped[Product] = relationship(back_populates="listings")
    current_span: Mapped[ObservationSpan | None] = relationship(
        foreign_keys=[current_span_id], post_update=True
    )


class ObservationSpan(Base):
    """A stretch of time during which a listing showed the same price and stock."""

    __tablename__ = "observation_spans"
    __table_args__ = (Index("ix_spans_listing_last_seen", "listing_id", "last_seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"))
    price: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    availability: Mapped[str] = mapped_column(String(32))
    regular_price: Mapped[Decimal | None] = mapped_column(MONEY)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str | None] = mapped_column(String(32))
    raw_price: Mapped[str | None] = mapped_column(String(200))
    page_hash: Mapped[str | None] = mapped_column(String(64))  # sha256 prefix of the page
    seen_count: Mapped[int] = mapped_column(Integer, default=1)
    agreed: Mapped[str | None] = mapped_column(String(200))  # the sources that agreed, a,b,page
    held_reason: Mapped[str | None] = mapped_column(Text)  # why the publish gate held it back
    # A plain '0' default: SQLite adds the column in place (an expression would rebuild the table).
    rejected: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"), index=True)
    runner: Mapped[str] = mapped_column(String(32), default="local")
    job_id: Mapped[str | None] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(32), default="manual")
    host: Mapped[str | None] = mapped_column(String(200))
    pid: Mapped[int | None] = mapped_column(Integer)
    node: Mapped[str | None] = mapped_column(String(300))  # Scrapyd node URL, no credentials
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[RunStatus] = mapped_column(StrEnumType(RunStatus, 16), default=RunStatus.RUNNING)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    offers: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    expected: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)

    vendor: Mapped[Vendor | None] = relationship()


class Click(Base):
    """One reader's click on an affiliate button (through /go/<listing id>); nothing personal."""

    __tablename__ = "clicks"
    __table_args__ = (Index("ix_clicks_listing_clicked", "listing_id", "clicked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"))
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A salted hash of the visitor (never the address itself) and the page the click came from.
    visitor: Mapped[str | None] = mapped_column(String(32))
    article: Mapped[str | None] = mapped_column(String(200))


class SchedulerState(Base):
    """The running scheduler process: who it is and when it last woke up (one row)."""

    __tablename__ = "scheduler_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Operator(Base):
    """An operator account of the dashboard: a name and an Argon2 hash of the password."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OperatorSession(Base):
    """A dashboard login: the SHA-256 of its token (the cookie holds the token) and its end."""

    __tablename__ = "operator_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SecretKey(Base):
    """Secrets made once per database: the cookie signing key, the visitor-hash salt."""

    __tablename__ = "secret_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


class AlertState(Base):
    """One alert rule's state machine for one listing or vendor (tracker.alerts.machine)."""

    __tablename__ = "alert_states"
    __table_args__ = (UniqueConstraint("rule", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))  # "listing:12", "vendor:slug"
    phase: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    streak: Mapped[int] = mapped_column(Integer, default=0)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fires: Mapped[int] = mapped_column(Integer, default=0)
    reference: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)  # what the condition said last
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertMessage(Base):
    """An alert for one channel: pending until sent (retried with backoff), or folded into a
    digest, or a suppressed flap (no channel): `tracker alerts log`."""

    __tablename__ = "alert_messages"
    __table_args__ = (Index("ix_alert_messages_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rule: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # pending, sent, folded, digested, suppressed
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class LinkCheck(Base):
    """The last check of a listing's outbound affiliate link (`tracker links check`)."""

    __tablename__ = "link_checks"

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    url: Mapped[str] = mapped_column(String(2000))  # the link checked (after the template)
    http_status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(String(2000))
    final_host: Mapped[str | None] = mapped_column(String(300))
    failure: Mapped[str | None] = mapped_column(Text)  # why the last check failed
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    broken_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FeedState(Base):
    """What the tracker knows of one feed: its last download and its last good reading."""

    __tablename__ = "feed_states"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    digest: Mapped[str | None] = mapped_column(String(64))  # sha256 of the bytes last read
    feed_date: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the feed's own time
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows: Mapped[int | None] = mapped_column(Integer)  # rows of the last reading
    good_rows: Mapped[int | None] = mapped_column(Integer)  # rows of the last applied reading
    status: Mapped[str | None] = mapped_column(String(16))  # applied, unchanged, held, failed
    error: Mapped[str | None] = mapped_column(Text)  # what went wrong, what was skipped


class DataVersion(Base):
    """A counter the crawl, the catalog sync and the operator's review advance (one row)."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
