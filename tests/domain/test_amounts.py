"""Strict amounts typed by users: a point for decimals, commas only between thousands."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lta_tui.domain.money import MoneyError, parse_amount

D = Decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", D("1234.5")),
        ("1,234.50", D("1234.50")),
        ("12,345,678.9", D("12345678.9")),
        ("1,234", D("1234")),
        ("-12", D(-12)),
        ("+3.25", D("3.25")),
        (".5", D("0.5")),
        (" 42 ", D(42)),
        ("0.3081", D("0.3081")),
        (7, D(7)),
        (D("1.5"), D("1.5")),
    ],
)
def test_amounts_accepted(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1234,50", "use a point for decimals \\(1234.50\\)"),
        ("12,5", "use a point for decimals"),
        ("12,34", "use a point for decimals"),
        ("1 234.50", "is not an amount"),
        ("1e5", "is not an amount"),
        ("12.", "is not an amount"),
        ("1,23,456", "is not an amount"),
        ("abc", "is not an amount"),
        ("NaN", "is not an amount"),
        ("", "an amount is required"),
        (D("Infinity"), "not a finite amount"),
        (True, "is not an amount"),
    ],
)
def test_amounts_refused(text, message):
    with pytest.raises(MoneyError, match=message):
        parse_amount(text)
