"""Render articles: find markers, read current offers in one query, splice boxes, write safely."""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from tracker.articles import Block, MarkerError, find_blocks, splice
from tracker.compliance import Context
from tracker.config import Settings
from tracker.domain import BoxGroup
from tracker.publishing.audit import article_findings
from tracker.publishing.buybox import BoxRenderer
from tracker.publishing.readmodel import BoxRequest, ReadModel, load_rates
from tracker.publishing.viewmodel import STYLES
from tracker.rules import shown_until
from tracker.store.boxdata import ProductRows

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
    # The data versions of the products shown, and when the clock alone may change the boxes.
    versions: dict[str, int] = field(default_factory=dict)
    until: datetime | None = None
    skipped: bool = False  # the data behind its boxes did not change: not rendered again
    findings: tuple[str, ...] = ()  # compliance findings (render --check), PATH:LINE: message


def read_article(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ArticleError(f"{path}: not UTF-8 text (byte {exc.start})") from exc


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
        reads: ReadModel | None = None,
    ) -> None:
        self.settings = settings
        self.session = session
        self.now = now
        # A long-lived caller (the server) passes its renderer: Jinja compiles templates once.
        self.renderer = renderer or BoxRenderer(settings.site, settings.templates_dir)
        self.reads = reads or ReadModel(settings)
        load_rates(settings.currency.rates_file)  # a bad rates file fails before any article

    def groups(
        self,
        requests: Sequence[BoxRequest],
        *,
        live: bool = False,
        link_base: str | None = None,
        found: dict[str, ProductRows] | None = None,
    ) -> list[BoxGroup]:
        """View models for (products, style, limit) requests: one query per product.

        Raises LookupError naming the first unknown or inactive product.
        """
        return self.reads.groups(
            self.session,
            requests,
            self.now,
            live=live,
            link_base=link_base,
            found=found,
            home_currency=self.renderer.home_currency,
        )

    def render_text(
        self, text: str, source: str, found: dict[str, ProductRows] | None = None
    ) -> tuple[str, int]:
        """Return the article with its boxes filled, and how many boxes it has (the products
        read are left in ``found``)."""
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
            groups = self.groups(requests, found=found) if requests else []
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
        found: dict[str, ProductRows] = {}
        rendered, boxes = self.render_text(text, str(source), found)
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
        moments = [
            shown_until(state, self.now, self.reads.max_age)
            for rows in found.values()
            for state in rows.states
        ]
        later = [moment for moment in moments if moment is not None]
        return RenderResult(
            source=source,
            target=target,
            boxes=boxes,
            changed=changed,
            diff=change,
            versions={slug: rows.data_version for slug, rows in found.items()},
            until=min(later) if later else None,
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
