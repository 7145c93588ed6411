"""The Scrapy shell: settings, the tracker's context in a crawl, and the store pipeline."""
