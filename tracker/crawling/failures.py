"""Name what went wrong with a request, as a check status and a message."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from tracker.domain import CheckStatus

_NOT_FOUND = {404, 410}
_BLOCKED = {401, 403, 429, 451}


def classify_failure(failure: Failure) -> tuple[CheckStatus, str]:
    if failure.check(HttpError):
        response = failure.value.response
        code = response.status
        if code in _NOT_FOUND:
            return CheckStatus.NOT_FOUND, f"HTTP {code}: the page is gone"
        if code in _BLOCKED:
            return CheckStatus.BLOCKED, f"HTTP {code}: the vendor refused the request"
        return CheckStatus.HTTP_ERROR, f"HTTP {code}"
    if failure.check(TimeoutError, TCPTimedOutError):
        return CheckStatus.TIMEOUT, "the request timed out"
    if failure.check(IgnoreRequest):
        return CheckStatus.BLOCKED, f"not requested: {failure.getErrorMessage()}"
    if failure.check(DNSLookupError):
        return CheckStatus.HTTP_ERROR, f"DNS lookup failed: {failure.getErrorMessage()}"
    return CheckStatus.HTTP_ERROR, f"{failure.type.__name__}: {failure.getErrorMessage()}"
