"""Consolidator scorecards: the performance reviews of delivered orders, averaged per criterion.

A review rates one delivered order on five criteria, each 1 (poor) to 4 (very good). A
scorecard holds, for a period of review dates (a year or a quarter) and optionally one agency,
the number of reviews and the average of each criterion and overall. The sums and counts come
from SQL aggregates (integers, exact); the averages are `Decimal`s rounded half up to 2 decimals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Float, Select, cast, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from lta_tui.store.models import Agency, Consolidator, PerformanceReview

#: The five criteria of a review: (column of `performance_reviews`, label).
CRITERIA: tuple[tuple[str, str], ...] = (
    ("on_time_delivery", "On-time delivery"),
    ("quantity", "Quantity"),
    ("conformity", "Conformity to specification"),
    ("responsiveness", "Responsiveness"),
    ("after_sales", "After-sales / warranty"),
)
#: What a score means.
SCORE_MEANINGS: dict[int, str] = {1: "poor", 2: "fair", 3: "good", 4: "very good"}
SCORES = tuple(SCORE_MEANINGS)

_CENT = Decimal("0.01")
_YEAR, _QUARTER = "year", "quarter"


@dataclass(frozen=True)
class Period:
    """A calendar year or quarter of review dates, both ends included."""

    size: str  # "year" | "quarter"
    start: date

    @classmethod
    def containing(cls, day: date, size: str = _YEAR) -> Period:
        if size == _YEAR:
            return cls(size, date(day.year, 1, 1))
        if size == _QUARTER:
            return cls(size, date(day.year, 3 * ((day.month - 1) // 3) + 1, 1))
        raise ValueError(f"a period is a year or a quarter, not {size!r}")

    @property
    def end(self) -> date:
        return self.shifted(1).start - timedelta(days=1)

    @property
    def label(self) -> str:
        if self.size == _YEAR:
            return str(self.start.year)
        return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"

    def shifted(self, steps: int) -> Period:
        """The period `steps` periods later (earlier when negative)."""
        months = steps * (12 if self.size == _YEAR else 3)
        index = self.start.year * 12 + self.start.month - 1 + months
        return Period(self.size, date(index // 12, index % 12 + 1, 1))

    def resized(self, today: date) -> Period:
        """The other size: a quarter → its year; a year → its quarter holding `today`, or its
        last quarter for a past year (its first for a future one)."""
        if self.size == _QUARTER:
            return Period.containing(self.start, _YEAR)
        year = self.start.year
        day = today if today.year == year else date(year, 12 if year < today.year else 1, 1)
        return Period.containing(day, _QUARTER)


@dataclass(frozen=True)
class Scores:
    """The reviews of one consolidator (for one agency, or all) in a period."""

    reviews: int
    on_time_delivery: Decimal | None  # averages, 2 decimals; None without reviews
    quantity: Decimal | None
    conformity: Decimal | None
    responsiveness: Decimal | None
    after_sales: Decimal | None
    overall: Decimal | None  # the average of all five criteria over all reviews

    def of(self, criterion: str) -> Decimal | None:
        return getattr(self, criterion)


NO_REVIEWS = Scores(0, None, None, None, None, None, None)


def average(total: int, count: int) -> Decimal:
    """`total / count`, exact then rounded half up to 2 decimals."""
    return (Decimal(total) / Decimal(count)).quantize(_CENT, rounding=ROUND_HALF_UP)


def scores_of(count: int | None, sums: Iterable[int | None]) -> Scores:
    """Scores from the number of reviews and the sum of each criterion (in `CRITERIA` order)."""
    count = int(count or 0)
    if not count:
        return NO_REVIEWS
    totals = [int(s or 0) for s in sums]
    return Scores(
        count, *(average(t, count) for t in totals), overall=average(sum(totals), 5 * count)
    )


def _sums() -> list[ColumnElement]:
    return [
        func.count(PerformanceReview.id).label("reviews"),
        *(func.sum(getattr(PerformanceReview, c)).label(c) for c, _ in CRITERIA),
    ]


def _in(period: Period, agency: str | None) -> list[ColumnElement]:
    found = [PerformanceReview.reviewed_on.between(period.start, period.end)]
    if agency is not None:
        scope = select(Agency.id).where(Agency.code == agency).scalar_subquery()
        found.append(PerformanceReview.agency_id == scope)
    return found


def scorecard_subquery(period: Period, agency: str | None = None):
    """One row per reviewed consolidator: `consolidator_id`, `reviews` and each criterion's sum;
    for joining to a list of consolidators (those without reviews get no row)."""
    return (
        select(PerformanceReview.consolidator_id.label("consolidator_id"), *_sums())
        .where(*_in(period, agency))
        .group_by(PerformanceReview.consolidator_id)
        .subquery("scorecard")
    )


def scores_from(row, sub) -> Scores:
    """The `Scores` of a row holding the columns of `scorecard_subquery` (`sub`)."""
    m = row._mapping
    return scores_of(m[sub.c.reviews], (m[sub.c[c]] for c, _ in CRITERIA))


def overall_sort(sub) -> ColumnElement:
    """An approximate overall average for ordering rows only (never shown)."""
    total = sum((sub.c[c] for c, _ in CRITERIA[1:]), sub.c[CRITERIA[0][0]])
    return cast(total, Float) / cast(sub.c.reviews, Float)


@dataclass(frozen=True)
class ScorecardRow:
    consolidator_id: int
    code: str
    name: str
    scores: Scores


def scorecard(conn: Connection, period: Period, agency: str | None = None) -> list[ScorecardRow]:
    """Every consolidator's scores over the reviews dated in `period`, of `agency`'s orders only
    when given (an agency code), by consolidator code; consolidators without reviews included."""
    sub = scorecard_subquery(period, agency)
    stmt: Select = (
        select(Consolidator.id, Consolidator.code, Consolidator.name, *sub.c[1:])
        .outerjoin(sub, sub.c.consolidator_id == Consolidator.id)
        .order_by(Consolidator.code)
    )
    return [ScorecardRow(r[0], r[1], r[2], scores_from(r, sub)) for r in conn.execute(stmt)]


@dataclass(frozen=True)
class AgencyScores:
    agency: str  # code
    agency_name: str
    scores: Scores


def scorecard_by_agency(
    conn: Connection, consolidator_id: int, period: Period
) -> tuple[list[AgencyScores], Scores]:
    """One consolidator's scores per agency that reviewed it in `period` (by agency code), and
    over all agencies together."""
    stmt = (
        select(Agency.code, Agency.name, *_sums())
        .join(Agency, Agency.id == PerformanceReview.agency_id)
        .where(PerformanceReview.consolidator_id == consolidator_id, *_in(period, None))
        .group_by(Agency.code, Agency.name)
        .order_by(Agency.code)
    )
    rows = conn.execute(stmt).all()
    per_agency = [AgencyScores(r[0], r[1], scores_of(r[2], r[3:])) for r in rows]
    count = sum(int(r[2]) for r in rows)
    totals = [sum(int(r[3 + i] or 0) for r in rows) for i in range(len(CRITERIA))]
    return per_agency, scores_of(count, totals)
