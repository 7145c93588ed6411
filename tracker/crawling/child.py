"""The local crawl process: ``python -m tracker.crawling.child`` reads one crawl job on stdin.

The local runner writes the job (``tracker.crawljob.CrawlJob``, as JSON) to the child's stdin,
so that nothing of it (the database URL and its password included) shows in the process list
or the environment; the child hands it to the `listings` spider as the Scrapy setting
``TRACKER_JOB``, the same setting a Scrapyd node passes. The spider reads nothing else.
"""

from __future__ import annotations

import sys

from scrapy.crawler import AsyncCrawlerProcess, CrawlerProcess
from scrapy.settings import Settings

from tracker.crawljob import JOB_SETTING, CrawlJob, CrawlJobError

ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def crawl(job: CrawlJob) -> int:
    """Run the `listings` spider with this job; return the process's exit code."""
    settings = Settings()
    settings.setmodule("tracker.crawling.settings", priority="project")
    settings.set(JOB_SETTING, job.text(), priority="cmdline")
    if job.log_file:
        settings.set("LOG_FILE", job.log_file, priority="cmdline")
    # As `scrapy crawl` does: the coroutine-based process on asyncio's reactor.
    asyncio = settings["TWISTED_REACTOR"] == ASYNCIO_REACTOR
    process = AsyncCrawlerProcess(settings) if asyncio else CrawlerProcess(settings)
    process.crawl("listings")
    process.start()
    return 1 if process.bootstrap_failed else 0


def main() -> int:
    try:
        job = CrawlJob.from_text(sys.stdin.read())
    except CrawlJobError as exc:
        print(f"tracker crawl child: {exc}", file=sys.stderr)
        return 2
    return crawl(job)


if __name__ == "__main__":
    sys.exit(main())
