"""UN Operational Rates of Exchange (ORE): currency units per USD, effective-dated."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lta_tui.domain.money import round_money


@dataclass(frozen=True)
class Rate:
    currency: str
    effective_date: date
    units_per_usd: Decimal
    source: str = "UN ORE"


class MissingRate(LookupError):
    def __init__(self, currency: str, on: date) -> None:
        super().__init__(f"no UN operational rate for {currency} on or before {on.isoformat()}")
        self.currency, self.on = currency, on


def rate_in_force(rates: Sequence[Rate], currency: str, on: date) -> Rate:
    """R20: the rate whose effective date is the latest on or before `on`.

    `rates` holds one currency's rates sorted by effective date. USD needs no rate.
    """
    if currency == "USD":
        return Rate("USD", date.min, Decimal(1), "identity")
    dates = [r.effective_date for r in rates]
    i = bisect_right(dates, on)
    if i == 0:
        raise MissingRate(currency, on)
    return rates[i - 1]


def to_usd(amount: Decimal, rate: Rate) -> Decimal:
    """Convert an amount in `rate.currency` to USD, rounded to the cent (R20)."""
    return round_money(amount / rate.units_per_usd, "USD")
