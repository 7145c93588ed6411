"""The catalog's `feeds:` section and a listing's `feed:` match, validated before anything runs.

A feed is a network's product file (Awin, CJ, Impact, Google Merchant Center, or any CSV/XML
with a column mapping) that prices the listings of one or more vendors. Its address may hold
``${NAME}`` variables (an API key in an Awin URL); they are replaced from the environment only
when the feed is fetched, so a key never reaches the database, a log or an error message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tracker.profile import ScheduleEntry
from tracker.urls import url_problem

FeedFormatName = Literal[
    "awin-csv", "google-merchant-xml", "google-merchant-tsv", "cj-csv", "impact-csv", "csv", "xml"
]
# What a column mapping may name: the tracker's own names for an item's fields.
FEED_FIELDS = (
    "id",
    "sku",
    "gtin",
    "mpn",
    "url",
    "link",
    "title",
    "price",
    "sale_price",
    "regular_price",
    "currency",
    "availability",
    "size",
    "item_group",
    "updated",  # the row's own date (Awin's last_updated), when older than the feed's
)
MATCH_KEYS = ("gtin", "mpn", "id", "sku", "url", "item_group")
DEFAULT_MAX_BYTES = 2 * 1024**3  # feeds are big: 2 GiB unless the feed says otherwise
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class FeedConfigError(Exception):
    """A feed cannot be fetched as configured (a variable of its address is not set)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class FeedAuth(_Strict):
    """Credentials, by the names of environment variables (never the secrets themselves)."""

    user_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    password_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    header: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{1,60}$")
    header_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    @model_validator(mode="after")
    def _pairs(self) -> FeedAuth:
        if (self.user_env is None) != (self.password_env is None):
            raise ValueError("give user_env and password_env together")
        if (self.header is None) != (self.header_env is None):
            raise ValueError("give header and header_env together")
        if self.user_env is None and self.header is None:
            raise ValueError("give user_env and password_env, or header and header_env")
        return self


class FeedEntry(_Strict):
    """One product feed: where it is, how to read it, which vendors it prices, when."""

    # "feed:NAME" is the provenance of its prices (32 characters at most).
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,26}$")
    format: FeedFormatName
    url: str | None = Field(None, max_length=2000)
    path: str | None = Field(None, max_length=1000)
    vendors: list[str] = Field(min_length=1)
    columns: dict[str, str] = {}
    item: str | None = Field(None, max_length=200, description="XML: the element of one item")
    delimiter: str | None = Field(None, min_length=1, max_length=1)
    encoding: str = "utf-8"
    auth: FeedAuth | None = None
    max_bytes: int = Field(DEFAULT_MAX_BYTES, gt=0)
    max_drop_share: float = Field(
        0.5, gt=0, lt=1, description="Hold a feed that lost more than this share of its rows."
    )
    schedule: ScheduleEntry | None = None

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if name not in FEED_FIELDS:
                raise ValueError(f"unknown field {name!r} (known: {', '.join(FEED_FIELDS)})")
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        import codecs

        try:
            return codecs.lookup(value).name
        except LookupError as exc:
            raise ValueError(f"unknown encoding {value!r}") from exc

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        sample = _VARIABLE.sub("x", value)
        if value.startswith("${"):  # the whole address from a variable (a demo's own site)
            sample = "https://" + sample
        problem = url_problem(sample)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _source(self) -> FeedEntry:
        if (self.url is None) == (self.path is None):
            raise ValueError("give exactly one of url, path")
        if self.format in ("csv", "xml"):
            missing = [f for f in ("price",) if f not in self.columns]
            if missing:
                raise ValueError(f"a generic {self.format} feed needs columns for: price")
        return self

    def resolved_url(self, env: Mapping[str, str]) -> str:
        """The address with its ``${NAME}`` variables from the environment."""
        assert self.url is not None

        def replace(match: re.Match[str]) -> str:
            if match.group(1) not in env:
                raise FeedConfigError(
                    f"feed {self.name}: environment variable {match.group(1)} is not set"
                )
            return env[match.group(1)]

        return _VARIABLE.sub(replace, self.url)

    @property
    def source(self) -> str:
        """Where the feed is, as an operator may see it (variables not replaced)."""
        return self.url or self.path or ""


class FeedMatch(_Strict):
    """How a listing finds its item in its vendor's feed: one identifier, and the deep link."""

    gtin: str | None = Field(None, max_length=200)
    mpn: str | None = Field(None, max_length=200)
    id: str | None = Field(None, max_length=200)
    sku: str | None = Field(None, max_length=200)
    url: str | None = Field(None, max_length=2000)
    item_group: str | None = Field(None, max_length=200)
    link: bool = Field(False, description="Use the item's deep link as the listing's link.")

    @model_validator(mode="after")
    def _exactly_one(self) -> FeedMatch:
        given = [key for key in MATCH_KEYS if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(MATCH_KEYS)}")
        return self

    def key(self) -> tuple[str, str]:
        """The identifier's kind and its value, normalized as feed values are."""
        for kind in MATCH_KEYS:
            value = getattr(self, kind)
            if value is not None:
                return kind, normalize_key(kind, value)
        raise AssertionError("validated: one key is given")


def normalize_key(kind: str, value: str) -> str:
    """Identifiers compare without case and spaces; GTINs without leading zeros (EAN-13 and
    GTIN-14 of one product differ only by them)."""
    text = value.strip()
    if kind == "gtin":
        return text.lstrip("0") or "0"
    if kind == "url":
        return text
    return text.casefold()
