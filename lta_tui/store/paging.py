"""Keyset pagination over a SQLAlchemy Core select: pages of any depth at the cost of the first.

A `KeysetSpec` describes a browsable list (its columns, the row id, the FROM with its joins); a
`KeysetQuery` is that list under one sort and one set of WHERE clauses, and reads pages relative
to a row's *key* (the values of the sort's ORDER BY expressions), never with OFFSET. The sort is
a total order: every sortable column ends its ORDER BY with something unique (the row id by
default), so a key names exactly one position. Sortable columns must be indexed and NOT NULL.

Comparisons are spelled out as `(a > :a) OR (a = :a AND id > :id)` (no row values) so the same
SQL runs on SQLite and PostgreSQL; a leading `a >= :a` gives the planner its index range.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Boolean, Select, and_, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, FromClause

#: Formats one cell: (the column's value, the whole result row by label) -> display text.
CellFormat = Callable[[Any, Mapping[str, Any]], str]


def plain(value: Any, _row: Mapping[str, Any]) -> str:
    """Default cell text: `str(value)`, empty for NULL."""
    return "" if value is None else str(value)


@dataclass(frozen=True, eq=False)
class Column:
    """One column of a browsable list.

    `priority` 0 is always shown; higher numbers are dropped first on narrow terminals. `flex`
    columns (descriptions) take the spare width and are truncated first. `order_by` is the total
    order used when sorting on this column (default: the expression, then the row id);
    `descending_first` columns (dates, amounts) sort newest/largest first when chosen.
    """

    key: str
    title: str
    expr: ColumnElement[Any]
    width: int
    right: bool = False
    sortable: bool = False
    priority: int = 1
    flex: bool = False
    order_by: tuple[OrderTerm, ...] = ()
    format: CellFormat = plain
    descending_first: bool = False


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool = False

    def reversed(self) -> Sort:
        return Sort(self.key, not self.descending)


class Always(NamedTuple):
    """A tie-breaker of `Column.order_by` that keeps its own direction whatever the sort's
    (e.g. line numbers ascending within each order of a newest-first list)."""

    expr: ColumnElement[Any]
    descending: bool = False


OrderTerm = ColumnElement[Any] | Always


class Row(NamedTuple):
    """One display-ready row: `cells` are texts in column order; `key` positions it in the sort;
    `ref` is what opening the row refers to (the row id unless the spec says otherwise)."""

    id: int
    key: tuple[Any, ...]
    cells: tuple[str, ...]
    ref: int


@dataclass(frozen=True, eq=False)
class KeysetSpec:
    columns: tuple[Column, ...]
    id: ColumnElement[int]
    source: FromClause
    default_sort: Sort
    #: Selected for the formatters only (label them); not displayed.
    extra: tuple[ColumnElement[Any], ...] = ()
    #: What opening a row refers to (e.g. the order of a line); default: the row id.
    ref: ColumnElement[int] | None = None
    #: A narrower FROM for `count` when no filter needs the joins (see `KeysetSpec.query`).
    count_source: FromClause | None = None
    _by_key: dict[str, Column] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {c.key: c for c in self.columns})
        if self.default_sort.key not in self._by_key:
            raise ValueError(f"default sort {self.default_sort.key!r} is not a column")

    def column(self, key: str) -> Column:
        try:
            return self._by_key[key]
        except KeyError:
            raise ValueError(f"no column {key!r}") from None

    @property
    def sortable(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.sortable)

    def query(
        self,
        sort: Sort | None = None,
        where: Sequence[ColumnElement[bool]] = (),
        *,
        narrow_count: bool = False,
    ) -> KeysetQuery:
        """The list under `sort` and `where`. `narrow_count`: the filters touch only the tables
        of `count_source`, so counting can skip the joins."""
        return KeysetQuery(self, sort or self.default_sort, tuple(where), narrow_count)


class KeysetQuery:
    """Pages of one spec under one sort and filter. Methods take an open `Connection`."""

    def __init__(
        self,
        spec: KeysetSpec,
        sort: Sort,
        where: tuple[ColumnElement[bool], ...],
        narrow_count: bool = False,
    ) -> None:
        column = spec.column(sort.key)
        if not column.sortable:
            raise ValueError(f"column {sort.key!r} is not sortable")
        self.spec = spec
        self.sort = sort
        self.where = where
        self._narrow_count = narrow_count and spec.count_source is not None
        terms = column.order_by or (column.expr, spec.id)
        # (expression, walks against the sort's direction?)
        self._order = [
            (t.expr, t.descending != sort.descending) if isinstance(t, Always) else (t, False)
            for t in terms
        ]
        ref = spec.id if spec.ref is None else spec.ref
        self._base: Select[Any] = (
            select(
                spec.id.label("_id"),
                ref.label("_ref"),
                *(c.expr.label(c.key) for c in spec.columns),
                *spec.extra,
                *(e.label(f"_k{i}") for i, (e, _) in enumerate(self._order)),
            )
            .select_from(spec.source)
            .where(*where)
        )

    # --- pages ------------------------------------------------------------------------------

    def first_page(self, conn: Connection, limit: int) -> list[Row]:
        return self._fetch(conn, None, forward=True, limit=limit)

    def page_after(self, conn: Connection, key: Sequence[Any], limit: int) -> list[Row]:
        """Up to `limit` rows that follow the row whose key is `key`, in display order."""
        return self._fetch(conn, tuple(key), forward=True, limit=limit)

    def page_before(self, conn: Connection, key: Sequence[Any], limit: int) -> list[Row]:
        """Up to `limit` rows that precede the row whose key is `key`, in display order."""
        return self._fetch(conn, tuple(key), forward=False, limit=limit)

    def last_page(self, conn: Connection, limit: int) -> list[Row]:
        return self._fetch(conn, None, forward=False, limit=limit)

    def count(self, conn: Connection) -> int:
        source = self.spec.count_source if self._narrow_count else self.spec.source
        stmt = select(func.count()).select_from(source).where(*self.where)
        return int(conn.execute(stmt).scalar_one())

    # --- internals --------------------------------------------------------------------------

    def _fetch(
        self, conn: Connection, key: tuple[Any, ...] | None, *, forward: bool, limit: int
    ) -> list[Row]:
        # `ascending` is the direction the index is walked in, whatever the display order.
        ascending = forward != self.sort.descending
        stmt = self._base
        if key is not None:
            if len(key) != len(self._order):
                raise ValueError(f"a key of {len(self._order)} values expected, got {len(key)}")
            stmt = stmt.where(_beyond(self._order, key, ascending))
        order = [e.asc() if ascending != against else e.desc() for e, against in self._order]
        rows = [self._row(r._mapping) for r in conn.execute(stmt.order_by(*order).limit(limit))]
        if not forward:
            rows.reverse()
        return rows

    def _row(self, m: Mapping[str, Any]) -> Row:
        cells = tuple(c.format(m[c.key], m) for c in self.spec.columns)
        key = tuple(m[f"_k{i}"] for i in range(len(self._order)))
        return Row(m["_id"], key, cells, m["_ref"])


def _beyond(
    order: Sequence[tuple[ColumnElement[Any], bool]], values: Sequence[Any], ascending: bool
) -> ColumnElement[bool]:
    """Rows strictly after `values` in the lexicographic order of the `order` terms (each walked
    `ascending`, or against it): `e0 >= v0 AND (e0 > v0 OR (e0 = v0 AND (e1 > v1 OR ...)))`."""

    def past(term: tuple[ColumnElement[Any], bool], v: Any) -> ColumnElement[bool]:
        e, against = term
        return e > v if ascending != against else e < v

    tail = past(order[-1], values[-1])
    for term, v in zip(reversed(order[:-1]), reversed(values[:-1]), strict=True):
        tail = or_(past(term, v), and_(term[0] == v, tail))
    if len(order) == 1:
        return tail
    e0, against = order[0]
    bound = e0 >= values[0] if ascending != against else e0 <= values[0]
    return and_(bound, tail)


class unindexed(ColumnElement[Any]):  # noqa: N801 - reads as an SQL function
    """`column`, in a form SQLite's planner cannot match to an index (`+column`), to make it
    walk the sort's index when a filter on `column` is not selective; as is elsewhere."""

    inherit_cache = False  # a custom element: statements using it are compiled per use

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(unindexed)
def _unindexed(element: unindexed, compiler, **kw) -> str:
    return compiler.process(element.column, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler, **kw) -> str:
    return f"+{compiler.process(element.column, **kw)}"


