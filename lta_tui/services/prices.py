"""The price monitor: unit prices of the same thing across agencies, consolidators and time
(issue 5, point 6; DESIGN.md §2 R23).

A "thing" is a catalogue item (its SKU, whichever sub-LTA lists it) or a UNSPSC commodity (the
8-digit code of a goods line). Each price is a goods line of an order issued, delivered or closed
(SPEND_STATUSES), converted to USD at the order's stored rate (R20) and rounded to the cent. The
median of a thing's USD prices is taken over every agency's lines in the period; R23
(`check_price_deviation`, `rules.price_deviation_pct`) flags each price too far from it.

Efficient on a million lines: SQL groups the lines by (thing, unit price, rate) and counts
them in one pass, so Python converts each distinct price once and takes medians over counts.
The ranked list ("what moves") looks at the `TOP` things most bought in the period.

R26: the points of an agency the user may not read (`check_permission`) are shown as "other",
without their purchase order; the median still counts them.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Select, case, extract, func, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from lta_tui.domain.fx import Rate, to_usd
from lta_tui.domain.money import RATE_DIGITS, from_units
from lta_tui.domain.rules import check_permission, check_price_deviation
from lta_tui.domain.states import SPEND_STATUSES, LineKind
from lta_tui.services.order_types import Actor
from lta_tui.store.models import Agency, CatalogueItem, Consolidator, Lot, Order, OrderLine

ITEM = "item"  # a catalogue item, by SKU
COMMODITY = "commodity"  # a UNSPSC commodity, by 8-digit code
KINDS = (ITEM, COMMODITY)
KIND_TITLES = {ITEM: "Catalogue item", COMMODITY: "UNSPSC commodity"}

#: The ranked list considers the things most bought in the period, this many.
TOP = 100
#: The points of one thing listed, newest first.
POINTS = 200
#: How an agency the user may not read is shown (R26).
OTHER = "other"


class PriceQueryError(ValueError):
    """A price question that cannot be answered (unknown kind)."""


@dataclass(frozen=True)
class PriceWhere:
    """The lines looked at: the period's orders (both days included; None: open) of a lot."""

    date_from: date | None = None
    date_to: date | None = None
    lot: int | None = None


