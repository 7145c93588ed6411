"""URL checks: only absolute http(s) URLs with a host ever enter the store or a page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Browsers drop tabs and newlines inside URLs, so "java\tscript:" is "javascript:".
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


def is_http_url(value: str) -> bool:
    """Return True for an absolute http or https URL with a host and no hidden characters."""
    if not isinstance(value, str) or value != value.strip() or _INVISIBLE.search(value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def require_http_url(value: str) -> str:
    if not is_http_url(value):
        raise ValueError("not an http(s) URL")
    return value
