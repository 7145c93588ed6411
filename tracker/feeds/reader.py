"""Stream a feed file: gzip, zip or plain; CSV/TSV or XML; only the wanted rows come out.

Memory stays flat whatever the size: the file is read as a stream, each row is looked at for
the identifiers the listings want and dropped, and only matching rows become items. A file
that cannot be read to its end (a truncated gzip, broken XML, a missing column, entities that
would expand) raises ``FeedError``: a caller then applies nothing from it.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from lxml import etree

from tracker.feedconfig import normalize_key
from tracker.feeds.formats import FeedFormat

HEAD_BYTES = 64 * 1024  # XML: the prolog is looked at for entity declarations
MAX_FIELD_CHARS = 1024 * 1024  # one CSV field (a description) at most
EXAMPLES = 3  # row numbers kept per reason of a skip

# Identifier kinds and the values wanted of each (normalized by ``normalize_key``).
Wanted = dict[str, set[str]]


class FeedError(Exception):
    """The feed cannot be read to its end; the message says where and why."""


@dataclass(frozen=True)
class FeedItem:
    """A row whose identifier a listing wants: its fields as written in the feed."""

    row: int
    fields: dict[str, str]


@dataclass
class ReadReport:
    """What a reading saw: rows, matching rows, and what it skipped, with why."""

    rows: int = 0
    matched: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[int]] = field(default_factory=dict)

    def skip(self, reason: str, row: int) -> None:
        self.skipped[reason] += 1
        rows = self.examples.setdefault(reason, [])
        if len(rows) < EXAMPLES:
            rows.append(row)

    def skipped_text(self) -> str:
        """One line per reason: "3 rows skipped: bad price (rows 4, 9, 12)"."""
        lines = []
        for reason, count in sorted(self.skipped.items()):
            rows = ", ".join(str(n) for n in self.examples.get(reason, []))
            more = ", ..." if count > len(self.examples.get(reason, [])) else ""
            noun = "row" if count == 1 else "rows"
            lines.append(f"{count} {noun} skipped: {reason} ({noun} {rows}{more})")
        return "; ".join(lines)


@contextmanager
def open_feed(path: Path) -> Iterator[IO[bytes]]:
    """The feed's bytes, decompressed: gzip and zip are told by their first bytes."""
    with path.open("rb") as raw:
        magic = raw.read(4)
    if magic[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as stream:
            yield stream  # type: ignore[misc]
    elif magic == b"PK\x03\x04":
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise FeedError(f"not a readable zip file: {exc}") from exc
        with archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                names = ", ".join(m.filename for m in members[:5]) or "none"
                raise FeedError(f"the zip file holds {len(members)} files ({names}), not one feed")
            with archive.open(members[0]) as stream:
                yield stream
    else:
        with path.open("rb") as stream:
            yield stream


def read_items(
    stream: IO[bytes], fmt: FeedFormat, wanted: Wanted, encoding: str, report: ReadReport
) -> Iterator[FeedItem]:
    """The rows of the feed that carry a wanted identifier, in file order."""
    reader = _csv_items if fmt.kind == "csv" else _xml_items
    try:
        yield from reader(stream, fmt, wanted, encoding, report)
    except EOFError as exc:
        raise FeedError(
            f"the compressed file ends early after {report.rows} rows (truncated download?)"
        ) from exc
    except (zlib.error, gzip.BadGzipFile, zipfile.BadZipFile) as exc:
        raise FeedError(f"the compressed file is damaged after {report.rows} rows: {exc}") from exc
    except csv.Error as exc:
        raise FeedError(f"not readable as CSV after {report.rows} rows: {exc}") from exc


def _normalizer(kind: str) -> Callable[[str], str]:
    return lambda value: normalize_key(kind, value)


def _decoded_lines(stream: IO[bytes], encoding: str, report: ReadReport) -> Iterator[str]:
    """Each line decoded on its own: a line in another encoding is skipped, not fatal."""
    decode = codecs.getdecoder(encoding)
    for number, raw in enumerate(stream, 1):
        try:
            yield decode(raw)[0]
        except UnicodeDecodeError:
            report.skip(f"not valid {encoding} (the feed's encoding is set to {encoding})", number)


def _csv_items(
    stream: IO[bytes], fmt: FeedFormat, wanted: Wanted, encoding: str, report: ReadReport
) -> Iterator[FeedItem]:
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(_decoded_lines(stream, encoding, report), delimiter=fmt.delimiter)
    header = next(reader, None)
    if not header:
        raise FeedError("the feed is empty (no header row)")
    names = [name.strip().lstrip("\ufeff") for name in header]
    index = {name: i for i, name in enumerate(names)}
    found = {f: [index[c] for c in cols if c in index] for f, cols in fmt.columns.items()}
    _require(found, fmt, wanted, names)
    keys = [(i, wanted[kind], _normalizer(kind)) for kind in wanted for i in found[kind]]
    width = len(names)
    read = report.rows
    try:
        for row in reader:
            read += 1
            if len(row) != width:
                if not any(row):
                    read -= 1  # a blank line is no row
                    continue
                report.skip(f"{len(row)} fields where the header has {width}", reader.line_num)
                continue
            for i, values, normalize in keys:
                value = row[i]
                if value and normalize(value) in values:
                    report.matched += 1
                    fields = {}
                    for name, columns in found.items():
                        text = next((row[c] for c in columns if row[c]), "")
                        if text:
                            fields[name] = text
                    report.rows = read
                    yield FeedItem(reader.line_num, fields)
                    break
    finally:
        report.rows = read


def _require(
    found: dict[str, list[int]], fmt: FeedFormat, wanted: Wanted, names: list[str]
) -> None:
    """The price column and every column the listings match by must be there."""
    needed = ["price", *wanted]
    missing = [f for f in needed if not found.get(f)]
    if missing:
        looked = "; ".join(
            f"{f}: {', '.join(fmt.columns.get(f, ())) or 'no column known'}" for f in missing
        )
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        raise FeedError(f"missing column ({looked}); the feed's columns: {shown}")


class _Replay(io.RawIOBase):
    """The bytes already looked at, then the rest of the stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _xml_items(
    stream: IO[bytes], fmt: FeedFormat, wanted: Wanted, encoding: str, report: ReadReport
) -> Iterator[FeedItem]:
    head = stream.read(HEAD_BYTES)
    prolog = head.split(b"<" + fmt.item.encode(), 1)[0]
    if b"<!ENTITY" in prolog.upper():
        raise FeedError(
            "the XML declares entities, refused: entity expansion is how an XML bomb "
            "('billion laughs') exhausts memory, and no product feed needs it"
        )
    wanted_tags: dict[str, list[str]] = {}  # element local name -> fields it holds
    for name, columns in fmt.columns.items():
        for column in columns:
            wanted_tags.setdefault(column, []).append(name)
    # Element tags as parsed ("{namespace}gtin") -> the identifier kinds they hold; "" marks
    # the price, whose presence is checked. Filled as tags are met: one lookup per child.
    watched = {kind for kind in wanted} | {"price"}
    key_tags: dict[str, list[str]] = {}
    normalizers = {kind: _normalizer(kind) for kind in wanted}
    context = etree.iterparse(
        io.BufferedReader(_Replay(head, stream), 1024 * 1024),
        events=("end",),
        tag=("{*}" + fmt.item,),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    price_seen = False
    try:
        for _, elem in context:
            report.rows += 1
            hit = False
            for child in elem:
                tag = child.tag
                kinds = key_tags.get(tag) if isinstance(tag, str) else None
                if kinds is None:
                    if not isinstance(tag, str):
                        continue
                    local = tag.rpartition("}")[2]
                    kinds = key_tags[tag] = [f for f in wanted_tags.get(local, ()) if f in watched]
                for kind in kinds:
                    if kind == "price":
                        price_seen = True
                    elif not hit and child.text:
                        hit = normalizers[kind](child.text.strip()) in wanted[kind]
            if hit:
                report.matched += 1
                yield FeedItem(report.rows, _xml_fields(elem, wanted_tags))
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"not well-formed XML after {report.rows} items: {exc}") from exc
    if report.rows and not price_seen:
        raise FeedError(
            f"missing column (price: {', '.join(fmt.columns.get('price', ()))}); "
            f"no <{fmt.item}> of the feed has it"
        )


def _xml_fields(elem: etree._Element, wanted_tags: dict[str, list[str]]) -> dict[str, str]:
    """The fields of one matching item (its first non-empty element of each)."""
    fields: dict[str, str] = {}
    for child in elem:
        if isinstance(child.tag, str):
            text = (child.text or "").strip()
            for name in wanted_tags.get(child.tag.rpartition("}")[2], ()) if text else ():
                fields.setdefault(name, text)
    return fields
