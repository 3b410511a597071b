"""The spend aggregate: USD spend of orders grouped by any of agency, lot, consolidator, period,
destination country and channel.

Lines are summed per order first (covering index `ix_order_lines_order_usd`), then grouped with
the order's dimensions (covering index `ix_orders_spend`): the fastest formulation on 1M lines
(reference/perf.md §2). Amounts are the stored `amount_usd` of each line (R20), so every grouping
adds up to the same total, to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, String, and_, case, cast, func, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from lta_tui.domain.money import from_units
from lta_tui.domain.states import OrderStatus
from lta_tui.store.models import Agency, Consolidator, Lot, Order, OrderLine

#: Orders that count as spend: placed with the consolidator and not cancelled.
SPEND_STATUSES = (
    OrderStatus.issued,
    OrderStatus.partially_delivered,
    OrderStatus.delivered,
    OrderStatus.closed,
)

DIMENSIONS = ("agency", "lot", "consolidator", "year", "quarter", "month", "country", "channel")


@dataclass(frozen=True)
class SpendFilter:
    date_from: date | None = None
    date_to: date | None = None
    agency_id: int | None = None
    lot_id: int | None = None
    consolidator_id: int | None = None


@dataclass(frozen=True)
class SpendRow:
    keys: tuple[str, ...]
    orders: int
    lines: int
    goods_usd: Decimal
    services_usd: Decimal
    spend_usd: Decimal


def _dimension(name: str) -> tuple[ColumnElement, list]:
    """(expression, joins) for one grouping dimension; codes rather than ids for display."""
    iso = cast(Order.order_date, String(10))
    if name == "agency":
        return Agency.code, [(Agency, Agency.id == Order.agency_id)]
    if name == "lot":
        return cast(Lot.number, String(2)), [(Lot, Lot.id == Order.lot_id)]
    if name == "consolidator":
        return Consolidator.code, [(Consolidator, Consolidator.id == Order.consolidator_id)]
    if name == "year":
        return func.substr(iso, 1, 4), []
    if name == "month":
        return func.substr(iso, 1, 7), []
    if name == "quarter":
        month = cast(func.substr(iso, 6, 2), String(2))
        q = case((month <= "03", "Q1"), (month <= "06", "Q2"), (month <= "09", "Q3"), else_="Q4")
        return func.substr(iso, 1, 4) + "-" + q, []
    if name == "country":
        return Order.destination_country, []
    if name == "channel":
        return Order.channel, []
    raise ValueError(f"unknown spend dimension {name!r}; choose from {', '.join(DIMENSIONS)}")


def spend_summary(
    conn: Connection, group_by: Sequence[str], where: SpendFilter = SpendFilter()
) -> list[SpendRow]:
    """One row per combination of `group_by` values, sorted by those values."""
    usd = type_coerce(OrderLine.amount_usd, BigInteger)  # raw stored units: converted once, below
    goods = func.sum(case((OrderLine.kind == "goods", usd), else_=0), type_=BigInteger)
    per_order = (
        select(
            OrderLine.order_id.label("order_id"),
            func.count().label("n_lines"),
            goods.label("goods"),
            func.sum(usd, type_=BigInteger).label("total"),
        )
        .group_by(OrderLine.order_id)
        .subquery("per_order")
    )
    conditions = [Order.status.in_([s.value for s in SPEND_STATUSES])]
    if where.date_from:
        conditions.append(Order.order_date >= where.date_from)
    if where.date_to:
        conditions.append(Order.order_date <= where.date_to)
    for column, value in (
        (Order.agency_id, where.agency_id),
        (Order.lot_id, where.lot_id),
        (Order.consolidator_id, where.consolidator_id),
    ):
        if value is not None:
            conditions.append(column == value)
    keys, joins = [], []
    for name in group_by:
        expr, needed = _dimension(name)
        keys.append(expr.label(name))
        joins.extend(j for j in needed if j not in joins)
    source = per_order.join(Order, Order.id == per_order.c.order_id)
    for table, on in joins:
        source = source.join(table, on)
    stmt = (
        select(
            *keys,
            func.count().label("orders"),
            func.sum(per_order.c.n_lines).label("lines"),
            func.sum(per_order.c.goods, type_=BigInteger).label("goods"),
            func.sum(per_order.c.total, type_=BigInteger).label("total"),
        )
        .select_from(source)
        .where(and_(*conditions))
    )
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    rows = []
    for row in conn.execute(stmt):
        total = from_units(int(row.total or 0))
        goods_usd = from_units(int(row.goods or 0))
        rows.append(
            SpendRow(
                keys=tuple(str(row[i]) for i in range(len(keys))),
                orders=row.orders,
                lines=int(row.lines or 0),
                goods_usd=goods_usd,
                services_usd=total - goods_usd,
                spend_usd=total,
            )
        )
    return rows
