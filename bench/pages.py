"""Deterministic product pages for the crawl benchmark: realistic shop pages of 40 to 80 KB.

Each page is described by a small ``PageSpec`` (name, offers, target size) that costs almost
nothing to compute, so the benchmark can write the catalog from specs while the page server,
in its own process, renders the same specs into full HTML.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from decimal import Decimal
from html import escape

MIN_PAGE_BYTES = 40_000
MAX_PAGE_BYTES = 80_000
SHOP_NAME = "Northwind Nootropics"
CURRENCY = "USD"

_PREFIXES = ("Neuro", "Cogni", "Cerebro", "Vita", "Mind", "Clari", "Memo", "Lumi", "Axo", "Syn")
_SUFFIXES = ("Boost", "Focus", "Prime", "Max", "Flow", "Core", "Pro", "Calm", "Plus", "Edge")
_BRANDS = ("Geropharm", "Wolfson Berg", "Peptilab", "Brainfood Co", "Herbal Nord", "Vitaline")
# (singular, plural, pack sizes, price range per unit in cents)
_FORMS = (
    ("capsule", "capsules", (30, 60, 90, 120), (15, 80)),
    ("tablet", "tablets", (30, 50, 100, 180), (10, 60)),
    ("vial", "vials", (5, 10, 20), (300, 900)),
    ("sachet", "sachets", (14, 28, 56), (50, 200)),
)
_STRENGTHS = ("5 mg", "10 mg", "50 mg", "200 mg", "500 mg", "1 g")
_AVAILABILITY = ("InStock",) * 8 + ("LimitedAvailability", "OutOfStock")
_CATEGORIES = ("Nootropics", "Peptides", "Vitamins", "Sleep", "Energy", "Mood", "Memory", "Sport")
_WORDS = (
    "formula daily dose support clinical extract natural blend focus memory energy calm "
    "mental clarity quality tested lab batch purity ingredient vegan gluten free capsule "
    "tablet serving recommended adults water meal morning evening week month result "
    "customer delivery shipping worldwide tracked package discreet sealed fresh stored "
    "cool dry place children reach consult physician pregnant nursing condition label "
    "certificate analysis manufacturer standard process facility certified imported"
).split()


@dataclass(frozen=True)
class OfferSpec:
    """One variant of a page: what its JSON-LD Offer states."""

    sku: str
    label: str
    quantity: int
    unit: str
    price: Decimal
    availability: str


@dataclass(frozen=True)
class PageSpec:
    """Everything that identifies a page; ``wanted`` is the offer its listing tracks."""

    index: int
    slug: str
    name: str
    brand: str
    category: str
    offers: tuple[OfferSpec, ...]
    wanted: int
    size: int
    seed: int

    @property
    def path(self) -> str:
        return f"/products/{self.slug}"

    @property
    def wanted_offer(self) -> OfferSpec:
        return self.offers[self.wanted]


def _rng(seed: int, index: int, part: str) -> random.Random:
    return random.Random(f"{seed}:{index}:{part}")


def page_spec(seed: int, index: int) -> PageSpec:
    """The spec of page ``index``: same seed and index, same page."""
    rng = _rng(seed, index, "spec")
    name = f"{rng.choice(_PREFIXES)}{rng.choice(_SUFFIXES).lower()} {rng.choice(_STRENGTHS)}"
    singular, plural, counts, cents = rng.choice(_FORMS)
    unit_cents = rng.randint(*cents)
    code = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
    offers = tuple(
        OfferSpec(
            sku=f"{code}-{index:05d}-{count}",
            label=f"{count} {plural}",
            quantity=count,
            unit=singular,
            price=_pack_price(unit_cents, count),
            availability=rng.choice(_AVAILABILITY),
        )
        for count in sorted(rng.sample(counts, rng.randint(1, 3)))
    )
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + f"-{index:05d}"
    return PageSpec(
        index=index,
        slug=slug,
        name=name,
        brand=rng.choice(_BRANDS),
        category=rng.choice(_CATEGORIES),
        offers=offers,
        wanted=rng.randrange(len(offers)),
        size=rng.randrange(MIN_PAGE_BYTES + 500, MAX_PAGE_BYTES - 1500),
        seed=seed,
    )


def _pack_price(unit_cents: int, count: int) -> Decimal:
    """Bigger packs cost more in total and less per unit (up to 20% off)."""
    discount = min(count // 10, 20)
    return Decimal(unit_cents * count * (100 - discount) // 100).scaleb(-2)


def page_specs(seed: int, count: int) -> list[PageSpec]:
    return [page_spec(seed, index) for index in range(count)]


def _sentence_pool() -> list[str]:
    rng = random.Random("sentences")
    pool = []
    for _ in range(600):
        words = rng.choices(_WORDS, k=rng.randint(10, 28))
        words.insert(rng.randrange(len(words)), "{name}")
        pool.append(" ".join(words).capitalize() + ".")
    return pool


_SENTENCES = _sentence_pool()


def _paragraph(rng: random.Random, name: str, sentences: int) -> str:
    text = " ".join(rng.choices(_SENTENCES, k=sentences)).replace("{name}", name)
    return f"<p>{escape(text)}</p>\n"


def _price(value: Decimal) -> str:
    return f"${value:.2f}"


def _css(rng: random.Random) -> str:
    rules = []
    for i in range(rng.randint(90, 140)):
        rules.append(
            f".c-{rng.choice(_WORDS)}-{i}{{margin:{rng.randint(0, 24)}px {rng.randint(0, 24)}px;"
            f"padding:{rng.randint(0, 16)}px;color:#{rng.randrange(0x1000000):06x};"
            f"font-size:{rng.randint(11, 22)}px;line-height:1.{rng.randint(2, 8)}}}"
        )
    return "<style>\n" + "\n".join(rules) + "\n</style>\n"


def _product_jsonld(spec: PageSpec, base_url: str, rng: random.Random) -> str:
    url = f"{base_url}{spec.path}"
    offers = [
        {
            "@type": "Offer",
            "name": offer.label,
            "sku": offer.sku,
            "price": f"{offer.price:.2f}",
            "priceCurrency": CURRENCY,
            "availability": f"https://schema.org/{offer.availability}",
            "itemCondition": "https://schema.org/NewCondition",
            "priceValidUntil": "2026-12-31",
            "url": f"{url}?variant={offer.sku}",
            "seller": {"@type": "Organization", "name": SHOP_NAME},
        }
        for offer in spec.offers
    ]
    product = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": spec.name,
        "sku": spec.offers[0].sku.rsplit("-", 1)[0],
        "gtin13": f"{rng.randrange(10**12, 10**13)}",
        "brand": {"@type": "Brand", "name": spec.brand},
        "category": spec.category,
        "image": [f"{base_url}/media/{spec.slug}-{n}.jpg" for n in range(1, 4)],
        "description": f"{spec.name} by {spec.brand}. "
        + rng.choice(_SENTENCES).replace("{name}", spec.name),
        "aggregateRating": {
            "@type": "AggregateRating",
            "ratingValue": f"{rng.uniform(3.5, 5):.1f}",
            "reviewCount": rng.randint(3, 400),
        },
        "offers": offers if len(offers) > 1 or rng.random() < 0.5 else offers[0],
    }
    indent = 2 if rng.random() < 0.5 else None
    return (
        '<script type="application/ld+json">\n'
        + json.dumps(product, indent=indent)
        + "\n</script>\n"
    )


def _breadcrumb_jsonld(spec: PageSpec, base_url: str) -> str:
    crumbs = [("Home", "/"), (spec.category, f"/c/{spec.category.lower()}"), (spec.name, spec.path)]
    data = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": f"{base_url}{path}"}
            for n, (name, path) in enumerate(crumbs, start=1)
        ],
    }
    return f'<script type="application/ld+json">{json.dumps(data)}</script>\n'


def _head(spec: PageSpec, base_url: str, rng: random.Random) -> str:
    title = escape(f"{spec.name} | {spec.brand} | {SHOP_NAME}")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n"
        f'<meta name="description" content="Buy {escape(spec.name)} online.">\n'
        f'<link rel="canonical" href="{base_url}{spec.path}">\n'
        f'<meta property="og:title" content="{title}">\n'
        f'<meta property="og:image" content="{base_url}/media/{spec.slug}-1.jpg">\n'
        + _css(rng)
        + _product_jsonld(spec, base_url, rng)
        + _breadcrumb_jsonld(spec, base_url)
        + "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
        f"gtag('js',new Date());gtag('config','G-{rng.randrange(10**9)}');</script>\n"
        "</head>\n"
    )


def _nav(rng: random.Random) -> str:
    menus = []
    for category in _CATEGORIES:
        links = "".join(
            f'<li><a href="/c/{category.lower()}/{word}-{n}">{word.title()} {category}</a></li>'
            for n, word in enumerate(rng.sample(_WORDS, rng.randint(8, 14)))
        )
        menus.append(
            f'<li class="menu"><a href="/c/{category.lower()}">{category}</a><ul>{links}</ul></li>'
        )
    return (
        f'<header class="site-header"><a class="logo" href="/">{SHOP_NAME}</a>\n'
        '<form class="search" action="/search"><input name="q" placeholder="Search"></form>\n'
        f'<nav><ul class="mega-menu">{"".join(menus)}</ul></nav></header>\n'
    )


def _buy_box(spec: PageSpec) -> str:
    options = "".join(
        f'<option value="{o.sku}"{" selected" if n == 0 else ""}>'
        f"{escape(o.label)} &mdash; {_price(o.price)}</option>"
        for n, o in enumerate(spec.offers)
    )
    photos = "".join(f'<img src="/media/{spec.slug}-{n}.jpg" alt="">' for n in range(1, 4))
    return (
        f'<section class="product"><h1>{escape(spec.name)}</h1>\n'
        f'<div class="gallery">{photos}</div>\n'
        '<form class="buy" action="/cart/add" method="post">\n'
        f'<select name="sku">{options}</select>\n'
        f'<span class="price">{_price(spec.offers[0].price)}</span> '
        '<button type="submit">Add to cart</button></form>\n'
    )


def _specs_table(spec: PageSpec, rng: random.Random) -> str:
    rows = "".join(
        f"<tr><th>{word.title()}</th><td>{escape(' '.join(rng.choices(_WORDS, k=4)))}</td></tr>"
        for word in rng.sample(_WORDS, 12)
    )
    return f'<table class="specs"><caption>{escape(spec.name)} details</caption>{rows}</table>\n'


def _reviews(spec: PageSpec, rng: random.Random) -> str:
    items = "".join(
        f'<li class="review"><strong>{rng.choice(_WORDS).title()} {rng.randint(1, 5)}/5</strong>'
        + _paragraph(rng, spec.name, rng.randint(2, 4))
        + "</li>"
        for _ in range(rng.randint(3, 10))
    )
    return f'<section class="reviews"><h2>Reviews</h2><ul>{items}</ul></section>\n'


def _related(rng: random.Random) -> str:
    cards = "".join(
        f'<li class="card"><a href="/products/related-{rng.randrange(10**6)}">'
        f'<img src="/media/r{n}.jpg" alt="">'
        f"{rng.choice(_PREFIXES)}{rng.choice(_SUFFIXES).lower()}</a>"
        f'<span class="price">{_price(Decimal(rng.randrange(500, 9900)).scaleb(-2))}</span>'
        '<button class="quick-add">Quick add</button></li>'
        for n in range(rng.randint(8, 12))
    )
    return f'<aside class="related"><h2>Related products</h2><ul>{cards}</ul></aside>\n'


def _footer(rng: random.Random) -> str:
    links = "".join(
        f'<li><a href="/pages/{word}">{word.title()}</a></li>' for word in rng.sample(_WORDS, 30)
    )
    state = {"cart": {"items": [], "currency": CURRENCY}, "flags": rng.sample(_WORDS, 20)}
    return (
        f'<footer><ul class="links">{links}</ul>\n'
        '<form class="newsletter"><input type="email" name="email">'
        "<button>Subscribe</button></form>\n"
        f"<p>&copy; 2026 {SHOP_NAME}</p></footer>\n"
        f"<script>window.__SHOP_STATE__={json.dumps(state)};"
        "document.querySelectorAll('.quick-add').forEach(function(b){b.addEventListener('click',"
        "function(e){e.preventDefault();fetch('/cart/add.js',{method:'POST'})})});</script>\n"
        "</body>\n</html>\n"
    )


def render_page(spec: PageSpec, base_url: str) -> bytes:
    """The full HTML of a page; long description text fills it up to ``spec.size`` bytes."""
    rng = _rng(spec.seed, spec.index, "body")
    top = _head(spec, base_url, rng) + "<body>\n" + _nav(rng) + _buy_box(spec)
    bottom = "</section>\n" + _specs_table(spec, rng) + _reviews(spec, rng) + _related(rng)
    bottom += _footer(rng)
    description = ['<div class="description"><h2>Description</h2>\n']
    room = spec.size - len(top) - len(bottom)
    while room > 0:
        paragraph = _paragraph(rng, spec.name, rng.randint(3, 8))
        description.append(paragraph)
        room -= len(paragraph)
    description.append("</div>\n")
    body = (top + "".join(description) + bottom).encode("utf-8")
    if not MIN_PAGE_BYTES <= len(body) <= MAX_PAGE_BYTES:
        raise ValueError(f"page {spec.index}: {len(body)} bytes, outside the intended range")
    return body
