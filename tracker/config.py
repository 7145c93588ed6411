"""Configuration, read once and passed down.

Sources, highest priority first: ``TRACKER_*`` environment variables (nested
fields with ``__``, e.g. ``TRACKER_SITE__MAX_AGE_HOURS``), then the TOML file
named by ``TRACKER_CONFIG`` or ``./tracker.toml``, then the defaults below.
Relative paths are resolved against the folder of that file (or the current
directory when there is none).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tracker.alerts.settings import AlertSettings
from tracker.schedules import parse_duration
from tracker.spelling import did_you_mean, keys_at, likely
from tracker.urls import is_http_url, require_http_url

CONFIG_FILE_NAME = "tracker.toml"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Inside the package (package data), so that an installed tracker has them too.
BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "templates"


class ConfigError(Exception):
    """A configuration file or variable an operator must fix."""


class _Section(BaseModel):
    """A table of the file: a key it does not know is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class SiteSettings(_Section):
    """How the published site shows prices."""

    locale: str = "en_US"
    timezone: str = "UTC"
    max_age_hours: float = Field(24.0, gt=0)
    disclosure: str = (
        "We may earn a commission when you buy through the links below. "
        "Prices are checked automatically and may change."
    )
    order: Literal["price", "catalog"] = "price"
    as_of_note: bool = True
    as_of_text: str = "Prices and availability are accurate as of {time} and subject to change."
    jsonld: bool = False
    # True puts a <style> element in every box (invalid HTML in a body; for hosts that can
    # neither link tracker-buy.css nor hold a tracker:styles head marker).
    inline_css: bool = False
    # Wrap the boxes of Markdown articles in this Hugo shortcode (e.g. "tracker-box"), so that
    # Hugo's default Markdown renderer, which drops raw HTML, still shows them.
    hugo_shortcode: str | None = None
    public_url: str | None = None
    origins: list[str] = []

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return require_http_url(value).rstrip("/") if value else None

    @field_validator("as_of_text")
    @classmethod
    def _as_of_text(cls, value: str) -> str:
        if value.count("{time}") != 1:
            raise ValueError("must contain {time} once (where the check time goes)")
        return value

    @field_validator("origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not is_http_url(origin):
                raise ValueError(f"{origin!r} is not an http(s) origin")
        return [origin.rstrip("/") for origin in value]


class CurrencySettings(_Section):
    """Prices in other currencies converted for comparison, from the ECB's reference rates."""

    rates_file: Path | None = None  # the ECB's eurofxref-daily.xml or eurofxref.csv
    compare_to: str | None = None  # the currency converted prices are shown in, e.g. "EUR"

    @field_validator("compare_to")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) == 3 and value.isalpha() and value.isupper()):
            raise ValueError("must be an ISO 4217 code such as EUR")
        return value


class CrawlSettings(_Section):
    """Politeness and limits of the Scrapy crawls."""

    contact_url: str = "https://example.com/about-our-price-checker"
    obey_robots: bool = True
    concurrency_per_domain: int = Field(2, ge=1, le=32)
    download_delay: float = Field(0.5, ge=0)
    timeout_seconds: float = Field(30.0, gt=0)
    max_retry_after_seconds: float = Field(60.0, ge=0)
    max_page_bytes: int = Field(5 * 1024 * 1024, gt=0)
    time_limit_seconds: int = Field(1800, gt=0)
    suspect_change_share: float = Field(0.5, gt=0)
    batch_size: int = Field(500, ge=1)
    flush_seconds: float = Field(2.0, gt=0)
    # `tracker extract --catalog-entry` and `tracker catalog add URL` refuse pages on private,
    # loopback and link-local addresses unless this is on (the demo and the tests turn it on).
    allow_private_addresses: bool = False


class PublishSettings(_Section):
    """The publish gate: how a suspicious reading is confirmed before it is shown."""

    confirm_after: str = "1h"  # a later reading at least this long after the first confirms it

    @field_validator("confirm_after")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def confirm_after_seconds(self) -> float:
        return parse_duration(self.confirm_after)


class ScheduleSettings(_Section):
    """The scheduler: default schedule, crawls at once, runner."""

    default_every: str = "6h"
    default_jitter: str = "5m"
    max_running: int = Field(2, ge=1, le=64)
    resync_seconds: float = Field(15.0, gt=0)
    render_after_crawl: bool = True
    runner: Literal["local", "scrapyd"] = "local"
    scrapyd_nodes: list[str] = []
    scrapyd_project: str = "tracker"

    @field_validator("default_every", "default_jitter")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


