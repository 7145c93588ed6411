"""The dashboard's routes, mounted at /admin by `tracker serve` (`admin_mount`).

Off (404) until an operator account exists. Every page needs a session: a signed, HttpOnly,
SameSite=Strict cookie whose token the database knows (hashed) until it expires; without one a
page redirects to the login form and JSON answers 401. Every change is a POST carrying the
session's CSRF token. Templates autoescape everything.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import BaseRoute, Mount, Route

from tracker.config import BUILTIN_TEMPLATES, Settings
from tracker.domain import time_text
from tracker.publishing.buybox import BoxRenderer
from tracker.rules import duration_text
from tracker.scheduling.jobstore import JobStoreError, run_now, set_paused
from tracker.store import operators, review
from tracker.store.engine import Store
from tracker.web.admin import security, views
from tracker.web.admin.accounts import verify
from tracker.web.clicks import EXCLUDED_AGENTS

Clock = Callable[[], datetime]
PREFIX = "/admin"
COOKIE_KEY = "admin-cookie"
SHOWN_CHANGES = 30  # the newest price changes listed under each chart
OFF = (
    "The dashboard is off: no operator account exists. "
    "Create one with `tracker admin create-user NAME`."
)


class Dashboard:
    """The dashboard's state: the store, the clock, the templates and the login limiter."""

    def __init__(self, settings: Settings, store: Store, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.limiter = security.LoginLimiter()
        self._cookie_key: str | None = None
        self.renderer = BoxRenderer(settings.site, settings.templates_dir)
        self.env = Environment(
            loader=FileSystemLoader(str(BUILTIN_TEMPLATES / "admin")),
            autoescape=True,
            undefined=StrictUndefined,
        )
        self.env.filters["when"] = lambda t: time_text(t) + " UTC" if t else "-"
        self.env.filters["ago"] = lambda d: duration_text(d) + " ago" if d is not None else "-"
        self.env.filters["money"] = lambda v: "-" if v is None else f"{v:.2f}"

    # --- sessions -------------------------------------------------------------------------

    def cookie_key(self) -> str:
        """The signing key, made once per database and then kept in memory (no write per page)."""
        if self._cookie_key is None:
            with self.store.sessions.begin() as session:
                self._cookie_key = operators.secret(session, COOKIE_KEY)
        return self._cookie_key

    def enabled(self) -> bool:
        with self.store.readers.begin() as session:
            return operators.any_operator(session)

    def current(self, request: Request) -> operators.LoggedIn | None:
        value = request.cookies.get(security.COOKIE)
        if not value:
            return None
        token = security.unsign(value, self.cookie_key())
        if token is None:
            return None
        with self.store.readers.begin() as session:
            return operators.logged_in(session, security.token_hash(token), self.clock())

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        body = self.env.get_template(name).render(
            prefix=PREFIX, request=request, site=self.settings.site, **context
        )
        return HTMLResponse(body, status_code=status, headers=security.HEADERS)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(f"{PREFIX}/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


Handler = Callable[[Request, Dashboard, operators.LoggedIn], Any]


def _guarded(board: Dashboard, handler: Handler, *, change: bool = False) -> Callable[..., Any]:
    """A route that needs a session (and, for a change, the session's CSRF token)."""

    async def endpoint(request: Request) -> Response:
        if not await run_in_threadpool(board.enabled):
            return PlainTextResponse(OFF, status_code=404, headers=security.HEADERS)
        who = await run_in_threadpool(board.current, request)
        if who is None:
            if _wants_json(request):
                return JSONResponse({"error": "log in first"}, 401, headers=security.HEADERS)
            target = f"{PREFIX}/login?next={quote(request.url.path)}"
            return RedirectResponse(target, status_code=303, headers=security.HEADERS)
        if change:
            form = await request.form()
            token = form.get("csrf")
            if not security.same(token if isinstance(token, str) else None, who.csrf):
                return PlainTextResponse(
                    "the form is out of date (CSRF token): reload the page and try again",
                    status_code=403,
                    headers=security.HEADERS,
                )
            request.state.form = form
        result: Response = await run_in_threadpool(handler, request, board, who)
        return result

    return endpoint


# --- login ----------------------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    """Only a path of the dashboard itself (never another site: no open redirect)."""
    if value and value.startswith(f"{PREFIX}/") and "\\" not in value and "//" not in value:
        return value
    return f"{PREFIX}/"


def _login_form(board: Dashboard, request: Request, error: str | None, status: int) -> Response:
    token = security.new_token()
    response = board.page(
        request,
        "login.html",
        status,
        error=error,
        login_token=token,
        next=_safe_next(request.query_params.get("next")),
    )
    response.set_cookie(
        security.LOGIN_COOKIE,
        token,
        max_age=3600,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


async def login(request: Request, board: Dashboard) -> Response:
    if not await run_in_threadpool(board.enabled):
        return PlainTextResponse(OFF, status_code=404, headers=security.HEADERS)
    if request.method == "GET":
        return _login_form(board, request, None, 200)
    form = await request.form()
    name, password = str(form.get("name", ""))[:64], str(form.get("password", ""))
    if not security.same(str(form.get("csrf", "")), request.cookies.get(security.LOGIN_COOKIE)):
        return _login_form(board, request, "The form was out of date; try again.", 403)
    now = board.clock()
    client = request.client.host if request.client else "unknown"
    keys = [f"client:{client}", f"name:{name.lower()}"]
    wait = board.limiter.retry_after(keys, now)
    if wait:
        response = _login_form(
            board, request, f"Too many failed logins: try again in {wait} seconds.", 429
        )
        response.headers["Retry-After"] = str(wait)
        return response
    operator_id = await run_in_threadpool(verify, board.store, name, password)
    if operator_id is None:
        board.limiter.failed(keys, now)
        return _login_form(board, request, "Wrong name or password.", 401)
    board.limiter.succeeded(keys)
    token = security.new_token()

    def start() -> operators.LoggedIn:
        with board.store.sessions.begin() as session:
            return operators.start_session(
                session, operator_id, security.token_hash(token), now, security.SESSION_LIFETIME
            )

    await run_in_threadpool(start)
    target = _safe_next(str(form.get("next", "")))
    response = RedirectResponse(target, status_code=303, headers=security.HEADERS)
    response.set_cookie(
        security.COOKIE,
        security.sign(token, await run_in_threadpool(board.cookie_key)),
        max_age=int(security.SESSION_LIFETIME.total_seconds()),
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    response.delete_cookie(security.LOGIN_COOKIE, path=PREFIX)
    return response


def logout(request: Request, board: Dashboard, who: operators.LoggedIn) -> Response:
    token = security.unsign(request.cookies.get(security.COOKIE, ""), board.cookie_key())
    if token:
        with board.store.sessions.begin() as session:
            operators.end_session(session, security.token_hash(token))
    response = RedirectResponse(f"{PREFIX}/login", status_code=303, headers=security.HEADERS)
    response.delete_cookie(security.COOKIE, path=PREFIX)
    return response


# --- pages ----------------------------------------------------------------------------------


def overview(request: Request, board: Dashboard, who: operators.LoggedIn) -> Response:
    data = views.overview(board.store, board.settings, board.clock())
    return board.page(request, "overview.html", who=who, data=data, flash=_flash(request))


def status_json(request: Request, board: Dashboard, who: operators.LoggedIn) -> Response:
    data = views.overview(board.store, board.settings, board.clock())
    body = {
        "scheduler": data.report.scheduler,
        "problems": data.report.problems,
        "notes": data.report.notes,
        "held": data.held,
        "vendors": [
            {
                "vendor": row.status.vendor,
                "schedule": row.status.schedule,
                "paused": row.status.paused,
                "next_run": row.status.next_run.isoformat() if row.status.next_run else None,
                "last_run": None
                if row.status.last_run is None
                else {
                    "status": str(row.status.last_run.status),
                    "started_at": row.status.last_run.started_at.isoformat(),
                    "pages": row.status.last_run.pages,
                    "offers": row.status.last_run.offers,
                    "failures": row.status.last_run.failures,
                    "error": row.status.last_run.error,
                },
                "listings": row.states,
            }
            for row in data.vendors
        ],
    }
    return JSONResponse(body, headers=security.HEADERS)


def _days(request: Request) -> int:
    raw = request.query_params.get("days", "90")
    return int(raw) if raw.isdigit() and int(raw) in views.PERIODS else 90


def product(request: Request, board: Dashboard, who: operators.LoggedIn) -> Response:
    slug = request.path_params["slug"]
    days = _days(request)
    base = board.settings.site.public_url or str(request.base_url).rstrip("/")
    try:
        data = views.product_page(
            board.store, board.settings, board.renderer, slug, days, board.clock(), base
        )
    except LookupError:
        return board.page(request, "missing.html", 404, who=who, what=f"product {slug}")
    return board.page(
        request,
        "product.html",
        who=who,
        data=data,
        periods=views.PERIODS,
        shown_changes=SHOWN_CHANGES,
    )


def listing(request: Request, board: Dashboard, who: operators.LoggedIn) -> Response:
    listing_id = request.path_params["listing_id"]
    try:
        data = views.listing_page(board.store, int(listing_id) if listing_id.isdigit() else -1)
    except (LookupError, OverflowError, ValueError):
        return board.page(request, "missing.html", 404, who=who, what=f"listing {listing_id}")
    if request.query_params.get("explain") == "1":
        data = views.explain(data, board.store, board.settings)
    return board.page(request, "listing.html", who=who, data=data)


def held(request: Request, board: Dashboard, who: operators.LoggedIn) -> Response:
    rows = views.held_prices(board.store, board.settings, board.clock())
    return board.page(request, "held.html", who=who, rows=rows, flash=_flash(request))


def decide(request: Request, board: Dashboard, who: operators.LoggedIn) -> Response:
    """Accept or reject a held price: the same store function as `tracker prices --accept`."""
    raw = request.path_params["listing_id"]
    action = request.path_params["action"]
    if action not in ("accept", "reject") or not raw.isdigit() or len(raw) > 10:
        return PlainTextResponse("unknown action", status_code=404, headers=security.HEADERS)
    try:
        with board.store.sessions.begin() as session:
            done = (review.accept if action == "accept" else review.reject)(
                session, int(raw), board.clock()
            )
    except review.ReviewError as exc:
        return _back(f"{PREFIX}/held", str(exc))
    reading = f"{done.price:.2f} {done.currency}"
    if done.accepted:
        message = f"listing {done.listing_id}: {reading} accepted and published"
    else:
        stays = (
            f"{done.restored[0]:.2f} {done.restored[1]} stays"
            if done.restored
            else ("no price is shown")
        )
        message = f"listing {done.listing_id}: {reading} rejected; {stays}"
    return _back(f"{PREFIX}/held", message)


def schedule(request: Request, board: Dashboard, who: operators.LoggedIn) -> Response:
    data = views.overview(board.store, board.settings, board.clock())
    return board.page(
        request,
        "schedule.html",
        who=who,
        data=data,
        resync=board.settings.schedule.resync_seconds,
        flash=_flash(request),
    )


def schedule_action(request: Request, board: Dashboard, who: operators.LoggedIn) -> Response:
    """Pause, resume or run a vendor now through the job store, as `tracker schedule` does."""
    vendor = request.path_params["vendor"]
    action = request.path_params["action"]
    try:
        if action == "pause":
            set_paused(board.store, vendor, True)
            message = f"paused {vendor}"
        elif action == "resume":
            next_run = set_paused(board.store, vendor, False)
            message = f"resumed {vendor}: next run {time_text(next_run)} UTC"
        elif action == "run-now":
            run_now(board.store, vendor, board.clock())
            message = (
                f"queued a crawl of {vendor}; the scheduler starts it within "
                f"{board.settings.schedule.resync_seconds:g} s"
            )
        else:
            return PlainTextResponse("unknown action", status_code=404, headers=security.HEADERS)
    except (JobStoreError, LookupError) as exc:
        message = str(exc)
    return _back(f"{PREFIX}/schedule", message)


def clicks(request: Request, board: Dashboard, who: operators.LoggedIn) -> Response:
    days = _days(request)
    report = views.clicks(board.store, board.clock(), days)
    return board.page(
        request,
        "clicks.html",
        who=who,
        report=report,
        days=days,
        periods=views.PERIODS,
        excluded=EXCLUDED_AGENTS,
    )


def clicks_csv(request: Request, board: Dashboard, who: operators.LoggedIn) -> Response:
    days = _days(request)
    report = views.clicks(board.store, board.clock(), days)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["by", "what", "detail", "listing_id", "total", "unique", "since", "until"])
    since, until = report.since.isoformat(), report.until.isoformat()
    for by, rows in (
        ("listing", report.listings),
        ("vendor", report.vendors),
        ("article", report.articles),
    ):
        for row in rows:
            writer.writerow(
                [
                    by,
                    csv_cell(row.key),
                    csv_cell(row.detail),
                    row.listing_id or "",
                    row.total,
                    row.unique,
                    since,
                    until,
                ]
            )
    stamp = board.clock().strftime("%Y%m%d")
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            **security.HEADERS,
            "Content-Disposition": f'attachment; filename="clicks-{days}d-{stamp}.csv"',
        },
    )


def csv_cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (OWASP CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _flash(request: Request) -> str | None:
    message = request.query_params.get("done")
    return message[:300] if message else None


def _back(path: str, message: str) -> Response:
    """Back to the page after a change, saying what was done (303: a reload posts nothing)."""
    return RedirectResponse(
        f"{path}?done={quote(message)}", status_code=303, headers=security.HEADERS
    )


def stylesheet(request: Request) -> Response:
    css = (BUILTIN_TEMPLATES / "admin" / "admin.css").read_text(encoding="utf-8")
    return Response(
        css, media_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=3600"}
    )


def admin_mount(settings: Settings, store: Store, clock: Clock) -> BaseRoute:
    """The dashboard as a Mount for the server's app (see `web.server.create_app`)."""
    board = Dashboard(settings, store, clock)

    def guarded(handler: Handler, methods: list[str], change: bool = False) -> Any:
        return _guarded(board, handler, change=change), methods

    def route(path: str, handler: Handler, *, change: bool = False) -> Route:
        endpoint, methods = guarded(handler, ["POST"] if change else ["GET"], change)
        return Route(path, endpoint, methods=methods)

    async def login_endpoint(request: Request) -> Response:
        return await login(request, board)

    routes = [
        Route("/login", login_endpoint, methods=["GET", "POST"]),
        Route("/admin.css", stylesheet, methods=["GET"]),
        route("/logout", logout, change=True),
        route("/", overview),
        route("/api/status", status_json),
        route("/products/{slug}", product),
        route("/listings/{listing_id}", listing),
        route("/held", held),
        route("/held/{listing_id}/{action}", decide, change=True),
        route("/schedule", schedule),
        route("/schedule/{vendor}/{action}", schedule_action, change=True),
        route("/clicks", clicks),
        route("/clicks.csv", clicks_csv),
    ]
    return Mount(PREFIX, routes=routes)
