"""UN operational rates of exchange: the browse list and one currency's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.engine import Connection

from lta_tui.services.browse import BrowseQuery, Page, sorted_page, text_condition
from lta_tui.store.models import ExchangeRate


@dataclass(frozen=True)
class RateRow:
    id: int
    currency: str
    effective_date: date
    units_per_usd: Decimal
    source: str


def list_rates(conn: Connection, query: BrowseQuery) -> Page[RateRow]:
    """Rates whose currency (or source) contains the filter text; newest first by default."""
    stmt = select(
        ExchangeRate.id,
        ExchangeRate.currency,
        ExchangeRate.effective_date,
        ExchangeRate.units_per_usd,
        ExchangeRate.source,
    )
    cond = text_condition(query.text, [ExchangeRate.currency, ExchangeRate.source])
    if cond is not None:
        stmt = stmt.where(cond)
    sorts = {
        "effective_date": ExchangeRate.effective_date,
        "currency": ExchangeRate.currency,
        "units_per_usd": ExchangeRate.units_per_usd,
        "source": ExchangeRate.source,
    }
    if not query.sort:
        query = BrowseQuery(query.text, "effective_date", True, query.agency, query.limit)
    tiebreak = [ExchangeRate.currency, ExchangeRate.effective_date.desc()]
    rows, total, key = sorted_page(conn, stmt, query, sorts, tiebreak)
    return Page(
        rows=[RateRow(*r) for r in rows], total=total, sort=key, descending=query.descending
    )


def rate_history(conn: Connection, currency: str) -> list[RateRow]:
    """Every rate of one currency, oldest first."""
    return [
        RateRow(*r)
        for r in conn.execute(
            select(
                ExchangeRate.id,
                ExchangeRate.currency,
                ExchangeRate.effective_date,
                ExchangeRate.units_per_usd,
                ExchangeRate.source,
            )
            .where(ExchangeRate.currency == currency)
            .order_by(ExchangeRate.effective_date)
        )
    ]
