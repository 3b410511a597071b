"""Sub-LTAs: the browse list with each one's consumption of its ceiling, and its catalogue.

Consumption (R15) is measured in the ceiling's currency: the `total` of the sub-LTA's orders
that count as spend (direct orders are in the sub-LTA's currency, R13) against its ceiling. The
USD figures beside it (the orders' stored `total_usd`, R20, and the ceiling at the rate in force
on the day asked about) are for reading only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Float, Select, case, cast, func, literal, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from lta_tui.domain.fx import Rate, to_usd
from lta_tui.domain.money import RATE_DIGITS, from_units
from lta_tui.domain.states import SPEND_STATUSES
from lta_tui.services.browse import BrowseQuery, Page, sorted_page, text_condition
from lta_tui.store.models import (
    Agency,
    CatalogueItem,
    Consolidator,
    ExchangeRate,
    Lot,
    Order,
    SubLta,
)

_RATE_SCALE = 10**RATE_DIGITS  # the stored form of 1 unit per USD


class SubLtaNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Consumption:
    ceiling: Decimal
    currency: str
    units_per_usd: Decimal | None  # None: no rate in force, so no USD ceiling
    ceiling_usd: Decimal | None
    consumed_usd: Decimal
    consumed: Decimal  # in the ceiling's currency

    @property
    def pct(self) -> Decimal | None:
        if not self.ceiling:
            return None
        return self.consumed * 100 / self.ceiling


@dataclass(frozen=True)
class SubLtaRow:
    id: int
    reference: str
    agency: str
    consolidator: str
    valid_from: date
    valid_to: date
    consumption: Consumption


def consumed_usd_subquery(sub_lta_ids: Select | None = None):
    """Spend per sub-LTA: the `total_usd` (`units`) and `total` (`local_units`, the sub-LTA's
    currency) of its orders in spend statuses; only of the sub-LTAs `sub_lta_ids` selects."""
    stmt = select(
        Order.sub_lta_id.label("sub_lta_id"),
        func.sum(type_coerce(Order.total_usd, BigInteger)).label("units"),
        func.sum(type_coerce(Order.total, BigInteger)).label("local_units"),
    ).where(
        Order.sub_lta_id.is_not(None),
        Order.status.in_([s.value for s in SPEND_STATUSES]),
    )
    if sub_lta_ids is not None:
        stmt = stmt.where(Order.sub_lta_id.in_(sub_lta_ids))
    return stmt.group_by(Order.sub_lta_id).subquery("consumed")


def rate_in_force_units(on: date) -> ColumnElement:
    """The stored rate (millionths of units per USD) in force for the sub-LTA's currency."""
    latest = (
        select(type_coerce(ExchangeRate.units_per_usd, BigInteger))
        .where(ExchangeRate.currency == SubLta.currency, ExchangeRate.effective_date <= on)
        .order_by(ExchangeRate.effective_date.desc())
        .limit(1)
        .correlate(SubLta)
        .scalar_subquery()
    )
    return case((SubLta.currency == "USD", literal(_RATE_SCALE)), else_=latest)


def consumption_pct_sort(local_units: ColumnElement) -> ColumnElement:
    """An approximate consumption ratio, for ordering rows only (never shown or summed)."""
    ceiling = type_coerce(SubLta.ceiling, BigInteger)
    return cast(func.coalesce(local_units, 0), Float) / (cast(ceiling, Float) + 1e-9)


def consumption_of(
    ceiling: Decimal,
    currency: str,
    rate_units: int | None,
    consumed_units: int | None,
    local_units: int | None,
    on: date,
) -> Consumption:
    consumed_usd, consumed = from_units(int(consumed_units or 0)), from_units(int(local_units or 0))
    if rate_units is None:
        return Consumption(ceiling, currency, None, None, consumed_usd, consumed)
    units_per_usd = from_units(int(rate_units), RATE_DIGITS)
    ceiling_usd = to_usd(ceiling, Rate(currency, on, units_per_usd)) if units_per_usd else None
    return Consumption(ceiling, currency, units_per_usd, ceiling_usd, consumed_usd, consumed)


