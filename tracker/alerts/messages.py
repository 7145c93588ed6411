"""What an alert says: what happened, where (product, vendor, pack, URL), since when, and what
to do. Text from vendors and the catalog is untrusted: control characters go, lengths are
bounded; the channels get plain text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tracker.domain import time_text

TITLES = {
    "price_drop": "Price drop",
    "price_rise": "Price rise",
    "back_in_stock": "Back in stock",
    "out_of_stock": "Out of stock",
    "listing_stale": "Price gone stale",
    "vendor_broken": "Vendor broken",
    "extraction_broken": "Extraction broken",
    "price_held": "Price held by the publish gate",
    "page_gone": "Product page gone",
    "link_broken": "Affiliate link broken",
    "feed_held": "Feed held",
    "source_refused": "Price source refused",
    "test": "Test",
    "digest": "Digest",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
MAX_FIELD = 400
MAX_BODY = 8000


def clean(text: str | None, limit: int = MAX_FIELD) -> str:
    """Untrusted text as one plain line: no control or bidi characters, bounded."""
    line = " ".join(_CONTROL.sub(" ", text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Subject:
    """Where an alert is about: a listing (product, vendor, pack, URL) or a vendor."""

    key: str  # "listing:12" or "vendor:cosmicnootropic", how the store names it
    product: str | None = None
    vendor: str = ""
    pack: str | None = None
    url: str | None = None

    def where(self) -> str:
        if self.product is None:
            return clean(self.vendor)
        return f"{clean(self.product)}, {clean(self.pack)} at {clean(self.vendor)}"


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    body: str


def alert_message(rule: str, subject: Subject, what: str, todo: str, now: datetime) -> Message:
    """One alert's title and body."""
    title = clean(f"{TITLES.get(rule, rule)}: {subject.where()}", 250)
    lines = [clean(what, 1000), f"When: {time_text(now)} UTC"]
    if subject.url:
        lines.append(f"Page: {clean(subject.url, 500)}")
    lines.append(f"Do: {clean(todo, 600)}")
    lines.append(f"(rule {rule}, {subject.key})")
    return Message(title, "\n".join(lines)[:MAX_BODY])


def digest_message(parts: Sequence[tuple[str, str]], why: str, now: datetime) -> Message:
    """Several alerts in one message: each title, then its body indented."""
    title = f"{len(parts)} alert{'s' if len(parts) != 1 else ''} ({why})"
    chunks = [f"{title}, {time_text(now)} UTC"]
    for head, body in parts:
        chunks.append(f"* {head}\n  " + body.replace("\n", "\n  "))
    body = "\n\n".join(chunks)
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY - 60] + "\n… (cut; `tracker alerts log` lists them all)"
    return Message(clean(f"Tracker digest: {title}", 250), body)
