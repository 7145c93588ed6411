"""Scrapy settings of the tracker (named by scrapy.cfg). Polite and safe by default.

Per-site values (contact URL, delay, concurrency, limits) come from the tracker's
configuration and are applied by the spider's ``update_settings``.
"""

BOT_NAME = "tracker"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

CONCURRENT_REQUESTS = 16
# Scrapy starts this many asyncio tasks for the output of every response; a page yields one
# check per listing and the store pipeline is synchronous, so a handful is plenty (the default
# of 100 cost about 100 task creations per page, a fifth of the crawl's CPU time).
CONCURRENT_ITEMS = 4
# Scrapy re-reads and parses a generator callback's source to warn about `return value`;
# our callbacks return nothing, and the check cost about 2 % of a crawl.
WARN_ON_GENERATOR_RETURN_VALUE = False
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5

# Stay on the vendor's hosts; robots.txt as RFC 9309 says; retries that honour Retry-After.
DOWNLOADER_MIDDLEWARES = {
    "tracker.crawling.middlewares.VendorHostsMiddleware": 60,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "tracker.crawling.middlewares.RobotsTxtPolicyMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "tracker.crawling.middlewares.RetryAfterMiddleware": 550,
}
TRACKER_RETRY_AFTER_MAX = 60.0
EXTENSIONS = {
    "scrapy.extensions.throttle.AutoThrottle": None,
    "tracker.crawling.throttle.VendorAutoThrottle": 0,
}

ITEM_PIPELINES = {"tracker.crawling.pipeline.StorePipeline": 300}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
