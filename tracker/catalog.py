"""The catalog file: products, vendors and their listings, validated before anything is stored."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

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
from tracker.profile import (
    ExtractionEntry,
    ScheduleEntry,
    VendorCrawl,
    VendorDisplay,
    VendorProfile,
)
from tracker.urls import require_http_url

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
HttpUrl = Annotated[str, AfterValidator(require_http_url)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_STRENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-zµ]+)\s*$")


class CatalogError(Exception):
    """The catalog cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class VariantEntry(_Strict):
    sku: str | None = None
    text: str | None = None
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
    label: str = Field(min_length=1, max_length=200)
    url: HttpUrl
    key: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9/_-]{0,120}$")
    variant: VariantEntry | None = None
    affiliate_url: HttpUrl | None = None
    quantity: int | None = Field(None, ge=1)
    unit: str | None = Field(None, max_length=40)
    strength: str | None = None

    @field_validator("strength")
    @classmethod
    def _strength_format(cls, value: str | None) -> str | None:
        if value is not None and not _STRENGTH.match(value):
            raise ValueError("write the amount per unit as a number and a unit, e.g. '10 mg'")
        return value

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
    homepage: HttpUrl
    currency: CurrencyCode
    affiliate: str | None = Field(
        None, description="Template for affiliate links: {url} or {url_quoted} is the page URL."
    )
    crawl: VendorCrawl | None = None
    listings: list[ListingEntry] = []
    display: VendorDisplay = VendorDisplay()
    extraction: ExtractionEntry | None = None
    schedule: ScheduleEntry | None = None

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

    def profile(self) -> VendorProfile:
        """How to crawl, read, show and schedule this vendor, as the store keeps it."""
        return VendorProfile(
            crawl=self.crawl or VendorCrawl(),
            display=self.display,
            extraction=self.extraction,
            schedule=self.schedule,
        )

    def affiliate_link(self, listing: ListingEntry) -> str:
        if listing.affiliate_url:
            return listing.affiliate_url
        if self.affiliate:
            return require_http_url(apply_affiliate_template(self.affiliate, listing.url))
        return listing.url


class ProductEntry(_Strict):
    slug: Slug
    name: str = Field(min_length=1, max_length=200)
    brand: str | None = None
    description: str | None = None
    image: HttpUrl | None = None


class Catalog(_Strict):
    products: list[ProductEntry] = []
    vendors: list[VendorEntry] = []

    @model_validator(mode="after")
    def _references(self) -> Catalog:
        products = _unique([p.slug for p in self.products], "products")
        _unique([v.slug for v in self.vendors], "vendors")
        for v_index, vendor in enumerate(self.vendors):
            for l_index, listing in enumerate(vendor.listings):
                if listing.product not in products:
                    raise ValueError(
                        f"vendors[{v_index}].listings[{l_index}].product: "
                        f"unknown product {listing.product!r}"
                    )
        return self


def _unique(slugs: list[str], where: str) -> set[str]:
    seen: set[str] = set()
    for index, slug in enumerate(slugs):
        if slug in seen:
            raise ValueError(f"{where}[{index}].slug: duplicate slug {slug!r}")
        seen.add(slug)
    return seen


def apply_affiliate_template(template: str, url: str) -> str:
    return template.replace("{url_quoted}", quote(url, safe="")).replace("{url}", url)


def expand_variables(text: str, env: Mapping[str, str], source: str) -> str:
    """Replace ``${NAME}`` and ``${NAME:-default}`` from the environment."""

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        line = text.count("\n", 0, match.start()) + 1
        raise CatalogError(f"{source}:{line}: environment variable {name} is not set")

    return _VARIABLE.sub(replace, text)


def format_location(loc: tuple[Any, ...]) -> str:
    """Turn pydantic's ('vendors', 0, 'url') into 'vendors[0].url'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith("function-"):
            out += f".{part}" if out else str(part)
    return out


def parse_catalog(text: str, source: str, env: Mapping[str, str] | None = None) -> Catalog:
    """Validate catalog text; raise CatalogError naming the source and field."""
    expanded = expand_variables(text, os.environ if env is None else env, source)
    try:
        data = yaml.safe_load(expanded)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{source}: not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CatalogError(f"{source}: the catalog must be a mapping with products and vendors")
    try:
        return Catalog.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = format_location(tuple(err["loc"]))
            message = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"{source}: {where}: {message}" if where else f"{source}: {message}")
        raise CatalogError("\n".join(problems)) from exc


def load_catalog(path: Path, env: Mapping[str, str] | None = None) -> Catalog:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read the catalog: {exc}") from exc
    return parse_catalog(text, str(path), env)
