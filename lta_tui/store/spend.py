"""The spend aggregate: USD spend of orders grouped by any of agency, lot, consolidator, period
(month, quarter, calendar year, LTA contract year), destination country, channel and
goods/services (R21, per order).

Lines are summed per order first (covering index `ix_order_lines_order_usd`), then grouped with
the order's dimensions (covering index `ix_orders_spend`): the fastest formulation on 1M lines
(reference/perf.md §2). Amounts are the stored `amount_usd` of each line (R20), so every grouping
adds up to the same total, to the cent. An order's goods/services kind comes from the same
per-order sums, by R21's rule (`order_category`): services only when the service lines exceed the
goods lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Integer, String, and_, case, cast, func, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from lta_tui.domain.money import from_units
from lta_tui.domain.states import SPEND_STATUSES
from lta_tui.store.models import Agency, Consolidator, Lot, Order, OrderLine

DIMENSIONS = (
    "agency",
    "lot",
    "consolidator",
    "year",
    "quarter",
    "month",
    "contract_year",
    "country",
    "channel",
    "kind",
)
#: The values of the "kind" dimension (R21, per order).
GOODS, SERVICES = "goods", "services"


@dataclass(frozen=True)
class SpendFilter:
    """Which orders count: each set filter narrows (a tuple: any of its values)."""

    date_from: date | None = None
    date_to: date | None = None
    agency_id: int | None = None
    lot_id: int | None = None
    consolidator_id: int | None = None
    agency_ids: tuple[int, ...] = ()
    lot_ids: tuple[int, ...] = ()
    consolidator_ids: tuple[int, ...] = ()
    countries: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    #: "goods" and/or "services" (R21, per order).
    kinds: tuple[str, ...] = ()


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


def _unknown(name: str) -> ValueError:
    return ValueError(f"unknown spend dimension {name!r}; choose from {', '.join(DIMENSIONS)}")


def order_kind(goods: ColumnElement, total: ColumnElement) -> ColumnElement:
    """R21 in SQL, from an order's goods and total USD (`order_category`): services only when
    the service lines (total - goods) exceed the goods lines."""
    return case((total - goods > goods, SERVICES), else_=GOODS)


def is_services_order() -> ColumnElement[bool]:
    """R21 in SQL for the Order row of the enclosing query: true when its service lines exceed
    its goods lines in USD (`order_kind`), false for goods (an order without lines included).
    Correlated, so a page of orders reads only its own lines."""
    lines = OrderLine.__table__.alias("r21_lines")  # type: ignore[attr-defined]
    usd = type_coerce(lines.c.amount_usd, BigInteger)
    goods = func.sum(case((lines.c.kind == "goods", usd), else_=0), type_=BigInteger)
    total = func.sum(usd, type_=BigInteger)
    return (
        select(func.count())  # an aggregate: HAVING without GROUP BY (one group, PostgreSQL too)
        .select_from(lines)
        .where(lines.c.order_id == Order.id)
        .having(total - goods > goods)
        .correlate(Order)
        .exists()
    )


def order_kind_conditions(kinds: Sequence[str]) -> list[ColumnElement[bool]]:
    """The R21 filter of `kinds` ("goods" and/or "services", per order) on the enclosing
    query's Order row: none when both or neither are asked for."""
    wanted = set(kinds)
    if wanted == {SERVICES}:
        return [is_services_order()]
    if wanted == {GOODS}:
        return [~is_services_order()]
    return []


