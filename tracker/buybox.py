"""Buy-box view model to HTML through Jinja2 (autoescaped; a site folder may override templates)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tracker.config import BUILTIN_TEMPLATES, SiteSettings
from tracker.domain import Availability, BuyBox

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
        )
        self.env.filters.update(
            money=self.money,
            sitetime=self.sitetime,
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

    def render(self, box: BuyBox, template: str = "buy_box.html") -> str:
        html = self.env.get_template(template).render(box=box, site=self.site)
        # No blank lines: a blank line would end the HTML block inside a Markdown article.
        return "\n".join(line for line in html.splitlines() if line.strip())


def isotime(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
