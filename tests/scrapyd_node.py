"""Scrapyd serving on a listening socket that the test bound on port 0 and passed down.

Scrapyd binds the `http_port` of its configuration itself (and refuses port 0), so a test would
have to guess a free port. Instead the test binds port 0, keeps the socket listening, and starts
this script with the socket's descriptor inherited; `scrapyd.conf` names this module's
`application` and the descriptor (`listen_fd`). Scrapyd's own application is built unchanged,
except that its web service adopts that socket rather than binding one.

Run as a script (`python tests/scrapyd_node.py`, in the folder of `scrapyd.conf`), it is
`scrapyd` itself; only this process sees the folder of this file on its path, not the crawls.
"""

from __future__ import annotations

import socket
from typing import Any

from scrapyd import app as scrapyd_app
from twisted.application.internet import StreamServerEndpointService
from twisted.application.service import Application
from twisted.internet import reactor
from twisted.internet.endpoints import AdoptedStreamServerEndpoint
from twisted.web.server import Site


def application(config: Any) -> Application:
    """Scrapyd's application, its web service on the inherited socket ``listen_fd``."""
    fd = config.getint("listen_fd")

    def adopted(port: int, site: Site, interface: str) -> StreamServerEndpointService:
        endpoint = AdoptedStreamServerEndpoint(reactor, fd, socket.AF_INET)
        service = StreamServerEndpointService(endpoint, site)
        service._raiseSynchronously = True  # a failure stops Scrapyd at once, not silently
        return service

    scrapyd_app.TCPServer = adopted  # type: ignore[attr-defined]
    return scrapyd_app.application(config)


if __name__ == "__main__":
    from scrapyd.__main__ import main

    main()
