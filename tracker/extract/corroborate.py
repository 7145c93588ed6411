"""The decision: a machine-readable price is a claim; what the shopper sees is the evidence.

A claim (JSON-LD, microdata, meta tags, platform data) is published when it is corroborated:
its amount is shown in the product's main area as the current price (not struck, not a unit,
instalment, ex-tax, converted or "from" figure), or two sources agree and the page shows nothing
that contradicts them. When the claims and the page disagree, the page's one current price wins
(a sale price shown beside the struck regular one is the sale price); when that is not clear, the
result is `ambiguous`, with every reading kept for `tracker extract --explain` and provenance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from tracker.domain import Availability, CheckStatus, ExtractResult, Offer, Reading
from tracker.extract.visible import CURRENT, STRUCK, Evidence

PAGE = "page"  # the visible main area, as a source
HEURISTIC = "heuristic"  # a price read from the visible page alone
# Sources that state the same database twice count once (a template writing both markups).
_SCHEMA_MARKUPS = frozenset({"json-ld", "microdata", "rdfa"})
_IMPLAUSIBLE_SALE = 10  # a struck price over ten times a claimed one is not its regular price
# How a page may show the prices of a product's variants: one of them, or their range.
_VARIANT_ROLES = frozenset({CURRENT, "range", "from", "list"})


@dataclass(frozen=True)
class Claim:
    """What one step read: usable offers, or why there are none."""

    source: str
    offers: tuple[Offer, ...] = ()
    ambiguous: str | None = None  # the step saw several products or prices compete
    note: str | None = None  # why its offers could not be used
    bound: str | None = None  # the data states only a range or a lowest price

    @property
    def values(self) -> frozenset[tuple[Decimal, str]]:
        return frozenset(
            (o.price, o.currency) for o in self.offers if o.price is not None and o.currency
        )

    @property
    def variants(self) -> int:
        """How many variants the offers are: offers alike in price and unnamed are one."""
        return len({(o.variant, o.price) for o in self.offers})

    @property
    def named(self) -> bool:
        """Several offers that can be told apart by their variant names."""
        keys = {o.variant or o.name or "" for o in self.offers}
        return len(self.offers) > 1 and len(keys) == len(self.offers)


def decide(
    claims: Sequence[Claim], evidence: Evidence, *, visible_alone: bool = True
) -> ExtractResult:
    """Publish the corroborated offers, the page's own price, or nothing with every reading."""
    priced = [c for c in claims if c.offers]
    shown = [c for c in priced if _shown(c, evidence)]
    bound = next((c.bound for c in claims if c.bound), None)
    if bound is not None and not any(len(c.values) > 1 for c in shown):
        # The page's own data says the price depends on the variant: one figure is not it.
        return _ambiguous(bound, claims, evidence)
    if shown:
        return _publish_claim(shown, priced, claims, evidence)
    current = evidence.current
    if not visible_alone and not priced:
        return _undecided(priced, claims, replace(evidence, shown=[]))
    if len(current) == 1 and visible_alone and not evidence.no_single_price:
        return _publish_visible(priced, claims, evidence)
    if not current and priced:
        agreed = _agreeing(priced)
        if agreed is not None:
            return _publish_agreed(agreed, priced, claims, evidence)
    return _undecided(priced, claims, evidence)


def _shown(claim: Claim, evidence: Evidence) -> bool:
    """The claim's amount is shown as the current price: in the product area, or, where no
    area could be found, anywhere on the page in its own context (labels, strikes, cards).
    Variants with different prices are shown when the page shows one of them, or their range."""
    roles = _VARIANT_ROLES if len(claim.values) > 1 else {CURRENT}
    if not evidence.current:
        roles = roles | {"unit"}  # the only price shown is "per yard": the product is sold so
    if any(roles & evidence.roles_of(amount, code) for amount, code in claim.values):
        return True
    if evidence.area is None:
        return any(evidence.shows_anywhere(amount, code) for amount, code in claim.values)
    return False


def _publish_claim(
    shown: list[Claim], priced: list[Claim], claims: Sequence[Claim], evidence: Evidence
) -> ExtractResult:
    main = _preferred(shown)
    values = main.values
    rivals = [c for c in shown if not c.values <= values and not values <= c.values]
    if rivals:
        error = "the page shows the prices of several readings: " + ", ".join(
            f"{c.source} {_money(c.values)}" for c in (main, *rivals)
        )
        return _ambiguous(error, claims, evidence)
    agreed = [c.source for c in priced if c.values & values] + [PAGE]
    offers = tuple(_with_page_facts(o, evidence, main.variants) for o in main.offers)
    readings = _readings(claims, evidence, agreed, offers)
    return ExtractResult(
        CheckStatus.OK,
        offers,
        source=main.source,
        tried=_tried(claims),
        readings=readings,
        agreed=tuple(agreed),
        availability=_page_stock(offers, evidence),
    )


