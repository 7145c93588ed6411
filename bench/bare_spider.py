"""A spider that downloads the benchmark's pages and does nothing with them.

It mirrors the ``listings`` spider's request side (same Scrapy settings, same tracker
overrides, one request per URL, ``dont_filter``) without its database, parsing or pipeline,
so the two crawls differ only by the tracker's own work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.settings import BaseSettings

from tracker.config import load_settings
from tracker.crawling.context import scrapy_overrides


class BareSpider(scrapy.Spider):
    """Request every URL of ``-a urls_file=PATH`` (one a line); parse nothing."""

    name = "bare"
    custom_settings = {"ITEM_PIPELINES": {}}

    def __init__(self, urls_file: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = Path(urls_file).read_text(encoding="utf-8").split()

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        settings.setdict(scrapy_overrides(load_settings()), priority="spider")

    async def start(self) -> AsyncIterator[Any]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response: Response) -> None:
        return None
