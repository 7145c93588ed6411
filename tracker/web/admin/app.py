"""The dashboard's pages and actions, mounted at /admin by `tracker serve` (`admin_mount`).

`gate.py` decides who may see them; `views.py` reads what they show. Templates autoescape
everything.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import BaseRoute, Mount, Route

from tracker.config import BUILTIN_TEMPLATES, Settings
from tracker.domain import time_text
from tracker.scheduling.jobstore import JobStoreError, run_now, set_paused
from tracker.store import operators, review
from tracker.store.engine import Store
from tracker.web import hosts
from tracker.web.admin import addlisting, security, views
from tracker.web.admin.gate import (
    PREFIX,
    Clock,
    Dashboard,
    Handler,
    guarded,
    login,
    logout,
)
from tracker.web.clicks import EXCLUDED_AGENTS

SHOWN_CHANGES = 30  # the newest price changes listed under each chart

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
    base = hosts.link_base(board.settings)  # never the request's Host header
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

    def route(path: str, handler: Handler, *, change: bool = False) -> Route:
        endpoint = guarded(board, handler, change=change)
        return Route(path, endpoint, methods=["POST"] if change else ["GET"])

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
        route("/add", addlisting.add_form),
        route("/add/preview", addlisting.add_preview, change=True),
        route("/add/append", addlisting.add_append, change=True),
    ]
    return Mount(PREFIX, routes=routes)
