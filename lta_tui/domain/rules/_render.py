"""How rule messages show values: money with its currency, percentages, dates, moments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from lta_tui.domain.money import format_money, minor_units

_TENTH = Decimal("0.1")


def money(amount: Decimal, currency: str) -> str:
    """`1,234.50 EUR`; unit prices finer than the currency's minor unit keep every digit."""
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > minor_units(currency):
        return f"{amount.normalize():,f} {currency}"
    return format_money(amount, currency)


def percent(value: Decimal) -> str:
    """`62.5 %` (one decimal, half up)."""
    return f"{value.quantize(_TENTH, rounding=ROUND_HALF_UP)} %"


def day(value: date) -> str:
    return value.isoformat()


def moment(value: datetime) -> str:
    """`2026-03-10 12:00 UTC`."""
    zone = value.tzname()
    return f"{value:%Y-%m-%d %H:%M}" + (f" {zone}" if zone else "")


def line_field(line_no: int | None, name: str) -> str:
    """The field a finding about one line belongs to: `lines.2.unit_price`."""
    return name if line_no is None else f"lines.{line_no}.{name}"


def line_prefix(line_no: int | None) -> str:
    return "" if line_no is None else f"line {line_no}: "
