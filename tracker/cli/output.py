"""What the commands print: the console, times, the tables several commands share, and errors.

One place for each: every time is printed by ``when`` (UTC to the minute), every error an
operator can act on is turned into a one-line message by ``operator_errors``, and every text
that came from a vendor page, the catalog or the database goes through ``escaped`` (for rich) or
``plain`` (for click.echo) before it reaches the terminal.
"""

from __future__ import annotations

import errno
import functools
import logging
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import InterfaceError, InternalError, OperationalError

from tracker import services
from tracker.catalog import CatalogError
from tracker.config import ConfigError, Settings
from tracker.crawling.pagecheck import PageError
from tracker.domain import Availability, ListingState, time_text
from tracker.publishing.buybox import AVAILABILITY_TEXT
from tracker.publishing.locking import LockBusy
from tracker.publishing.publisher import ArticleError
from tracker.rules import shown
from tracker.scheduling.jobstore import JobStoreError
from tracker.scheduling.runners import CrawlOutcome, RunSnapshot
from tracker.scheduling.scheduler import SchedulerError
from tracker.scheduling.scrapyd import ScrapydError
from tracker.store.engine import Store, StoreUnavailable, failure_text
from tracker.store.repo import SyncReport

F = TypeVar("F", bound=Callable[..., Any])
# Wide tables when piped (a log or CI), the terminal's width otherwise. No emoji codes: a
# listing key or a vendor's text such as ":fire:" is printed as written.
console = Console(highlight=False, emoji=False, width=None if sys.stdout.isatty() else 160)

# C0 and C1 controls (escape sequences, carriage returns, bells) and the invisible marks that
# reorder text on screen (bidirectional overrides and isolates).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = {"\n": " ", "\r": " ", "\t": " "}

# The errors an operator can act on: their message says what is wrong and what to do.
OPERATOR_ERRORS: tuple[type[Exception], ...] = (
    ConfigError,
    CatalogError,
    ArticleError,
    LookupError,
    FileNotFoundError,
    LockBusy,
    PageError,
    SchedulerError,
    JobStoreError,
    ScrapydError,
)


def plain(value: object) -> str:
    """Untrusted text made safe for a terminal: each control character shown as an escape.

    A newline or tab becomes a space; an ESC becomes the four characters ``\\x1b``, so a vendor
    page can neither colour, move nor clear the operator's terminal.
    """
    return _CONTROL.sub(
        lambda m: _SPACES.get(m.group(), m.group().encode("unicode_escape").decode("ascii")),
        str(value),
    )


def escaped(value: object) -> str:
    """Untrusted text for ``console.print`` and table cells: ``plain``, and no rich markup."""
    return escape(plain(value))


