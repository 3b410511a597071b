"""The spend report: USD spend of the orders that count (SPEND_STATUSES), grouped by any
combination of DIMENSIONS and narrowed by period, agencies, lots, consolidators, countries,
channels and goods/services (R21), within the user's agency scope (R26).

`spend_report` reads the per-order pre-aggregate of `store.spend`; `order_lines_total` sums the
order lines directly with the same filters, the independent check that every grouping adds up to
the order lines to the cent. `drill_filter` narrows a query to the orders behind one row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, case, func, select, type_coerce
from sqlalchemy.engine import Connection

from lta_tui.domain.money import from_units
from lta_tui.domain.periods import PeriodSize, period_bounds
from lta_tui.domain.rules import check_permission
from lta_tui.domain.states import Channel
from lta_tui.store.models import Agency, Consolidator, Lot, Order, OrderLine
from lta_tui.store.spend import (
    DIMENSIONS,
    GOODS,
    SERVICES,
    SpendFilter,
    SpendRow,
    order_kind_conditions,
    spend_conditions,
    spend_summary,
)

__all__ = [
    "DIMENSIONS",
    "DIMENSION_TITLES",
    "KINDS",
    "SpendQuery",
    "SpendQueryError",
    "SpendReport",
    "SpendRow",
    "SpendTotals",
    "drill_filter",
    "order_lines_total",
    "spend_filter",
    "spend_report",
    "spend_scope",
]

DIMENSION_TITLES: dict[str, str] = {
    "agency": "Agency",
    "lot": "Lot",
    "consolidator": "Consolidator",
    "year": "Year",
    "quarter": "Quarter",
    "month": "Month",
    "contract_year": "Contract year",
    "country": "Country",
    "channel": "Channel",
    "kind": "Goods/services",
}
#: The values of the goods/services dimension and filter (R21, per order).
KINDS = (GOODS, SERVICES)
#: The period dimensions, each the PeriodSize of the same name.
PERIOD_DIMENSIONS = ("year", "quarter", "month", "contract_year")


class SpendQueryError(ValueError):
    """A spend query that cannot run; the message is meant for the user as is."""


@dataclass(frozen=True)
class SpendQuery:
    group_by: tuple[str, ...] = ("agency",)
    date_from: date | None = None
    date_to: date | None = None
    agencies: tuple[str, ...] = ()
    lots: tuple[int, ...] = ()
    consolidators: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    #: "goods" and/or "services", per order (R21).
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpendTotals:
    orders: int
    lines: int
    goods_usd: Decimal
    services_usd: Decimal
    spend_usd: Decimal


ZERO_TOTALS = SpendTotals(0, 0, Decimal(0), Decimal(0), Decimal(0))


@dataclass(frozen=True)
class SpendReport:
    query: SpendQuery
    scope: str | None
    rows: tuple[SpendRow, ...]
    total: SpendTotals
    #: The LTA's first day (contract years start on its month and day).
    contract_start: date | None = None
    #: The LTA's reference (GP500454), shown by the exports.
    lta: str | None = None

    @property
    def titles(self) -> tuple[str, ...]:
        """The titles of the grouping's columns, in order."""
        return tuple(DIMENSION_TITLES[d] for d in self.query.group_by)


def spend_scope(cfg) -> str | None:
    """The agency whose spend the configured user sees: all agencies (None) for the Working
    Group, the own agency for a focal point or a viewer (R26)."""
    role = getattr(cfg.user.role, "value", cfg.user.role)
    return None if role == "working_group" else cfg.user.agency


def _check_query(query: SpendQuery) -> None:
    for name in query.group_by:
        if name not in DIMENSIONS:
            raise SpendQueryError(
                f"unknown spend dimension {name!r}: choose from {', '.join(DIMENSIONS)}"
            )
    if len(set(query.group_by)) != len(query.group_by):
        twice = next(d for d in query.group_by if query.group_by.count(d) > 1)
        raise SpendQueryError(f"the spend dimension {twice!r} is asked for twice")
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise SpendQueryError(
            f"the period starts ({query.date_from.isoformat()}) after it ends"
            f" ({query.date_to.isoformat()})"
        )
    for kind in query.kinds:
        if kind not in KINDS:
            raise SpendQueryError(f"unknown order kind {kind!r}: use goods or services")
    channels = [c.value for c in Channel]
    for channel in query.channels:
        if channel not in channels:
            raise SpendQueryError(f"unknown channel {channel!r}: use {' or '.join(channels)}")


def _scoped(query: SpendQuery, scope: str | None, role: str) -> SpendQuery:
    """The query within the agency scope: a scope narrows to that agency; asking a focal
    point's or viewer's report for another agency is refused by R26. For the Working Group a
    scope is a view of one agency: another agency asked for within it is pointed out."""
    if scope is None:
        return query
    for code in dict.fromkeys(c.strip().upper() for c in query.agencies):
        if code == scope.upper():
            continue
        refused = check_permission(role, scope, "read", code)
        if refused:
            raise SpendQueryError(refused[0].message)
        raise SpendQueryError(
            f"{code} is outside the agency shown ({scope}): show all agencies to see its spend"
        )
    return replace(query, agencies=(scope,))


