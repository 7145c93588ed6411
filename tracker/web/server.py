"""The live server: buy-box fragments, offers JSON, the embed script, counted redirects.

Every public route is a GET (HEAD comes with it); the only write is the click counter behind
``/go/{listing_id}``. Fragments and JSON are cached in memory until the data behind them changes:
the cache key holds the store's data version (read at most once a second, see ``DataVersion``),
and a fragment is kept until the minute at which its relative check times ("3 h ago") or its
freshness would read differently (the JSON, which says when it was generated, for the minute).
A cached box costs no query.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from tracker.config import Settings
from tracker.domain import BoxGroup
from tracker.publishing.buybox import BoxRenderer, static_text
from tracker.publishing.readmodel import ReadModel
from tracker.publishing.viewmodel import STYLES, amount_text, unit_amount_text
from tracker.rules import buy_link, shown_until
from tracker.store import versions
from tracker.store.boxdata import ProductRows
from tracker.store.clicks import record_visit
from tracker.store.engine import (
    Store,
    StoreUnavailable,
    connect,
    failure_text,
    newest_schema,
    stored_schema,
)
from tracker.store.history import affiliate_target, link_health
from tracker.store.metrics import MetricFacts, metric_facts
from tracker.store.operators import secret
from tracker.store.repo import listing_states
from tracker.urls import link_allowed
from tracker.web import clicks, hosts
from tracker.web.headers import SecurityHeaders
from tracker.web.metrics import CONTENT_TYPE_LATEST, metrics_text

log = logging.getLogger(__name__)

CACHE_ENTRIES = 4096  # the default of `serve.cache_entries`
VERSION_CHECK_SECONDS = 1.0  # the default of `serve.version_check_seconds`
RETRY_AFTER_SECONDS = 30
MAX_AGE_SECONDS = 60
MAX_ID = 2**31 - 1  # the largest listing id the databases store
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
Clock = Callable[[], datetime]
# Routes added by the caller (the dashboard): built with the app's settings, store and clock.
Extension = Callable[[Settings, Store, Clock], BaseRoute]


@dataclass(frozen=True)
class Cached:
    body: bytes
    etag: str
    media_type: str
    until: datetime | None = None  # a fragment reads differently from then on (the clock)


class FragmentCache:
    """A small thread-safe LRU of rendered bodies."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self.size = size
        self.entries: OrderedDict[Any, Cached] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Any) -> Cached | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return found

    def put(self, key: Any, value: Cached) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _cached_response(request: Request, item: Cached, cache_control: str) -> Response:
    headers = {"ETag": item.etag, "Cache-Control": cache_control}
    if _matches(request.headers.get("if-none-match"), item.etag):
        return Response(status_code=304, headers=headers)
    return Response(item.body, media_type=item.media_type, headers=headers)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _offers_json(group: BoxGroup) -> bytes:
    box = group.boxes[0]
    data = {
        "product": box.product_slug,
        "name": box.product_name,
        "generated_at": box.generated_at.isoformat(),
        "offers": [
            {
                "listing_id": r.listing_id,
                "vendor": r.vendor,
                "label": r.label,
                "state": str(r.state),
                "price": None if r.price is None else amount_text(r.price, r.currency or ""),
                "currency": r.currency,
                "regular_price": None
                if r.regular_price is None
                else amount_text(r.regular_price, r.currency or ""),
                "regular_price_source": r.regular_source,
                "availability": str(r.availability),
                "checked_at": r.checked_at.isoformat() if r.checked_at else None,
                "unit_prices": [
                    {"amount": unit_amount_text(u.amount), "currency": u.currency, "per": u.per}
                    for u in r.unit_prices
                ],
                "best": r.is_best,
                "link": r.link,
                "disclaimer": r.disclaimer,
            }
            for r in box.rows
        ],
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")


class DataVersion:
    """The store's data version, read at most once per ``every`` seconds (monotonic clock).

    Between two reads a request costs no query: a crawl's new readings show within a second.
    """

    def __init__(
        self,
        store: Store,
        every: float = VERSION_CHECK_SECONDS,
        ticks: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.every = every
        self.ticks = ticks
        self.lock = threading.Lock()
        self.value: int | None = None
        self.read_at = 0.0

    def get(self) -> int:
        now = self.ticks()
        with self.lock:
            if self.value is not None and now - self.read_at < self.every:
                return self.value
        with self.store.readers.begin() as session:
            value = versions.current(session)
        with self.lock:
            self.value, self.read_at = value, now
        return value


class LiveBoxes:
    """Builds a product's live fragment or offers JSON, cached until its data changes.

    The cache key is the product, its options, the minute (relative check times and freshness
    move with the clock) and the data version: a hit runs no query at all.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        ticks: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.cache = FragmentCache(settings.serve.cache_entries)
        self.version = DataVersion(store, settings.serve.version_check_seconds, ticks)
        # SQLite: one writer (a counted click) at a time in this process. Threads queue here
        # instead of in SQLite's busy handler, whose growing sleeps make the tail latency long.
        # Reads go through `store.readers`, which never take the write lock.
        self.db_lock: AbstractContextManager[Any] = (
            threading.Lock() if store.engine.dialect.name == "sqlite" else nullcontext()
        )
        self.renderer = BoxRenderer(settings.site, settings.templates_dir)
        self.reads = ReadModel(settings)

    def get(self, product: str, kind: str, style: str, limit: int | None, base: str) -> Cached:
        moment = self.clock()
        now = _minute(moment)
        # The JSON says when it was generated: it changes every minute. A fragment stays the
        # same bytes until a relative time or a freshness in it moves (``Cached.until``).
        when = now if kind == "json" else None
        key = (product, kind, style, limit, base, when, self.version.get())
        cached = self.cache.get(key)
        if cached is not None and (cached.until is None or moment < cached.until):
            return cached
        found: dict[str, ProductRows] = {}
        with self.store.readers.begin() as session:
            [group] = self.reads.groups(
                session,
                [((product,), style, limit)],
                now,
                live=True,
                link_base=base,
                found=found,
                home_currency=self.renderer.home_currency,
            )
        if kind == "json":
            body = _offers_json(group)
        else:
            body = self.renderer.render(group).encode("utf-8")
        media = "application/json" if kind == "json" else "text/html; charset=utf-8"
        until = None if kind == "json" else _fragment_until(group, found, now, self.reads.max_age)
        item = Cached(body, _etag(body), media, until)
        self.cache.put(key, item)
        return item


def _age_changes(checked: datetime, now: datetime) -> datetime:
    """When the relative age of ``checked`` ("5 min ago", "3 h ago") next reads differently."""
    seconds = max(0, int((now - checked).total_seconds()))
    step = 60 if seconds < 3600 else 3600 if seconds < 48 * 3600 else 86400
    return checked + timedelta(seconds=(seconds // step + 1) * step)


def _fragment_until(
    group: BoxGroup, found: dict[str, ProductRows], now: datetime, site_max_age: timedelta
) -> datetime:
    """The first minute at which the fragment built at ``now`` may read differently."""
    moments = [now + timedelta(days=1)]
    moments += [
        _age_changes(row.checked_at, now)
        for box in group.boxes
        for row in box.rows
        if row.checked_at is not None
    ]
    moments += [
        moment
        for rows in found.values()
        for state in rows.states
        if (moment := shown_until(state, now, site_max_age)) is not None
    ]
    earliest = min(moments)
    # Fragments are built at whole minutes: the first minute at or after the change.
    rounded = _minute(earliest)
    return rounded if rounded == earliest else rounded + timedelta(minutes=1)


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    extensions: Sequence[Extension] = (),
    ticks: Callable[[], float] = time.monotonic,
) -> Starlette:
    """The server's ASGI app; tests pass their own store, a fixed clock and monotonic ticks.

    The app never creates the database and starts whether or not the database answers:
    /healthz says 503 and the data routes 503 until it does (at the newest schema).
    """
    owned = store is None
    store = store or connect(settings.database_url)
    schema = newest_schema()
    live = LiveBoxes(settings, store, clock or (lambda: datetime.now(UTC)), ticks)
    embed_js = static_text(settings.templates_dir, "embed.js").encode("utf-8")
    embed_item = Cached(embed_js, _etag(embed_js), "application/javascript; charset=utf-8")
    css = live.renderer.stylesheet().encode("utf-8")
    css_item = Cached(css, _etag(css), "text/css; charset=utf-8")
    public = f"public, max-age={MAX_AGE_SECONDS}"
    renderer = live.renderer

    def base_of(request: Request) -> str:
        return hosts.link_base(settings)  # never the request's Host header

    def options(request: Request) -> tuple[str, int | None]:
        style = request.query_params.get("style", "cards")
        limit = request.query_params.get("limit")
        if style not in STYLES or (limit is not None and not limit.isdigit()):
            raise ValueError("style must be cards or table and limit a whole number")
        return style, int(limit) if limit else None

    def product_route(kind: str) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            product = request.path_params["product"]
            if not _SLUG.match(product):
                return PlainTextResponse("unknown product", status_code=404)
            try:
                style, limit = options(request)
            except ValueError as exc:
                return PlainTextResponse(str(exc), status_code=400)
            try:
                item = live.get(product, kind, style, limit, base_of(request))
            except LookupError:
                return PlainTextResponse("unknown product", status_code=404)
            return _cached_response(request, item, public)

        return endpoint

    def embed(request: Request) -> Response:
        return _cached_response(request, embed_item, "public, max-age=3600")

    def stylesheet(request: Request) -> Response:
        return _cached_response(request, css_item, "public, max-age=3600")

    limit = clicks.ClientLimit()

    def go(request: Request) -> Response:
        raw = request.path_params["listing_id"]
        if not raw.isdigit() or len(raw) > 10 or int(raw) > MAX_ID:
            return PlainTextResponse("unknown link", status_code=404)
        listing_id = int(raw)
        with live.db_lock, store.sessions.begin() as session:
            found = affiliate_target(session, listing_id)
            # Only ever the listing's own stored URL, checked again (http(s), on the vendor's
            # hosts or its template's): never a URL from the request.
            if found is None or not link_allowed(*found):
                return PlainTextResponse("unknown link", status_code=404)
            # The box's rule: while the link is broken, the vendor's fallback URL, else none.
            broken, fallback = link_health(session, listing_id)
            target = buy_link(found[0], broken, fallback, found[1], found[2])
            if target is None:
                return PlainTextResponse(
                    "this shop link is being fixed; please try again later",
                    status_code=404,
                    headers={"Cache-Control": "no-store"},
                )
            client = request.client.host if request.client else ""
            now = live.clock()
            if clicks.counted(request.method, request.headers) and limit.allow(client, now):
                agent = request.headers.get("user-agent", "")
                record_visit(
                    session,
                    listing_id,
                    now,
                    visitor=clicks.visitor_key(secret(session, "click-salt"), client, agent),
                    article=clicks.article_of(request.headers.get("referer")),
                    window=clicks.WINDOW,
                )
        return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})

    def healthz(request: Request) -> Response:
        no_store = {"Cache-Control": "no-store"}
        try:
            with store.readers.begin() as session:
                stored = stored_schema(session.connection())
        except (DBAPIError, StoreUnavailable) as exc:
            log.warning("healthz: %s", failure_text(settings.database_url, exc))
            error = "the database cannot be reached or has no tracker tables"
            return JSONResponse({"status": "error", "error": error}, 503, no_store)
        if stored != schema:
            error = "the database schema is not this version's: run `tracker init`"
            return JSONResponse({"status": "error", "error": error}, 503, no_store)
        return JSONResponse({"status": "ok"}, headers=no_store)

    def unavailable(request: Request, exc: Exception) -> Response:
        log.warning("%s: %s", request.url.path, failure_text(settings.database_url, exc))
        return PlainTextResponse(
            "prices are unavailable right now; try again later",
            status_code=503,
            headers={"Cache-Control": "no-store", "Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    def metrics(request: Request) -> Response:
        def read() -> MetricFacts:
            with store.readers.begin() as session:
                return metric_facts(
                    session, live.clock(), timedelta(hours=settings.site.max_age_hours)
                )

        return Response(
            metrics_text(read),
            media_type=CONTENT_TYPE_LATEST,
            headers={"Cache-Control": "no-store"},
        )

    def index(request: Request) -> Response:
        with store.readers.begin() as session:
            slugs = sorted({s.product_slug for s in listing_states(session)})
        page = renderer.env.get_template("live_page.html").render(slugs=slugs, site=settings.site)
        return Response(page, media_type="text/html; charset=utf-8")

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/embed.js", embed, methods=["GET"]),
        Route("/tracker-buy.css", stylesheet, methods=["GET"]),
        Route("/boxes/{product}.html", product_route("html"), methods=["GET"]),
        Route("/api/products/{product}/offers", product_route("json"), methods=["GET"]),
        Route("/go/{listing_id}", go, methods=["GET"]),
        *(extension(settings, store, live.clock) for extension in extensions),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            TrustedHostMiddleware, allowed_hosts=hosts.allowed_hosts(settings), www_redirect=False
        ),
        Middleware(
            CORSMiddleware,
            allow_origins=settings.site.origins,
            allow_methods=["GET"],
            expose_headers=["ETag"],
            max_age=3600,
        ),
    ]

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                store.close()

    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={DBAPIError: unavailable, StoreUnavailable: unavailable},
    )
    app.state.live = live
    return app


def listen(host: str = "127.0.0.1", port: int = 8000) -> socket.socket:
    """A TCP socket listening on ``host``; port 0 takes a free port (read it with getsockname)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=2048)


def serve(settings: Settings, sock: socket.socket, extensions: Sequence[Extension] = ()) -> None:
    """Run the server with uvicorn on a listening socket until interrupted."""
    import uvicorn

    app = create_app(settings, extensions=extensions)
    uvicorn.Server(uvicorn.Config(app, log_level="info")).run(sockets=[sock])
