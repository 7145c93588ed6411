"""The crawl shell: Scrapy settings, middlewares, the store pipeline, and one-page checks."""
