"""Bulk writing of generated rows: ids assigned up front, batched multi-row inserts of plain
tuples that already hold the stored integers (money in ten-thousandths, rates in millionths,
quantities in thousandths), all inside the caller's transaction.

On SQLite rows go straight to the driver (`executemany`), the fastest path there; elsewhere a
Core `insert()` of untyped columns lets the dialect batch them (psycopg2: multi-row VALUES).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    bindparam,
    column,
    delete,
    func,
    insert,
    select,
    table,
    text,
)
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from lta_tui.store.models import (
    AuditEvent,
    Award,
    CatalogueItem,
    CompetitionCriterion,
    ConsolidatorReport,
    ConsolidatorReportLine,
    Delivery,
    Invitation,
    MiniCompetition,
    Offer,
    OfferLine,
    OfferService,
    Order,
    OrderAmendment,
    OrderLine,
    PerformanceReview,
    RequirementLine,
    SpendFeedback,
    SubLta,
)

BATCH = 50_000
_NULL = r"\N"

#: Every table of transactions, children before parents: the order `--replace` deletes in.
TRANSACTIONAL: tuple[type[SQLModel], ...] = (
    AuditEvent,
    ConsolidatorReportLine,
    ConsolidatorReport,
    SpendFeedback,
    PerformanceReview,
    Delivery,
    OrderAmendment,
    OrderLine,
    Order,
    Award,
    OfferService,
    OfferLine,
    Offer,
    Invitation,
    RequirementLine,
    CompetitionCriterion,
    MiniCompetition,
    CatalogueItem,
    SubLta,
)

#: The stored columns of `orders` and `order_lines`, in the order of the tuples the demo and the
#: import build for `BulkWriter.insert`.
ORDER_COLUMNS = (
    "id", "po_number", "lta_id", "agency_id", "consolidator_id", "lot_id", "channel", "award_id",
    "sub_lta_id", "order_date", "currency", "fx_units_per_usd", "fx_effective_date", "fx_source",
    "destination_country", "status", "total", "total_usd", "first_total", "acknowledged_warnings",
    "cancellation_reason", "created_at", "created_by", "updated_at", "updated_by", "version",
)  # fmt: skip
LINE_COLUMNS = (
    "id", "order_id", "line_no", "kind", "service_type_id", "catalogue_item_id", "description",
    "unspsc", "unit", "quantity", "unit_price", "amount", "amount_usd", "delivered_quantity",
)  # fmt: skip

#: The tables of a million rows, whose secondary indexes are built once after a bulk load.
BIG: tuple[type[SQLModel], ...] = (Order, OrderLine, Delivery)


def _literal(value: str | int | None) -> str:
    """A constant as an SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"not a constant column value: {value!r}")
    return str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"


def sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def sqlite_datetime(value: datetime | None) -> str | None:
    # the text SQLAlchemy's SQLite DateTime writes, so stored values compare alike
    return None if value is None else value.isoformat(" ", "microseconds")


