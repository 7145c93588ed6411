"""AutoThrottle that keeps each vendor's configured delay as the floor of its download slot."""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response


class VendorAutoThrottle(AutoThrottle):
    """Scrapy's AutoThrottle floors every slot at the global DOWNLOAD_DELAY; a vendor's own
    delay (from DOWNLOAD_SLOTS, see tracker.crawling.context) must hold as well."""

    def _response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        super()._response_downloaded(response, request, spider)
        key, slot = self._get_slot(request, spider)
        if key is None or slot is None or self.crawler.engine is None:
            return
        floor = self.crawler.engine.downloader.per_slot_settings.get(key, {}).get("delay")
        if floor is not None and slot.delay < floor:
            slot.delay = float(floor)
