"""A scripted vendor site on 127.0.0.1 for crawl tests: each path answers from a script.

A path's script is a list of replies used in turn (the last one repeats). Every request is
logged with its arrival time, so a test can check what was asked for and in what order.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tracker.web.samplesite import BackgroundServer


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer (until the server stops)
    truncate: bool = False  # announce more bytes than are sent, then close
    pause: float = 0.0  # seconds to think before answering

    @property
    def data(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class Hit:
    path: str
    at: float  # time.monotonic() when the request arrived
    user_agent: str


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, b"", {"Location": location})


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        site = self.server.site
        reply = site.next_reply(self.path, self.headers.get("User-Agent", ""))
        try:
            self.answer(reply)
        finally:
            site.done()

    def answer(self, reply: Reply) -> None:
        if reply.hang:
            self.server.site.stopping.wait(60)
            self.close_connection = True
            return
        if reply.pause:
            self.server.site.stopping.wait(reply.pause)
        data = reply.data
        self.send_response(reply.status)
        headers = {"Content-Type": "text/html; charset=utf-8", **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        length = len(data) * 2 + 100 if reply.truncate else len(data)
        self.send_header("Content-Length", str(length))
        if reply.truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if reply.truncate else data)
        self.wfile.flush()
        if reply.truncate:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: ScriptedSite


class ScriptedSite(BackgroundServer):
    """Serve scripted replies on 127.0.0.1 (free port) in a background thread."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.scripts: dict[str, list[Reply]] = {}
        self.hits: list[Hit] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        server = _Server((host, 0), _Handler)
        server.site = self
        super().__init__(server)

    def script(self, path: str, *replies: Reply | str) -> None:
        """Set what ``path`` answers: a string is a 200 page."""
        with self.lock:
            self.scripts[path] = [Reply(body=r) if isinstance(r, str) else r for r in replies]

    def next_reply(self, path: str, user_agent: str) -> Reply:
        with self.lock:
            self.hits.append(Hit(path, time.monotonic(), user_agent))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            script = self.scripts.get(path)
            if not script:
                return Reply(404, "<h1>Not found</h1>")
            return script.pop(0) if len(script) > 1 else script[0]

    def done(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def paths(self) -> list[str]:
        with self.lock:
            return [hit.path for hit in self.hits]

    def times(self, path: str) -> list[float]:
        with self.lock:
            return [hit.at for hit in self.hits if hit.path == path]

    def forget(self) -> None:
        with self.lock:
            self.hits.clear()

    def stop(self) -> None:
        self.stopping.set()  # let hanging replies end
        super().stop()


def product_page(name: str, price: str, currency: str = "USD", sku: str = "SKU-1") -> str:
    """A minimal shop page with one schema.org Product in JSON-LD."""
    return f"""<!doctype html><html><head><title>{name}</title>
<script type="application/ld+json">
{{"@context": "https://schema.org", "@type": "Product", "name": "{name}", "sku": "{sku}",
  "offers": {{"@type": "Offer", "price": "{price}", "priceCurrency": "{currency}",
  "availability": "https://schema.org/InStock"}}}}
</script></head><body><h1>{name}</h1><p class="price">{price} {currency}</p></body></html>"""


def multi_offer_page(name: str, offers: list[tuple[str, str, str]], currency: str = "USD") -> str:
    """A page with several Offers (sku, label, price) of one Product."""
    items = ",".join(
        f'{{"@type": "Offer", "sku": "{sku}", "name": "{label}", "price": "{price}", '
        f'"priceCurrency": "{currency}", "availability": "https://schema.org/InStock"}}'
        for sku, label, price in offers
    )
    packs = "".join(
        f'<li>{label}: <span class="price">{price} {currency}</span></li>'
        for _, label, price in offers
    )
    return f"""<!doctype html><html><head><title>{name}</title>
<script type="application/ld+json">
{{"@context": "https://schema.org", "@type": "Product", "name": "{name}", "offers": [{items}]}}
</script></head><body><h1>{name}</h1><ul class="packs">{packs}</ul></body></html>"""


CAPTCHA_PAGE = """<!doctype html><html><head><title>Just a moment...</title></head>
<body><h1>Checking your browser before accessing the shop</h1>
<form id="challenge-form"><div class="g-recaptcha" data-sitekey="x"></div></form>
<p>Please complete the security check to access this site. Are you a robot?</p>
</body></html>"""
