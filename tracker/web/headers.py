"""Security headers of every response of the live server, by route.

Every response says ``X-Content-Type-Options: nosniff`` and carries a content security policy
that fits what the route serves. A header the route set itself (the dashboard sets its own) is
kept. Fragments, JSON, redirects and health answers are never meant to run anything: the strict
policy. The embed script and the stylesheet are loaded by other sites' pages, where a policy on
the file itself has no effect; they get the strict policy too (nothing may run should one be
opened as a page) and ``Cross-Origin-Resource-Policy: cross-origin`` so that article pages that
require it may still load them. The index page loads the embed script, fetches boxes from this
server and has one inline style element. The dashboard has its own stylesheet, no script at all.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_NOTHING = "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
STRICT = f"default-src 'none'; {_NOTHING}"
PAGE = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; "
    f"style-src 'self' 'unsafe-inline'; img-src 'self' data:; {_NOTHING}"
)
# Boxes shown in the dashboard may inline their styles (site.inline_css): 'unsafe-inline'.
ADMIN = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
ASSETS = ("/embed.js", "/tracker-buy.css")
ADMIN_PREFIX = "/admin"


def headers_for(path: str) -> dict[str, str]:
    """The security headers of a response to ``path``."""
    found = {"X-Content-Type-Options": "nosniff"}
    if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
        found |= {
            "Content-Security-Policy": ADMIN,
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
        }
    elif path == "/":
        found["Content-Security-Policy"] = PAGE
    elif path in ASSETS:
        found |= {"Content-Security-Policy": STRICT, "Cross-Origin-Resource-Policy": "cross-origin"}
    else:
        found["Content-Security-Policy"] = STRICT
    return found


class SecurityHeaders:
    """ASGI middleware adding ``headers_for(path)`` to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
