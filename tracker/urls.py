"""URL checks: only absolute http(s) URLs with a host ever enter the store or a page.

A URL that could lead somewhere other than where it seems is refused: one with a user name or
password before ``@`` (``https://vendor.test@evil.test/`` goes to evil.test) or with a
backslash (browsers read ``https://evil.test\\@vendor.test/`` as a link to evil.test). A
vendor's links may lead only to its own hosts: its homepage's host and that host's subdomains,
or the host its affiliate template names (an affiliate network).
"""

from __future__ import annotations

import functools
import re
from urllib.parse import ParseResult, SplitResult, quote, urlsplit

# Browsers drop tabs and newlines inside URLs, so "java\tscript:" is "javascript:".
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PLACEHOLDER = "https://listing.invalid/page"


def url_problem(value: str) -> str | None:
    """Why ``value`` is not a safe absolute http(s) URL, or None when it is one."""
    if not isinstance(value, str) or value != value.strip() or _INVISIBLE.search(value):
        return "not an http(s) URL"
    if "\\" in value:
        return "a backslash is not allowed in a URL"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "not an http(s) URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    if "@" in parts.netloc:
        return (
            "a user name or password before '@' is not allowed "
            "(the link would lead to the host after it)"
        )
    return None


def is_http_url(value: str) -> bool:
    """Return True for an absolute http or https URL with a host and nothing hidden in it."""
    return url_problem(value) is None


def require_http_url(value: str) -> str:
    problem = url_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def host_key(url: str | SplitResult | ParseResult) -> str | None:
    """The host a URL talks to: lower case, without ``www.``, with a non-default port.

    Takes a URL or its already split parts (Scrapy caches them per request).
    """
    try:
        parts = urlsplit(url) if isinstance(url, str) else url
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        return None
    host = host.removeprefix("www.")
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{host}:{port}"
    return host


def on_site(url: str, homepage: str) -> bool:
    """True when ``url`` is on the homepage's host or one of its subdomains (same port)."""
    host, home = host_key(url), host_key(homepage)
    if host is None or home is None:
        return False
    return host == home or host.endswith(f".{home}")


def apply_affiliate_template(template: str, url: str) -> str:
    return template.replace("{url_quoted}", quote(url, safe="")).replace("{url}", url)


def template_host(template: str | None) -> str | None:
    """The host an affiliate template sends its links to; None when it keeps the page's host."""
    if not template:
        return None
    host = host_key(apply_affiliate_template(template, _PLACEHOLDER))
    return None if host == host_key(_PLACEHOLDER) else host


@functools.lru_cache(maxsize=8192)
def link_allowed(link: str, homepage: str, template: str | None) -> bool:
    """A vendor's link: a safe http(s) URL on its own site or on its template's host.

    Remembered: every box asks it of every row, and the answer depends on these three only."""
    if not is_http_url(link):
        return False
    if on_site(link, homepage):
        return True
    network = template_host(template)
    return network is not None and host_key(link) == network
