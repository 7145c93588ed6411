"""What a failed request or check says: a sentence, never a Python repr, never empty."""

from __future__ import annotations

import pytest
from OpenSSL.SSL import Error as SSLError
from scrapy.exceptions import IgnoreRequest
from twisted.internet.error import ConnectionLost, ConnectionRefusedError, DNSLookupError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from tracker.crawling.failures import HostUnreachable, classify_failure
from tracker.domain import CheckStatus


def failure_of(exc: BaseException) -> Failure:
    try:
        raise exc
    except BaseException:
        return Failure()


@pytest.mark.parametrize(
    ("exc", "status", "text"),
    [
        (
            ResponseFailed([failure_of(ConnectionLost())]),
            CheckStatus.HTTP_ERROR,
            "the request failed (response failed): Connection to the other side was lost in a "
            "non-clean fashion.",
        ),
        (
            ResponseFailed([failure_of(ValueError()), failure_of(KeyError())]),
            CheckStatus.HTTP_ERROR,
            "the request failed (response failed): value; key",
        ),
        (ValueError(), CheckStatus.HTTP_ERROR, "the request failed (value): value"),
        (
            RuntimeError("  the shop\nhung up  "),
            CheckStatus.HTTP_ERROR,
            "the request failed (runtime): the shop hung up",
        ),
        (IgnoreRequest(), CheckStatus.BLOCKED, "not requested: a middleware"),
        (DNSLookupError(), CheckStatus.UNREACHABLE, "DNS lookup failed: DNS lookup failed."),
        (ConnectionRefusedError(), CheckStatus.UNREACHABLE, "connection refused"),
        (
            ResponseNeverReceived([failure_of(SSLError([("SSL", "bad", "certificate")]))]),
            CheckStatus.UNREACHABLE,
            "TLS error:",
        ),
        (
            HostUnreachable("connection refused (robots.txt)"),
            CheckStatus.UNREACHABLE,
            "connection refused (robots.txt)",
        ),
        (
            HostUnreachable("robots.txt unreachable", CheckStatus.TIMEOUT),
            CheckStatus.TIMEOUT,
            "robots.txt unreachable",
        ),
    ],
)
def test_a_failure_is_a_sentence(exc: Exception, status: CheckStatus, text: str) -> None:
    found, message = classify_failure(failure_of(exc))
    assert (found, message[: len(text)]) == (status, text)
    assert "<" not in message and "Failure" not in message and not message.endswith(": ")


@pytest.mark.parametrize("status", list(CheckStatus))
def test_every_status_has_a_sentence(status: CheckStatus) -> None:
    assert status.meaning and status.meaning[0].islower() and not status.meaning.endswith(".")
