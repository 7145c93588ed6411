"""WCAG 2 contrast ratios, as the browser test of the box computes them."""

from __future__ import annotations


def luminance(rgb: list[float]) -> float:
    """Relative luminance of an sRGB colour (0-255 channels)."""

    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: list[float], two: list[float]) -> float:
    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_ratio_formula() -> None:
    assert round(contrast([0, 0, 0], [255, 255, 255]), 1) == 21.0
    assert round(contrast([118, 118, 118], [255, 255, 255]), 2) == 4.54  # the AA grey
    # The old dark-mode "In stock" colour on a light host page: the bug of the issue.
    assert contrast([0x4A, 0xDE, 0x80], [255, 255, 255]) < 2
