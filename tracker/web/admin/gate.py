"""Who may use the dashboard: the login form, sessions, and the guard around every page.

Off (404) until an operator account exists. A page needs a session: a signed, HttpOnly,
SameSite=Strict cookie whose token the database knows (hashed) until it expires; without one a
page redirects to the login form and JSON answers 401. Every change is a POST carrying the
session's CSRF token.
"""

from __future__ import annotations

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

from tracker.config import BUILTIN_TEMPLATES, Settings
from tracker.domain import time_text
from tracker.publishing.buybox import BoxRenderer
from tracker.rules import duration_text
from tracker.store import operators
from tracker.store.engine import Store
from tracker.web.admin import security
from tracker.web.admin.accounts import verify

Clock = Callable[[], datetime]
PREFIX = "/admin"
COOKIE_KEY = "admin-cookie"
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


def guarded(board: Dashboard, handler: Handler, *, change: bool = False) -> Callable[..., Any]:
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
