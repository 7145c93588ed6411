"""The one read path of buy boxes, shared by `tracker render` and the live server.

A product costs one query (`store/boxdata.product_rows`: the product, its listing states and
its data version, as Core rows). What the history of each priced listing says (its sparkline
and its prior price) is kept per (listing, data version): a listing's confirmed history
changes only through writes that advance its product's data version (`store/versions.py`),
so it is the same until then. Only on first sight does a product cost a second query, its
history (`boxdata.history_rows`, Core rows, one query); the spans are not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from tracker.config import ConfigError, Settings
from tracker.domain import BoxGroup, ListingState, RowState
from tracker.exchange import Rates, RatesError, parse_rates
from tracker.publishing.sparkline import WINDOW
from tracker.publishing.viewmodel import Past, build_buy_box, build_group, past_of
from tracker.rules import max_age, shown
from tracker.store.boxdata import ProductRows, history_rows, product_rows
from tracker.store.states import profiles

PASTS = 8192  # listings' pasts kept (a sparkline and a prior price); a few hundred bytes each

# (products, style, limit) of one marker or one request
BoxRequest = tuple[tuple[str, ...], str, int | None]

_RATES_CACHE: dict[tuple[Path, int], Rates] = {}


def load_rates(path: Path | None) -> Rates | None:
    """The operator's ECB rates file (read again when it changes); None without one."""
    if path is None:
        return None
    try:
        stamp = path.stat().st_mtime_ns
        if (path, stamp) not in _RATES_CACHE:
            text = path.read_text(encoding="utf-8")
            _RATES_CACHE.clear()
            _RATES_CACHE[(path, stamp)] = parse_rates(text, str(path))
        return _RATES_CACHE[(path, stamp)]
    except OSError as exc:
        raise ConfigError(f"[currency] rates_file {path}: {exc.strerror or exc}") from exc
    except (RatesError, UnicodeDecodeError) as exc:
        raise ConfigError(f"[currency] rates_file {exc}") from exc


class ReadModel:
    """Reads products for boxes and builds their view models; keeps parsed profiles and
    listings' pasts between calls (one per process is enough; it is thread-safe for reads)."""

    def __init__(self, settings: Settings, *, pasts: int = PASTS) -> None:
        self.settings = settings
        self.max_age = timedelta(hours=settings.site.max_age_hours)
        self.size = pasts
        self._profile_of = profiles()  # each vendor's stored profile parsed once
        self._pasts: OrderedDict[tuple[int, int], Past] = OrderedDict()  # (listing, version)
        self._lock = threading.Lock()

    def product(self, session: Session, slug: str) -> ProductRows | None:
        """One product with its listing states (one query); None when unknown."""
        return product_rows(session, slug, self._profile_of)

    def pasts(
        self, session: Session, found: Sequence[ProductRows], now: datetime
    ) -> dict[int, Past]:
        """What the history says of each listing that shows a price now, read once per data
        version (one query for all the listings not yet known)."""
        out: dict[int, Past] = {}
        missing: list[tuple[ListingState, tuple[int, int]]] = []
        for rows in found:
            for state in rows.states:
                if shown(state, now, self.max_age).state is not RowState.PRICED:
                    continue
                key = (state.listing_id, rows.data_version)
                with self._lock:
                    known = self._pasts.get(key)
                if known is not None:
                    out[state.listing_id] = known
                else:
                    missing.append((state, key))
        if not missing:
            return out
        # A shown price was checked within its max age: its window starts after this.
        oldest = max(
            [self.max_age] + [max_age(self.max_age, s.max_age_hours) for s, _key in missing]
        )
        history = history_rows(session, [s.listing_id for s, _ in missing], now - oldest - WINDOW)
        for state, key in missing:
            past = out[state.listing_id] = past_of(state, history[state.listing_id])
            self._remember(key, past)
        return out

    def _remember(self, key: tuple[int, int], past: Past) -> None:
        with self._lock:
            self._pasts[key] = past
            while len(self._pasts) > self.size:
                self._pasts.popitem(last=False)

    def groups(
        self,
        session: Session,
        requests: Sequence[BoxRequest],
        now: datetime,
        *,
        live: bool = False,
        link_base: str | None = None,
        found: dict[str, ProductRows] | None = None,
        home_currency: str | None = None,
    ) -> list[BoxGroup]:
        """View models for (products, style, limit) requests: one query per product.

        Raises LookupError naming the first unknown or inactive product. The products read
        are left in ``found`` when the caller passes a dict. ``home_currency``: the currency
        whose group comes first when no ``currency.compare_to`` is set (the site locale's).
        """
        found = {} if found is None else found
        for slugs, _style, _limit in requests:
            for slug in slugs:
                if slug in found:
                    continue
                rows = self.product(session, slug)
                if rows is None or not rows.active:
                    raise LookupError(slug)
                found[slug] = rows
        pasts = self.pasts(session, list(found.values()), now)
        site = self.settings.site
        compare_to = self.settings.currency.compare_to
        rates = load_rates(self.settings.currency.rates_file)
        out = []
        for slugs, style, limit in requests:
            boxes = [
                build_buy_box(
                    slug,
                    found[slug].name,
                    found[slug].states,
                    disclosure=site.disclosure,
                    now=now,
                    max_age=self.max_age,
                    order=site.order,
                    limit=limit,
                    live=live,
                    link_base=link_base if link_base is not None else site.public_url,
                    jsonld=site.jsonld,
                    pasts=pasts,
                    home_currency=compare_to or home_currency,
                    rates=rates,
                    compare_to=compare_to,
                )
                for slug in slugs
            ]
            out.append(
                build_group(
                    boxes, style=style, disclosure=site.disclosure, show_note=site.as_of_note
                )
            )
        return out
