"""The benchmark's page server: a raw asyncio HTTP/1.1 server in its own process.

Run as a script, it binds 127.0.0.1 on a free port, renders every page into memory, prints
the port on stdout and serves until it is terminated. ``PageServer`` starts and stops that
process from the benchmark; ``fetch_all`` is a minimal keep-alive client that measures how
fast the server answers when nothing parses the pages.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pages import page_specs, render_page

HOST = "127.0.0.1"
ROBOTS_TXT = b"User-agent: *\nDisallow:\n"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _response(status: str, content_type: str, body: bytes) -> tuple[bytes, bytes]:
    """Pre-built (head, body) of one response; keep-alive is HTTP/1.1's default."""
    head = (
        f"HTTP/1.1 {status}\r\nServer: bench-pageserver\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: max-age=60\r\n\r\n"
    ).encode("ascii")
    return head, body


_NOT_FOUND = _response("404 Not Found", "text/plain", b"not found\n")


async def _serve_connection(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    responses: dict[bytes, tuple[bytes, bytes]],
) -> None:
    """Answer requests on one connection until the client closes it or asks to."""
    try:
        while True:
            request = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = request.split(b" ", 2)
            head, body = responses.get(target.split(b"?", 1)[0], _NOT_FOUND)
            writer.write(head if method == b"HEAD" else head + body)
            await writer.drain()
            if b"\r\nconnection: close" in request.lower():
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def _serve(pages: int, seed: int) -> None:
    responses: dict[bytes, tuple[bytes, bytes]] = {}
    server = await asyncio.start_server(
        lambda r, w: _serve_connection(r, w, responses), HOST, 0, backlog=1024
    )
    port = server.sockets[0].getsockname()[1]
    base_url = f"http://{HOST}:{port}"
    responses[b"/robots.txt"] = _response("200 OK", "text/plain", ROBOTS_TXT)
    for spec in page_specs(seed, pages):
        body = render_page(spec, base_url)
        responses[spec.path.encode("ascii")] = _response("200 OK", "text/html; charset=utf-8", body)
    print(port, flush=True)
    async with server:
        await server.serve_forever()


class PageServer:
    """The server process: ``start`` returns its base URL once every page is in memory."""

    def __init__(self, pages: int, seed: int) -> None:
        self.pages = pages
        self.seed = seed
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        command = [sys.executable, str(Path(__file__).resolve()), f"--pages={self.pages}"]
        self.process = subprocess.Popen(
            [*command, f"--seed={self.seed}"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # blocks until the port is printed
        if not line.strip().isdigit():
            raise RuntimeError(f"the page server did not start (exit code {self.process.poll()})")
        return f"http://{HOST}:{int(line)}"

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server has used so far (Linux /proc)."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self.process = None

    def __enter__(self) -> PageServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass(frozen=True)
class FetchReport:
    seconds: float
    sizes: list[int]

    @property
    def pages_per_second(self) -> float:
        return len(self.sizes) / self.seconds


async def _fetch_on_one_connection(port: int, paths: list[str], sizes: list[int]) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        for path in paths:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode("ascii"))
            head = await reader.readuntil(b"\r\n\r\n")
            status_line = head.split(b"\r\n", 1)[0]
            if not status_line.startswith(b"HTTP/1.1 200 "):
                raise RuntimeError(f"{path}: {status_line.decode('latin-1')}")
            length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            sizes.append(len(await reader.readexactly(length)))
    finally:
        writer.close()


def fetch_all(base_url: str, paths: Sequence[str], connections: int) -> FetchReport:
    """GET every path once over ``connections`` keep-alive connections; parse nothing."""
    port = int(base_url.rsplit(":", 1)[1])
    sizes: list[int] = []
    shares = [list(paths[i::connections]) for i in range(connections)]

    async def run() -> None:
        await asyncio.gather(*(_fetch_on_one_connection(port, s, sizes) for s in shares if s))

    start = time.perf_counter()
    asyncio.run(run())
    return FetchReport(time.perf_counter() - start, sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(_serve(args.pages, args.seed))


if __name__ == "__main__":
    main()
