"""The ORE rate in force on a day (R20), as orders and competitions read it: the latest rate of
the currency effective on or before the day, one indexed lookup (the unique index on currency
and effective date answers it)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from lta_tui.domain.fx import Rate
from lta_tui.domain.rules import Finding, check_rate_in_force
from lta_tui.store.models import ExchangeRate

Q_RATE = (
    select(ExchangeRate.effective_date, ExchangeRate.units_per_usd, ExchangeRate.source)
    .where(
        ExchangeRate.currency == bindparam("currency"),
        ExchangeRate.effective_date <= bindparam("on"),
    )
    .order_by(ExchangeRate.effective_date.desc())
    .limit(1)
)


def rate_on(
    conn: Connection, currency: str, on: date, *, field: str = "currency"
) -> tuple[Rate | None, list[Finding]]:
    """R20: the rate of `currency` in force on `on` (USD: 1), or None with the findings of
    `check_rate_in_force` naming the currency and the day (under `field`)."""
    if currency == "USD":
        return Rate("USD", on, Decimal(1), "USD"), []
    row = conn.execute(Q_RATE, {"currency": currency, "on": on}).first()
    rates = [Rate(currency, row[0], row[1], row[2])] if row else []
    problems = check_rate_in_force(rates, currency, on, field=field)
    return (rates[0] if rates and not problems else None), problems
