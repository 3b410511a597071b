"""Rules of monitoring (DESIGN.md §2, R22–R24): concentration of a lot's spend on one holder,
price fluctuation, and reconciliation of agency spend with consolidator reports.

They read totals the caller has already summed (in SQL, over any number of lines) and say what
to flag; the thresholds come from config through the caller.
"""

from __future__ import annotations

import calendar
import statistics
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal

from lta_tui.domain.rules._ratio import as_decimal, exceeds_pct, share_pct
from lta_tui.domain.rules._render import money, percent
from lta_tui.domain.rules.findings import Finding, warning
from lta_tui.domain.rules.records import Period


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier, clamped to the month's last day (31 Mar → 28 Feb)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def concentration_window(as_of: date, months: int) -> Period:
    """The `months` months that end on `as_of`, both ends included (2025-11-16 to 2026-11-15)."""
    return Period(months_before(as_of, months) + timedelta(days=1), as_of)


def check_concentration(
    lot: int,
    spend_by_holder: Mapping[str, Decimal],
    window: Period,
    threshold_pct: int | Decimal,
) -> list[Finding]:
    """R22 (W): a holder's share of a lot's spend above the configured % (default 50) over the
    window (default 12 months, see `concentration_window`) is a concentration.

    `spend_by_holder` maps consolidator codes to their spend on the lot in the window, in one
    currency (USD); a share exactly at the threshold is not flagged.
    """
    total = sum(spend_by_holder.values(), Decimal(0))
    if total <= 0:
        return []
    found = []
    for code, spend in sorted(spend_by_holder.items()):
        if exceeds_pct(spend, total, threshold_pct):
            found.append(
                warning(
                    "R22",
                    f"{code} has {percent(share_pct(spend, total))} of lot {lot} spend"
                    f" ({money(spend, 'USD')} of {money(total, 'USD')}) from {window}"
                    f" (threshold {as_decimal(threshold_pct)} %): concentration",
                    f"holders.{code}",
                )
            )
    return found


def check_price_deviation(
    unit_price: Decimal,
    reference_prices: Sequence[Decimal],
    threshold_pct: int | Decimal,
    currency: str,
    item: str,
    *,
    median: Decimal | None = None,
) -> list[Finding]:
    """R23 (W): a unit price more than the configured % (default 15) from the median for the
    same item or UNSPSC commodity is a price fluctuation.

    `reference_prices` are the unit prices of the same `item` (a catalogue SKU or an 8-digit
    UNSPSC code) in the same `currency`; a price exactly at the threshold is not flagged.
    `median`, when the caller knows it already, is theirs (asking about many prices against a
    long list then does not sort the list each time).
    """
    if not reference_prices:
        return []
    if median is None:
        median = statistics.median(reference_prices)
    gap = abs(unit_price - median)
    if gap == 0 or not exceeds_pct(gap, median, threshold_pct):
        return []
    side = "above" if unit_price > median else "below"
    share = f"{percent(share_pct(gap, median))} " if median > 0 else ""
    count = len(reference_prices)
    return [
        warning(
            "R23",
            f"unit price {money(unit_price, currency)} for {item} is {share}{side} the median"
            f" {money(median, currency)} of {count} price{'s' if count != 1 else ''}"
            f" (threshold {as_decimal(threshold_pct)} %)",
            "unit_price",
        )
    ]


def check_reconciliation(
    agency: str,
    consolidator: str,
    agency_spend: Decimal,
    reported_spend: Decimal,
    currency: str,
    tolerance_pct: int | Decimal,
) -> list[Finding]:
    """R24 (W): agency spend and a consolidator's report differing by more than the configured %
    (default 5) are flagged for reconciliation.

    The difference is measured against the agency's own spend for the same period, in one
    currency; a difference exactly at the tolerance is not flagged.
    """
    gap = abs(agency_spend - reported_spend)
    if gap == 0 or not exceeds_pct(gap, agency_spend, tolerance_pct):
        return []
    share = f"{percent(share_pct(gap, agency_spend))}, " if agency_spend > 0 else ""
    return [
        warning(
            "R24",
            f"{agency} recorded {money(agency_spend, currency)} and {consolidator} reported"
            f" {money(reported_spend, currency)}: they differ by {money(gap, currency)}"
            f" ({share}tolerance {as_decimal(tolerance_pct)} %)",
            "reported_spend",
        )
    ]
