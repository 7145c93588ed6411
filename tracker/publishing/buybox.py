"""Buy-box view model to HTML through Jinja2 (autoescaped; a site folder may override templates)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_skeleton, format_time
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tracker.config import BUILTIN_TEMPLATES, SiteSettings
from tracker.domain import Availability, BoxGroup, BuyBox

FORMATTED = 4096  # formatted amounts and times kept per filter

AVAILABILITY_TEXT = {
    Availability.IN_STOCK: "In stock",
    Availability.OUT_OF_STOCK: "Out of stock",
    Availability.PRE_ORDER: "Pre-order",
    Availability.BACK_ORDER: "Back-order",
    Availability.DISCONTINUED: "Discontinued",
    Availability.LIMITED: "Limited stock",
    Availability.UNKNOWN: "Availability unknown",
}


class BoxRenderer:
    """Renders buy boxes with the site's locale and time zone."""

    def __init__(self, site: SiteSettings, templates_dir: Path | None = None) -> None:
        folders = [str(templates_dir)] if templates_dir else []
        folders.append(str(BUILTIN_TEMPLATES))
        self.site = site
        self.zone = ZoneInfo(site.timezone)
        self.env = Environment(
            loader=FileSystemLoader(folders),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            # Compiled once per renderer: no stat of every template file on every box. A
            # long-running server picks up edited templates when it restarts.
            auto_reload=False,
        )
        # Babel's formatting is the dearest part of a box; the same amounts and times repeat.
        self.env.filters.update(
            money=_remembered(self.money),
            sitetime=_remembered(self.sitetime),
            shorttime=_remembered(self.shorttime),
            sitedate=_remembered(self.sitedate),
            isotime=isotime,
            availability=lambda value: AVAILABILITY_TEXT.get(value, "Availability unknown"),
        )

    def money(self, amount: Decimal, currency: str) -> str:
        if abs(amount) < 1:
            digits = "¤#,##0.00##"
            return format_currency(
                amount, currency, format=digits, locale=self.site.locale, currency_digits=False
            )
        return format_currency(amount, currency, locale=self.site.locale)

    def sitetime(self, moment: datetime) -> str:
        return format_datetime(moment, "medium", tzinfo=self.zone, locale=self.site.locale)

    def shorttime(self, moment: datetime) -> str:
        """A stable short form for static pages: "Nov 26, 10:00 AM" (site time zone)."""
        day = format_skeleton("MMMd", moment, tzinfo=self.zone, locale=self.site.locale)
        return f"{day}, {format_time(moment, 'short', tzinfo=self.zone, locale=self.site.locale)}"

    def sitedate(self, moment: datetime) -> str:
        return format_skeleton("yMMMd", moment, tzinfo=self.zone, locale=self.site.locale)

    def render_box(self, box: BuyBox, style: str = "cards") -> str:
        """One product's box on its own, with the disclosure and note of the site."""
        group = BoxGroup(
            boxes=(box,),
            style=style,
            disclosure=box.disclosure,
            as_of=max((r.checked_at for r in box.rows if r.checked_at), default=None),
            show_note=self.site.as_of_note,
        )
        return self.render(group)

    def render(self, group: BoxGroup, template: str = "buy_box.html") -> str:
        html = self.env.get_template(template).render(group=group, site=self.site)
        # No blank lines: a blank line would end the HTML block inside a Markdown article.
        return "\n".join(line for line in html.splitlines() if line.strip())


def _remembered(format_: Callable[..., str], size: int = FORMATTED) -> Callable[..., str]:
    """``format_`` with its last results kept (cleared when full: no unbounded growth)."""
    known: dict[tuple[Any, ...], str] = {}

    def formatted(*args: Any) -> str:
        text = known.get(args)
        if text is None:
            if len(known) >= size:
                known.clear()
            text = known[args] = format_(*args)
        return text

    return formatted


def isotime(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def static_text(templates_dir: Path | None, name: str) -> str:
    """A static file of the template folders (the site's first), e.g. embed.js."""
    for folder in ([templates_dir] if templates_dir else []) + [BUILTIN_TEMPLATES]:
        path = folder / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(f"{name}: not found in the template folders")
