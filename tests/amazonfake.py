"""A loopback stand-in for Amazon's Creators API: the token endpoint and GetItems, answering
in the API's documented JSON shapes (camelCase, OffersV2), with throttling and refusals."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tracker.web.samplesite import BackgroundServer

TOKEN_PATH = "/auth/o2/token"


@dataclass
class Product:
    price: str
    currency: str = "USD"
    availability: str = "IN_STOCK"
    saving_basis: str | None = None


@dataclass
class FakeState:
    products: dict[str, Product] = field(default_factory=dict)
    credential: tuple[str, str] = ("id-1", "secret-1")
    throttle: int = 0  # GetItems requests to answer with 429 first
    refuse: bool = False  # the account lost its access (403 AssociateNotEligible)
    batches: list[list[str]] = field(default_factory=list)
    tokens: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        fake = self.server.fake
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path == TOKEN_PATH:
            if (body.get("client_id"), body.get("client_secret")) != fake.credential:
                return self._json(401, {"error": "invalid_client"})
            with fake.lock:
                fake.tokens += 1
            return self._json(200, {"access_token": "token-1", "expires_in": 3600})
        if self.path != "/catalog/v1/getItems":
            return self._json(404, {"errors": [{"code": "NotFound", "message": self.path}]})
        if "token-1" not in self.headers.get("Authorization", ""):
            return self._json(401, {"errors": [{"code": "Unauthorized", "message": "token"}]})
        with fake.lock:
            if fake.throttle:
                fake.throttle -= 1
                return self._json(
                    429,
                    {"errors": [{"code": "TooManyRequests", "message": "Rate exceeded"}]},
                    {"Retry-After": "0"},
                )
            fake.batches.append(list(body.get("itemIds", [])))
        if fake.refuse:
            message = "Your account does not currently meet the eligibility requirements."
            return self._json(
                403, {"errors": [{"code": "AssociateNotEligible", "message": message}]}
            )
        items, errors = [], []
        for asin in body.get("itemIds", []):
            product = fake.products.get(asin)
            if product is None:
                errors.append(
                    {
                        "code": "InvalidParameterValue",
                        "message": f"The ItemId {asin} provided in the request is invalid.",
                    }
                )
                continue
            price: dict[str, Any] = {
                "money": {
                    "amount": float(product.price),
                    "currency": product.currency,
                    "displayAmount": f"${product.price}",
                }
            }
            if product.saving_basis:
                price["savingBasis"] = {
                    "money": {"amount": float(product.saving_basis), "currency": product.currency}
                }
            items.append(
                {
                    "asin": asin,
                    "detailPageURL": f"https://www.amazon.com/dp/{asin}?tag={body.get('partnerTag')}",
                    "offersV2": {
                        "listings": [
                            {
                                "price": price,
                                "availability": {"type": product.availability},
                                "isBuyBoxWinner": True,
                            }
                        ]
                    },
                }
            )
        answer: dict[str, Any] = {"itemsResult": {"items": items}}
        if errors:
            answer["errors"] = errors
        self._json(200, answer)

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeState


class AmazonFake(BackgroundServer):
    def __init__(self) -> None:
        self.state = FakeState()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self.state
        super().__init__(server)
