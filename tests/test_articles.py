from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.articles import MarkerError, find_blocks, splice

OPEN = '<!-- tracker:buy-box product="cortexin" -->'
CLOSE = "<!-- /tracker:buy-box -->"


def test_finds_pairs_with_products_and_options() -> None:
    text = (
        f'a\n{OPEN}\nold\n{CLOSE}\nb\n<!-- tracker:buy-box product="x, y" style="table" -->{CLOSE}'
    )
    first, second = find_blocks(text, "a.html")
    assert first.products == ("cortexin",) and first.line == 2
    assert second.products == ("x", "y") and second.options == {"style": "table"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"x\n{OPEN}\nno end\n", "a.md:2: the buy-box marker is never closed"),
        (
            f"{OPEN}\n{OPEN}\n{CLOSE}",
            "a.md:2: a buy-box marker opens inside the one opened at line 1",
        ),
        (f"x\n\n{CLOSE}", "a.md:3: closing marker without an opening marker"),
        ("<!-- tracker:buy-box -->\n" + CLOSE, 'a.md:1: the marker needs product="slug"'),
        ('<!-- tracker:buy-box product="a" colour="red" -->' + CLOSE, "unknown attribute 'colour'"),
        ('<!-- tracker:price-box product="a" -->', "a.md:1: unknown marker 'tracker:price-box'"),
        ('<!-- tracker:buy-box product="Bad Slug" -->' + CLOSE, "'Bad Slug' is not a product slug"),
        (
            "<!-- tracker:buy-box product=cortexin -->" + CLOSE,
            "cannot read the marker's attributes",
        ),
        ('<!-- tracker:buy-box product="a" limit="x" -->' + CLOSE, "limit must be a whole number"),
    ],
)
def test_malformed_markers_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(MarkerError) as caught:
        find_blocks(text, "a.md")
    assert message in str(caught.value)


def test_splice_keeps_crlf_and_bom() -> None:
    text = f"\ufeffTitle\r\n{OPEN}\r\nold\r\n{CLOSE}\r\nTail é\r\n"
    out = splice(text, find_blocks(text, "a"), ["<p>new</p>\n<p>two</p>"])
    assert out == f"\ufeffTitle\r\n{OPEN}\r\n<p>new</p>\r\n<p>two</p>\r\n{CLOSE}\r\nTail é\r\n"


def test_splice_is_idempotent() -> None:
    text = f"a\n{OPEN}{CLOSE}\nb"
    once = splice(text, find_blocks(text, "a"), ["<p>box</p>"])
    twice = splice(once, find_blocks(once, "a"), ["<p>box</p>"])
    assert once == twice == f"a\n{OPEN}\n<p>box</p>\n{CLOSE}\nb"


# Author text never containing a marker of ours.
author_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=200
).filter(lambda t: "tracker:" not in t and "<!--" not in t)


@given(before=author_text, middle=author_text, after=author_text, box=author_text)
def test_bytes_outside_markers_never_change(before: str, middle: str, after: str, box: str) -> None:
    text = f"{before}{OPEN}{middle}{CLOSE}{after}"
    out = splice(text, find_blocks(text, "a"), [box])
    head, rest = out.split(OPEN, 1)
    _, tail = rest.split(CLOSE, 1)
    assert head == before and tail == after
    again = splice(out, find_blocks(out, "a"), [box])
    assert again == out
