"""Every order line behind a spend query, one row per line, for the Annual Statistical Report
(ASR) and any spreadsheet: the order's date, PO, agency, consolidator, lot, channel, status and
destination, the line's goods/services kind and the order's (R21), the item, the amounts in the
order's currency and in USD at the order's stored rate (R20).

The lines come from the database as a stream (Core select, `yield_per`: never the whole result
and never ORM objects) and go to CSV or XLSX through `exports.tabular.write_table`: constant
memory, progress, cancellation, and no file left behind when the export fails or is cancelled.
Only orders in SPEND_STATUSES count, as in the spend summary, so the `amount_usd` column adds up
to the summary's total to the cent.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import date
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sqlalchemy import BigInteger, String, and_, func, select, type_coerce
from sqlalchemy.engine import Connection, Engine

from lta_tui.domain.money import (
    QUANTITY_DIGITS,
    RATE_DIGITS,
    SCALE_DIGITS,
    from_units,
    minor_units,
)
from lta_tui.domain.rules import order_category
from lta_tui.domain.states import LineKind
from lta_tui.exports.cells import FORMULA_STARTS, safe_cell
from lta_tui.exports.tabular import (
    TABLE_FORMATS,
    Progress,
    csv_value,
    write_csv_rows,
    write_table,
)
from lta_tui.services.spend import spend_filter
from lta_tui.store.models import Agency, Consolidator, Lot, Order, OrderLine
from lta_tui.store.spend import order_kind_conditions, spend_conditions

if TYPE_CHECKING:
    from lta_tui.services.spend import SpendQuery

#: The columns of a line export, in order (README "Exporting order lines"): the order's, then
#: the line's.
LINE_COLUMNS: tuple[str, ...] = (
    "order_date",
    "year",
    "po_number",
    "agency",
    "consolidator",
    "lot",
    "channel",
    "status",
    "destination_country",
    "order_kind",
    "currency",
    "rate_per_usd",
    "rate_date",
    "line_no",
    "line_kind",
    "unspsc",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "amount_usd",
)
#: Column widths of the XLSX sheet.
_WIDTHS = (11, 6, 20, 9, 13, 4, 16, 19, 8, 10, 8, 12, 11, 5, 9, 10, 40, 9, 7, 12, 14, 14)
#: Rows fetched from the database at a time.
YIELD_PER = 5000

#: Both kinds as the ASR names them (a line's stored kind is "goods" or "service").
GOODS, SERVICES = "goods", "services"
_KIND_NAMES = {LineKind.goods.value: GOODS, LineKind.service.value: SERVICES}
_ORDER_KIND = {LineKind.goods: GOODS, LineKind.service: SERVICES}

#: Powers of ten by exponent, for turning stored integers into decimals.
_STEP = tuple(10**n for n in range(RATE_DIGITS + 1))


def _one_kind(kinds: tuple[str, ...]) -> str | None:
    """The only order kind asked for, or None when both count."""
    wanted = set(kinds)
    return next(iter(wanted)) if len(wanted) == 1 else None


def count_lines(
    conn: Connection,
    query: SpendQuery,
    *,
    scope: str | None,
    role: str = "focal_point",
) -> int:
    """How many lines `export_lines` writes for `query` within `scope`."""
    return _count(conn, spend_filter(conn, query, scope=scope, role=role))


def _count(conn: Connection, where) -> int:
    stmt = (
        select(func.count())
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(*spend_conditions(where), *order_kind_conditions(where.kinds))
    )
    return int(conn.execute(stmt).scalar_one())


def _raw(column):
    return type_coerce(column, BigInteger)


def _lines_statement(where):
    """The lines of the matching orders, raw (stored integers), by order date, order and line
    number."""
    return (
        select(
            Order.id,
            type_coerce(Order.order_date, String),
            OrderLine.line_no,
            OrderLine.kind,
            OrderLine.unspsc,
            OrderLine.description,
            _raw(OrderLine.quantity),
            OrderLine.unit,
            _raw(OrderLine.unit_price),
            _raw(OrderLine.amount),
            _raw(OrderLine.amount_usd),
        )
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(and_(*spend_conditions(where)))
        .order_by(Order.order_date, Order.id, OrderLine.line_no)
    )


def _orders_statement(where):
    """The matching orders' own columns, in the order of `_lines_statement`."""
    return (
        select(
            Order.id,
            type_coerce(Order.order_date, String),
            Order.po_number,
            Agency.code,
            Consolidator.code,
            Lot.number,
            Order.channel,
            Order.status,
            Order.destination_country,
            Order.currency,
            _raw(Order.fx_units_per_usd),
            type_coerce(Order.fx_effective_date, String),
        )
        .select_from(Order)
        .join(Agency, Agency.id == Order.agency_id)
        .join(Consolidator, Consolidator.id == Order.consolidator_id)
        .join(Lot, Lot.id == Order.lot_id)
        .where(and_(*spend_conditions(where)))
        .order_by(Order.order_date, Order.id)
    )


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _money(units: int, shown: int) -> Decimal:
    """Stored money units as a Decimal with `shown` decimals, or with every stored digit when
    the value is finer (a unit price may be)."""
    step = _STEP[SCALE_DIGITS - shown]
    if units % step:
        return Decimal(units).scaleb(-SCALE_DIGITS)
    return Decimal(units // step).scaleb(-shown)


#: `%` formats of a non-negative amount by its decimals, from (units, fraction).
_AMOUNT_TEXT = ("%d", "%d.%01d", "%d.%02d", "%d.%03d", "%d.%04d")


def _money_text(units: int, shown: int) -> str:
    """`csv_value(_money(units, shown))` without making the Decimal (the CSV export's amounts:
    a quarter of its time went into them)."""
    step = _STEP[SCALE_DIGITS - shown]
    if units < 0 or units % step:
        return csv_value(_money(units, shown))
    if not shown:
        return str(units // step)
    return _AMOUNT_TEXT[shown] % divmod(units // step, _STEP[shown])


def _plain(units: int, digits: int) -> Decimal:
    """A stored quantity or rate without trailing zeros: 12, 2.5, 0.923."""
    step = _STEP[digits]
    if units % step:
        return Decimal(units).scaleb(-digits).normalize()
    return Decimal(units // step)


def _plain_text(units: int, digits: int) -> str:
    return csv_value(_plain(units, digits))


def iter_lines(
    conn: Connection,
    query: SpendQuery,
    *,
    scope: str | None,
    role: str = "focal_point",
) -> Iterator[tuple]:
    """The rows of LINE_COLUMNS for `query` within `scope`, streamed from the database: dates as
    dates, amounts as exact Decimals in the currency's decimals (USD: cents), quantities and
    rates without trailing zeros, the order's goods/services kind by R21 (`order_category` over
    its USD lines), text neutralised for a spreadsheet (`safe_cell`): every cell as CSV writes
    it (`exports.tabular.is_prepared`).

    Raises SpendQueryError at once (before the first row) for a query that cannot run."""
    return _stream(conn, spend_filter(conn, query, scope=scope, role=role))


def _csv_rows(conn: Connection, where) -> Iterator[tuple]:
    """The rows of `iter_lines` as CSV writes them: `csv_value` of each cell, made straight
    from the stored integers (the test suite holds the two to the same text)."""
    return _stream(conn, where, text=True)


def _stream(conn: Connection, where, *, text: bool = False) -> Iterator[tuple]:
    """The rows of `where`'s lines, typed (dates, Decimals) or, with `text`, with every date and
    number already as CSV writes it (`csv_value`)."""
    return chain.from_iterable(_by_order(conn, where, text))


def _by_order(conn: Connection, where, text: bool) -> Iterator[list[tuple]]:
    """The rows of each order in turn (a list per order: the rows then flow through `chain`
    without a Python step per line).

    Lines and their orders come from two queries in the same order (order date, order), merged
    here: an order's columns are read once per order rather than once per line, which nearly
    halves what the database hands over for a million lines."""
    only = _one_kind(where.kinds)
    result = _batches(conn, _lines_statement(where))
    orders = _Orders(conn, where)
    safe, risky = safe_cell, FORMULA_STARTS
    kind_names = _KIND_NAMES
    money, plain = (_money_text, _plain_text) if text else (_money, _plain)
    quantities: dict[int, Decimal | str] = {}
    prices_by_currency: dict[str, dict[int, Decimal | str]] = {}
    order_id, order, lines, goods, services = None, None, [], 0, 0
    cents = _AMOUNT_TEXT[2]
    shown, prices, step, fraction, pattern = 2, {}, 100, 100, cents
    with closing(result), closing(orders):
        for part in result:
            for (ident, day, line_no, kind, unspsc, description, quantity, unit, price, amount,
                 usd) in part:  # fmt: skip
                if ident != order_id:
                    if lines:
                        yield _order_rows(order, lines, goods, services, only, text)
                    order = orders.find(ident, day)
                    order_id, lines, goods, services = ident, [], 0, 0
                    currency = order[9]
                    shown = minor_units(currency)
                    prices = prices_by_currency.setdefault(currency, {})
                    step, fraction = _STEP[SCALE_DIGITS - shown], _STEP[shown]
                    pattern = _AMOUNT_TEXT[shown]
                if kind == "goods":
                    goods += usd
                else:
                    services += usd
                q = quantities.get(quantity)
                if q is None:
                    q = quantities[quantity] = plain(quantity, QUANTITY_DIGITS)
                p = prices.get(price)
                if p is None:
                    p = prices[price] = money(price, shown)
                lines.append(
                    (
                        line_no,
                        kind_names.get(kind, kind),
                        safe(unspsc) if unspsc.startswith(risky) else unspsc,
                        safe(description) if description.startswith(risky) else description,
                        q,
                        safe(unit) if unit.startswith(risky) else unit,
                        p,
                        # the common case of `_money_text` inline (a million lines, two each)
                        pattern % divmod(amount // step, fraction)
                        if text and shown and amount >= 0 and not amount % step
                        else money(amount, shown),
                        cents % divmod(usd // 100, 100)
                        if text and usd >= 0 and not usd % 100
                        else money(usd, 2),
                    )
                )
        if lines:
            yield _order_rows(order, lines, goods, services, only, text)


def _batches(conn: Connection, stmt) -> Generator[Sequence[Sequence], None, None]:
    """The rows of `stmt` in batches of YIELD_PER, streamed. On SQLite straight from the
    driver's cursor, the statement compiled with its values inline (dates, ids and codes of a
    checked filter): a million lines then skip SQLAlchemy's row objects, 7 % of the export's
    time. The columns are raw (integers, text) either way."""
    if conn.dialect.name != "sqlite":
        result = conn.execution_options(stream_results=True, yield_per=YIELD_PER).execute(stmt)
        with result:
            yield from result.partitions()
        return
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(YIELD_PER):
            yield batch
    finally:
        cursor.close()


class _Orders:
    """The matching orders' rows, read along with the lines (both streams run in the same order:
    order date, then order id)."""

    def __init__(self, conn: Connection, where) -> None:
        self.conn, self.where = conn, where
        self.result = _batches(conn, _orders_statement(where))
        self.rows = chain.from_iterable(self.result)
        self.ahead: Sequence | None = None  # read from the stream, not yet asked for

    def find(self, ident: int, day) -> Sequence:
        """The row of order `ident` (dated `day`). An order the stream does not hold (written
        between the two queries on a database giving each statement its own snapshot) is read
        on its own."""
        key = (day, ident)
        while True:
            order = self.ahead if self.ahead is not None else next(self.rows, None)
            self.ahead = None
            if order is None:
                break
            if order[0] == ident:
                return order
            if (order[1], order[0]) > key:
                self.ahead = order  # passed it: keep it for a later line
                break
        stmt = _orders_statement(self.where).where(Order.id == ident).order_by(None)
        return self.conn.execute(stmt).one()

    def close(self) -> None:
        self.result.close()


def _order_rows(
    order, lines, goods: int, services: int, only: str | None, text: bool
) -> list[tuple]:
    """The rows of one order: its columns (with its R21 kind), then each line's."""
    kind = _ORDER_KIND[order_category(from_units(goods), from_units(services))]
    if only is not None and kind != only:
        return []
    (_, day, po, agency, consolidator, lot, channel, status, country, currency, rate,
     rate_day) = order  # fmt: skip
    day, rate_day, rate = _day(day), _day(rate_day), _plain(rate, RATE_DIGITS)
    safe = safe_cell
    head = (
        day, day.year, safe(po), safe(agency), safe(consolidator), lot, safe(channel),
        safe(status), safe(country), kind, safe(currency), rate, rate_day,
    )  # fmt: skip
    if text:
        head = tuple(cell if isinstance(cell, str) else csv_value(cell) for cell in head)
    return [head + line for line in lines]


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose statements all see the database as it was at the first one: the
    count, the lines and the orders read by separate statements then agree while others write.
    PostgreSQL needs REPEATABLE READ (READ COMMITTED, its default, gives each statement its own
    snapshot); SQLite an explicit BEGIN (its Python driver opens none for a SELECT, so each
    statement would read on its own). Ends with a rollback: nothing is written."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        elif engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")
        yield conn


def export_lines(
    engine: Engine,
    query: SpendQuery,
    fmt: str,
    path: str | os.PathLike[str],
    *,
    scope: str | None,
    role: str = "focal_point",
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """Write every line behind `query` (within `scope`) to `path` as `fmt` (csv or xlsx),
    streamed and atomically: `progress(done, total)` every few thousand rows, `cancelled()`
    asked as often, raising ExportCancelled with no file written (an older file at `path`
    stays as it was); any failure leaves no file either. Returns the path written."""
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use {' or '.join(TABLE_FORMATS)}")
    with _snapshot(engine) as conn:
        where = spend_filter(conn, query, scope=scope, role=role)
        total = _count(conn, where) if progress is not None else None
        rows = _csv_rows(conn, where) if fmt == "csv" else _stream(conn, where)
        return write_table(
            path,
            fmt,
            LINE_COLUMNS,
            rows,
            total=total,
            progress=progress,
            cancelled=cancelled,
            sheet="Order lines",
            widths=_WIDTHS,
            prepared=True,
        )


def write_lines_csv(
    engine: Engine,
    query: SpendQuery,
    stream: TextIO,
    *,
    scope: str | None,
    role: str = "focal_point",
    progress: Progress | None = None,
) -> int:
    """The CSV of `export_lines` written to an open text stream (standard output); returns the
    number of lines. A query that cannot run raises SpendQueryError before the header."""
    with _snapshot(engine) as conn:
        where = spend_filter(conn, query, scope=scope, role=role)
        total = _count(conn, where) if progress is not None else None
        return write_csv_rows(
            stream,
            LINE_COLUMNS,
            _csv_rows(conn, where),
            total=total,
            progress=progress,
            prepared=True,
        )
