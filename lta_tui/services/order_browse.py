"""Browsing orders and order lines: the two list specs, their filters and their pages.

Both lists page with keyset queries (`store.paging`); every sortable column is indexed. The
filter language of the `/` box is parsed by `order_filter.parse_filter`.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from sqlalchemy import BigInteger, Engine, func, or_, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from lta_tui.domain.money import format_amount, format_quantity, from_units
from lta_tui.domain.states import Channel, OrderStatus
from lta_tui.services.order_detail import OrderDetail, OrderNotFound, order_detail
from lta_tui.services.order_filter import FilterError, OrderFilter, Vocabulary, parse_filter
from lta_tui.store.models import Agency, Consolidator, Lot, Order, OrderLine
from lta_tui.store.paging import (
    Always,
    Column,
    KeysetQuery,
    KeysetSpec,
    Row,
    Sort,
    starts_with,
    unindexed,
)
from lta_tui.store.spend import order_kind_conditions

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
    "orders_usd",
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
        return format_amount(value, row[currency_label])

    return fmt


def _usd(value: Decimal | None, _row: Mapping[str, Any]) -> str:
    return "" if value is None else format_amount(value, "USD")


def _quantity(value: Decimal | None, _row: Mapping[str, Any]) -> str:
    return "" if value is None else format_quantity(value)


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


def where_clauses(flt: OrderFilter, *, unindexed_ranges: bool = False) -> list[ColumnElement[bool]]:
    """The filter as WHERE clauses over `orders` (and `order_lines` for UNSPSC).

    `unindexed_ranges`: the date range and UNSPSC prefixes are written so that SQLite does not
    read them from their indexes (see `_dense`)."""
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
    order_date = unindexed(Order.order_date) if unindexed_ranges else Order.order_date
    if flt.date_from is not None:
        where.append(order_date >= flt.date_from)
    if flt.date_to is not None:
        where.append(order_date <= flt.date_to)
    where += order_kind_conditions(flt.asr)
    if flt.unspsc:
        use_index = not unindexed_ranges
        where.append(or_(*(starts_with(OrderLine.unspsc, p, use_index) for p in flt.unspsc)))
    return where


#: Sorts that walk the index of a range filter anyway (then the range is always indexed).
_RANGE_SORTS = {"date": "dates", "unspsc": "unspsc"}


def _ranges(flt: OrderFilter) -> set[str]:
    ranges = set()
    if flt.date_from is not None or flt.date_to is not None:
        ranges.add("dates")
    if flt.unspsc:
        ranges.add("unspsc")
    return ranges


_dense_cache: OrderedDict[tuple[Any, ...], bool] = OrderedDict()
_dense_lock = threading.Lock()


def _dense(conn: Connection, view: View, flt: OrderFilter, limit: int) -> bool:
    """Whether so many rows pass the filter that a page is read faster by walking the sort's
    index and skipping non-matching rows than by reading every match from the filter's index
    and sorting them: with m matches out of n rows, the first costs about limit·n/m rows, the
    second m, so the filter is dense when m ≥ √(limit·n). Counted up to that bound only
    (a few ms) and remembered per database, view and filter."""
    cache_key = (str(conn.engine.url), view, flt, limit)
    with _dense_lock:
        if cache_key in _dense_cache:
            _dense_cache.move_to_end(cache_key)
            return _dense_cache[cache_key]
    spec = SPECS[view]
    rows = conn.execute(select(func.max(spec.id))).scalar() or 0
    bound = max(1000, math.isqrt(limit * rows))
    matches = select(spec.id).select_from(spec.source).where(*where_clauses(flt)).limit(bound)
    found = conn.execute(select(func.count()).select_from(matches.subquery())).scalar_one()
    dense = found >= bound
    with _dense_lock:
        _dense_cache[cache_key] = dense
        while len(_dense_cache) > 64:
            _dense_cache.popitem(last=False)
    return dense


def _page_query(
    conn: Connection, view: View, flt: OrderFilter, sort: Sort, limit: int
) -> KeysetQuery:
    """`browse_query`, with the filter's ranges unindexed when walking the sort's index is
    faster (SQLite's planner prefers any range it can read from an index)."""
    ranges = _ranges(flt) - {_RANGE_SORTS.get(sort.key)}
    if ranges and conn.dialect.name == "sqlite" and _dense(conn, view, flt, limit):
        return browse_query(view, flt, sort, unindexed_ranges=True)
    return browse_query(view, flt, sort)


def browse_query(
    view: View, flt: OrderFilter, sort: Sort | None = None, *, unindexed_ranges: bool = False
) -> KeysetQuery:
    """The keyset query of one view under a filter and a sort (default: newest first)."""
    spec = SPECS[view]
    # Lines can be counted without the join when only line columns are filtered.
    narrow = view is View.lines and not flt.touches_orders
    where = where_clauses(flt, unindexed_ranges=unindexed_ranges)
    return spec.query(sort, where, narrow_count=narrow or view is View.orders)


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
    with engine.connect() as conn:
        query = _page_query(conn, view, flt, sort, limit)
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


def orders_usd(engine: Engine, flt: OrderFilter) -> tuple[int, Decimal]:
    """How many orders pass the filter and the USD sum of their lines (the stored `amount_usd`
    of each line, like the spend summary): the figures a spend drill-down is checked against."""
    matching = select(Order.id).where(*where_clauses(flt)).correlate(None)
    usd = func.sum(type_coerce(OrderLine.amount_usd, BigInteger), type_=BigInteger)
    with engine.connect() as conn:
        orders = conn.execute(select(func.count()).select_from(matching.subquery())).scalar_one()
        units = conn.execute(select(usd).where(OrderLine.order_id.in_(matching))).scalar_one()
    return orders, from_units(units or 0)


def load_vocabulary(engine: Engine) -> Vocabulary:
    """The agency and consolidator codes and lot numbers, for checking a filter as it is typed."""
    with engine.connect() as conn:
        agencies = frozenset(conn.execute(select(Agency.code)).scalars())
        consolidators = frozenset(conn.execute(select(Consolidator.code)).scalars())
        lots = frozenset(conn.execute(select(Lot.number)).scalars())
    return Vocabulary(agencies, consolidators, lots)
