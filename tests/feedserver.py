"""A network's feed server on 127.0.0.1: files by path, with ETag and Last-Modified.

It answers conditional requests with 304 as a network's download service does, can fail the
first requests of a path (``failures``), can ask for credentials, and logs each request's
headers so a test sees what the tracker sent.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tracker.web.samplesite import BackgroundServer


@dataclass
class FeedFile:
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = "application/octet-stream"
    failures: list[int] = field(default_factory=list)  # statuses to answer first, in turn
    auth: str | None = None  # the Authorization header it requires


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        site = self.server.feeds
        with site.lock:
            site.requests.append((self.path, dict(self.headers.items())))
            item = site.files.get(self.path)
            failure = item.failures.pop(0) if item and item.failures else None
        if item is None:
            return self._send(404, b"not found")
        if item.auth is not None and self.headers.get("Authorization") != item.auth:
            return self._send(401, b"credentials needed")
        if failure is not None:
            return self._send(failure, b"try later", {"Retry-After": "0"})
        etag_ok = item.etag and self.headers.get("If-None-Match") == item.etag
        date_ok = item.last_modified and self.headers.get("If-Modified-Since") == item.last_modified
        headers = {}
        if item.etag:
            headers["ETag"] = item.etag
        if item.last_modified:
            headers["Last-Modified"] = item.last_modified
        if etag_ok or (date_ok and not item.etag):
            return self._send(304, b"", headers)
        headers["Content-Type"] = item.content_type
        self._send(200, item.body, headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    feeds: FeedSite


class FeedSite(BackgroundServer):
    """Serve ``files`` (path -> FeedFile) on 127.0.0.1, port 0."""

    def __init__(self) -> None:
        self.files: dict[str, FeedFile] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.feeds = self
        super().__init__(server)

    def hits(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [headers for p, headers in self.requests if p == path]