class BulkWriter:
    """Inserts rows of one table at a time; remembers counts and the ids it handed out."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self.counts: dict[str, int] = {}
        self._next_id: dict[str, int] = {}

    def ids(self, model: type[SQLModel], count: int = 1) -> int:
        """Reserve `count` consecutive ids of `model`'s table; returns the first."""
        name = model.__tablename__
        first = self._next_id.get(name)
        if first is None:
            first = (self.conn.execute(select(func.max(model.__table__.c.id))).scalar() or 0) + 1
        self._next_id[name] = first + count
        return first

    def count(self, model: type[SQLModel]) -> int:
        return self.conn.execute(select(func.count()).select_from(model.__table__)).scalar() or 0

    def insert(
        self,
        model: type[SQLModel],
        columns: Sequence[str],
        rows: Sequence[tuple],
        *,
        stored: bool = False,
        constants: Mapping[str, str | int | None] | None = None,
    ) -> None:
        """Insert `rows`: tuples in the order of `columns`. `stored`: on SQLite the rows already
        hold dates and times as the text SQLite stores (`sqlite_date`, `sqlite_datetime`).
        `constants`: columns with the same value on every row, not repeated in the tuples (on
        SQLite they are literals of the statement: fewer values to bind per row)."""
        if not rows:
            return
        name = model.__tablename__
        self.counts[name] = self.counts.get(name, 0) + len(rows)
        if self.sqlite:
            if not stored:
                rows = self._sqlite_values(model, columns, rows)
            names = [*columns, *(constants or {})]
            marks = ", ".join(
                ["?"] * len(columns) + [_literal(v) for v in (constants or {}).values()]
            )
            sql = f"INSERT INTO {name} ({', '.join(names)}) VALUES ({marks})"
            for i in range(0, len(rows), BATCH):
                self.conn.exec_driver_sql(sql, rows[i : i + BATCH])
            return
        if constants:
            tail = tuple(constants.values())
            columns = [*columns, *constants]
            rows = [row + tail for row in rows]
        if self.conn.dialect.driver == "psycopg2":
            self._copy(name, columns, rows)
            return
        statement = insert(table(name, *(column(c) for c in columns)))
        for i in range(0, len(rows), BATCH):
            self.conn.execute(
                statement, [dict(zip(columns, r, strict=True)) for r in rows[i : i + BATCH]]
            )

    def _copy(self, name: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
        """PostgreSQL's COPY: ten times the speed of multi-row INSERTs for a million lines."""
        text = io.StringIO()
        csv.writer(text).writerows(
            tuple(_NULL if v is None else v for v in row) for row in rows
        )  # an empty field would be read as NULL: NULLs get their own marker
        text.seek(0)
        cursor = self.conn.connection.dbapi_connection.cursor()
        try:
            cursor.copy_expert(
                f"COPY {name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '{_NULL}')",
                text,
            )
        finally:
            cursor.close()

    def update(self, model: type[SQLModel], column_name: str, values: dict[int, object]) -> None:
        """Set one column of rows given by id."""
        if not values:
            return
        target = table(model.__tablename__, column("id"), column(column_name))
        statement = (
            target.update()
            .where(target.c.id == bindparam("row_id"))
            .values({column_name: bindparam("new_value")})
        )
        self.conn.execute(
            statement, [{"row_id": k, "new_value": v} for k, v in sorted(values.items())]
        )

    @contextmanager
    def indexes_set_aside(self, *models: type[SQLModel]) -> Iterator[None]:
        """Drop the secondary indexes of big tables for a bulk load and build them again after,
        from their own DDL: sorting once beats a million random B-tree inserts (SQLite: 12 s
        instead of 25 s for 1M lines). Inside the transaction, so a failure restores them."""
        names = ", ".join(f"'{m.__tablename__}'" for m in models)
        if self.sqlite:
            found = self.conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                f" AND tbl_name IN ({names}) ORDER BY name"
            )
            if not self.conn.connection.dbapi_connection.in_transaction:
                raise RuntimeError("indexes are set aside only inside an open transaction")
        elif self.conn.dialect.name == "postgresql":
            found = self.conn.execute(  # not the ones behind a constraint
                text(
                    "SELECT indexname, indexdef FROM pg_indexes"
                    f" WHERE schemaname = current_schema() AND tablename IN ({names})"
                    " AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
                    "   WHERE c.conindid = format('%I.%I', schemaname, indexname)::regclass)"
                    " ORDER BY indexname"
                )
            )
        else:
            yield
            return
        indexes = found.all()
        for name, _ in indexes:
            self.conn.exec_driver_sql(f'DROP INDEX "{name}"')
        yield
        for _, sql in indexes:
            self.conn.exec_driver_sql(sql)

    def delete_transactions(self) -> None:
        """Delete every transaction row, children first; the big tables without their indexes
        (2 s instead of 11 s for 1M lines), which are empty again when rebuilt."""
        first, *rest = TRANSACTIONAL
        self.conn.execute(delete(first.__table__))  # opens the transaction
        with self.indexes_set_aside(*BIG):
            for model in rest:
                self.conn.execute(delete(model.__table__))

    def finish(self, *, analysis_limit: int = 0) -> None:
        """Move PostgreSQL's id sequences past the ids given here; refresh planner statistics.

        `analysis_limit` (SQLite): rows each index's statistics are drawn from, as SQLite's own
        `PRAGMA optimize` does (1,000: 2 ms instead of 80 ms after 200,000 lines); 0 reads all.
        """
        if self.conn.dialect.name == "postgresql":
            for name in sorted(self._next_id):
                self.conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"
                    f" COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
                )
        if self.sqlite and analysis_limit:
            self.conn.exec_driver_sql(f"PRAGMA analysis_limit = {int(analysis_limit)}")
            try:
                self.conn.exec_driver_sql("ANALYZE")
            finally:
                self.conn.exec_driver_sql("PRAGMA analysis_limit = 0")
            return
        self.conn.exec_driver_sql("ANALYZE")

    @staticmethod
    def _sqlite_values(
        model: type[SQLModel], columns: Sequence[str], rows: Sequence[tuple]
    ) -> Sequence[tuple]:
        converters: list[tuple[int, Callable]] = []
        for i, name in enumerate(columns):
            kind = model.__table__.c[name].type
            kind = getattr(kind, "impl", kind)  # a TypeDecorator stores as its impl
            if isinstance(kind, DateTime):
                converters.append((i, sqlite_datetime))
            elif isinstance(kind, Date):
                converters.append((i, sqlite_date))
        if not converters:
            return rows
        if len(converters) == 1:  # deliveries: slicing beats rebuilding the row
            i, convert = converters[0]
            return [row[:i] + (convert(row[i]),) + row[i + 1 :] for row in rows]
        out = []
        for row in rows:
            values = list(row)
            for i, convert in converters:
                values[i] = convert(values[i])
            out.append(tuple(values))
        return out
