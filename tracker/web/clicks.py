"""Which requests to /go/ count as a reader's click, and the visitor key they are counted by.

Not counted: HEAD requests, prefetches and prerenders (the browser's `Sec-Purpose`/`Purpose`
headers), link previews and bots (their user agents, listed in EXCLUDED_AGENTS and shown on
the dashboard's clicks page). A visitor is a salted hash of the address and user agent: the
address itself is never stored.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import urlsplit

# Substrings of user agents (any case) that are never a reader: crawlers, link previews,
# command-line clients and monitors.
EXCLUDED_AGENTS: tuple[str, ...] = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "facebookexternalhit",
    "facebookcatalog",
    "embedly",
    "preview",
    "whatsapp",
    "telegram",
    "skypeuripreview",
    "slack",
    "discord",
    "vkshare",
    "pinterest",
    "bitlybot",
    "quora link",
    "outbrain",
    "curl",
    "wget",
    "python-requests",
    "python-urllib",
    "httpx",
    "go-http-client",
    "okhttp",
    "headless",
    "lighthouse",
    "uptime",
    "monitor",
)
_EXCLUDED = re.compile("|".join(re.escape(a) for a in EXCLUDED_AGENTS), re.IGNORECASE)
PREFETCH_HEADERS = ("sec-purpose", "purpose", "x-purpose", "x-moz")
WINDOW = timedelta(minutes=30)  # one click per visitor and listing in this window
ARTICLE_LENGTH = 200


def counted(method: str, headers: Mapping[str, str]) -> bool:
    """Whether a request to /go/ is a reader's click (see the module's docstring)."""
    if method != "GET":
        return False
    for name in PREFETCH_HEADERS:
        value = headers.get(name, "").lower()
        if "prefetch" in value or "prerender" in value or "preview" in value:
            return False
    agent = headers.get("user-agent", "")
    return bool(agent) and not _EXCLUDED.search(agent)


def visitor_key(salt: str, client: str, agent: str) -> str:
    """A salted hash of the client's address and user agent (32 hex digits)."""
    data = f"{salt}\n{client}\n{agent[:300]}".encode("utf-8", "replace")
    return hashlib.sha256(data).hexdigest()[:32]


def article_of(referer: str | None) -> str | None:
    """The path of the page the click came from (no query, no host), or None."""
    if not referer:
        return None
    try:
        parts = urlsplit(referer)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.path:
        return None
    path = "".join(c for c in parts.path if c.isprintable())
    return path[:ARTICLE_LENGTH] or None


class ClientLimit:
    """At most ``per_window`` counted clicks per client address in ``window`` (in memory).

    Past it the redirect still answers, but nothing is written: one client cannot fill the
    table, whatever user agents it sends.
    """

    def __init__(self, per_window: int = 20, window: timedelta = timedelta(minutes=1)) -> None:
        self.per_window = per_window
        self.window = window
        self.seen: dict[str, deque[datetime]] = {}
        self.lock = threading.Lock()

    def allow(self, client: str, now: datetime) -> bool:
        with self.lock:
            if len(self.seen) > 50_000:  # bounded memory under many addresses
                self.seen.clear()
            recent = self.seen.setdefault(client, deque())
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= self.per_window:
                return False
            recent.append(now)
            return True
