"""After a crawl of one vendor: re-render only the articles that show its products."""

from __future__ import annotations

from pathlib import Path

from tracker.app import RenderReport, render_articles
from tracker.articles import MarkerError, find_blocks
from tracker.config import Settings
from tracker.publish import ArticleError, article_files, has_markers, read_article
from tracker.store import repo
from tracker.store.engine import Store


def articles_showing(content_dir: Path, products: set[str]) -> tuple[list[Path], list[str]]:
    """The content files with a marker naming one of the products, and the unreadable ones."""
    found, errors = [], []
    for path in article_files(content_dir):
        if not has_markers(path):
            continue
        try:
            blocks = find_blocks(read_article(path), str(path))
        except (ArticleError, MarkerError) as exc:
            errors.append(str(exc))
            continue
        if any(slug in products for block in blocks for slug in block.products):
            found.append(path)
    return found, errors


def render_vendor_articles(settings: Settings, store: Store, vendor: str) -> RenderReport:
    """Render the articles that show the vendor's products; unchanged output is not written."""
    with store.sessions() as session:
        products = repo.product_slugs_of_vendor(session, vendor)
    articles, errors = articles_showing(settings.content_dir, products)
    if not articles:
        return RenderReport([], errors)
    report = render_articles(settings, store, articles)
    report.errors[:0] = errors
    return report
