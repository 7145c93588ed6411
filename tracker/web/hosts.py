"""Which hosts the live server answers for, and where its links point.

Nothing here reads the request's ``Host`` header to build a link: live boxes link through the
configured ``site.public_url`` (counted ``/go/`` redirects) or, without it, straight to each
vendor's stored affiliate link. The trusted-host list turns away requests for other names.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from tracker.config import Settings

# Names of this machine a request may carry when no list is configured.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a listening address) is this machine only: localhost or a loopback IP."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # any other name may resolve to a public address


def public_bind_refusal(settings: Settings, host: str) -> str | None:
    """Why `tracker serve` must not listen on ``host`` (None: it may)."""
    if settings.site.public_url or is_loopback(host):
        return None
    return (
        f"refusing to serve on {host} without site.public_url: set it to the address readers "
        "reach the server at (links and trusted hosts come from it), or listen on 127.0.0.1"
    )


def allowed_hosts(settings: Settings) -> list[str]:
    """``serve.allowed_hosts``, or by default the public URL's host and the loopback names."""
    if settings.serve.allowed_hosts is not None:
        return list(settings.serve.allowed_hosts)
    names = list(LOOPBACK_NAMES)
    if settings.site.public_url:
        public = (urlsplit(settings.site.public_url).hostname or "").lower()
        if public and public not in names:
            names.insert(0, public)
    return names


def link_base(settings: Settings) -> str:
    """The base of live links: the public URL, or "" for the vendors' own affiliate links."""
    return settings.site.public_url or ""
