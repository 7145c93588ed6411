"""Cookies, CSRF tokens, login rate limits and headers of the dashboard."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import deque
from datetime import datetime, timedelta

from tracker.web.headers import ADMIN

COOKIE = "tracker_admin"
LOGIN_COOKIE = "tracker_admin_login"  # the login form's own CSRF token (double submit)
SESSION_LIFETIME = timedelta(hours=12)
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # No script at all; styles from the page itself (see tracker/web/headers.py).
    "Content-Security-Policy": ADMIN,
}


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a session token (the cookie alone can use it)."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def sign(token: str, key: str) -> str:
    mac = hmac.new(key.encode(), token.encode(), hashlib.sha256).hexdigest()
    return f"{token}.{mac}"


def unsign(value: str, key: str) -> str | None:
    """The token of a signed cookie value, or None when the signature is wrong."""
    token, _, mac = value.rpartition(".")
    if not token or len(value) > 200:
        return None
    good = hmac.new(key.encode(), token.encode(), hashlib.sha256).hexdigest()
    return token if hmac.compare_digest(good, mac) else None


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two tokens (a missing one never matches)."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


class LoginLimiter:
    """At most ``attempts`` failed logins per client and per name in ``window``."""

    def __init__(self, attempts: int = 5, window: timedelta = timedelta(minutes=15)) -> None:
        self.attempts = attempts
        self.window = window
        self.failures: dict[str, deque[datetime]] = {}
        self.lock = threading.Lock()

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        found = self.failures.setdefault(key, deque())
        while found and found[0] <= now - self.window:
            found.popleft()
        return found

    def retry_after(self, keys: list[str], now: datetime) -> int:
        """Seconds until a login may be tried again (0: now)."""
        with self.lock:
            waits = []
            for key in keys:
                recent = self._recent(key, now)
                if len(recent) >= self.attempts:
                    waits.append((recent[0] + self.window - now).total_seconds())
            return max(1, int(max(waits)) + 1) if waits else 0

    def failed(self, keys: list[str], now: datetime) -> None:
        with self.lock:
            if len(self.failures) > 10_000:  # bounded memory under a spray of names
                self.failures.clear()
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, keys: list[str]) -> None:
        with self.lock:
            for key in keys:
                self.failures.pop(key, None)
