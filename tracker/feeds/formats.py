"""Each network's feed format: CSV or XML, and which column holds which field of an item.

Column names follow the networks' documented feed specifications; a field lists the columns
that may hold it, first found first (Awin carries a GTIN as ``ean``, ``product_GTIN`` or
``upc``). A generic ``csv``/``xml`` feed names its own columns in the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.feedconfig import FeedEntry

Columns = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class FeedFormat:
    kind: str  # "csv" or "xml"
    columns: Columns  # field -> candidate column names (XML: element local names)
    delimiter: str = ","
    item: str = "item"  # XML: the element of one item (any namespace)


_AWIN: Columns = {
    "id": ("aw_product_id",),
    "sku": ("merchant_product_id",),
    "gtin": ("ean", "product_GTIN", "upc"),
    "mpn": ("mpn",),
    "url": ("merchant_deep_link",),
    "link": ("aw_deep_link",),
    "title": ("product_name",),
    "price": ("search_price",),
    "sale_price": (),
    "regular_price": ("rrp_price",),
    "currency": ("currency",),
    "availability": ("in_stock", "stock_status"),
    "size": ("Fashion:size", "size"),
    "item_group": ("parent_product_id",),
    "updated": ("last_updated",),
}
# Google Merchant Center product data: the same names in XML (g: namespace) and TSV.
_GOOGLE: Columns = {
    "id": ("id",),
    "sku": ("id",),
    "gtin": ("gtin",),
    "mpn": ("mpn",),
    "url": ("link",),
    "link": ("link",),
    "title": ("title",),
    "price": ("price",),
    "sale_price": ("sale_price",),
    "regular_price": (),
    "currency": (),
    "availability": ("availability",),
    "size": ("size",),
    "item_group": ("item_group_id",),
}
# CJ's "Shopping" product catalog: Google's fields in upper case, the click URL as LINK.
_CJ: Columns = {
    "id": ("ID",),
    "sku": ("ID",),
    "gtin": ("GTIN",),
    "mpn": ("MPN",),
    "url": (),
    "link": ("LINK",),
    "title": ("TITLE",),
    "price": ("PRICE",),
    "sale_price": ("SALE_PRICE",),
    "regular_price": (),
    "currency": (),
    "availability": ("AVAILABILITY",),
    "size": ("SIZE",),
    "item_group": ("ITEM_GROUP_ID",),
}
# Impact's product catalog export.
_IMPACT: Columns = {
    "id": ("CatalogItemId",),
    "sku": ("Sku", "CatalogItemId"),
    "gtin": ("Gtin",),
    "mpn": ("Mpn",),
    "url": (),
    "link": ("Url",),
    "title": ("Name",),
    "price": ("CurrentPrice",),
    "sale_price": (),
    "regular_price": ("OriginalPrice",),
    "currency": ("Currency",),
    "availability": ("StockAvailability",),
    "size": ("Size",),
    "item_group": ("ParentSku",),
}

_KNOWN = {
    "awin-csv": FeedFormat("csv", _AWIN),
    "google-merchant-xml": FeedFormat("xml", _GOOGLE),
    "google-merchant-tsv": FeedFormat("csv", _GOOGLE, delimiter="\t"),
    "cj-csv": FeedFormat("csv", _CJ),
    "impact-csv": FeedFormat("csv", _IMPACT),
}


def feed_format(entry: FeedEntry) -> FeedFormat:
    """The format of a feed, with the catalog's column mapping over the network's names."""
    if entry.format in ("csv", "xml"):
        columns: Columns = {field: (column,) for field, column in entry.columns.items()}
        return FeedFormat(
            entry.format, columns, delimiter=entry.delimiter or ",", item=entry.item or "item"
        )
    base = _KNOWN[entry.format]
    columns = dict(base.columns)
    columns.update({field: (column,) for field, column in entry.columns.items()})
    return FeedFormat(
        base.kind,
        columns,
        delimiter=entry.delimiter or base.delimiter,
        item=entry.item or base.item,
    )
