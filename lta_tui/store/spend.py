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
from lta_tui.domain.states import SPEND_STATUSES
from lta_tui.store.models import Agency, Consolidator, Lot, Order, OrderLine

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


#: Dimensions grouped by the order's foreign key, then named from a small lookup table.
_CODED = {
    "agency": (Order.agency_id, Agency.id, Agency.code),
    "lot": (Order.lot_id, Lot.id, Lot.number),
    "consolidator": (Order.consolidator_id, Consolidator.id, Consolidator.code),
}


def _dimension(name: str, dialect: str) -> ColumnElement:
    if name in _CODED:
        return _CODED[name][0]
    # SQLite keeps dates as ISO text already; elsewhere the cast gives the same text.
    iso = Order.order_date if dialect == "sqlite" else cast(Order.order_date, String(10))
    if name == "year":
        return func.substr(iso, 1, 4)
    if name == "month":
        return func.substr(iso, 1, 7)
    if name == "quarter":
        month = func.substr(iso, 6, 2)
        q = case((month <= "03", "Q1"), (month <= "06", "Q2"), (month <= "09", "Q3"), else_="Q4")
        return func.substr(iso, 1, 4) + "-" + q
    if name == "country":
        return Order.destination_country
    if name == "channel":
        return Order.channel
    raise ValueError(f"unknown spend dimension {name!r}; choose from {', '.join(DIMENSIONS)}")


def _conditions(where: SpendFilter) -> list[ColumnElement]:
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
    return conditions


def spend_summary(
    conn: Connection, group_by: Sequence[str], where: SpendFilter = SpendFilter()
) -> list[SpendRow]:
    """One row per combination of `group_by` values (codes, lot numbers, periods), sorted."""
    conditions = _conditions(where)
    usd = type_coerce(OrderLine.amount_usd, BigInteger)  # raw stored units: converted once, below
    goods = func.sum(case((OrderLine.kind == "goods", usd), else_=0), type_=BigInteger)
    per_order = select(
        OrderLine.order_id.label("order_id"),
        func.count().label("n_lines"),
        goods.label("goods"),
        func.sum(usd, type_=BigInteger).label("total"),
    ).group_by(OrderLine.order_id)
    narrow = len(conditions) > 1
    if narrow:
        # Sum only the lines of the matching orders, found through the orders' indexes.
        matching = select(Order.id).where(and_(*conditions))
        per_order = per_order.where(OrderLine.order_id.in_(matching))
    per_order = per_order.subquery("per_order")
    keys = [_dimension(name, conn.dialect.name).label(name) for name in group_by]
    stmt = (
        select(
            *keys,
            func.count().label("orders"),
            func.sum(per_order.c.n_lines).label("lines"),
            func.sum(per_order.c.goods, type_=BigInteger).label("goods"),
            func.sum(per_order.c.total, type_=BigInteger).label("total"),
        )
        .select_from(per_order.join(Order, Order.id == per_order.c.order_id))
        .where(*([] if narrow else conditions))
    )
    if keys:
        stmt = stmt.group_by(*keys)
    names = {
        name: dict(conn.execute(select(_CODED[name][1], _CODED[name][2])).all())
        for name in group_by
        if name in _CODED
    }
    lookups = [names.get(name) for name in group_by]
    width = len(group_by)
    rows = []
    for *key, n_orders, n_lines, goods_units, total_units in conn.execute(stmt):
        total, goods_usd = from_units(int(total_units or 0)), from_units(int(goods_units or 0))
        rows.append(
            SpendRow(
                keys=tuple(
                    str(key[i] if lookups[i] is None else lookups[i][key[i]]) for i in range(width)
                ),
                orders=n_orders,
                lines=int(n_lines or 0),
                goods_usd=goods_usd,
                services_usd=total - goods_usd,
                spend_usd=total,
            )
        )
    rows.sort(key=lambda r: r.keys)
    return rows
