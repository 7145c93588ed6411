"""`tracker links check`: check every active listing's affiliate link, one request at a time,
and record each result (rules.link_failure decides what failed)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tracker.config import Settings
from tracker.linking.check import check_link
from tracker.rules import link_failure
from tracker.store import links
from tracker.store.engine import Store

log = logging.getLogger("tracker.links")


@dataclass
class LinkReport:
    checked: int = 0
    failed: list[str] = field(default_factory=list)  # "vendor:key: why"
    broken: list[str] = field(default_factory=list)
    excluded: int = 0


def check_links(
    store: Store,
    settings: Settings,
    now: Callable[[], datetime],
    vendor: str | None = None,
) -> LinkReport:
    report = LinkReport()
    options = settings.links
    with store.sessions.begin() as session:
        todo = links.targets(session, vendor)
    agent = f"Mozilla/5.0 (compatible; price-tracker-links; +{settings.crawl.contact_url})"
    for i, target in enumerate(todo):
        name = f"{target.vendor}:{target.key}"
        if name in options.exclude:
            report.excluded += 1
            continue
        if i and settings.crawl.download_delay:
            time.sleep(settings.crawl.download_delay)  # politeness between requests
        answer = check_link(
            target.url,
            timeout=options.timeout_seconds,
            max_redirects=options.max_redirects,
            allow_private=options.allow_private,
            user_agent=agent,
        )
        failure = answer.error or link_failure(
            answer.status, answer.final_url, target.homepage, target.template
        )
        with store.sessions.begin() as session:
            row = links.record(
                session,
                target,
                now(),
                status=answer.status,
                final_url=answer.final_url,
                final_host=answer.final_host,
                failure=failure,
            )
            broken = row.broken_since is not None
        report.checked += 1
        if failure:
            report.failed.append(f"{name}: {failure}")
        if broken:
            report.broken.append(name)
    return report


class LinkChecksEvery:
    """At the scheduler's wake-ups: check the links in a thread of their own (a long check must
    not hold the heartbeat) when the newest recorded check is ``links.every`` old."""

    def __init__(
        self, store: Store, settings: Settings, after: Callable[[datetime], object]
    ) -> None:
        self.store = store
        self.settings = settings
        self.after = after  # the alerts after the checks
        self.thread: threading.Thread | None = None

    def __call__(self, now: datetime) -> None:
        every = self.settings.links.every_seconds
        if every is None or (self.thread is not None and self.thread.is_alive()):
            return
        with self.store.sessions() as session:
            newest = links.newest_check(session)
        if newest is not None and (now - newest).total_seconds() < every:
            return
        self.thread = threading.Thread(target=self.run, name="link-checks", daemon=True)
        self.thread.start()

    def run(self) -> None:
        try:
            report = check_links(self.store, self.settings, lambda: datetime.now(UTC))
            log.info(
                "links: %d checked, %d failed, %d broken",
                report.checked,
                len(report.failed),
                len(report.broken),
            )
            self.after(datetime.now(UTC))
        except Exception:  # the scheduler goes on; the next wake-up tries again
            log.exception("links: the scheduled check failed")
