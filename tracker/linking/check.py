"""Request one outbound link: HEAD (GET when HEAD is refused), redirects followed by hand within
a limit, and never to a private, loopback or link-local address (unless allowed, for tests and
intranets). Nothing is read of the body."""

from __future__ import annotations

import http.client
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

REDIRECTS = frozenset({301, 302, 303, 307, 308})
HEAD_REFUSED = frozenset({403, 405, 501})  # some shops answer HEAD so: ask with GET


@dataclass(frozen=True, slots=True)
class LinkAnswer:
    status: int | None  # the last HTTP status, None when no answer came
    final_url: str | None
    final_host: str | None
    error: str | None = None  # why there was no answer


def _public(host: str, port: int) -> str | None:
    """Why the host may not be requested (DNS failure, a private address), or None."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        return f"DNS lookup failed: {exc}"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            return f"{host} resolves to a non-public address ({address}): not requested"
    return None


def _ask(url: str, method: str, timeout: float, user_agent: str) -> tuple[int, str | None]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(host, port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, path, headers={"User-Agent": user_agent, "Accept": "*/*"})
        response = connection.getresponse()
        return response.status, response.getheader("Location")
    finally:
        connection.close()


def check_link(
    url: str,
    *,
    timeout: float = 10.0,
    max_redirects: int = 5,
    allow_private: bool = False,
    user_agent: str = "tracker-link-check",
) -> LinkAnswer:
    current = url
    for _hop in range(max_redirects + 1):
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return LinkAnswer(None, current, parts.hostname, "not an http(s) URL: not requested")
        host = parts.hostname
        if not allow_private:
            refused = _public(host, parts.port or (443 if parts.scheme == "https" else 80))
            if refused:
                return LinkAnswer(None, current, host, refused)
        try:
            status, location = _ask(current, "HEAD", timeout, user_agent)
            if status in HEAD_REFUSED:
                status, location = _ask(current, "GET", timeout, user_agent)
        except socket.gaierror as exc:
            return LinkAnswer(None, current, host, f"DNS lookup failed: {exc}")
        except ConnectionRefusedError:
            return LinkAnswer(None, current, host, "connection refused")
        except TimeoutError:
            return LinkAnswer(None, current, host, "the request timed out")
        except (OSError, http.client.HTTPException) as exc:
            return LinkAnswer(None, current, host, f"{type(exc).__name__}: {exc}"[:300])
        if status in REDIRECTS and location:
            current = urljoin(current, location)
            continue
        return LinkAnswer(status, current, host)
    return LinkAnswer(None, current, urlsplit(current).hostname, "too many redirects")
