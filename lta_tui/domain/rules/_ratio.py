"""Percentages of rule thresholds, computed exactly in Decimal."""

from __future__ import annotations

from decimal import Decimal

_HUNDRED = Decimal(100)


def as_decimal(value: int | Decimal) -> Decimal:
    """A threshold from config (a whole number of percent) as an exact Decimal."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def share_pct(part: Decimal, whole: Decimal) -> Decimal:
    """`part` as a percentage of `whole` (whole must not be zero)."""
    return part * _HUNDRED / whole


def exceeds_pct(part: Decimal, whole: Decimal, pct: int | Decimal) -> bool:
    """part > pct % of whole, without dividing (a zero `whole` makes any positive part exceed)."""
    return part * _HUNDRED > as_decimal(pct) * whole


def reaches_pct(part: Decimal, whole: Decimal, pct: int | Decimal) -> bool:
    """part ≥ pct % of whole, without dividing."""
    return part * _HUNDRED >= as_decimal(pct) * whole