@dataclass(frozen=True)
class PriceSpread:
    """The distinct USD prices of one thing with how many lines had each, sorted."""

    values: tuple[Decimal, ...]
    counts: tuple[int, ...]

    @property
    def lines(self) -> int:
        return sum(self.counts)

    def median(self) -> Decimal | None:
        """The median of every line's price: what `statistics.median` gives for the list with
        each value repeated `count` times (the mean of the two middle ones for an even count)."""
        n = self.lines
        if not n:
            return None
        lower, upper = self._at((n - 1) // 2), self._at(n // 2)
        return lower if lower == upper else (lower + upper) / 2

    def _at(self, index: int) -> Decimal:
        running = 0
        for value, count in zip(self.values, self.counts, strict=True):
            running += count
            if index < running:
                return value
        raise IndexError(index)

    def expanded(self) -> list[Decimal]:
        return [v for v, c in zip(self.values, self.counts, strict=True) for _ in range(c)]


def spread_of(pairs: Iterable[tuple[Decimal, int]]) -> PriceSpread:
    """Distinct values and their counts, from (value, count) pairs in any order."""
    merged: dict[Decimal, int] = {}
    for value, count in pairs:
        merged[value] = merged.get(value, 0) + count
    values = tuple(sorted(merged))
    return PriceSpread(values, tuple(merged[v] for v in values))


def normal_range(
    spread: PriceSpread, median: Decimal, threshold_pct: int, key: str
) -> tuple[int, int]:
    """The indexes [lo, hi) of `spread.values` that R23 does not flag against `median`.

    Whether a price is flagged grows with its distance from the median, so a bisection on each
    side of the median finds where R23 starts flagging. R23 is asked with the median already
    computed (over counts) as its one reference price: the median of one price is itself, so
    the rule alone decides, without a list of a million prices per question."""
    values = spread.values

    def flagged(i: int) -> bool:
        return bool(check_price_deviation(values[i], (median,), threshold_pct, "USD", key))

    middle = bisect.bisect_left(values, median)
    lo, hi = 0, middle  # below the median: flagged, then not
    while lo < hi:
        mid = (lo + hi) // 2
        if flagged(mid):
            lo = mid + 1
        else:
            hi = mid
    first_ok = lo
    lo, hi = middle, len(values)  # from the median up: not flagged, then flagged
    while lo < hi:
        mid = (lo + hi) // 2
        if flagged(mid):
            hi = mid
        else:
            lo = mid + 1
    return first_ok, lo


def count_flagged(spread: PriceSpread, ok: tuple[int, int]) -> int:
    return sum(spread.counts[: ok[0]]) + sum(spread.counts[ok[1] :])


@dataclass(frozen=True)
class MovingPrice:
    """A row of the ranked list: one thing, its lines and flagged prices."""

    kind: str
    key: str
    description: str
    lines: int  # lines in scope
    flagged: int  # of which R23 flags
    median_usd: Decimal  # every agency's lines
    min_usd: Decimal
    max_usd: Decimal

    @property
    def flagged_share(self) -> Decimal:
        return (Decimal(self.flagged) * 100 / self.lines).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class PriceRanking:
    kind: str
    where: PriceWhere
    scope: str | None
    considered: int  # things looked at (the most bought, at most TOP)
    things: int  # things bought in the period and scope
    rows: tuple[MovingPrice, ...]  # most flagged first
    threshold_pct: int


@dataclass(frozen=True)
class PricePoint:
    """One line's price. `po_number` None and `agency` "other" when the user may not read it."""

    order_id: int | None
    order_date: date
    agency: str
    consolidator: str
    po_number: str | None
    quantity: Decimal
    unit: str
    unit_price: Decimal
    currency: str
    unit_price_usd: Decimal
    finding: str | None  # the R23 message, or None

    @property
    def flagged(self) -> bool:
        return self.finding is not None


@dataclass(frozen=True)
class PriceHistory:
    kind: str
    key: str
    description: str
    where: PriceWhere
    scope: str | None
    lines: int  # every agency's lines (the median's)
    scoped_lines: int  # lines in scope
    flagged: int  # lines in scope that R23 flags
    median_usd: Decimal | None
    min_usd: Decimal | None
    max_usd: Decimal | None
    monthly: tuple[tuple[str, Decimal], ...]  # ("2026-03", mean USD unit price), every agency
    points: tuple[PricePoint, ...]  # in scope, newest first, at most POINTS
    threshold_pct: int
    flagged_only: bool = False  # points lists only the prices R23 flags


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise PriceQueryError(f"unknown price kind {kind!r}: use {' or '.join(KINDS)}")


def _key_column(kind: str) -> ColumnElement:
    return OrderLine.catalogue_item_id if kind == ITEM else OrderLine.unspsc


def _conditions(kind: str, where: PriceWhere) -> list[ColumnElement]:
    found: list[ColumnElement] = [
        Order.status.in_([s.value for s in SPEND_STATUSES]),
        OrderLine.kind == LineKind.goods.value,
    ]
    if kind == ITEM:
        found.append(OrderLine.catalogue_item_id.is_not(None))
    if where.date_from is not None:
        found.append(Order.order_date >= where.date_from)
    if where.date_to is not None:
        found.append(Order.order_date <= where.date_to)
    if where.lot is not None:
        lot_ids = select(Lot.id).where(Lot.number == where.lot)
        found.append(Order.lot_id.in_(lot_ids))
    return found


def _scope_id(conn: Connection, scope: str | None) -> int | None:
    if scope is None:
        return None
    found = conn.execute(select(Agency.id).where(Agency.code == scope)).scalar_one_or_none()
    return found if found is not None else -1


def _skus(conn: Connection) -> dict[int, tuple[str, str]]:
    """catalogue item id → (SKU, description)."""
    return {
        ident: (sku, text)
        for ident, sku, text in conn.execute(
            select(CatalogueItem.id, CatalogueItem.sku, CatalogueItem.description)
        )
    }


def _commodity_titles(conn: Connection) -> dict[str, str]:
    """UNSPSC code → what the catalogues list under it: "12 items, e.g. Laptop 14" …" (the
    first by SKU), for a readable list; there is no table of UNSPSC titles."""
    first: dict[str, str] = {}
    skus: dict[str, set[str]] = {}
    for code, sku, text in conn.execute(
        select(CatalogueItem.unspsc, CatalogueItem.sku, CatalogueItem.description).order_by(
            CatalogueItem.sku
        )
    ):
        first.setdefault(code, text)
        skus.setdefault(code, set()).add(sku)
    return {
        code: text if len(skus[code]) == 1 else f"{len(skus[code])} items, e.g. {text}"
        for code, text in first.items()
    }


def _usd(unit_price: Decimal, units_per_usd: Decimal) -> Decimal:
    """The unit price in USD at the order's stored rate (R20), to the cent."""
    return to_usd(unit_price, Rate("", date.min, units_per_usd))


class _UsdOfUnits:
    """Stored units of a unit price and of a rate → the USD unit price (`_usd`), each distinct
    pair converted once."""

    def __init__(self) -> None:
        self.seen: dict[tuple[int, int], Decimal] = {}

    def __call__(self, units: int, rate_units: int) -> Decimal:
        pair = (units, rate_units)
        found = self.seen.get(pair)
        if found is None:
            found = self.seen[pair] = _usd(from_units(units), from_units(rate_units, RATE_DIGITS))
        return found


def _grouped(stmt: Select, conditions: list[ColumnElement]) -> Select:
    return (
        stmt.select_from(OrderLine).join(Order, Order.id == OrderLine.order_id).where(*conditions)
    )


def moving_prices(
    conn: Connection,
    kind: str,
    *,
    where: PriceWhere,
    scope: str | None,
    threshold_pct: int,
    top: int = TOP,
) -> PriceRanking:
    """The things whose prices R23 flags most often in the period: among the `top` things with
    the most lines in scope, ranked by flagged lines (then lines). Medians, lowest and highest
    prices are every agency's; lines and flags are the scope's."""
    _check_kind(kind)
    conditions = _conditions(kind, where)
    scope_id = _scope_id(conn, scope)
    key = _key_column(kind)
    skus = _skus(conn) if kind == ITEM else {}

    def thing(raw) -> str:
        return skus[raw][0] if kind == ITEM else raw

    # One pass: the lines counted by thing, price and rate (raw stored units, converted once
    # per distinct pair below); the most bought things are then chosen from these counts.
    price = type_coerce(OrderLine.unit_price, BigInteger)
    rate = type_coerce(Order.fx_units_per_usd, BigInteger)
    own = case((Order.agency_id == scope_id, 1), else_=0) if scope_id is not None else None
    stmt = select(
        key, price, rate, func.count(), func.sum(own) if own is not None else func.count()
    )
    groups: dict[str, list[tuple[int, int, int, int]]] = {}
    bought: dict[str, int] = {}
    for raw, units, rate_units, count, scoped in conn.execute(
        _grouped(stmt, conditions).group_by(key, price, rate)
    ):
        name = thing(raw)
        groups.setdefault(name, []).append((units, rate_units, int(count), int(scoped or 0)))
        if scoped:
            bought[name] = bought.get(name, 0) + int(scoped)
    chosen = sorted(bought, key=lambda k: (-bought[k], k))[:top]
    usd = _UsdOfUnits()
    pairs: dict[str, list[tuple[Decimal, int]]] = {}
    mine: dict[str, list[tuple[Decimal, int]]] = {}
    for name in chosen:
        for units, rate_units, count, scoped in groups[name]:
            value = usd(units, rate_units)
            pairs.setdefault(name, []).append((value, count))
            if scoped:
                mine.setdefault(name, []).append((value, scoped))
    titles = _commodity_titles(conn) if kind == COMMODITY else {}
    descriptions = {sku: text for sku, text in skus.values()} if kind == ITEM else titles
    rows = []
    for name in chosen:
        market = spread_of(pairs.get(name, ()))
        median = market.median()
        if median is None:
            continue
        ours = spread_of(mine.get(name, ()))
        ok = normal_range(ours, median, threshold_pct, name)
        rows.append(
            MovingPrice(
                kind=kind,
                key=name,
                description=descriptions.get(name, ""),
                lines=ours.lines,
                flagged=count_flagged(ours, ok),
                median_usd=median,
                min_usd=market.values[0],
                max_usd=market.values[-1],
            )
        )
    rows.sort(key=lambda r: (-r.flagged, -r.lines, r.key))
    return PriceRanking(kind, where, scope, len(chosen), len(bought), tuple(rows), threshold_pct)


def price_history(
    conn: Connection,
    kind: str,
    key: str,
    *,
    where: PriceWhere,
    scope: str | None,
    viewer: Actor,
    threshold_pct: int,
    limit: int = POINTS,
    flagged_only: bool = False,
) -> PriceHistory:
    """Every price of one thing in the period: the median of every agency's, the mean per month
    and the `limit` newest points in scope (only those R23 flags with `flagged_only`), each
    flagged by R23 against the median. Points of an agency `viewer` may not read (R26) show as
    "other" without their purchase order."""
    _check_kind(kind)
    conditions = _conditions(kind, where)
    if kind == ITEM:
        matching = select(CatalogueItem.id).where(CatalogueItem.sku == key)
        conditions.append(OrderLine.catalogue_item_id.in_(matching))
        description = (
            conn.execute(
                select(CatalogueItem.description).where(CatalogueItem.sku == key).limit(1)
            ).scalar_one_or_none()
            or ""
        )
    else:
        conditions.append(OrderLine.unspsc == key)
        description = _commodity_titles(conn).get(key, "")
    scope_id = _scope_id(conn, scope)
    year = extract("year", Order.order_date)
    month = extract("month", Order.order_date)
    own = case((Order.agency_id == scope_id, 1), else_=0) if scope_id is not None else None
    price = type_coerce(OrderLine.unit_price, BigInteger)
    rate = type_coerce(Order.fx_units_per_usd, BigInteger)
    columns = [year, month, price, rate]
    stmt = select(*columns, func.count(), func.sum(own) if own is not None else func.count())
    usd_of = _UsdOfUnits()
    every: list[tuple[Decimal, int]] = []
    ours: list[tuple[Decimal, int]] = []
    by_month: dict[str, list] = {}
    for y, m, units, rate_units, count, scoped in conn.execute(
        _grouped(stmt, conditions).group_by(*columns)
    ):
        usd = usd_of(units, rate_units)
        every.append((usd, int(count)))
        if scoped:
            ours.append((usd, int(scoped)))
        total = by_month.setdefault(f"{int(y):04d}-{int(m):02d}", [Decimal(0), 0])
        total[0] += usd * count
        total[1] += int(count)
    market = spread_of(every)
    mine = spread_of(ours)
    median = market.median()
    flagged = 0
    if median is not None:
        flagged = count_flagged(mine, normal_range(mine, median, threshold_pct, key))
    monthly = tuple(
        (label, (total / count).quantize(Decimal("0.01")))
        for label, (total, count) in sorted(by_month.items())
    )
    reference = market.expanded() if median is not None else []
    messages: dict[Decimal, str | None] = {}

    def finding(usd: Decimal) -> str | None:
        if usd not in messages:
            found = check_price_deviation(usd, reference, threshold_pct, "USD", key, median=median)
            messages[usd] = found[0].message if found else None
        return messages[usd]

    points: list[PricePoint] = []
    for found in _points(conn, conditions, scope_id, viewer, None if flagged_only else limit):
        message = finding(found["unit_price_usd"]) if reference else None
        if flagged_only and message is None:
            continue
        points.append(PricePoint(**found, finding=message))
        if len(points) >= limit:
            break
    return PriceHistory(
        kind=kind,
        key=key,
        description=description,
        where=where,
        scope=scope,
        lines=market.lines,
        scoped_lines=mine.lines,
        flagged=flagged,
        median_usd=median,
        min_usd=market.values[0] if market.values else None,
        max_usd=market.values[-1] if market.values else None,
        monthly=monthly,
        points=tuple(points),
        threshold_pct=threshold_pct,
        flagged_only=flagged_only,
    )


def _points(
    conn: Connection,
    conditions: Sequence[ColumnElement],
    scope_id: int | None,
    viewer: Actor,
    limit: int | None,
) -> Iterator[dict]:
    """The lines in scope, newest first (`limit` of them, or streamed until the caller stops),
    with what the viewer may read of them (R26)."""
    stmt = (
        select(
            Order.id,
            Order.order_date,
            Agency.code,
            Consolidator.code,
            Order.po_number,
            OrderLine.quantity,
            OrderLine.unit,
            OrderLine.unit_price,
            Order.currency,
            Order.fx_units_per_usd,
        )
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Agency, Agency.id == Order.agency_id)
        .join(Consolidator, Consolidator.id == Order.consolidator_id)
        .where(*conditions)
        .order_by(Order.order_date.desc(), Order.id.desc(), OrderLine.line_no)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    if scope_id is not None:
        stmt = stmt.where(Order.agency_id == scope_id)
    readable: dict[str, bool] = {}
    result = conn.execution_options(yield_per=500).execute(stmt)
    try:
        for order_id, day, agency, holder, po, qty, unit, price, currency, rate in result:
            if agency not in readable:
                refused = check_permission(viewer.role, viewer.agency, "read", agency)
                readable[agency] = not refused
            shown = readable[agency]
            yield {
                "order_id": order_id if shown else None,
                "order_date": day,
                "agency": agency if shown else OTHER,
                "consolidator": holder,
                "po_number": po if shown else None,
                "quantity": qty,
                "unit": unit,
                "unit_price": price,
                "currency": currency,
                "unit_price_usd": _usd(price, rate),
            }
    finally:
        result.close()