def _preferred(shown: list[Claim]) -> Claim:
    """The most explicit corroborated claim; among equal offers, the one naming its variants."""
    main = shown[0]
    if len(main.offers) == 1:
        return main
    for claim in shown[1:]:
        if claim.named and not main.named and claim.values == main.values:
            return claim
    return main


def _publish_visible(
    priced: list[Claim], claims: Sequence[Claim], evidence: Evidence
) -> ExtractResult:
    winner = next(iter(evidence.current.values()))
    amount, currency = winner.key
    struck = {
        s.money.amount
        for s in evidence.shown
        if s.role == STRUCK and currency in s.money.currencies and s.money.amount > amount
    }
    rivals = evidence.unmarked_rivals(winner)
    if rivals:
        return _ambiguous(
            f"the page's price {winner.money.raw} stands beside another, unmarked one: "
            + ", ".join(r.money.raw for r in rivals[:3]),
            claims,
            evidence,
        )
    if priced and evidence.elsewhere_current(priced):
        return _ambiguous(
            "the readings' price is shown elsewhere on the page, the product's area shows "
            f"{winner.money.raw}: the area may not be the product's",
            claims,
            evidence,
        )
    availability = evidence.stock()
    if availability is Availability.UNKNOWN:
        stated = {o.availability for c in priced for o in c.offers} - {Availability.UNKNOWN}
        availability = stated.pop() if len(stated) == 1 else availability
    offer = Offer(
        price=amount,
        currency=currency,
        availability=availability,
        name=next((o.name for c in priced for o in c.offers if o.name), None)
        or _title_text(evidence),
        regular_price=struck.pop() if len(struck) == 1 else None,
        source=HEURISTIC,
        raw_price=winner.money.raw,
    )
    agreed = [c.source for c in priced if (amount, currency) in c.values] + [PAGE]
    return ExtractResult(
        CheckStatus.OK,
        (offer,),
        source=HEURISTIC,
        tried=_tried(claims, HEURISTIC),
        readings=_readings(claims, evidence, agreed, (offer,)),
        agreed=tuple(agreed),
        availability=availability,
    )


def _agreeing(priced: list[Claim]) -> list[Claim] | None:
    """Two or more independent sources that state the same prices, and none other; the one
    that names the variants first."""
    if len({c.values for c in priced}) != 1:
        return None
    kinds = {"schema" if c.source in _SCHEMA_MARKUPS else c.source for c in priced}
    if len(kinds) < 2:
        return None
    return sorted(priced, key=lambda c: not c.named)


def _publish_agreed(
    agreed: list[Claim], priced: list[Claim], claims: Sequence[Claim], evidence: Evidence
) -> ExtractResult:
    main = agreed[0]
    sources = [c.source for c in agreed]
    offers = tuple(_with_page_facts(o, evidence, main.variants) for o in main.offers)
    return ExtractResult(
        CheckStatus.OK,
        offers,
        source=main.source,
        tried=_tried(claims),
        readings=_readings(claims, evidence, sources, offers),
        agreed=tuple(sources),
        availability=_page_stock(offers, evidence),
    )


def _undecided(priced: list[Claim], claims: Sequence[Claim], evidence: Evidence) -> ExtractResult:
    availability = _stock_without_price(claims, evidence)
    stated = [c for c in claims if c.ambiguous]
    if not priced and not evidence.current:
        if stated:
            return _ambiguous(stated[0].ambiguous or "", claims, evidence)
        if evidence.no_single_price:
            return _ambiguous(
                "the page shows a price range, quantity tiers or a 'from' price, not one price",
                claims,
                evidence,
            )
        return ExtractResult(
            CheckStatus.NO_PRICE,
            tried=_tried(claims),
            readings=_readings(claims, evidence, [], ()),
            availability=availability,
        )
    if not priced:
        error = "the visible page shows several prices and none clearly wins"
    elif not evidence.current:
        error = (
            f"{_said(priced)}, and the page does not show it"
            if len(priced) == 1
            else f"the readings disagree ({_said(priced)}) and the page shows no price"
        )
    else:
        error = f"{_said(priced)}, but the page shows {_money(set(evidence.current))}"
    return _ambiguous(error, claims, evidence)


def _ambiguous(error: str, claims: Sequence[Claim], evidence: Evidence) -> ExtractResult:
    return ExtractResult(
        CheckStatus.AMBIGUOUS,
        source=None,
        tried=_tried(claims),
        error=error,
        readings=_readings(claims, evidence, [], ()),
        availability=_stock_without_price(claims, evidence),
    )


