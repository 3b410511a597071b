"""Browsing orders and order lines: the two list specs, their filters and their pages.

Both lists page with keyset queries (`store.paging`); every sortable column is indexed. The
filter language of the `/` box is parsed by `order_filter.parse_filter`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from sqlalchemy import Engine, or_, select
from sqlalchemy.sql import ColumnElement

from lta_tui.domain.money import minor_units, round_money
from lta_tui.domain.states import Channel, OrderStatus
from lta_tui.services.order_detail import OrderDetail, OrderNotFound, order_detail
from lta_tui.services.order_filter import FilterError, OrderFilter, Vocabulary, parse_filter
from lta_tui.store.models import Agency, Consolidator, Lot, Order, OrderLine
from lta_tui.store.paging import Always, Column, KeysetQuery, KeysetSpec, Row, Sort, starts_with

__all__ = [
    "LINES",
    "ORDERS",
    "FilterError",
    "OrderDetail",
    "OrderFilter",
    "OrderNotFound",
    "View",
    "Vocabulary",
    "browse_query",
    "count_rows",
    "fetch_page",
    "load_vocabulary",
    "order_detail",
    "parse_filter",
]

Direction = Literal["first", "after", "before", "last"]


class View(str, Enum):
    orders = "orders"
    lines = "lines"


# --- cell formats ----------------------------------------------------------------------------

_STATUS_LABELS = {OrderStatus.partially_delivered.value: "part. delivered"}
_CHANNEL_LABELS = {Channel.mini_competition.value: "competition"}


def _amount(currency_label: str):
    """Money in the row's currency (`currency_label` names the selected currency column)."""

    def fmt(value: Decimal | None, row: Mapping[str, Any]) -> str:
        if value is None:
            return ""
        currency = row[currency_label]
        return f"{round_money(value, currency):,.{minor_units(currency)}f}"

    return fmt


def _usd(value: Decimal | None, _row: Mapping[str, Any]) -> str:
    return "" if value is None else f"{round_money(value, 'USD'):,.2f}"


def _quantity(value: Decimal | None, _row: Mapping[str, Any]) -> str:
    if value is None:
        return ""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


def _status(value: str, _row: Mapping[str, Any]) -> str:
    return _STATUS_LABELS.get(value, value)


def _channel(value: str, _row: Mapping[str, Any]) -> str:
    return _CHANNEL_LABELS.get(value, value)


def _iso(value: Any, _row: Mapping[str, Any]) -> str:
    return value.isoformat() if value is not None else ""


# --- the two lists ---------------------------------------------------------------------------

_order_currency = Order.currency.label("_currency")

ORDERS = KeysetSpec(
    columns=(
        Column("po", "PO number", Order.po_number, 18, sortable=True, priority=0),
        Column(
            "date",
            "Date",
            Order.order_date,
            10,
            sortable=True,
            priority=0,
            format=_iso,
            descending_first=True,
        ),
        Column("agency", "Agency", Agency.code, 13, priority=2),
        Column("cons", "Cons.", Consolidator.code, 6, priority=5),
        Column("lot", "Lot", Lot.number, 3, right=True, priority=6),
        Column("channel", "Channel", Order.channel, 11, sortable=True, priority=7, format=_channel),
        Column("status", "Status", Order.status, 15, sortable=True, priority=3, format=_status),
        Column("cur", "Cur", Order.currency, 3, sortable=True, priority=4),
        Column(
            "total",
            "Total",
            Order.total,
            15,
            right=True,
            sortable=True,
            priority=8,
            format=_amount("_currency"),
            descending_first=True,
        ),
        Column(
            "usd",
            "Total USD",
            Order.total_usd,
            15,
            right=True,
            sortable=True,
            priority=0,
            format=_usd,
            descending_first=True,
        ),
        Column("country", "Dest", Order.destination_country, 4, sortable=True, priority=9),
    ),
    id=Order.id,
    source=Order.__table__.join(Agency, Agency.id == Order.agency_id)
    .join(Consolidator, Consolidator.id == Order.consolidator_id)
    .join(Lot, Lot.id == Order.lot_id),
    default_sort=Sort("date", descending=True),
    extra=(_order_currency,),
    count_source=Order.__table__,
)

