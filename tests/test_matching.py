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


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("10x10mg", "10 vials x 10 mg"),
        ("10-vials-x-10-mg", "10 x 10 mg"),
        ("10 ампул по 10 мг", "10 x 10 mg"),
        ("1 g", "1000 mg"),
        ("500 µg", "0.5 mg"),
        ("500 mcg", "0,5 mg"),
        ("10 vials", "10vials"),
        ("10mg x10", "10 x 10mg"),
        ("1 l", "1000 ml"),
    ],
)
def test_variant_tokens_tolerate_writing(a: str, b: str) -> None:
    assert variant_tokens(a) == variant_tokens(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("10x10mg", "10x1mg"), ("1 g", "1 mg"), ("10 vials x 10 mg", "20 vials x 10 mg")],
)
def test_variant_tokens_keep_different_packs_apart(a: str, b: str) -> None:
    assert variant_tokens(a) != variant_tokens(b)


def test_variant_text_never_matches_a_pack_with_other_figures() -> None:
    offers = (
        Offer(Decimal("150"), "USD", name="Cortexin", variant="20 vials x 10 mg + 10 free"),
        FIVE,
    )
    result = match_offer(offers, VariantSpec(text="10 x 10 mg"))
    assert result.status is CheckStatus.UNMATCHED_VARIANT
    assert "20 vials x 10 mg + 10 free" in (result.error or "")


def test_variant_text_naming_only_the_shared_strength_is_ambiguous() -> None:
    offers = (
        Offer(Decimal("75"), "USD", name="Cortexin 10 mg", variant="10 vials"),
        Offer(Decimal("40"), "USD", name="Cortexin 10 mg", variant="5 vials"),
    )
    assert match_offer(offers, VariantSpec(text="10 mg")).status is CheckStatus.AMBIGUOUS
    found = match_offer(offers, VariantSpec(text="5 ampoules x 10 mg"))
    assert found.status is CheckStatus.OK and found.offer == offers[1]
