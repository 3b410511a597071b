"""Exact money: `Decimal` amounts with their currency, quantised to the currency's minor unit.

Amounts are stored in the database as integers of ten-thousandths (`SCALE`), which holds every
ISO 4217 currency exactly (CLF has four decimals, KWD three, JPY none).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

#: Stored integer = amount × 10**SCALE_DIGITS.
SCALE_DIGITS = 4
SCALE = 10**SCALE_DIGITS
#: Exchange rates (units per USD) are stored in millionths, quantities in thousandths.
RATE_DIGITS = 6
QUANTITY_DIGITS = 3

# ISO 4217 minor units where they differ from 2 (pycountry does not carry them).
_MINOR_UNITS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip


#: A plain decimal number, commas only between groups of three digits before the point.
_AMOUNT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$(?<=\d)")
#: A number written with a decimal comma, e.g. `1234,50` or `12,5`.
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d{1,2}$|^[+-]?\d+,\d{4,}$")


class MoneyError(ValueError):
    """An amount that cannot be represented exactly."""


def minor_units(currency: str) -> int:
    """Number of decimals of `currency` (ISO 4217 minor unit)."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def within_decimals(value: Decimal, digits: int) -> bool:
    """True when `value` has no more than `digits` decimals (trailing zeros do not count)."""
    exponent = value.normalize().as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -digits


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor unit."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def parse_amount(text: str | int | Decimal) -> Decimal:
    """Parse a user-typed amount into a Decimal, strictly: `1234.5`, `1,234.50`, `-12`, `.5`.

    A comma only groups thousands (`1,234,567.89`); a comma used as the decimal point
    (`1234,50`), misplaced grouping (`12,34`), spaces inside the number, exponents and anything
    else that is not a plain decimal number are refused with `MoneyError`.
    """
    return _parse_number(text, "an amount")


def parse_quantity(text: str | int | Decimal) -> Decimal:
    """Parse a user-typed quantity as strictly as `parse_amount` (`1,500`, `2.5`, `.25`), with
    at most `QUANTITY_DIGITS` decimals, the precision quantities are stored with.

    `1,5` (a decimal comma), `1e3`, `1 500` and `2.0005` are refused with `MoneyError`.
    Whether a quantity may be zero or negative is for the caller (R18, a delivery) to say.
    """
    quantity = _parse_number(text, "a quantity")
    scaled = quantity.scaleb(QUANTITY_DIGITS)
    if scaled != scaled.to_integral_value():
        shown = repr(text.strip()) if isinstance(text, str) else str(text)
        raise MoneyError(
            f"{shown} has more than {QUANTITY_DIGITS} decimals:"
            f" a quantity takes at most {QUANTITY_DIGITS}"
        )
    return quantity


def _parse_number(text: str | int | Decimal, what: str) -> Decimal:
    """`text` as a plain decimal number (see `parse_amount`); `what` names it in messages."""
    if isinstance(text, bool):
        raise MoneyError(f"{text!r} is not {what}")
    if isinstance(text, int):
        return Decimal(text)
    if isinstance(text, Decimal):
        if not text.is_finite():
            raise MoneyError(f"{text!r} is not a finite {what.split()[-1]}")
        return text
    typed = str(text).strip()
    if not _AMOUNT.match(typed):
        if _DECIMAL_COMMA.match(typed):
            hint = typed.replace(",", ".")
            raise MoneyError(
                f"{typed!r} is not {what}: use a point for decimals ({hint}),"
                " a comma only between thousands"
            )
        raise MoneyError(f"{typed!r} is not {what}" if typed else f"{what} is required")
    return Decimal(typed.replace(",", ""))


def to_units(amount: Decimal, digits: int = SCALE_DIGITS) -> int:
    """Decimal → stored integer; refuses anything finer than the storage scale."""
    scaled = amount.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} has more than {digits} decimals")
    return int(scaled)


def from_units(units: int, digits: int = SCALE_DIGITS) -> Decimal:
    """Stored integer → Decimal, exact."""
    return Decimal(units).scaleb(-digits)


def line_amount(quantity: Decimal, unit_price: Decimal, currency: str) -> Decimal:
    """A line's value: quantity × unit price, rounded once to the currency's minor unit."""
    return round_money(quantity * unit_price, currency)


def format_amount(amount: Decimal, currency: str) -> str:
    """The number alone, with the currency's own decimals: `1,234.50`, `150,000` (JPY)."""
    return f"{round_money(amount, currency):,.{minor_units(currency)}f}"


def format_money(amount: Decimal, currency: str | None = None) -> str:
    """`1,234.50` (or `1,234.50 EUR`) with the currency's own number of decimals."""
    text = format_amount(amount, currency or "USD")
    return f"{text} {currency}" if currency else text


def format_quantity(quantity: Decimal) -> str:
    """`12`, `1,500`, `2.5`: no trailing zeros, never an exponent."""
    return f"{quantity.normalize():,f}"