def _ids(conn: Connection, key, label, codes, what: str, *, upper: bool = True) -> tuple:
    if not codes:
        return ()
    known = dict(conn.execute(select(key, label)).all())
    by_code: dict[object, list[int]] = {}
    for ident, code in known.items():
        by_code.setdefault(code.upper() if upper else code, []).append(ident)
    ids: list[int] = []
    for code in codes:
        wanted = code.strip().upper() if upper else code
        if wanted not in by_code:
            shown = ", ".join(str(c) for c in sorted(by_code))
            raise SpendQueryError(f"unknown {what} {code!r}: use one of {shown}")
        ids += by_code[wanted]
    return tuple(sorted(set(ids)))


def _filter(conn: Connection, query: SpendQuery) -> SpendFilter:
    return SpendFilter(
        date_from=query.date_from,
        date_to=query.date_to,
        agency_ids=_ids(conn, Agency.id, Agency.code, query.agencies, "agency"),
        lot_ids=_ids(conn, Lot.id, Lot.number, query.lots, "lot", upper=False),
        consolidator_ids=_ids(
            conn, Consolidator.id, Consolidator.code, query.consolidators, "consolidator"
        ),
        countries=tuple(c.strip().upper() for c in query.countries),
        channels=query.channels,
        kinds=query.kinds,
    )


def spend_filter(
    conn: Connection, query: SpendQuery, *, scope: str | None, role: str = "focal_point"
) -> SpendFilter:
    """`query` checked (SpendQueryError), scoped (R26) and resolved to the store's filter (ids):
    the orders a spend report of `query` counts."""
    return _prepare(conn, query, scope, role)


def _prepare(conn: Connection, query: SpendQuery, scope: str | None, role: str) -> SpendFilter:
    _check_query(query)
    _ids(conn, Agency.id, Agency.code, query.agencies, "agency")  # an unknown code first
    return _filter(conn, _scoped(query, scope, role))


def spend_report(
    conn: Connection,
    query: SpendQuery,
    *,
    scope: str | None,
    contract_start: date,
    role: str = "focal_point",
    lta: str | None = None,
) -> SpendReport:
    """The report of `query` within `scope` (None: every agency); `role` only words the R26
    refusal of another agency's spend, `lta` (the reference) is carried to the exports.
    Raises SpendQueryError for a query that cannot run."""
    where = _prepare(conn, query, scope, role)
    rows = tuple(spend_summary(conn, query.group_by, where, contract_start=contract_start))
    total = SpendTotals(
        orders=sum(r.orders for r in rows),
        lines=sum(r.lines for r in rows),
        goods_usd=sum((r.goods_usd for r in rows), Decimal(0)),
        services_usd=sum((r.services_usd for r in rows), Decimal(0)),
        spend_usd=sum((r.spend_usd for r in rows), Decimal(0)),
    )
    return SpendReport(query, scope, rows, total, contract_start, lta)


def order_lines_total(
    conn: Connection,
    query: SpendQuery,
    *,
    scope: str | None,
    contract_start: date,
    role: str = "focal_point",
) -> SpendTotals:
    """The same filters summed straight over the order lines (no per-order pre-aggregate):
    the check every spend report's total must equal to the cent."""
    where = _prepare(conn, query, scope, role)
    usd = type_coerce(OrderLine.amount_usd, BigInteger)
    stmt = select(
        func.count(func.distinct(Order.id)),
        func.count(OrderLine.id),
        func.coalesce(func.sum(case((OrderLine.kind == "goods", usd), else_=0)), 0),
        func.coalesce(func.sum(usd), 0),
    ).join(Order, Order.id == OrderLine.order_id)
    stmt = stmt.where(*spend_conditions(where), *order_kind_conditions(where.kinds))
    orders, lines, goods_units, total_units = conn.execute(stmt).one()
    goods, total = from_units(int(goods_units)), from_units(int(total_units))
    return SpendTotals(int(orders), int(lines), goods, total - goods, total)


def drill_filter(
    query: SpendQuery, row_keys: dict[str, str], *, contract_start: date
) -> SpendQuery:
    """`query` narrowed to the orders behind one row (or cell) whose keys are `row_keys`
    (dimension → key as the report shows it): a period key narrows the dates, the others the
    matching filter. Raises SpendQueryError for a key that cannot be read."""
    narrowed = query
    for name, key in row_keys.items():
        if name in PERIOD_DIMENSIONS:
            try:
                period = period_bounds(PeriodSize(name), key, contract_start)
            except ValueError as exc:
                raise SpendQueryError(str(exc)) from None
            start = max(d for d in (narrowed.date_from, period.start) if d is not None)
            end = min(d for d in (narrowed.date_to, period.end) if d is not None)
            narrowed = replace(narrowed, date_from=start, date_to=end)
        elif name == "lot":
            try:
                narrowed = replace(narrowed, lots=(int(key),))
            except ValueError:
                raise SpendQueryError(f"{key!r} is not a lot number") from None
        elif name in _TUPLE_FILTERS:
            narrowed = replace(narrowed, **{_TUPLE_FILTERS[name]: (key,)})
        else:
            raise SpendQueryError(
                f"unknown spend dimension {name!r}: choose from {', '.join(DIMENSIONS)}"
            )
    return narrowed


#: The SpendQuery filter of each non-period dimension but lot.
_TUPLE_FILTERS = {
    "agency": "agencies",
    "consolidator": "consolidators",
    "country": "countries",
    "channel": "channels",
    "kind": "kinds",
}
