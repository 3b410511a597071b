"""What every browse list shares: the query a screen asks for (filter text, sort, agency scope,
row cap) and the page of plain rows it gets back.

Filtering and sorting happen in SQL with portable expressions; a list holds at most
`BrowseQuery.limit` rows and says how many matched, so a small screen table stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

RowT = TypeVar("RowT")

#: Rows a browse list shows at most; the rest is reached by filtering.
DEFAULT_LIMIT = 500


class UnknownSort(ValueError):
    """A sort key the list does not offer."""


@dataclass(frozen=True)
class BrowseQuery:
    text: str = ""
    sort: str = ""  # one of the list's sort keys; "" means the list's default order
    descending: bool = False
    agency: str | None = None  # an agency code to show only its records; None shows all
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class Page(Generic[RowT]):
    rows: list[RowT]
    total: int  # rows matching the filter, of which `rows` holds the first `limit`
    sort: str
    descending: bool


def text_condition(text: str, columns: Sequence[ColumnElement]) -> ColumnElement | None:
    """Every word of `text` must appear (case-insensitively) in one of `columns`."""
    words = text.split()
    if not words:
        return None
    return and_(*(or_(*(c.icontains(w, autoescape=True) for c in columns)) for w in words))


def sorted_page(
    conn: Connection,
    stmt: Select,
    query: BrowseQuery,
    sorts: Mapping[str, ColumnElement],
    tiebreak: Iterable[ColumnElement],
) -> tuple[list, int, str]:
    """Run `stmt` sorted by `query.sort` (a key of `sorts`) and capped at `query.limit`.

    Returns (rows, number of matching rows, sort key used).
    """
    key = query.sort or next(iter(sorts))
    if key not in sorts:
        raise UnknownSort(f"cannot sort on {key!r}; choose from {', '.join(sorts)}")
    total = conn.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))
    expr = sorts[key]
    order = expr.desc() if query.descending else expr.asc()
    # Empty values last in either direction, the same on SQLite and PostgreSQL.
    rows = conn.execute(stmt.order_by(expr.is_(None), order, *tiebreak).limit(query.limit)).all()
    return rows, int(total.scalar_one()), key