def _dimension(name: str, dialect: str, contract_start: date | None, goods, total) -> ColumnElement:
    if name in _CODED:
        return _CODED[name][0]
    # SQLite keeps dates as ISO text already; PostgreSQL's cast to text would follow the
    # server's DateStyle, so it is formatted explicitly.
    if dialect == "sqlite":
        iso = Order.order_date
    elif dialect == "postgresql":
        iso = func.to_char(Order.order_date, "YYYY-MM-DD")
    else:
        iso = cast(Order.order_date, String(10))
    if name == "year":
        return func.substr(iso, 1, 4)
    if name == "month":
        return func.substr(iso, 1, 7)
    if name == "quarter":
        month = func.substr(iso, 6, 2)
        q = case((month <= "03", "Q1"), (month <= "06", "Q2"), (month <= "09", "Q3"), else_="Q4")
        return func.substr(iso, 1, 4) + "-" + q
    if name == "contract_year":
        if contract_start is None:
            raise ValueError("the contract_year dimension needs the LTA's start date")
        # the calendar year the LTA year starts in: a day before the start's month-day belongs
        # to the LTA year that started the calendar year before
        before = func.substr(iso, 6, 5) < f"{contract_start:%m-%d}"
        return cast(func.substr(iso, 1, 4), Integer) - case((before, 1), else_=0)
    if name == "country":
        return Order.destination_country
    if name == "channel":
        return Order.channel
    if name == "kind":
        return order_kind(goods, total)
    raise _unknown(name)


def _contract_year_label(first: object) -> str:
    year = int(first)  # type: ignore[call-overload]
    return f"{year}/{(year + 1) % 100:02d}"


def spend_conditions(where: SpendFilter) -> list[ColumnElement]:
    """The WHERE terms on Order of `where`: status counts as spend, dates, ids, countries and
    channels (not `kinds`, which needs the order's lines; callers add it)."""
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
    for column, values in (
        (Order.agency_id, where.agency_ids),
        (Order.lot_id, where.lot_ids),
        (Order.consolidator_id, where.consolidator_ids),
        (Order.destination_country, where.countries),
        (Order.channel, where.channels),
    ):
        if values:
            conditions.append(column.in_(values))
    return conditions


def spend_summary(
    conn: Connection,
    group_by: Sequence[str],
    where: SpendFilter = SpendFilter(),
    *,
    contract_start: date | None = None,
) -> list[SpendRow]:
    """One row per combination of `group_by` values (codes, lot numbers, periods, `goods` or
    `services`), sorted. `contract_start` (the LTA's first day) is needed for `contract_year`."""
    for name in group_by:
        if name not in DIMENSIONS:
            raise _unknown(name)
    unknown_kinds = set(where.kinds) - {GOODS, SERVICES}
    if unknown_kinds:
        raise ValueError(f"unknown order kind {sorted(unknown_kinds)[0]!r}: use goods or services")
    conditions = spend_conditions(where)
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
    outer = [] if narrow else conditions
    if where.kinds and set(where.kinds) != {GOODS, SERVICES}:
        outer = [*outer, order_kind(per_order.c.goods, per_order.c.total).in_(where.kinds)]
    dialect = conn.dialect.name
    keys = [
        _dimension(name, dialect, contract_start, per_order.c.goods, per_order.c.total).label(name)
        for name in group_by
    ]
    stmt = (
        select(
            *keys,
            func.count().label("orders"),
            func.sum(per_order.c.n_lines).label("lines"),
            func.sum(per_order.c.goods, type_=BigInteger).label("goods"),
            func.sum(per_order.c.total, type_=BigInteger).label("total"),
        )
        .select_from(per_order.join(Order, Order.id == per_order.c.order_id))
        .where(*outer)
    )
    if keys:
        stmt = stmt.group_by(*keys)
    names: list[Callable[[object], str]] = []
    for name in group_by:
        if name in _CODED:
            lookup = dict(conn.execute(select(_CODED[name][1], _CODED[name][2])).all())
            names.append(lambda key, lookup=lookup: str(lookup[key]))
        elif name == "contract_year":
            names.append(_contract_year_label)
        else:
            names.append(str)
    rows = []
    for *key, n_orders, n_lines, goods_units, total_units in conn.execute(stmt):
        total, goods_usd = from_units(int(total_units or 0)), from_units(int(goods_units or 0))
        rows.append(
            SpendRow(
                keys=tuple(name(value) for name, value in zip(names, key, strict=True)),
                orders=n_orders,
                lines=int(n_lines or 0),
                goods_usd=goods_usd,
                services_usd=total - goods_usd,
                spend_usd=total,
            )
        )
    rows.sort(key=lambda r: r.keys)
    return rows
