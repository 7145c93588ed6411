"""Render articles: find markers, read current offers in one query, splice boxes, write safely."""

from __future__ import annotations

import difflib
import os
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from tracker.articles import Block, MarkerError, find_blocks, splice
from tracker.compliance import Context
from tracker.config import ConfigError, Settings
from tracker.domain import BoxGroup, ListingState
from tracker.exchange import Rates, RatesError, parse_rates
from tracker.publishing.audit import article_findings
from tracker.publishing.buybox import BoxRenderer
from tracker.publishing.sparkline import WINDOW
from tracker.publishing.viewmodel import STYLES, build_buy_box, build_group
from tracker.rules import max_age
from tracker.store.history import price_history
from tracker.store.repo import listing_states, products_by_slug

MARKDOWN_SUFFIXES = {".md", ".markdown"}
# Templates of Nunjucks (Eleventy) and Liquid (Jekyll, Eleventy): the box goes inside a raw
# block, so that the engine never reads a vendor's text as its own syntax.
TEMPLATE_SUFFIXES = {".njk", ".liquid"}
ARTICLE_SUFFIXES = {".html", ".htm"} | MARKDOWN_SUFFIXES | TEMPLATE_SUFFIXES
# Article kinds the renderer cannot fill, and what to do instead (reported, never silent).
UNSUPPORTED_SUFFIXES = {
    ".mdx": "MDX takes neither HTML comments (the markers) nor raw HTML; put the box in a "
    "component that loads the live server's /api/products/SLUG/offers, or embed.js",
}


class ArticleError(Exception):
    """An article that cannot be rendered; the file is left untouched."""


@dataclass(frozen=True)
class RenderResult:
    source: Path
    target: Path
    boxes: int
    changed: bool
    diff: str = ""
    findings: tuple[str, ...] = ()  # compliance findings (render --check), PATH:LINE: message


