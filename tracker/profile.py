"""A vendor's profile: how to crawl, read, show and schedule it, validated once at sync.

The catalog validates each vendor's options into a ``VendorProfile``; the store keeps it (the
``vendors.settings`` JSON column) and gives it back as the same typed model. Every reader (the
crawl's politeness and extraction hints, the buy box's display options, the scheduler's
schedule) reads the model, never the stored JSON.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from tracker.domain import ExtractHints, PageSelectors
from tracker.extract.selectors import check_selector
from tracker.schedules import check_cron, check_timezone, parse_duration
from tracker.urls import require_http_url

FALLBACK_URL_LENGTH = 2000  # as every stored URL column


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class VendorCrawl(_Options):
    """Per-vendor politeness; unset values follow the site's `[crawl]` settings."""

    obey_robots: bool | None = None
    concurrency: int | None = Field(None, ge=1, le=32)
    delay: float | None = Field(None, ge=0, le=600)


class VendorDisplay(_Options):
    """How the buy box shows a vendor's listings."""

    link_only: bool = Field(
        False, description="Never show a price (e.g. a marketplace whose terms forbid it)."
    )
    max_age_hours: float | None = Field(
        None, gt=0, description="This vendor's prices count as current for this long."
    )
    # Where the Buy button leads while a listing's affiliate link is broken (rules.buy_link).
    # The catalog also checks that it is on the vendor's hosts or its template's host.
    fallback_url: Annotated[str, AfterValidator(require_http_url)] | None = Field(
        None,
        max_length=FALLBACK_URL_LENGTH,
        description="The Buy button's target while a listing's affiliate link is broken.",
    )


# A selector is compiled once per text: profiles are read back from the store often.
Selector = Annotated[str, AfterValidator(lru_cache(maxsize=1024)(check_selector))]


class VariantSelectors(_Options):
    """One offer per row of `rows`; the other selectors are read inside each row."""

    rows: Selector
    price: Selector | None = None
    name: Selector | None = None
    sku: Selector | None = None
    availability: Selector | None = None


class SelectorsEntry(_Options):
    """CSS selectors, or XPath when the expression starts with '/' or '('."""

    price: Selector | None = None
    currency: Selector | None = None
    availability: Selector | None = None
    regular_price: Selector | None = None
    variants: VariantSelectors | None = None

    @model_validator(mode="after")
    def _has_price(self) -> SelectorsEntry:
        if self.price is None and (self.variants is None or self.variants.price is None):
            raise ValueError("give a price selector (or variants.price)")
        return self

    def page_selectors(self) -> PageSelectors:
        variants = self.variants
        return PageSelectors(
            price=self.price,
            currency=self.currency,
            availability=self.availability,
            regular_price=self.regular_price,
            variant_rows=variants.rows if variants else None,
            variant_name=variants.name if variants else None,
            variant_sku=variants.sku if variants else None,
            variant_price=variants.price if variants else None,
            variant_availability=variants.availability if variants else None,
        )


class ExtractionEntry(_Options):
    """How to read this vendor's pages when its structured data is missing or unusual."""

    decimal_separator: Literal[",", "."] | None = None
    heuristic: bool = True
    selectors: SelectorsEntry | None = None

    def hints(self, currency: str | None) -> ExtractHints:
        """What the extraction chain needs to know of this vendor."""
        return ExtractHints(
            currency=currency,
            decimal_separator=self.decimal_separator,
            selectors=self.selectors.page_selectors() if self.selectors else None,
            heuristic=self.heuristic,
        )


class ScheduleEntry(_Options):
    """When to crawl a vendor: ``every: 6h`` or ``cron: "0 */6 * * *"``, with jitter."""

    cron: str | None = None
    every: str | float | None = None
    jitter: str | float | None = None
    timezone: str | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return None if value is None else check_cron(value)

    @field_validator("every")
    @classmethod
    def _every(cls, value: str | float | None) -> str | float | None:
        if value is not None and parse_duration(value) < 1:
            raise ValueError("the interval must be at least one second")
        return value

    @field_validator("jitter")
    @classmethod
    def _jitter(cls, value: str | float | None) -> str | float | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)

    @model_validator(mode="after")
    def _one_kind(self) -> ScheduleEntry:
        if self.cron is not None and self.every is not None:
            raise ValueError("give cron or every, not both")
        return self


class AmazonSettings(_Options):
    """An `amazon-api` vendor: its marketplace and the names of the environment variables that
    hold its Creators API credentials (never the credentials themselves)."""

    marketplace: str = Field("www.amazon.com", pattern=r"^www\.amazon\.[a-z.]{2,12}$")
    version: str = Field("3.1", pattern=r"^[23]\.[0-9]$")
    credential_id_env: str = Field("AMAZON_CREDENTIAL_ID", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    credential_secret_env: str = Field(
        "AMAZON_CREDENTIAL_SECRET", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$"
    )
    partner_tag_env: str = Field("AMAZON_PARTNER_TAG", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    throttling: float = Field(1.0, ge=0, le=60, description="Seconds between two API requests.")
    # Where the API and its token endpoint are (the library's defaults when unset; a test's
    # loopback fake otherwise), read from these environment variables when set.
    host_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    auth_endpoint_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class VendorProfile(_Options):
    """Everything the catalog says about how to treat one vendor, beyond its name and links."""

    crawl: VendorCrawl = VendorCrawl()
    display: VendorDisplay = VendorDisplay()
    extraction: ExtractionEntry | None = None
    schedule: ScheduleEntry | None = None
    amazon: AmazonSettings | None = None  # priced by Amazon's Creators API, never crawled

    def extract_hints(self, currency: str | None) -> ExtractHints:
        """The extraction hints of this vendor, whose prices are in ``currency``."""
        if self.extraction is None:
            return ExtractHints(currency=currency)
        return self.extraction.hints(currency)

    def stored(self) -> dict[str, Any]:
        """The JSON kept in the database (unset options left out)."""
        return self.model_dump(mode="json", exclude_none=True)

    @classmethod
    def from_stored(cls, data: dict[str, Any] | None) -> VendorProfile:
        """The profile from its stored JSON (as this version or an earlier one wrote it)."""
        return cls.model_validate(data or {})


DEFAULT_PROFILE = VendorProfile()
