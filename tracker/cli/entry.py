"""The options and output shared by `tracker extract --catalog-entry` and `tracker catalog add`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from tracker.cli.output import plain
from tracker.onboarding import Preview

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = (
    click.option(
        "--product", "entry_product", metavar="SLUG", help="The product's slug in the entry."
    ),
    click.option(
        "--product-name",
        "entry_product_name",
        metavar="NAME",
        help="The product's name (default: the page's).",
    ),
    click.option(
        "--vendor-slug",
        "entry_vendor",
        metavar="SLUG",
        help="The vendor's slug (default: from the host).",
    ),
    click.option(
        "--vendor-name",
        "entry_vendor_name",
        metavar="NAME",
        help="The vendor's name (default: the host).",
    ),
    click.option(
        "--variant",
        "entry_variant",
        metavar="TEXT",
        help="Keep only the offer this pack text names (one listing).",
    ),
)


def entry_options(func: F) -> F:
    """Add the options that name the entry's product, vendor and variant."""
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def preview_arguments(options: dict[str, Any]) -> dict[str, str | None]:
    """The keyword arguments of ``onboarding.preview_url`` from the command's options."""
    return {
        "product": options.get("entry_product"),
        "product_name": options.get("entry_product_name"),
        "vendor": options.get("entry_vendor"),
        "vendor_name": options.get("entry_vendor_name"),
        "variant": options.get("entry_variant"),
    }


def echo_entry(preview: Preview) -> None:
    """Print the entry's YAML (page text made safe for the terminal) and what to check."""
    for line in preview.yaml.splitlines():
        click.echo(plain(line))
