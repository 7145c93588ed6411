"""What a crawl is given: the listings to check (from the store)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tracker.domain import ExtractHints, VariantSpec
from tracker.profile import DEFAULT_PROFILE, VendorProfile


@dataclass(frozen=True, slots=True)
class CrawlTarget:
    """What the spider needs to check one listing."""

    listing_id: int
    url: str
    vendor_slug: str
    vendor_currency: str
    variant_sku: str | None
    variant_text: str | None
    variant_position: int | None
    vendor_homepage: str = ""
    vendor_profile: VendorProfile = DEFAULT_PROFILE
    # The last confirmed price: the spider re-checks a reading that moves too far from it.
    confirmed_price: Decimal | None = None
    confirmed_currency: str | None = None

    def hints(self) -> ExtractHints:
        """The extraction hints of the listing's vendor."""
        return self.vendor_profile.extract_hints(self.vendor_currency)

    def variant(self) -> VariantSpec:
        return VariantSpec(
            sku=self.variant_sku, text=self.variant_text, position=self.variant_position
        )