LINES = KeysetSpec(
    columns=(
        Column(
            "po",
            "PO number",
            Order.po_number,
            18,
            sortable=True,
            priority=0,
            order_by=(Order.po_number, Always(OrderLine.line_no)),
        ),
        Column(
            "date",
            "Date",
            Order.order_date,
            10,
            sortable=True,
            priority=3,
            format=_iso,
            descending_first=True,
            order_by=(Order.order_date, Order.id, Always(OrderLine.line_no)),
        ),
        Column("agency", "Agency", Agency.code, 13, priority=5),
        Column("line", "#", OrderLine.line_no, 3, right=True, priority=6),
        Column("kind", "Kind", OrderLine.kind, 7, priority=8),
        Column("description", "Description", OrderLine.description, 20, priority=0, flex=True),
        Column("unspsc", "UNSPSC", OrderLine.unspsc, 8, sortable=True, priority=4),
        Column("qty", "Qty", OrderLine.quantity, 7, right=True, priority=7, format=_quantity),
        Column(
            "price",
            "Unit price",
            OrderLine.unit_price,
            13,
            right=True,
            priority=10,
            format=_amount("_currency"),
        ),
        Column("cur", "Cur", Order.currency, 3, priority=2),
        Column(
            "amount",
            "Amount",
            OrderLine.amount,
            14,
            right=True,
            priority=9,
            format=_amount("_currency"),
        ),
        Column(
            "usd",
            "Amount USD",
            OrderLine.amount_usd,
            14,
            right=True,
            sortable=True,
            priority=0,
            format=_usd,
            descending_first=True,
        ),
    ),
    id=OrderLine.id,
    ref=OrderLine.order_id,
    source=OrderLine.__table__.join(Order, Order.id == OrderLine.order_id).join(
        Agency, Agency.id == Order.agency_id
    ),
    default_sort=Sort("date", descending=True),
    extra=(_order_currency,),
    count_source=OrderLine.__table__,
)

SPECS: dict[View, KeysetSpec] = {View.orders: ORDERS, View.lines: LINES}


# --- filters as SQL --------------------------------------------------------------------------


def where_clauses(flt: OrderFilter) -> list[ColumnElement[bool]]:
    """The filter as WHERE clauses over `orders` (and `order_lines` for UNSPSC)."""
    where: list[ColumnElement[bool]] = []
    if flt.po_prefixes:
        variants = {v for p in flt.po_prefixes for v in (p, p.upper())}
        where.append(or_(*(starts_with(Order.po_number, p) for p in sorted(variants))))
    if flt.agencies:
        codes = select(Agency.id).where(Agency.code.in_(flt.agencies)).correlate(None)
        where.append(Order.agency_id.in_(codes))
    if flt.scope is not None:
        scope = select(Agency.id).where(Agency.code == flt.scope).correlate(None)
        where.append(Order.agency_id.in_(scope))
    if flt.consolidators:
        codes = select(Consolidator.id).where(Consolidator.code.in_(flt.consolidators))
        codes = codes.correlate(None)
        where.append(Order.consolidator_id.in_(codes))
    if flt.lots:
        lots = select(Lot.id).where(Lot.number.in_(flt.lots)).correlate(None)
        where.append(Order.lot_id.in_(lots))
    for column, values in (
        (Order.status, flt.statuses),
        (Order.channel, flt.channels),
        (Order.currency, flt.currencies),
        (Order.destination_country, flt.countries),
    ):
        if values:
            where.append(column.in_(values))
    if flt.date_from is not None:
        where.append(Order.order_date >= flt.date_from)
    if flt.date_to is not None:
        where.append(Order.order_date <= flt.date_to)
    if flt.unspsc:
        where.append(or_(*(starts_with(OrderLine.unspsc, p) for p in flt.unspsc)))
    return where


def browse_query(view: View, flt: OrderFilter, sort: Sort | None = None) -> KeysetQuery:
    """The keyset query of one view under a filter and a sort (default: newest first)."""
    spec = SPECS[view]
    # Lines can be counted without the join when only line columns are filtered.
    narrow = view is View.lines and not flt.touches_orders
    return spec.query(sort, where_clauses(flt), narrow_count=narrow or view is View.orders)


def fetch_page(
    engine: Engine,
    view: View,
    flt: OrderFilter,
    sort: Sort,
    direction: Direction,
    key: Sequence[Any] | None,
    limit: int,
) -> list[Row]:
    """One page of a view: the first or last, or the one after/before the row with `key`."""
    query = browse_query(view, flt, sort)
    with engine.connect() as conn:
        if direction == "first":
            return query.first_page(conn, limit)
        if direction == "last":
            return query.last_page(conn, limit)
        if key is None:
            raise ValueError(f"a {direction!r} page needs the key of a row")
        if direction == "after":
            return query.page_after(conn, key, limit)
        return query.page_before(conn, key, limit)


def count_rows(engine: Engine, view: View, flt: OrderFilter) -> int:
    """How many rows of `view` pass the filter."""
    with engine.connect() as conn:
        return browse_query(view, flt).count(conn)


def load_vocabulary(engine: Engine) -> Vocabulary:
    """The agency and consolidator codes and lot numbers, for checking a filter as it is typed."""
    with engine.connect() as conn:
        agencies = frozenset(conn.execute(select(Agency.code)).scalars())
        consolidators = frozenset(conn.execute(select(Consolidator.code)).scalars())
        lots = frozenset(conn.execute(select(Lot.number)).scalars())
    return Vocabulary(agencies, consolidators, lots)