class LinkSettings(_Section):
    """`tracker links check`: how outbound affiliate links are requested."""

    timeout_seconds: float = Field(10.0, gt=0)
    max_redirects: int = Field(5, ge=0, le=20)
    allow_private: bool = False  # request private and loopback addresses (tests, intranets)
    exclude: list[str] = []  # listings never checked, as "vendor:listing key"
    every: str | None = None  # the scheduler checks the links this often (None: it does not)

    @field_validator("every")
    @classmethod
    def _every(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @property
    def every_seconds(self) -> float | None:
        return parse_duration(self.every) if self.every is not None else None


_HOST_PATTERN = re.compile(r"^(\*|(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?|[0-9a-f:.]+)$")


class ServeSettings(_Section):
    """`tracker serve`: its cache of rendered boxes and the hosts it answers for."""

    # Boxes (one per product, style and limit) kept between data changes: more than the
    # products the site shows, so that random requests still hit.
    cache_entries: int = Field(4096, ge=16, le=1_000_000)
    # How often a request may look at the data version (one cheap query); 0: every request.
    version_check_seconds: float = Field(1.0, ge=0, le=60)

    # Host names a request may name (``Host`` header), "*.example.com" for subdomains, "*" for
    # any; None: the host of site.public_url plus localhost, 127.0.0.1 and ::1.
    allowed_hosts: list[str] | None = None

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        names = [name.strip().lower().strip("[]") for name in value]
        for name in names:
            if not _HOST_PATTERN.match(name):
                raise ValueError(
                    f"{name!r} is not a host name (no scheme, port or path; "
                    "'*.example.com' for subdomains, '*' for any)"
                )
        return names


class Settings(BaseSettings):
    """Every setting of the tracker in one object."""

    model_config = SettingsConfigDict(
        # Unknown keys of the file and of [section]s fail; other TRACKER_* variables (such as
        # TRACKER_CONFIG) are not settings and are never read as such.
        env_prefix="TRACKER_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    root: Path = Field(default_factory=Path.cwd)
    database_url: str = ""
    catalog: Path = Path("catalog.yaml")
    content_dir: Path = Path("content")
    out_dir: Path = Path("out")
    templates_dir: Path | None = None
    var_dir: Path = Path("var")
    config_path: Path | None = None
    site: SiteSettings = SiteSettings()
    currency: CurrencySettings = CurrencySettings()
    crawl: CrawlSettings = CrawlSettings()
    publish: PublishSettings = PublishSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    alerts: AlertSettings = AlertSettings()
    links: LinkSettings = LinkSettings()
    serve: ServeSettings = ServeSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file's values, which are passed as init values.
        return (env_settings, init_settings)

    def resolved(self) -> Settings:
        """Return a copy with every path absolute and the default database filled in."""
        root = self.root.resolve()

        def absolute(path: Path) -> Path:
            return path if path.is_absolute() else root / path

        var_dir = absolute(self.var_dir)
        url = self.database_url or f"sqlite:///{var_dir / 'tracker.db'}"
        return self.model_copy(
            update={
                "root": root,
                "database_url": url,
                "catalog": absolute(self.catalog),
                "content_dir": absolute(self.content_dir),
                "out_dir": absolute(self.out_dir),
                "templates_dir": absolute(self.templates_dir) if self.templates_dir else None,
                "var_dir": var_dir,
                "currency": self.currency.model_copy(
                    update={
                        "rates_file": absolute(self.currency.rates_file)
                        if self.currency.rates_file
                        else None
                    }
                ),
            }
        )


def find_config_file(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the configuration file to read, if any."""
    named = explicit or os.environ.get("TRACKER_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"{path}: configuration file not found")
        return path.resolve()
    default = Path.cwd() / CONFIG_FILE_NAME
    return default.resolve() if default.is_file() else None


def load_settings(config_file: str | os.PathLike[str] | None = None) -> Settings:
    """Read the settings from the file, the environment and the defaults."""
    path = find_config_file(config_file)
    values: dict[str, object] = {}
    if path is not None:
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        values.setdefault("root", path.parent)
        values["config_path"] = path
    try:
        settings = Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [_problem(dict(err), values, path) for err in exc.errors()]
        raise ConfigError("; ".join(problems)) from exc
    return settings.resolved()


def _in_file(values: dict[str, Any], loc: tuple[Any, ...]) -> bool:
    found: Any = values
    for part in loc:
        if not isinstance(found, dict) or part not in found:
            return False
        found = found[part]
    return True


def _problem(err: dict[str, Any], values: dict[str, Any], path: Path | None) -> str:
    """One error, named where the operator wrote it: the file's [section] key, or the variable."""
    loc = tuple(str(part) for part in err["loc"])
    from_file = path is not None and _in_file(values, loc)
    where = str(path) if from_file else "environment"
    if err["type"] != "extra_forbidden":
        return f"{where}: {'.'.join(loc)}: {err['msg']}"
    meant = likely(loc[-1], keys_at(Settings, loc[:-1]))
    if not from_file:
        variable = "TRACKER_" + "__".join(loc).upper()
        better = "TRACKER_" + "__".join((*loc[:-1], meant)).upper() if meant else None
        return f"{where}: {variable}: unknown variable{did_you_mean(better)}"
    if len(loc) == 1 and isinstance(err.get("input"), dict):
        section = f"[{meant}]" if meant else None
        return f"{where}: [{loc[0]}]: unknown section{did_you_mean(section)}"
    section = "".join(f"[{part}] " for part in loc[:-1])
    return f"{where}: {section}{loc[-1]}: unknown key{did_you_mean(meant)}"