def with_consumption(today: date, scope: Select, *columns: ColumnElement) -> tuple[Select, Any]:
    """`columns` of sub-LTAs (joined to their agency and consolidator) followed by the five
    values `consumption_of` takes: ceiling, currency, rate in force, consumed USD and consumed
    in the ceiling's currency. Consumption is summed for the sub-LTAs `scope` selects."""
    consumed = consumed_usd_subquery(scope)
    stmt = (
        select(
            *columns,
            SubLta.ceiling,
            SubLta.currency,
            rate_in_force_units(today).label("rate_units"),
            consumed.c.units,
            consumed.c.local_units,
        )
        .join(Agency, Agency.id == SubLta.agency_id)
        .join(Consolidator, Consolidator.id == SubLta.consolidator_id)
        .outerjoin(consumed, consumed.c.sub_lta_id == SubLta.id)
    )
    return stmt, consumed


def list_sub_ltas(conn: Connection, query: BrowseQuery, today: date) -> Page[SubLtaRow]:
    """Sub-LTAs matching `query` (reference, agency, consolidator, currency)."""
    scope = select(SubLta.id)
    if query.agency:
        scope = scope.join(Agency, Agency.id == SubLta.agency_id).where(Agency.code == query.agency)
    stmt, consumed = with_consumption(
        today,
        scope,
        SubLta.id,
        SubLta.reference,
        Agency.code,
        Consolidator.code,
        SubLta.valid_from,
        SubLta.valid_to,
    )
    if query.agency:
        stmt = stmt.where(Agency.code == query.agency)
    cond = text_condition(
        query.text, [SubLta.reference, Agency.code, Consolidator.code, SubLta.currency]
    )
    if cond is not None:
        stmt = stmt.where(cond)
    sorts = {
        "reference": SubLta.reference,
        "agency": Agency.code,
        "consolidator": Consolidator.code,
        "valid_from": SubLta.valid_from,
        "valid_to": SubLta.valid_to,
        "ceiling": SubLta.ceiling,
        "consumption": consumption_pct_sort(consumed.c.local_units),
    }
    rows, total, key = sorted_page(conn, stmt, query, sorts, [SubLta.id])
    return Page(
        rows=[
            SubLtaRow(
                id=r[0],
                reference=r[1],
                agency=r[2],
                consolidator=r[3],
                valid_from=r[4],
                valid_to=r[5],
                consumption=consumption_of(*r[-5:], today),
            )
            for r in rows
        ],
        total=total,
        sort=key,
        descending=query.descending,
    )


# --- one sub-LTA -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueRow:
    sku: str
    description: str
    lot: int
    unspsc: str
    unit: str
    unit_price: Decimal
    currency: str
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class SubLtaDetail:
    id: int
    reference: str
    agency: str
    agency_name: str
    consolidator: str
    consolidator_name: str
    valid_from: date
    valid_to: date
    consumption: Consumption
    orders: int
    items: list[CatalogueRow]


def catalogue_rows(conn: Connection, where: ColumnElement[bool]) -> list[CatalogueRow]:
    """Catalogue items matching `where`, by lot and SKU, every validity (the order date decides
    which may be ordered, R13)."""
    stmt = (
        select(
            CatalogueItem.sku,
            CatalogueItem.description,
            Lot.number,
            CatalogueItem.unspsc,
            CatalogueItem.unit,
            CatalogueItem.unit_price,
            CatalogueItem.currency,
            CatalogueItem.valid_from,
            CatalogueItem.valid_to,
        )
        .join(Lot, Lot.id == CatalogueItem.lot_id)
        .where(where)
        .order_by(Lot.number, CatalogueItem.sku)
    )
    return [CatalogueRow(*r) for r in conn.execute(stmt)]


def sub_lta_detail(conn: Connection, sub_lta_id: int, today: date) -> SubLtaDetail:
    stmt, _ = with_consumption(
        today,
        select(literal(sub_lta_id)),
        SubLta.id,
        SubLta.reference,
        Agency.code,
        Agency.name,
        Consolidator.code,
        Consolidator.name,
        SubLta.valid_from,
        SubLta.valid_to,
    )
    head = conn.execute(stmt.where(SubLta.id == sub_lta_id)).first()
    if head is None:
        raise SubLtaNotFound(f"no sub-LTA with id {sub_lta_id}")
    orders = conn.execute(
        select(func.count()).where(
            Order.sub_lta_id == sub_lta_id,
            Order.status.in_([s.value for s in SPEND_STATUSES]),
        )
    ).scalar_one()
    items = catalogue_rows(conn, CatalogueItem.sub_lta_id == sub_lta_id)
    return SubLtaDetail(
        id=head[0],
        reference=head[1],
        agency=head[2],
        agency_name=head[3],
        consolidator=head[4],
        consolidator_name=head[5],
        valid_from=head[6],
        valid_to=head[7],
        consumption=consumption_of(*head[-5:], today),
        orders=int(orders),
        items=items,
    )
