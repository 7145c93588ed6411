"""Name what went wrong with a request, as a check status and a sentence for the operator.

A message is never a Python repr (twisted wraps the real reasons in lists of failures) and
never empty: what the exception says, or what kind of failure it was.
"""

from __future__ import annotations

import re

from OpenSSL.SSL import Error as SSLError
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
    ConnectError,
    ConnectionDone,
    ConnectionLost,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.internet.error import ConnectionRefusedError as ConnectionRefused
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived

from tracker.domain import CheckStatus

_NOT_FOUND = {404, 410}
_BLOCKED = {401, 403, 429, 451}


class OffsiteRedirect(IgnoreRequest):
    """A redirect pointed outside the vendor's hosts; it was not followed."""


class RobotsDisallowed(IgnoreRequest):
    """robots.txt (or its absence through a server error) forbids the request."""


class HostUnreachable(IgnoreRequest):
    """The host could not be reached for its robots.txt (refused, DNS, TLS): nothing was
    requested there. ``status`` says how (unreachable, or a timeout)."""

    def __init__(self, message: str, status: CheckStatus = CheckStatus.UNREACHABLE) -> None:
        super().__init__(message)
        self.status = status


def unreachable_kind(exc: BaseException) -> tuple[CheckStatus, str] | None:
    """A refused connection, a failed DNS lookup or a TLS error: the shop is unreachable
    (not a bot check, not a timeout). None for anything else."""
    if isinstance(exc, DownloadConnectionRefusedError | ConnectionRefused):
        return CheckStatus.UNREACHABLE, "connection refused"
    if isinstance(exc, CannotResolveHostError | DNSLookupError):
        return CheckStatus.UNREACHABLE, f"DNS lookup failed: {_text(exc, 'no address')}"
    if _is_tls(exc):
        return CheckStatus.UNREACHABLE, f"TLS error: {_text(exc, 'handshake failed')}"
    if isinstance(exc, ConnectError) and not isinstance(exc, TCPTimedOutError):
        return CheckStatus.UNREACHABLE, f"cannot connect: {_text(exc, 'connection failed')}"
    return None


def timed_out(exc: BaseException) -> bool:
    return isinstance(exc, DownloadTimeoutError | TimeoutError | TCPTimedOutError)


def _is_tls(exc: BaseException) -> bool:
    if isinstance(exc, SSLError):
        return True
    reasons = getattr(exc, "reasons", None)
    if isinstance(reasons, list) and any(
        isinstance(r, Failure) and _is_tls(r.value) for r in reasons
    ):
        return True
    # Scrapy (2.13+) raises its own DownloadFailedError from twisted's ResponseFailed.
    cause = _wrapped(exc)
    return cause is not None and _is_tls(cause)


def _wrapped(exc: BaseException) -> BaseException | None:
    """The twisted failure a Scrapy download error was raised from, if any."""
    cause = exc.__cause__
    return cause if isinstance(cause, BaseException) and cause is not exc else None


def _text(exc: BaseException, otherwise: str) -> str:
    return failure_text(Failure(exc), otherwise)


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
        return CheckStatus.OFFSITE_REDIRECT, failure_text(failure, "a redirect left the vendor")
    if failure.check(HostUnreachable):
        return failure.value.status, failure_text(failure, "the host is unreachable")
    if failure.check(RobotsDisallowed):
        return CheckStatus.BLOCKED, failure_text(failure, "robots.txt forbids the request")
    if failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
        return CheckStatus.TIMEOUT, "the request timed out"
    if failure.check(ResponseDataLossError):
        return (
            CheckStatus.HTTP_ERROR,
            "the connection closed before the whole page arrived (truncated response)",
        )
    unreachable = unreachable_kind(failure.value)
    if unreachable is not None:
        return unreachable
    if failure.check(ResponseNeverReceived, ConnectionDone, ConnectionLost):
        return CheckStatus.HTTP_ERROR, "the connection closed before an answer arrived"
    if failure.check(DownloadCancelledError):
        message = failure_text(failure, "the download was cancelled")
        if "max size" in message:
            return CheckStatus.HTTP_ERROR, f"page too large (crawl.max_page_bytes): {message}"
        return CheckStatus.HTTP_ERROR, f"download stopped: {message}"
    if failure.check(IgnoreRequest):
        return CheckStatus.BLOCKED, f"not requested: {failure_text(failure, 'a middleware')}"
    kind = _words(failure.type.__name__)
    return CheckStatus.HTTP_ERROR, f"the request failed ({kind}): {failure_text(failure, kind)}"


def failure_text(failure: Failure, otherwise: str) -> str:
    """What a failure says, without reprs: nested reasons unwrapped, ``otherwise`` if empty."""
    value = failure.value
    reasons = getattr(value, "reasons", None)  # twisted's ResponseFailed and its kin
    cause = _wrapped(value)
    if reasons is None and cause is not None and isinstance(getattr(cause, "reasons", None), list):
        return failure_text(Failure(cause), otherwise)  # Scrapy's wrapper: the real reasons
    if isinstance(reasons, list) and reasons:
        texts = [
            failure_text(r, _words(type(r.value).__name__)) if isinstance(r, Failure) else str(r)
            for r in reasons
        ]
        return "; ".join(dict.fromkeys(t for t in texts if t)) or otherwise
    message = " ".join(str(value).split())
    if not message or message.startswith("<") or message.startswith("[<"):
        return otherwise
    return message


def _words(name: str) -> str:
    """A class name as words: ``ResponseFailed`` -> ``response failed``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name.removesuffix("Error")).lower() or "error"
