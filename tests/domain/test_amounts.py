"""Strict amounts and quantities typed by users: a point for decimals, commas only between
thousands, quantities to at most three decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lta_tui.domain.money import QUANTITY_DIGITS, MoneyError, parse_amount, parse_quantity

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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", D(2)),
        ("2.5", D("2.5")),
        ("1,500", D(1500)),
        ("1,500.125", D("1500.125")),
        (".25", D("0.25")),
        (" 12 ", D(12)),
        ("2.5000", D("2.5")),  # trailing zeros: still three decimals of value
        (3, D(3)),
        (D("0.001"), D("0.001")),
    ],
)
def test_quantities_accepted(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,5", "'1,5' is not a quantity: use a point for decimals \\(1.5\\)"),
        ("12,25", "use a point for decimals \\(12.25\\)"),
        ("1e3", "'1e3' is not a quantity"),
        ("1E-2", "is not a quantity"),
        ("1 500", "is not a quantity"),
        ("2.", "is not a quantity"),
        ("abc", "is not a quantity"),
        ("", "a quantity is required"),
        ("2.0005", "'2.0005' has more than 3 decimals: a quantity takes at most 3"),
        (D("1.23456"), "1.23456 has more than 3 decimals"),
        (D("NaN"), "not a finite quantity"),
        (False, "is not a quantity"),
    ],
)
def test_quantities_refused(text, message):
    with pytest.raises(MoneyError, match=message):
        parse_quantity(text)


def test_a_quantity_has_the_decimals_it_is_stored_with():
    """`parse_quantity` allows exactly what `to_units(q, QUANTITY_DIGITS)` can store."""
    from lta_tui.domain.money import to_units

    finest = "0." + "0" * (QUANTITY_DIGITS - 1) + "1"
    assert to_units(parse_quantity(finest), QUANTITY_DIGITS) == 1
    with pytest.raises(MoneyError):
        parse_quantity(finest + "1")
