"""Buy-box view model to HTML through Jinja2 (autoescaped; a site folder may override templates)."""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_skeleton, format_time
from babel.numbers import (
    format_currency,
    get_currency_name,
    get_currency_precision,
    get_territory_currencies,
)
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from tracker.config import BUILTIN_TEMPLATES, SiteSettings
from tracker.domain import Availability, BoxGroup, BuyBox
from tracker.pricing import unit_price_places

STYLESHEET = "tracker-buy.css"

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
        self.locale = Locale.parse(site.locale)
        self.env.globals["stylesheet"] = Markup(static_text(templates_dir, STYLESHEET))
        self.env.filters.update(
            money=self.money,
            unitmoney=self.unit_money,
            currencyname=self.currency_name,
            sitetime=self.sitetime,
            shorttime=self.shorttime,
            sitedate=self.sitedate,
            isotime=isotime,
            availability=lambda value: AVAILABILITY_TEXT.get(value, "Availability unknown"),
        )

    def money(self, amount: Decimal, currency: str) -> str:
        """A price as the shop states it, in the currency's minor unit ("$75.00")."""
        return format_currency(amount, currency, locale=self.locale)

    def unit_money(self, amount: Decimal, currency: str) -> str:
        """A unit price rounded to what it needs ("$0.75", "$0.012", "$1.00", "$123")."""
        places = unit_price_places(amount, int(get_currency_precision(currency)))
        pattern = copy.copy(self.locale.currency_formats["standard"])
        pattern.frac_prec = (places, places)
        rounded = amount.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
        return pattern.apply(rounded, self.locale, currency=currency, currency_digits=False)

    def currency_name(self, currency: str) -> str:
        """ "euros (EUR)": a group heading's words."""
        return f"{get_currency_name(currency, count=2, locale=self.locale)} ({currency})"

    @property
    def home_currency(self) -> str | None:
        """The currency of the site locale's territory: its group comes first."""
        territory = self.locale.territory
        found = get_territory_currencies(territory) if territory else []
        return found[0] if found else None

    def zone_name(self, moment: datetime) -> str:
        return format_datetime(moment, "z", tzinfo=self.zone, locale=self.locale)

    def sitetime(self, moment: datetime) -> str:
        """ "Dec 3, 2026, 10:00:00 AM UTC": the site's time zone, named."""
        text = format_datetime(moment, "medium", tzinfo=self.zone, locale=self.locale)
        return f"{text} {self.zone_name(moment)}"

    def shorttime(self, moment: datetime) -> str:
        """A stable short form for static pages: "Nov 26, 10:00 AM UTC" (site time zone)."""
        day = format_skeleton("MMMd", moment, tzinfo=self.zone, locale=self.locale)
        time = format_time(moment, "short", tzinfo=self.zone, locale=self.locale)
        return f"{day}, {time} {self.zone_name(moment)}"

    def sitedate(self, moment: datetime) -> str:
        return format_skeleton("yMMMd", moment, tzinfo=self.zone, locale=self.locale)

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

    def stylesheet(self) -> str:
        """The boxes' stylesheet, for tracker-buy.css or a page's tracker:styles marker."""
        return str(self.env.globals["stylesheet"])

    def render(self, group: BoxGroup, template: str = "buy_box.html") -> str:
        html = self.env.get_template(template).render(group=group, site=self.site)
        # No blank lines: a blank line would end the HTML block inside a Markdown article.
        return "\n".join(line for line in html.splitlines() if line.strip())


def isotime(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def static_text(templates_dir: Path | None, name: str) -> str:
    """A static file of the template folders (the site's first), e.g. embed.js."""
    for folder in ([templates_dir] if templates_dir else []) + [BUILTIN_TEMPLATES]:
        path = folder / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(f"{name}: not found in the template folders")
