"""A spider that downloads the benchmark's pages and does nothing with them.

It makes the same requests as the ``listings`` spider (one per URL, ``dont_filter``) under
the same Scrapy settings module and ``-s`` options, but imports nothing of the tracker: no
configuration, database, extraction or pipeline. It is the floor the full crawl is compared to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response


class BareSpider(scrapy.Spider):
    """Request every URL of ``-a urls_file=PATH`` (one a line); parse nothing."""

    name = "bare"
    custom_settings = {"ITEM_PIPELINES": {}}

    def __init__(self, urls_file: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = Path(urls_file).read_text(encoding="utf-8").split()

    async def start(self) -> AsyncIterator[Any]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response: Response) -> None:
        return None