class starts_with(ColumnElement[bool]):  # noqa: N801 - reads as an SQL function
    """`column` starts with `prefix`, using the column's index where the dialect allows (and
    `use_index` is set: see `unindexed`).

    SQLite's LIKE skips a BINARY index, so there it is an index range
    `column >= prefix AND column < prefix'` (prefix' = the prefix with its last character
    incremented), which under the BINARY collation is exactly "starts with" (case-sensitive), so
    a count is an index-only scan. Elsewhere (PostgreSQL) a range is only right under the "C"
    collation, so it is an escaped LIKE.
    """

    inherit_cache = False  # compiled per use: the prefix is baked into the per-dialect SQL
    type = Boolean()
    _is_implicitly_boolean = True  # a condition: no `= 1` appended where booleans are 0/1

    def __init__(self, column: ColumnElement[str], prefix: str, use_index: bool = True) -> None:
        if not prefix:
            raise ValueError("an empty prefix matches everything")
        self.column, self.prefix, self.use_index = column, prefix, use_index

    @property
    def _like(self) -> ColumnElement[bool]:
        return self.column.startswith(self.prefix, autoescape=True)


@compiles(starts_with)
def _starts_with(element: starts_with, compiler, **kw) -> str:
    return f"({compiler.process(element._like, **kw)})"


@compiles(starts_with, "sqlite")
def _starts_with_sqlite(element: starts_with, compiler, **kw) -> str:
    prefix = element.prefix
    column = element.column if element.use_index else unindexed(element.column)
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return f"({compiler.process(and_(column >= prefix, column < upper), **kw)})"
