"""Indian digit grouping and the rupee formatter."""

from __future__ import annotations

from decimal import Decimal

import pytest

from angelctl.render.units import group_indian, inr


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1,000"),
        (65000, "65,000"),
        (250000, "2,50,000"),
        (3646500, "36,46,500"),
        (12345678901, "12,34,56,78,901"),
        (-1234567, "-12,34,567"),
    ],
)
def test_group_indian(value: int, text: str) -> None:
    assert group_indian(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("250000"), "₹2,50,000.00"),
        (Decimal("156"), "₹156.00"),
        (Decimal("0.005"), "₹0.01"),
        (Decimal("-1234.5"), "-₹1,234.50"),
        (Decimal("33500000.456"), "₹3,35,00,000.46"),
        (7, "₹7.00"),
        ("1051.3", "₹1,051.30"),
    ],
)
def test_inr(value: Decimal | int | str, text: str) -> None:
    assert inr(value) == text