def _stock_without_price(claims: Sequence[Claim], evidence: Evidence) -> Availability:
    """What a page says of stock when no price is published: the page, else its data."""
    shown = evidence.stock()
    if shown is not Availability.UNKNOWN:
        return shown
    stated = {o.availability for c in claims for o in c.offers} - {Availability.UNKNOWN}
    return stated.pop() if len(stated) == 1 else Availability.UNKNOWN


def _with_page_facts(offer: Offer, evidence: Evidence, count: int) -> Offer:
    """The offer with what the page shows: its stock state, and the struck regular price."""
    availability = offer.availability
    shown = evidence.availability
    if count == 1 and shown is not Availability.UNKNOWN:
        availability = shown  # an explicit notice beats data that is often stale
    elif count == 1 and evidence.refused and not evidence.buyable:
        availability = Availability.OUT_OF_STOCK
    elif availability is Availability.UNKNOWN and count == 1:
        availability = evidence.stock()  # one variant's cart says nothing of another's
    regular = offer.regular_price
    if regular is None and count == 1 and offer.price is not None and offer.currency:
        struck = {
            s.money.amount
            for s in evidence.shown
            if s.role == STRUCK
            and offer.currency in s.money.currencies
            and offer.price < s.money.amount <= offer.price * _IMPLAUSIBLE_SALE
        }
        regular = struck.pop() if len(struck) == 1 else None
    if (availability, regular) == (offer.availability, offer.regular_price):
        return offer
    return replace(offer, availability=availability, regular_price=regular)


def _page_stock(offers: Sequence[Offer], evidence: Evidence) -> Availability:
    """The product's state: in stock when any offer is (a variant can be bought)."""
    states = [o.availability for o in offers]
    for state in (Availability.IN_STOCK, Availability.LIMITED):
        if state in states:
            return state
    known = [s for s in states if s is not Availability.UNKNOWN]
    return known[0] if known else evidence.stock()


def _readings(
    claims: Sequence[Claim], evidence: Evidence, agreed: Sequence[str], published: Sequence[Offer]
) -> tuple[Reading, ...]:
    values = {(o.price, o.currency) for o in published}
    readings = []
    for claim in claims:
        said = tuple(_money({v}) for v in sorted(claim.values))
        if claim.ambiguous:
            verdict = f"ambiguous: {claim.ambiguous}"
        elif claim.bound:
            verdict = claim.bound
        elif not claim.offers:
            verdict = claim.note or "no price"
        elif claim.source in agreed:
            verdict = "agrees" + (
                " with the page"
                if PAGE in agreed
                else " with " + ", ".join(s for s in agreed if s != claim.source)
            )
        elif claim.values & values:
            verdict = "agrees in part (another variant's price differs)"
        else:
            verdict = "contradicted: " + _page_says(claim, evidence)
        readings.append(Reading(claim.source, said, verdict))
    page = tuple(f"{s.money.raw} ({s.role})" for s in evidence.shown[:12])
    if evidence.area is None:
        verdict = "no product area found (no title or add-to-cart control near a price)"
    elif not evidence.current:
        verdict = "the product area shows no current price"
    elif len(evidence.current) == 1:
        verdict = "one current price" + (" (published)" if values & set(evidence.current) else "")
    else:
        verdict = f"{len(evidence.current)} current prices"
    stock = evidence.stock()
    if stock is not Availability.UNKNOWN:
        verdict += f"; stock: {stock}"
    readings.append(Reading(PAGE, page, verdict))
    return tuple(readings)


def _page_says(claim: Claim, evidence: Evidence) -> str:
    roles = {r for amount, code in claim.values for r in evidence.roles_of(amount, code)}
    if roles:
        return "the page shows it as " + ", ".join(sorted(roles))
    if evidence.current:
        return f"the page shows {_money(set(evidence.current))}"
    return "the page does not show it"


def _said(claims: Sequence[Claim]) -> str:
    return "; ".join(f"{c.source} says {_money(c.values)}" for c in claims)


def _money(values: set[tuple[Decimal, str]] | frozenset[tuple[Decimal, str]]) -> str:
    shown = sorted(values)[:4]
    text = ", ".join(f"{amount} {code}" for amount, code in shown)
    return text + (", …" if len(values) > 4 else "")


def _tried(claims: Sequence[Claim], *more: str) -> tuple[str, ...]:
    return (*(c.source for c in claims), *more)


def _title_text(evidence: Evidence) -> str | None:
    if evidence.title is None:
        return None
    text = " ".join("".join(evidence.title.itertext()).split())
    return text[:300] or None
