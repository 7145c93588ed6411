"""Name what went wrong with a request, as a check status and a message."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionDone,
    ConnectionLost,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived

from tracker.domain import CheckStatus

_NOT_FOUND = {404, 410}
_BLOCKED = {401, 403, 429, 451}


class OffsiteRedirect(IgnoreRequest):
    """A redirect pointed outside the vendor's hosts; it was not followed."""


class RobotsDisallowed(IgnoreRequest):
    """robots.txt (or its absence through a server error) forbids the request."""


def classify_failure(failure: Failure) -> tuple[CheckStatus, str]:
    """The check status and an operator's message for a request that gave no page."""
    if failure.check(HttpError):
        response = failure.value.response
        code = response.status
        if code in _NOT_FOUND:
            return CheckStatus.NOT_FOUND, f"HTTP {code}: the page is gone"
        wait = response.headers.get(b"Retry-After")
        asked = f" (Retry-After: {wait.decode('latin-1')[:40]})" if wait else ""
        if code in _BLOCKED:
            return CheckStatus.BLOCKED, f"HTTP {code}: the vendor refused the request{asked}"
        return CheckStatus.HTTP_ERROR, f"HTTP {code}{asked}"
    if failure.check(OffsiteRedirect):
        return CheckStatus.OFFSITE_REDIRECT, failure.getErrorMessage()
    if failure.check(RobotsDisallowed):
        return CheckStatus.BLOCKED, failure.getErrorMessage()
    if failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
        return CheckStatus.TIMEOUT, "the request timed out"
    if failure.check(ResponseDataLossError):
        return (
            CheckStatus.HTTP_ERROR,
            "the connection closed before the whole page arrived (truncated response)",
        )
    if failure.check(ResponseNeverReceived, ConnectionDone, ConnectionLost):
        return CheckStatus.HTTP_ERROR, "the connection closed before an answer arrived"
    if failure.check(DownloadCancelledError):
        message = failure.getErrorMessage()
        if "max size" in message:
            return CheckStatus.HTTP_ERROR, f"page too large (crawl.max_page_bytes): {message}"
        return CheckStatus.HTTP_ERROR, f"download stopped: {message}"
    if failure.check(DownloadConnectionRefusedError):
        return CheckStatus.HTTP_ERROR, "connection refused"
    if failure.check(CannotResolveHostError, DNSLookupError):
        return CheckStatus.HTTP_ERROR, f"DNS lookup failed: {failure.getErrorMessage()}"
    if failure.check(IgnoreRequest):
        return CheckStatus.BLOCKED, f"not requested: {failure.getErrorMessage()}"
    return CheckStatus.HTTP_ERROR, f"{failure.type.__name__}: {failure.getErrorMessage()}"
