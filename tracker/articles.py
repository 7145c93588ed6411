"""Find the buy-box marker pairs in an article and splice new content between them.

Only what stands between a pair is ours; every other byte is the author's and is kept.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

MARKER_NAME = "tracker:buy-box"
# A pair in the page's <head> that receives the boxes' stylesheet (one per page).
STYLES_MARKER = "tracker:styles"
_ANY_MARKER = re.compile(r"<!--\s*(/?)\s*tracker:([\w-]*)(.*?)-->", re.DOTALL)
_ATTRIBUTE = re.compile(r'\s*([a-z][a-z0-9_-]*)\s*=\s*"([^"]*)"\s*', re.IGNORECASE)
KNOWN_OPTIONS = {"product", "style", "limit"}
_PRODUCT_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class MarkerError(Exception):
    """A marker an operator must fix; the message names the file and line."""


@dataclass(frozen=True)
class Block:
    """One marker pair: content runs from ``start`` to ``end`` (character offsets)."""

    start: int
    end: int
    line: int
    products: tuple[str, ...]
    options: dict[str, str] = field(default_factory=dict)
    kind: str = "buy-box"  # or "styles"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _parse_attributes(raw: str, where: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    position = 0
    raw = raw.strip()
    while position < len(raw):
        match = _ATTRIBUTE.match(raw, position)
        if not match:
            raise MarkerError(f"{where}: cannot read the marker's attributes: {shlex.quote(raw)}")
        name = match.group(1).lower()
        if name not in KNOWN_OPTIONS:
            raise MarkerError(f"{where}: unknown attribute {name!r} in the buy-box marker")
        attributes[name] = match.group(2)
        position = match.end()
    return attributes


def find_blocks(text: str, source: str) -> list[Block]:
    """Return the marker pairs in order; raise MarkerError for anything malformed."""
    blocks: list[Block] = []
    open_at: tuple[int, int, dict[str, str]] | None = None
    open_kind = ""
    for match in _ANY_MARKER.finditer(text):
        line = _line_of(text, match.start())
        where = f"{source}:{line}"
        closing, kind, rest = match.group(1) == "/", match.group(2), match.group(3)
        if kind not in ("buy-box", "styles"):
            raise MarkerError(
                f"{where}: unknown marker 'tracker:{kind}' (expected {MARKER_NAME} "
                f"or {STYLES_MARKER})"
            )
        if closing:
            if rest.strip():
                raise MarkerError(f"{where}: the closing marker takes no attributes")
            if open_at is None or open_kind != kind:
                raise MarkerError(f"{where}: closing marker without an opening marker")
            start, start_line, attributes = open_at
            open_at = None
            if kind == "styles":
                blocks.append(Block(start, match.start(), start_line, (), kind="styles"))
                continue
            products = tuple(p.strip() for p in attributes["product"].split(",") if p.strip())
            options = {k: v for k, v in attributes.items() if k != "product"}
            blocks.append(Block(start, match.start(), start_line, products, options))
            continue
        if open_at is not None:
            raise MarkerError(
                f"{where}: a {kind} marker opens inside the one opened at line {open_at[1]}"
            )
        open_kind = kind
        if kind == "styles":
            if rest.strip():
                raise MarkerError(f"{where}: the {STYLES_MARKER} marker takes no attributes")
            open_at = (match.end(), line, {})
            continue
        attributes = _parse_attributes(rest, where)
        named = [p.strip() for p in attributes.get("product", "").split(",") if p.strip()]
        if not named:
            raise MarkerError(f'{where}: the marker needs product="slug"')
        for slug in named:
            if not _PRODUCT_SLUG.match(slug):
                raise MarkerError(f"{where}: {slug!r} is not a product slug")
        if "limit" in attributes and not attributes["limit"].isdigit():
            raise MarkerError(f"{where}: limit must be a whole number")
        open_at = (match.end(), line, attributes)
    if open_at is not None:
        raise MarkerError(f"{source}:{open_at[1]}: the {open_kind} marker is never closed")
    return blocks


def line_ending(text: str, offset: int) -> str:
    """The line ending used around ``offset`` (CRLF files stay CRLF)."""
    newline = text.find("\n", offset)
    if newline > 0 and text[newline - 1] == "\r":
        return "\r\n"
    return "\n"


def splice(text: str, blocks: list[Block], contents: list[str]) -> str:
    """Replace each block's content; everything outside the markers is kept as it was."""
    if len(blocks) != len(contents):
        raise ValueError("one content per block")
    pieces: list[str] = []
    cursor = 0
    for block, content in zip(blocks, contents, strict=True):
        eol = line_ending(text, block.start)
        body = eol.join(content.strip("\r\n").splitlines())
        pieces.append(text[cursor : block.start])
        pieces.append(f"{eol}{body}{eol}" if body else eol)
        cursor = block.end
    pieces.append(text[cursor:])
    return "".join(pieces)
