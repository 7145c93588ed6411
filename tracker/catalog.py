"""The catalog file: products, vendors and their listings, validated before anything is stored."""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tracker.domain import VariantSpec
from tracker.feedconfig import FeedEntry, FeedMatch
from tracker.profile import (
    AmazonSettings,
    ExtractionEntry,
    ScheduleEntry,
    VendorCrawl,
    VendorDisplay,
    VendorProfile,
)
from tracker.spelling import unknown_key
from tracker.urls import apply_affiliate_template, host_key, link_allowed, on_site, require_http_url
from tracker.vocabulary import amount_unit, currency_code, pack_unit

# Lengths are those of the database columns (tests/test_catalog_checks.py holds them together):
# a catalog that passes validation never fails at the database.
URL_LENGTH = 2000
TEXT_LENGTH = 200
KEY_LENGTH = 160
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
HttpUrl = Annotated[str, AfterValidator(require_http_url)]
CurrencyCode = Annotated[str, AfterValidator(currency_code)]

AMAZON_MAX_AGE_HOURS = 24.0  # the programme's rule: a price refreshed at least every 24 hours
MAX_REMOVED_SHARE = 0.5  # a sync may deactivate at most this share of active products, listings
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_STRENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-zµ]+)\s*$")

# The C loader when PyYAML has it (about 4x faster); both build plain data only.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CatalogError(Exception):
    """The catalog cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class VariantEntry(_Strict):
    sku: str | None = Field(None, max_length=TEXT_LENGTH)
    text: str | None = Field(None, max_length=TEXT_LENGTH)
    position: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> VariantEntry:
        given = [name for name in ("sku", "text", "position") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of sku, text, position")
        return self

    def spec(self) -> VariantSpec:
        return VariantSpec(sku=self.sku, text=self.text, position=self.position)


class ListingEntry(_Strict):
    product: Slug
    label: str = Field(min_length=1, max_length=TEXT_LENGTH)
    url: HttpUrl = Field(max_length=URL_LENGTH)
    key: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9/_-]{0,120}$")
    variant: VariantEntry | None = None
    affiliate_url: HttpUrl | None = Field(None, max_length=URL_LENGTH)
    quantity: int | None = Field(None, ge=1)
    unit: str | None = Field(None, max_length=40, description="What one unit is: vial, tablet")
    strength: str | None = None
    feed: FeedMatch | None = None
    asin: str | None = Field(None, pattern=r"^[A-Z0-9]{10}$")

    @field_validator("unit")
    @classmethod
    def _pack_unit(cls, value: str | None) -> str | None:
        return None if value is None else pack_unit(value)

    @field_validator("strength")
    @classmethod
    def _strength_format(cls, value: str | None) -> str | None:
        if value is None:
            return value
        match = _STRENGTH.match(value)
        if not match:
            raise ValueError("write the amount per unit as a number and a unit, e.g. '10 mg'")
        return f"{match.group(1)} {amount_unit(match.group(2))}"

    @model_validator(mode="after")
    def _key_length(self) -> ListingEntry:
        if len(self.listing_key()) > KEY_LENGTH:
            raise ValueError(
                f"the key made of product and label is longer than {KEY_LENGTH} characters: "
                "give the listing a shorter label or its own key"
            )
        return self

    def strength_parts(self) -> tuple[Decimal, str] | None:
        match = _STRENGTH.match(self.strength or "")
        return (Decimal(match.group(1)), match.group(2)) if match else None

    def listing_key(self) -> str:
        if self.key:
            return self.key
        label = re.sub(r"[^a-z0-9]+", "-", self.label.lower()).strip("-") or "listing"
        return f"{self.product}/{label}"


class VendorEntry(_Strict):
    slug: Slug
    name: str = Field(min_length=1, max_length=120)
    homepage: HttpUrl = Field(max_length=URL_LENGTH)
    currency: CurrencyCode
    affiliate: str | None = Field(
        None,
        max_length=URL_LENGTH,
        description="Template for affiliate links: {url} or {url_quoted} is the page URL.",
    )
    crawl: VendorCrawl | None = None
    listings: list[ListingEntry] = []
    display: VendorDisplay = VendorDisplay()
    extraction: ExtractionEntry | None = None
    schedule: ScheduleEntry | None = None
    kind: Literal["shop", "amazon-api"] = "shop"
    amazon: AmazonSettings | None = None

    @model_validator(mode="after")
    def _amazon(self) -> VendorEntry:
        """An `amazon-api` vendor prices its listings by ASIN, at most 24 hours old."""
        amazon = self.kind == "amazon-api"
        for index, listing in enumerate(self.listings):
            if amazon and listing.asin is None:
                raise ValueError(
                    f"listings[{index}].asin: an amazon-api vendor's listing needs one"
                )
            if not amazon and listing.asin is not None:
                raise ValueError(f"listings[{index}].asin: only for a vendor of kind amazon-api")
            if amazon and listing.feed is not None:
                raise ValueError(f"listings[{index}].feed: an amazon-api vendor has no feed")
        if not amazon and self.amazon is not None:
            raise ValueError("amazon: only for a vendor of kind amazon-api")
        hours = self.display.max_age_hours
        if amazon and hours is not None and hours > AMAZON_MAX_AGE_HOURS:
            raise ValueError(
                f"display.max_age_hours: Amazon's prices may be shown for "
                f"{AMAZON_MAX_AGE_HOURS} hours at most"
            )
        return self

    @field_validator("affiliate")
    @classmethod
    def _affiliate_template(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if "{url}" not in value and "{url_quoted}" not in value:
            raise ValueError("must contain {url} or {url_quoted}")
        sample = apply_affiliate_template(value, "https://shop.example/p")
        require_http_url(sample)
        return value

    @model_validator(mode="after")
    def _unique_listing_keys(self) -> VendorEntry:
        seen: set[str] = set()
        for index, listing in enumerate(self.listings):
            key = listing.listing_key()
            if key in seen:
                raise ValueError(f"listings[{index}]: duplicate listing key {key!r}")
            seen.add(key)
        return self

    @model_validator(mode="after")
    def _own_hosts(self) -> VendorEntry:
        """Each listing's page and link lead to the vendor's site (or its template's host)."""
        site = host_key(self.homepage)
        for index, listing in enumerate(self.listings):
            if not on_site(listing.url, self.homepage):
                raise ValueError(
                    f"listings[{index}].url: {host_key(listing.url)} is not the vendor's host "
                    f"(its homepage's, {site}, or a subdomain of it)"
                )
            link = self.affiliate_link(listing)
            if len(link) > URL_LENGTH:
                raise ValueError(
                    f"listings[{index}]: the affiliate link is longer than {URL_LENGTH} characters"
                )
            if not link_allowed(link, self.homepage, self.affiliate):
                raise ValueError(
                    f"listings[{index}].affiliate_url: {host_key(link)} is not the vendor's host "
                    f"(its homepage's, {site}, a subdomain of it, or its affiliate template's)"
                )
        fallback = self.display.fallback_url
        if fallback is not None and not link_allowed(fallback, self.homepage, self.affiliate):
            raise ValueError(
                f"display.fallback_url: {host_key(fallback)} is not the vendor's host "
                f"(its homepage's, {site}, a subdomain of it, or its affiliate template's)"
            )
        return self

    def profile(self) -> VendorProfile:
        """How to crawl, read, show and schedule this vendor, as the store keeps it."""
        display = self.display
        amazon = None
        if self.kind == "amazon-api":
            amazon = self.amazon or AmazonSettings()
            if display.max_age_hours is None:
                display = display.model_copy(update={"max_age_hours": AMAZON_MAX_AGE_HOURS})
        return VendorProfile(
            crawl=self.crawl or VendorCrawl(),
            display=display,
            extraction=self.extraction,
            schedule=self.schedule,
            amazon=amazon,
        )

    def affiliate_link(self, listing: ListingEntry) -> str:
        if listing.affiliate_url:
            return listing.affiliate_url
        if self.affiliate:
            return require_http_url(apply_affiliate_template(self.affiliate, listing.url))
        return listing.url


class ProductEntry(_Strict):
    slug: Slug
    name: str = Field(min_length=1, max_length=TEXT_LENGTH)
    brand: str | None = Field(None, max_length=TEXT_LENGTH)
    description: str | None = None
    image: HttpUrl | None = Field(None, max_length=URL_LENGTH)


class Catalog(_Strict):
    """Both keys are required: a file cut off before ``vendors:`` is an error, not a removal."""

    products: list[ProductEntry]
    vendors: list[VendorEntry]
    feeds: list[FeedEntry] = []

    @model_validator(mode="after")
    def _references(self) -> Catalog:
        products = _unique([p.slug for p in self.products], "products")
        vendors = _unique([v.slug for v in self.vendors], "vendors")
        fed = _feed_vendors(self.feeds, vendors)
        for v_index, vendor in enumerate(self.vendors):
            for l_index, listing in enumerate(vendor.listings):
                if listing.product not in products:
                    raise ValueError(
                        f"vendors[{v_index}].listings[{l_index}].product: "
                        f"unknown product {listing.product!r}"
                    )
                if listing.feed is not None and vendor.slug not in fed:
                    raise ValueError(
                        f"vendors[{v_index}].listings[{l_index}].feed: no feed in `feeds:` "
                        f"prices vendor {vendor.slug!r}"
                    )
        return self

    def feed_of(self, vendor_slug: str) -> FeedEntry | None:
        """The feed that prices a vendor, if any."""
        return next((f for f in self.feeds if vendor_slug in f.vendors), None)


def _feed_vendors(feeds: list[FeedEntry], vendors: set[str]) -> dict[str, str]:
    """Each fed vendor's feed; a feed names known vendors, a vendor has one feed at most."""
    names: set[str] = set()
    fed: dict[str, str] = {}
    for index, feed in enumerate(feeds):
        if feed.name in names:
            raise ValueError(f"feeds[{index}].name: duplicate feed name {feed.name!r}")
        names.add(feed.name)
        for slug in feed.vendors:
            if slug not in vendors:
                raise ValueError(f"feeds[{index}].vendors: unknown vendor {slug!r}")
            if slug in fed:
                raise ValueError(
                    f"feeds[{index}].vendors: vendor {slug!r} is already priced by feed "
                    f"{fed[slug]!r}"
                )
            fed[slug] = feed.name
    return fed


def _unique(slugs: list[str], where: str) -> set[str]:
    seen: set[str] = set()
    for index, slug in enumerate(slugs):
        if slug in seen:
            raise ValueError(f"{where}[{index}].slug: duplicate slug {slug!r}")
        seen.add(slug)
    return seen


# The only fields where ``${NAME}`` and ``${NAME:-default}`` are replaced from the environment:
# addresses and the affiliate template, which differ between machines (the demo's sample site,
# an affiliate ID kept out of the file). Every other text is kept exactly as written.
PRODUCT_VARIABLE_FIELDS = ("image",)
VENDOR_VARIABLE_FIELDS = ("homepage", "affiliate")
DISPLAY_VARIABLE_FIELDS = ("fallback_url",)
LISTING_VARIABLE_FIELDS = ("url", "affiliate_url")


def expand_variables(text: str, env: Mapping[str, str], where: str) -> str:
    """Replace ``${NAME}`` and ``${NAME:-default}`` from the environment in one field's text."""

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise CatalogError(f"{where}: environment variable {name} is not set")

    return _VARIABLE.sub(replace, text)


def _expand_fields(data: dict[str, Any], env: Mapping[str, str], source: str) -> None:
    """Expand the variables of the address fields, in place (after YAML, so never its syntax)."""

    def expand(entry: Any, fields: tuple[str, ...], where: str) -> None:
        if not isinstance(entry, dict):
            return
        for name in fields:
            if isinstance(entry.get(name), str):
                entry[name] = expand_variables(entry[name], env, f"{source}: {where}.{name}")

    for p_index, product in enumerate(_items(data.get("products"))):
        expand(product, PRODUCT_VARIABLE_FIELDS, f"products[{p_index}]")
    for v_index, vendor in enumerate(_items(data.get("vendors"))):
        expand(vendor, VENDOR_VARIABLE_FIELDS, f"vendors[{v_index}]")
        display = vendor.get("display") if isinstance(vendor, dict) else None
        expand(display, DISPLAY_VARIABLE_FIELDS, f"vendors[{v_index}].display")
        listings = vendor.get("listings") if isinstance(vendor, dict) else None
        for l_index, listing in enumerate(_items(listings)):
            expand(listing, LISTING_VARIABLE_FIELDS, f"vendors[{v_index}].listings[{l_index}]")


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def format_location(loc: tuple[Any, ...]) -> str:
    """Turn pydantic's ('vendors', 0, 'url') into 'vendors[0].url'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith("function-"):
            out += f".{part}" if out else str(part)
    return out


def check_removals(
    catalog: Catalog,
    source: str,
    active_products: Collection[str],
    active_listings: Collection[tuple[str, str]],
) -> None:
    """Refuse a sync that would deactivate more than half of the active products or listings.

    ``active_listings`` holds (vendor slug, listing key) pairs. A cut or truncated file looks
    like that; an operator who means it says so with ``--allow-removals``.
    """
    products = sorted(set(active_products) - {p.slug for p in catalog.products})
    kept = {(v.slug, entry.listing_key()) for v in catalog.vendors for entry in v.listings}
    listings = sorted(f"{vendor}:{key}" for vendor, key in set(active_listings) - kept)
    problems = [
        f"{len(gone)} of the {total} active {kind} ({_some(gone)})"
        for kind, gone, total in (
            ("products", products, len(active_products)),
            ("listings", listings, len(active_listings)),
        )
        if len(gone) > total * MAX_REMOVED_SHARE
    ]
    if problems:
        raise CatalogError(
            f"{source}: this sync would deactivate {' and '.join(problems)}; nothing was "
            "changed. If the file is complete and you mean it, run "
            "`tracker catalog sync --allow-removals`"
        )


def _some(names: list[str], shown: int = 5) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def parse_catalog(text: str, source: str, env: Mapping[str, str] | None = None) -> Catalog:
    """Validate catalog text; raise CatalogError naming the source and field."""
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{source}: not valid YAML: {exc}") from exc
    if data is None or data == {}:
        raise CatalogError(f"{source}: the catalog is empty (it needs products and vendors)")
    if not isinstance(data, dict):
        raise CatalogError(f"{source}: the catalog must be a mapping with products and vendors")
    _expand_fields(data, os.environ if env is None else env, source)
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
            where = format_location(loc)
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = unknown_key(Catalog, loc)
            elif err["type"] == "missing" and len(loc) == 1:
                message = "missing (is the file complete?)"
            problems.append(f"{source}: {where}: {message}" if where else f"{source}: {message}")
        raise CatalogError("\n".join(problems)) from exc
    if not catalog.products and not catalog.vendors:
        raise CatalogError(f"{source}: the catalog has no products and no vendors")
    return catalog


def load_catalog(path: Path, env: Mapping[str, str] | None = None) -> Catalog:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read the catalog: {exc}") from exc
    return parse_catalog(text, str(path), env)
