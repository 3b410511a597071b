"""Money of the demo in its stored form: integers of ten-thousandths of a currency unit.

`line_units` and `usd_units` give exactly what `domain.money.line_amount` and `domain.fx.to_usd`
give (round half up to the minor unit, resp. the cent), in integers: a million lines in well
under a second instead of several seconds of `Decimal` work. tests/test_demo.py checks every
stored line against the domain functions.
"""

from __future__ import annotations

from lta_tui.domain.money import QUANTITY_DIGITS, RATE_DIGITS, SCALE, SCALE_DIGITS, minor_units

MILLI = 10**QUANTITY_DIGITS
MICRO = 10**RATE_DIGITS
CENT = SCALE // 100


def quantum(currency: str) -> int:
    """Stored units in one minor unit of `currency` (USD 100, JPY 10000, KWD 10)."""
    return 10 ** (SCALE_DIGITS - minor_units(currency))


def line_units(quantity_milli: int, price_units: int, step: int) -> int:
    """quantity × unit price, rounded half up to `step` (the currency's `quantum`)."""
    scale = MILLI * step
    return (quantity_milli * price_units + scale // 2) // scale * step


def usd_units(amount_units: int, rate_micro: int) -> int:
    """amount ÷ units per USD, rounded half up to the cent."""
    numerator = amount_units * MICRO
    denominator = rate_micro * CENT
    return (2 * numerator + denominator) // (2 * denominator) * CENT


def price_units(value: float, currency: str) -> int:
    """A price as a seller would quote it: to the minor unit under 100, whole units up to
    100,000, hundreds above (JPY laptops), never zero."""
    step = quantum(currency)
    if value >= 100_000:
        step = max(step, 100 * SCALE)
    elif value >= 100:
        step = max(step, SCALE)
    return max(step, round(value * SCALE / step) * step)


def nice_ceiling(value_units: float) -> int:
    """A ceiling rounded up to two significant figures of whole units."""
    whole = max(int(value_units // SCALE) + 1, 1000)
    magnitude = 10 ** max(len(str(whole)) - 2, 0)
    return -(-whole // magnitude) * magnitude * SCALE
