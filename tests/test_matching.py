from __future__ import annotations

from decimal import Decimal

import pytest

from tracker.domain import CheckStatus, Offer, VariantSpec
from tracker.matching import match_offer, variant_tokens

TEN = Offer(Decimal("75"), "USD", name="Cortexin", variant="10 vials x 10 mg", sku="CTX-10X10")
FIVE = Offer(Decimal("45"), "USD", name="Cortexin", variant="10 vials x 5 mg", sku="CTX-10X5")
OFFERS = (TEN, FIVE)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("10 x 10 mg", "10mg x 10 vials"),
        ("10 x 10 mg", "10 ampoules 10 mg"),
        ("10 vials x 10 mg", "10 Vials × 10 MG"),
        ("2,5 mg", "2.5mg"),
        ("5 ml x 10", "10 ampoules of 5 ml"),
    ],
)
def test_variant_tokens_are_order_free(a: str, b: str) -> None:
    assert variant_tokens(a) == variant_tokens(b)


@pytest.mark.parametrize(("a", "b"), [("10 x 10 mg", "10 x 5 mg"), ("10 mg", "10 ml")])
def test_variant_tokens_differ(a: str, b: str) -> None:
    assert variant_tokens(a) != variant_tokens(b)


@pytest.mark.parametrize(
    ("spec", "status", "expected"),
    [
        (VariantSpec(sku="CTX-10X5"), CheckStatus.OK, FIVE),
        (VariantSpec(sku="ctx-10x10"), CheckStatus.OK, TEN),
        (VariantSpec(text="10 vials x 5 mg"), CheckStatus.OK, FIVE),
        (VariantSpec(text="10mg x 10 vials"), CheckStatus.OK, TEN),
        (VariantSpec(text="10 ampoules 10 mg"), CheckStatus.OK, TEN),
        (VariantSpec(position=2), CheckStatus.OK, FIVE),
        (VariantSpec(sku="GONE"), CheckStatus.UNMATCHED_VARIANT, None),
        (VariantSpec(text="20 vials x 10 mg"), CheckStatus.UNMATCHED_VARIANT, None),
        (VariantSpec(position=3), CheckStatus.UNMATCHED_VARIANT, None),
        (VariantSpec(), CheckStatus.AMBIGUOUS, None),
    ],
)
def test_match_offer(spec: VariantSpec, status: CheckStatus, expected: Offer | None) -> None:
    result = match_offer(OFFERS, spec)
    assert result.status is status
    assert result.offer == expected


def test_unmatched_names_the_candidates() -> None:
    result = match_offer(OFFERS, VariantSpec(sku="GONE"))
    assert "10 vials x 10 mg" in (result.error or "") and "10 vials x 5 mg" in (result.error or "")


def test_single_offer_needs_no_spec_and_no_price_is_reported() -> None:
    assert match_offer((TEN,), VariantSpec()).offer == TEN
    unpriced = Offer(None, "USD", name="x")
    assert match_offer((unpriced,), VariantSpec()).status is CheckStatus.NO_PRICE
