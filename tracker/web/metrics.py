"""`GET /metrics` in the Prometheus text format (prometheus-client), computed per scrape."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tracker.store.metrics import MetricFacts

PREFIX = "tracker"


class _Facts(Collector):
    def __init__(self, read: Callable[[], MetricFacts]) -> None:
        self.read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        facts = self.read()
        families = [
            ("crawl_runs", "Crawl runs by outcome (all recorded).", "status", facts.runs),
            (
                "listings_by_check_status",
                "Active listings by the status of their last check.",
                "status",
                facts.checks,
            ),
            (
                "listings_shown",
                "Active listings by what the buy box shows: price, stale, held, gone, ...",
                "shown",
                facts.shown,
            ),
            (
                "alert_messages",
                "Alert messages by status (sent, pending, folded, ...).",
                "status",
                facts.alerts,
            ),
        ]
        for name, text, label, values in families:
            family = GaugeMetricFamily(f"{PREFIX}_{name}", text, labels=[label])
            for key, value in sorted(values.items()):
                family.add_metric([key], value)
            yield family
        age = GaugeMetricFamily(
            f"{PREFIX}_last_good_run_age_seconds",
            "Seconds since each vendor's last run that read prices ended.",
            labels=["vendor"],
        )
        for vendor, seconds in sorted(facts.last_good_run_age.items()):
            age.add_metric([vendor], seconds)
        yield age


def metrics_text(read: Callable[[], MetricFacts]) -> bytes:
    """The exposition text of one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Facts(read))
    return generate_latest(registry)


__all__ = ["CONTENT_TYPE_LATEST", "metrics_text"]
