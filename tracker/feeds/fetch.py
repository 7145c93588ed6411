"""Download a feed to a file: conditional requests, a size limit, retries, the crawl's manners.

An unchanged feed is told three ways and never read again: the server answers 304 to
If-None-Match / If-Modified-Since, the bytes hash to the last reading's digest, or (a local
file) its size and modification time are the same. The feed's date is its own: the server's
Last-Modified (or the file's modification time), never later than now; the download time
only when the feed gives none.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO

from tracker.config import CrawlSettings
from tracker.feedconfig import FeedEntry

CHUNK = 1024 * 1024
ATTEMPTS = 3
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(Exception):
    """The feed could not be downloaded; the message names the feed and the reason."""


@dataclass(frozen=True)
class Known:
    """What the last download left: its validators and digest."""

    etag: str | None = None
    last_modified: str | None = None
    digest: str | None = None


@dataclass(frozen=True)
class Fetched:
    """A download: the file (None when unchanged), its validators and the feed's date."""

    path: Path | None
    unchanged: bool
    etag: str | None
    last_modified: str | None
    digest: str | None
    feed_date: datetime
    size: int = 0
    temporary: bool = True  # a download the caller deletes (a local feed is read in place)


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not newurl.lower().startswith(("http://", "https://")):
            raise urllib.error.HTTPError(newurl, code, "redirect to a non-http(s) URL", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_feed(
    feed: FeedEntry,
    known: Known,
    *,
    base_dir: Path,
    work_dir: Path,
    crawl: CrawlSettings,
    env: Mapping[str, str],
    now: datetime,
) -> Fetched:
    """The feed's bytes in a file under ``work_dir`` (the caller deletes it), or unchanged."""
    if feed.path is not None:
        return _local(feed, known, base_dir / feed.path, now)
    url = feed.resolved_url(env)
    headers = {"User-Agent": f"affiliate-price-tracker (+{crawl.contact_url})"}
    headers.update(_auth_headers(feed, env))
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    delay = max(crawl.download_delay, 0.0)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            request = urllib.request.Request(url, headers=headers)
            with opener.open(request, timeout=crawl.timeout_seconds) as response:
                return _save(feed, known, response, work_dir, now)
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return Fetched(
                    None,
                    True,
                    known.etag,
                    known.last_modified,
                    known.digest,
                    _feed_date(exc.headers.get("Last-Modified") or known.last_modified, now),
                )
            if exc.code not in RETRY_STATUSES or attempt == ATTEMPTS:
                raise FetchError(f"feed {feed.name}: {feed.source}: HTTP {exc.code}") from None
            wait = _retry_after(exc.headers.get("Retry-After"), crawl.max_retry_after_seconds)
            time.sleep(max(wait if wait is not None else delay * 2**attempt, delay))
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt == ATTEMPTS:
                reason = getattr(exc, "reason", exc)
                raise FetchError(f"feed {feed.name}: {feed.source}: {reason}") from None
            time.sleep(delay * 2**attempt)
    raise AssertionError("unreachable")


def _auth_headers(feed: FeedEntry, env: Mapping[str, str]) -> dict[str, str]:
    auth = feed.auth
    if auth is None:
        return {}

    def secret(name: str) -> str:
        if name not in env:
            raise FetchError(f"feed {feed.name}: environment variable {name} is not set")
        return env[name]

    if auth.user_env and auth.password_env:
        pair = f"{secret(auth.user_env)}:{secret(auth.password_env)}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    assert auth.header and auth.header_env
    return {auth.header: secret(auth.header_env)}


def _save(
    feed: FeedEntry, known: Known, response: IO[bytes], work_dir: Path, now: datetime
) -> Fetched:
    headers = getattr(response, "headers", {})
    length = headers.get("Content-Length")
    if length and length.isdigit() and int(length) > feed.max_bytes:
        raise FetchError(
            f"feed {feed.name}: {feed.source}: {int(length):,} bytes, more than its "
            f"max_bytes ({feed.max_bytes:,})"
        )
    work_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=work_dir, prefix=f"{feed.name}-", delete=False) as out:
        path = Path(out.name)
        try:
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > feed.max_bytes:
                    raise FetchError(
                        f"feed {feed.name}: {feed.source}: more than its max_bytes "
                        f"({feed.max_bytes:,}); the download was stopped"
                    )
                digest.update(chunk)
                out.write(chunk)
        except BaseException:
            out.close()
            path.unlink(missing_ok=True)
            raise
    hexdigest = digest.hexdigest()
    last_modified = headers.get("Last-Modified")
    fetched = Fetched(
        path,
        hexdigest == known.digest,
        headers.get("ETag"),
        last_modified,
        hexdigest,
        _feed_date(last_modified, now),
        size,
    )
    if fetched.unchanged:
        path.unlink(missing_ok=True)
        return Fetched(None, True, fetched.etag, last_modified, hexdigest, fetched.feed_date, size)
    return fetched


def _local(feed: FeedEntry, known: Known, path: Path, now: datetime) -> Fetched:
    try:
        stat = path.stat()
    except OSError as exc:
        raise FetchError(f"feed {feed.name}: {path}: {exc.strerror or exc}") from None
    if stat.st_size > feed.max_bytes:
        raise FetchError(
            f"feed {feed.name}: {path}: {stat.st_size:,} bytes, more than its max_bytes "
            f"({feed.max_bytes:,})"
        )
    stamp = f"{stat.st_size}-{stat.st_mtime_ns}"
    date = min(datetime.fromtimestamp(stat.st_mtime, UTC), now)
    return Fetched(
        None if stamp == known.etag else path,
        stamp == known.etag,
        stamp,
        None,
        None,
        date,
        stat.st_size,
        temporary=False,
    )


def _feed_date(last_modified: str | None, now: datetime) -> datetime:
    if last_modified:
        try:
            date = parsedate_to_datetime(last_modified)
        except (TypeError, ValueError):
            return now
        if date.tzinfo is not None:
            return min(date.astimezone(UTC), now)
    return now


def _retry_after(value: str | None, cap: float) -> float | None:
    if value and value.strip().isdigit():
        return min(float(value.strip()), cap)
    return None
