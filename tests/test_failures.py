"""What a failed request or check says: a sentence, never a Python repr, never empty."""

from __future__ import annotations

import pytest
from scrapy.exceptions import IgnoreRequest
from twisted.internet.error import ConnectionLost, DNSLookupError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from tracker.crawling.failures import classify_failure
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
        (DNSLookupError(), CheckStatus.HTTP_ERROR, "DNS lookup failed: DNS lookup failed."),
    ],
)
def test_a_failure_is_a_sentence(exc: Exception, status: CheckStatus, text: str) -> None:
    found, message = classify_failure(failure_of(exc))
    assert (found, message[: len(text)]) == (status, text)
    assert "<" not in message and "Failure" not in message and not message.endswith(": ")


@pytest.mark.parametrize("status", list(CheckStatus))
def test_every_status_has_a_sentence(status: CheckStatus) -> None:
    assert status.meaning and status.meaning[0].islower() and not status.meaning.endswith(".")
