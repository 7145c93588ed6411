"""Real receivers for alert channels, on 127.0.0.1 and port 0: a JSON webhook (Apprise
``json://``) and an SMTP server (aiosmtpd, for Apprise ``mailto://``)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


class _Hook(BaseHTTPRequestHandler):
    server: _HookServer

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        status = self.server.owner.answer(self.path, payload)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _HookServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: Webhook


class Webhook:
    """Collects what Apprise posts; answers ``status`` (set it to 500 to refuse)."""

    def __init__(self) -> None:
        self.server = _HookServer(("127.0.0.1", 0), _Hook)
        self.server.owner = self
        self.payloads: list[dict[str, Any]] = []  # delivered (answered 2xx)
        self.refused = 0
        self.status = 200
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, path: str, payload: dict[str, Any]) -> int:
        with self.lock:
            if self.status >= 300:
                self.refused += 1
            else:
                self.payloads.append(payload)
            return self.status

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/{path}"

    def titles(self) -> list[str]:
        with self.lock:
            return [str(p.get("title")) for p in self.payloads]

    def __enter__(self) -> Webhook:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(  # noqa: N802 - aiosmtpd's name
        self, server: Any, session: Session, envelope: Envelope
    ) -> str:
        data = envelope.original_content or b""
        with self.lock:
            self.messages.append(message_from_bytes(data))
        return "250 OK"


class SmtpServer(Controller):
    """aiosmtpd on a port the system picks (bound before the server starts)."""

    def __init__(self) -> None:
        self.inbox = _Inbox()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        super().__init__(self.inbox, hostname="127.0.0.1", port=self.sock.getsockname()[1])

    def _create_server(self) -> Any:
        loop: asyncio.AbstractEventLoop = self.loop
        return loop.create_server(self._factory_invoker, sock=self.sock)

    def url(self, to: str = "ops@example.com") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=tracker@example.com&to={to}&mode=insecure"

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
