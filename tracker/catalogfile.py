"""Append a catalog entry (a vendor, its listings, their products) to the catalog file.

The file is edited as YAML round-trip (ruamel.yaml): its comments, key order and layout stay
as the operator wrote them. The result is validated as a sync would read it before it
replaces the file (atomically); on any error the file is left as it was.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from tracker.catalog import CatalogError, parse_catalog

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Added:
    """What ``append_entry`` changed: the entries added, and those already in the file."""

    added: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)


def _yaml() -> YAML:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.preserve_quotes = True
    return yaml


def _load(text: str, source: str) -> Any:
    try:
        return _yaml().load(text)
    except YAMLError as exc:
        raise CatalogError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from exc


def _listing_id(listing: Any) -> tuple[str, str, str]:
    return (str(listing.get("product")), str(listing.get("url")), str(listing.get("variant")))


def append_entry(path: Path, entry_text: str, source: str = "entry") -> Added:
    """Merge ``entry_text`` (``products:`` and ``vendors:``) into the catalog file at ``path``.

    A product or vendor whose slug the file has is not added again; a known vendor gets the
    new listings appended to its own. Raises CatalogError (naming the file and field) when
    the entry or the result is not a valid catalog.
    """
    original = path.read_text(encoding="utf-8")
    catalog = _load(original, str(path))
    entry = _load(entry_text, source)
    if not isinstance(catalog, CommentedMap):
        raise CatalogError(f"{path}: not a catalog (products: and vendors: expected)")
    if not isinstance(entry, CommentedMap):
        raise CatalogError(f"{source}: not a catalog entry (products: and vendors: expected)")
    report = Added()
    products = catalog.setdefault("products", CommentedSeq())
    known = {str(p.get("slug")) for p in products if isinstance(p, dict)}
    for product in entry.get("products") or []:
        slug = str(product.get("slug"))
        if slug in known:
            report.present.append(f"product {slug}")
        else:
            products.append(product)
            known.add(slug)
            report.added.append(f"product {slug}")
    vendors = catalog.setdefault("vendors", CommentedSeq())
    by_slug = {str(v.get("slug")): v for v in vendors if isinstance(v, dict)}
    for vendor in entry.get("vendors") or []:
        slug = str(vendor.get("slug"))
        mine = by_slug.get(slug)
        if mine is None:
            vendors.append(vendor)
            by_slug[slug] = vendor
            report.added.append(f"vendor {slug}")
            continue
        report.present.append(f"vendor {slug}")
        listings = mine.setdefault("listings", CommentedSeq())
        have = {_listing_id(item) for item in listings}
        for listing in vendor.get("listings") or []:
            name = f"listing {slug}: {listing.get('label')}"
            if _listing_id(listing) in have:
                report.present.append(name)
            else:
                listings.append(listing)
                report.added.append(name)
    if not report.added:
        return report
    out = StringIO()
    _yaml().dump(catalog, out)
    text = out.getvalue()
    parse_catalog(text, str(path), _env_for(text))
    _write_atomically(path, text)
    return report


def _env_for(text: str) -> dict[str, str]:
    """The environment to validate with: an unset ``${NAME}`` stands for an address."""
    env = dict(os.environ)
    for name in _VARIABLE.findall(text):
        env.setdefault(name, "https://unset.invalid")
    return env


def write_atomically(path: Path, text: str) -> None:
    """Replace the file's text in one step (a reader sees the old file or the new one)."""
    _write_atomically(path, text)


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
