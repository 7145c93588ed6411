"""A small static web server on loopback for the sample vendor site (demo and tests)."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from tracker.config import PROJECT_ROOT, Settings

SAMPLE_SITE_DIR = PROJECT_ROOT / "examples" / "site"
# The demo's site listens here when it can, so that the catalog's addresses (and so the
# synced listings) are the same from one run to the next.
DEMO_PORT = 8700


def sample_site_dir(settings: Settings) -> Path:
    """The sample vendor site of a clone: ``examples/site`` under the configuration's folder,
    or ``site`` beside the catalog (``examples/catalog.yaml``).

    An installed (not editable) tracker run in a clone finds it there; the source tree's own
    folder is the fallback.
    """
    candidates = (settings.root / "examples" / "site", settings.catalog.parent / "site")
    for found in (*candidates, SAMPLE_SITE_DIR):
        if found.is_dir():
            return found
    raise FileNotFoundError(
        f"{candidates[0]}: no sample site here; run the demo in a clone of the project"
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def send_header(self, keyword: str, value: str) -> None:
        # The sample network publishes its feeds as they are asked for: their date is now,
        # not the checkout's (a feed's price is as old as the feed says).
        if keyword == "Last-Modified" and self.path.startswith("/feeds/"):
            value = self.date_time_string()
        super().send_header(keyword, value)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class BackgroundServer:
    """Run an HTTP server in a background thread; a context manager that stops it."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class StaticSite(BackgroundServer):
    """Serve a folder on 127.0.0.1 (port 0 picks a free port) in a background thread."""

    def __init__(self, root: Path = SAMPLE_SITE_DIR, host: str = "127.0.0.1", port: int = 0):
        if not root.is_dir():
            raise FileNotFoundError(f"{root}: no such folder to serve")
        handler = partial(_QuietHandler, directory=str(root))
        super().__init__(_Server((host, port), handler))


def demo_site(root: Path) -> StaticSite:
    """The sample site on ``DEMO_PORT``, or on any free port when that one is taken."""
    try:
        return StaticSite(root, port=DEMO_PORT)
    except OSError:
        return StaticSite(root)