def read_article(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ArticleError(f"{path}: not UTF-8 text (byte {exc.start})") from exc


_RATES_CACHE: dict[tuple[Path, int], Rates] = {}


def load_rates(path: Path | None) -> Rates | None:
    """The operator's ECB rates file (read again when it changes); None without one."""
    if path is None:
        return None
    try:
        stamp = path.stat().st_mtime_ns
        if (path, stamp) not in _RATES_CACHE:
            text = path.read_text(encoding="utf-8")
            _RATES_CACHE.clear()
            _RATES_CACHE[(path, stamp)] = parse_rates(text, str(path))
        return _RATES_CACHE[(path, stamp)]
    except OSError as exc:
        raise ConfigError(f"[currency] rates_file {path}: {exc.strerror or exc}") from exc
    except (RatesError, UnicodeDecodeError) as exc:
        raise ConfigError(f"[currency] rates_file {exc}") from exc


def _no_template_tags(html: str, *openers: str) -> str:
    """Neutralise a template engine's tag openers in rendered HTML (``{%`` -> ``{&#37;``)."""
    for opener in openers:
        html = html.replace(opener, opener[:-1] + f"&#{ord(opener[-1])};")
    return html


def wrap_for(suffix: str, html: str, hugo_shortcode: str | None) -> str:
    """The box's HTML as the article's kind needs it between the markers."""
    if suffix in TEMPLATE_SUFFIXES:
        return "{% raw %}\n" + _no_template_tags(html, "{%") + "\n{% endraw %}"
    if suffix in MARKDOWN_SUFFIXES and hugo_shortcode:
        inner = _no_template_tags(html, "{{<", "{{%")
        return f"{{{{< {hugo_shortcode} >}}}}\n{inner}\n{{{{< /{hugo_shortcode} >}}}}"
    return html


def atomic_write(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, fsync, then rename over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class Publisher:
    """Renders articles against one database session and one site configuration."""

    def __init__(
        self,
        settings: Settings,
        session: Session,
        now: datetime,
        renderer: BoxRenderer | None = None,
    ) -> None:
        self.settings = settings
        self.session = session
        self.now = now
        # A long-lived caller (the server) passes its renderer: Jinja compiles templates once.
        self.renderer = renderer or BoxRenderer(settings.site, settings.templates_dir)
        self.max_age = timedelta(hours=settings.site.max_age_hours)
        self.rates = load_rates(settings.currency.rates_file)

    def groups(
        self,
        requests: Sequence[tuple[tuple[str, ...], str, int | None]],
        *,
        live: bool = False,
        link_base: str | None = None,
    ) -> list[BoxGroup]:
        """View models for (products, style, limit) requests: two queries for all of them.

        Raises LookupError naming the first unknown or inactive product.
        """
        wanted = {slug for slugs, _style, _limit in requests for slug in slugs}
        products = products_by_slug(self.session, wanted)
        for slugs, _style, _limit in requests:
            for slug in slugs:
                if slug not in products or not products[slug].active:
                    raise LookupError(slug)
        states: dict[str, list[ListingState]] = defaultdict(list)
        for state in listing_states(self.session, wanted):
            states[state.product_slug].append(state)
        ids = [s.listing_id for group in states.values() for s in group]
        # A shown price was checked within its max age: its 90-day window starts after this.
        oldest = max(
            [self.max_age]
            + [max_age(self.max_age, s.max_age_hours) for group in states.values() for s in group]
        )
        history = price_history(self.session, ids, self.now - oldest - WINDOW)
        site = self.settings.site
        out = []
        for slugs, style, limit in requests:
            boxes = [
                build_buy_box(
                    slug,
                    products[slug].name,
                    states[slug],
                    disclosure=site.disclosure,
                    now=self.now,
                    max_age=self.max_age,
                    history=history,
                    order=site.order,
                    limit=limit,
                    live=live,
                    link_base=link_base if link_base is not None else site.public_url,
                    jsonld=site.jsonld,
                    home_currency=self.settings.currency.compare_to or self.renderer.home_currency,
                    rates=self.rates,
                    compare_to=self.settings.currency.compare_to,
                )
                for slug in slugs
            ]
            out.append(
                build_group(
                    boxes, style=style, disclosure=site.disclosure, show_note=site.as_of_note
                )
            )
        return out

    def render_text(self, text: str, source: str) -> tuple[str, int]:
        """Return the article with its boxes filled, and how many boxes it has."""
        try:
            blocks = find_blocks(text, source)
        except MarkerError as exc:
            raise ArticleError(str(exc)) from exc
        boxes = [b for b in blocks if b.kind == "buy-box"]
        if not blocks:
            return text, 0
        requests = []
        for block in boxes:
            style = block.options.get("style", "cards")
            if style not in STYLES:
                raise ArticleError(
                    f"{source}:{block.line}: style must be one of {', '.join(STYLES)}, "
                    f"not {style!r}"
                )
            limit = int(block.options["limit"]) if "limit" in block.options else None
            requests.append((block.products, style, limit))
        try:
            groups = self.groups(requests) if requests else []
        except LookupError as exc:
            slug = exc.args[0]
            line = next(b.line for b in boxes if slug in b.products)
            raise ArticleError(
                f"{source}:{line}: unknown product {slug!r} (not in the catalog)"
            ) from exc
        suffix = Path(source).suffix.lower()
        shortcode = self.settings.site.hugo_shortcode
        rendered = iter(
            wrap_for(suffix, self.renderer.render(group), shortcode) for group in groups
        )
        contents = [
            self._styles(block, source) if block.kind == "styles" else next(rendered)
            for block in blocks
        ]
        return splice(text, blocks, contents), len(boxes)

    def _styles(self, block: Block, source: str) -> str:
        """The stylesheet for a page's tracker:styles marker (HTML pages only)."""
        if Path(source).suffix.lower() not in {".html", ".htm"} | TEMPLATE_SUFFIXES:
            raise ArticleError(
                f"{source}:{block.line}: tracker:styles belongs in an HTML page's <head>; "
                "link tracker-buy.css from your theme instead"
            )
        css = self.renderer.stylesheet().strip()
        if "<!--" in css or "</style" in css.lower():
            # It would end the <style> element or read as a marker at the next render.
            raise ArticleError(f"{source}:{block.line}: tracker-buy.css holds '<!--' or '</style'")
        return f"<style>\n{css}\n</style>"

    def render_file(
        self,
        source: Path,
        target: Path,
        *,
        write: bool = True,
        diff: bool = False,
        audit: Context | None = None,
    ) -> RenderResult:
        """Render one article; with ``write=False`` only report whether it would change.

        With ``audit``, the rendered page also goes through the compliance rules.
        """
        text = read_article(source)
        rendered, boxes = self.render_text(text, str(source))
        findings = () if audit is None else article_findings(text, str(source), rendered, audit)
        data = rendered.encode("utf-8")
        current = target.read_bytes() if target.exists() else None
        changed = current != data
        if changed and write:
            atomic_write(target, data)
        change = ""
        if diff and changed:
            before = (current or b"").decode("utf-8", errors="replace")
            change = "".join(
                difflib.unified_diff(
                    before.splitlines(keepends=True),
                    rendered.splitlines(keepends=True),
                    fromfile=str(target),
                    tofile=f"{target} (rendered)",
                )
            )
        return RenderResult(
            source=source,
            target=target,
            boxes=boxes,
            changed=changed,
            diff=change,
            findings=tuple(findings),
        )


def article_files(folder: Path, suffixes: set[str] | None = None) -> list[Path]:
    """Files of the content folder that may hold markers, in a stable order."""
    wanted = ARTICLE_SUFFIXES if suffixes is None else suffixes
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in wanted and not p.name.startswith(".")
    )


def unsupported_note(path: Path) -> str | None:
    """Why an article of this kind is not rendered, or None when it is."""
    suffix = path.suffix.lower()
    if suffix in UNSUPPORTED_SUFFIXES:
        return f"{path}: not rendered: {UNSUPPORTED_SUFFIXES[suffix]}"
    if suffix not in ARTICLE_SUFFIXES:
        kinds = ", ".join(sorted(ARTICLE_SUFFIXES))
        kind = suffix or "a file without extension"
        return f"{path}: not rendered: {kind} is not an article kind ({kinds})"
    return None


def has_markers(path: Path) -> bool:
    try:
        return b"tracker:" in path.read_bytes()
    except OSError:
        return False
