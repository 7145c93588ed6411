"""The live server: buy-box fragments, offers JSON, the embed script, counted redirects.

Every public route is a GET (HEAD comes with it); the only write is the click counter behind
``/go/{listing_id}``. Fragments and JSON are cached in memory until the data behind them changes:
the cache key holds the product's listing states (one cheap indexed query) and the current minute,
because the relative check times ("3 h ago") and freshness move with the clock.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import socket
import threading
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
from tracker.publishing.publisher import Publisher
from tracker.publishing.viewmodel import STYLES, amount_text, unit_amount_text
from tracker.store.clicks import record_visit
from tracker.store.engine import (
    Store,
    StoreUnavailable,
    connect,
    failure_text,
    newest_schema,
    stored_schema,
)
from tracker.store.history import affiliate_target
from tracker.store.metrics import MetricFacts, metric_facts
from tracker.store.operators import secret
from tracker.store.repo import listing_states, products_by_slug
from tracker.urls import link_allowed
from tracker.web import clicks, hosts
from tracker.web.headers import SecurityHeaders
from tracker.web.metrics import CONTENT_TYPE_LATEST, metrics_text

log = logging.getLogger(__name__)

CACHE_ENTRIES = 256
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
            }
            for r in box.rows
        ],
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")


class LiveBoxes:
    """Builds a product's live fragment or offers JSON, cached until its data changes."""

    def __init__(self, settings: Settings, store: Store, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.cache = FragmentCache()
        # SQLite: one writer (a counted click) at a time in this process. Threads queue here
        # instead of in SQLite's busy handler, whose growing sleeps make the tail latency long.
        # Reads go through `store.readers`, which never take the write lock.
        self.db_lock: AbstractContextManager[Any] = (
            threading.Lock() if store.engine.dialect.name == "sqlite" else nullcontext()
        )
        self.renderer = BoxRenderer(settings.site, settings.templates_dir)

    def get(self, product: str, kind: str, style: str, limit: int | None, base: str) -> Cached:
        now = _minute(self.clock())
        with self.store.readers.begin() as session:
            found = products_by_slug(session, [product]).get(product)
            if found is None or not found.active:
                raise LookupError(product)
            version = (found.name, tuple(listing_states(session, [product])))
            key = (product, kind, style, limit, base, now, version)
            cached = self.cache.get(key)
            if cached is not None:
                return cached
            publisher = Publisher(self.settings, session, now, self.renderer)
            [group] = publisher.groups([((product,), style, limit)], live=True, link_base=base)
            if kind == "json":
                body = _offers_json(group)
            else:
                body = publisher.renderer.render(group).encode("utf-8")
            media = "application/json" if kind == "json" else "text/html; charset=utf-8"
            item = Cached(body, _etag(body), media)
        self.cache.put(key, item)
        return item


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    extensions: Sequence[Extension] = (),
) -> Starlette:
    """The server's ASGI app; tests pass their own store and a fixed clock.

    The app never creates the database and starts whether or not the database answers:
    /healthz says 503 and the data routes 503 until it does (at the newest schema).
    """
    owned = store is None
    store = store or connect(settings.database_url)
    schema = newest_schema()
    live = LiveBoxes(settings, store, clock or (lambda: datetime.now(UTC)))
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
            target = found[0]
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