class PlainFormatter(logging.Formatter):
    """Log records through ``plain``: a message is one line of text; a traceback keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return plain(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return "\n".join(plain(line) for line in super().formatException(ei).split("\n"))


def when(moment: datetime | None) -> str:
    """Print a time: UTC to the minute (the tables say "Times in UTC.")."""
    return time_text(moment)


def operator_message(exc: Exception) -> str:
    """The one-line message of an operator error (a KeyError's without its quotes)."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc)


# The database cannot be reached or written: down, wrong URL, read-only, full. Exit code 2.
DATABASE_ERRORS = (StoreUnavailable, OperationalError, InterfaceError, InternalError)
# A file the tracker must write (an article, a crawl log, the render lock) cannot be written.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT}


class DatabaseProblem(click.ClickException):
    """The database cannot be used: one line naming it (never its password), exit code 2."""

    exit_code = 2


def database_message(exc: Exception) -> str:
    """One line naming the configured database and the driver's reason, without a password."""
    if isinstance(exc, StoreUnavailable):
        return str(exc)
    context = click.get_current_context(silent=True)
    settings = context.find_object(Settings) if context else None
    return failure_text(settings.database_url if settings else "", exc)


def operator_errors(func: F) -> F:
    """Turn the errors an operator can act on into a one-line message and exit code 1.

    A database that cannot be reached or written gives exit code 2 (``DatabaseProblem``).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DATABASE_ERRORS as exc:
            raise DatabaseProblem(plain(database_message(exc))) from exc
        except OPERATOR_ERRORS as exc:
            raise click.ClickException(plain(operator_message(exc))) from exc
        except OSError as exc:
            if exc.errno not in _WRITE_ERRNOS:
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(plain(f"{where}{exc.strerror}")) from exc

    return wrapper  # type: ignore[return-value]


def settings_of(ctx: click.Context) -> Settings:
    """The settings the main command loaded."""
    settings: Settings = ctx.obj
    return settings


def crawl_with_progress(
    settings: Settings, store: Store, vendor: str | None, extra_env: dict[str, str] | None = None
) -> CrawlOutcome:
    """Crawl now, with a progress bar while the crawl runs."""
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"crawling {vendor or 'all vendors'}", total=None)

        def show(outcome: CrawlOutcome) -> None:
            progress.update(task, completed=outcome.checks, total=outcome.expected or None)

        return services.crawl(settings, store, vendor, extra_env=extra_env, on_progress=show)


def moved_lines(report: SyncReport) -> list[str]:
    """A sync's entries whose addresses alone moved to another origin, one line per move."""
    return [
        f"{len(names)} entries: addresses moved from {escaped(masked_url(old))} to "
        f"{escaped(masked_url(new))}, nothing else changed"
        for (old, new), names in report.moved.items()
    ]


def masked_url(url: str) -> str:
    """An address to print: a password in it is shown as ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    return parts._replace(netloc=netloc[0].split(":", 1)[0] + ":***@" + netloc[1]).geturl()


def print_runs(outcome: CrawlOutcome) -> None:
    """One row per vendor's run, and the totals when there are several."""
    table = Table(
        "run", "vendor", "status", "pages", "listings checked", "prices read", "failures", "time"
    )
    several = len(outcome.runs) > 1
    for run in outcome.runs:
        last = run is outcome.runs[-1]
        vendor = escaped(run.vendor or "-")
        table.add_row(str(run.run_id), vendor, *_run_cells(run), end_section=several and last)
    if several:
        table.add_row("all", "", *_run_cells(outcome))
    console.print(table)
    vendors_by_error: dict[str, list[str]] = {}
    for run in outcome.runs:
        if run.error:
            vendors_by_error.setdefault(run.error, []).append(run.vendor or "-")
    for error, vendors in vendors_by_error.items():
        console.print(f"[red]{escaped(', '.join(vendors))}: {escaped(error)}[/red]", soft_wrap=True)
    if outcome.log_file:
        console.print(f"Scrapy log: {escaped(outcome.log_file)}")


def _run_cells(run: RunSnapshot | CrawlOutcome) -> list[str]:
    took = ((run.finished_at or datetime.now(UTC)) - run.started_at).total_seconds()
    return [
        run.status,
        str(run.pages),
        f"{run.checks}/{run.expected}",
        str(run.offers),
        str(run.failures),
        f"{took:.1f} s",
    ]


def stock_words(value: str | None) -> str:
    """A schema.org availability value in words, as the buy box says it ("In stock")."""
    if not value:
        return "-"
    try:
        return AVAILABILITY_TEXT[Availability(value)]
    except ValueError:
        return value


def print_prices(states: list[ListingState], settings: Settings, now: datetime) -> None:
    """The prices table, then the reason of each listing that failed or is held back.

    One time column: the last check. When the price shown was read before it (the last check
    failed), the line below the table says when the price was seen.
    """
    max_age = timedelta(hours=settings.site.max_age_hours)
    table = Table("id", "product", "vendor", "listing", "price", "stock", "checked", "status")
    problems = []
    for s in states:
        price = f"{s.price:.2f} {s.currency}" if s.price is not None else "-"
        why = shown(s, now, max_age).why
        stock = stock_words(s.availability)
        if why == "unavailable":
            stock = f"{stock_words(s.seen_availability)} (no price)"
        if s.price is not None and why in ("held", "stale", "unavailable"):
            price += f" ({why})"
        seen = ""
        if s.last_seen_at is not None and s.last_seen_at != s.last_checked_at:
            seen = f" (price last seen {when(s.last_seen_at)})"
        if s.price is not None and not s.confirmed:
            problems.append(f"{s.listing_id}: held: {s.held_reason or s.last_error or '-'}")
        elif s.last_error:
            problems.append(f"{s.listing_id}: {s.last_status}: {s.last_error}{seen}")
        table.add_row(
            str(s.listing_id),
            escaped(s.product_slug),
            escaped(s.vendor_name),
            escaped(s.label),
            escaped(price),
            escaped(stock),
            when(s.last_checked_at),
            escaped(s.last_status or "never checked"),
        )
    console.print(table)
    console.print("Times in UTC.")
    for line in problems:
        console.print(escaped(line), soft_wrap=True)
