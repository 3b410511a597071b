"""Consolidators (the LTA holders): the browse list with each one's scorecard, and one holder's
lot holdings and scorecard by agency.

The scorecard (issue 3, point 5) covers the performance reviews dated in a period (the year of
the day asked about unless told), of one agency's orders or of all (`BrowseQuery.agency`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from lta_tui.services.browse import BrowseQuery, Page, sorted_page, text_condition
from lta_tui.services.scorecard import (
    AgencyScores,
    Period,
    Scores,
    overall_sort,
    scorecard_by_agency,
    scorecard_subquery,
    scores_from,
)
from lta_tui.store.models import Consolidator, Lot, LotHolding, SubLta


class ConsolidatorNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ConsolidatorRow:
    id: int
    code: str
    name: str
    country: str
    eligibility: str
    eligibility_since: date | None
    lots: str  # numbers of the lots held on the day asked about, e.g. "1 2 4"
    scores: Scores  # reviews dated in the period, of the query's agency or all


def _active_on(today: date):
    return and_(
        LotHolding.active_from <= today,
        or_(LotHolding.active_to.is_(None), LotHolding.active_to >= today),
    )


def list_consolidators(
    conn: Connection, query: BrowseQuery, today: date, period: Period | None = None
) -> Page[ConsolidatorRow]:
    """Consolidators matching `query`, with their scorecard over `period` (default: the year of
    `today`) for the reviews of `query.agency`'s orders, or of every agency's when None."""
    period = period or Period.containing(today)
    card = scorecard_subquery(period, query.agency)
    stmt = select(
        Consolidator.id,
        Consolidator.code,
        Consolidator.name,
        Consolidator.country,
        Consolidator.eligibility,
        Consolidator.eligibility_since,
        *card.c[1:],
    ).outerjoin(card, card.c.consolidator_id == Consolidator.id)
    cond = text_condition(
        query.text,
        [Consolidator.code, Consolidator.name, Consolidator.country, Consolidator.eligibility],
    )
    if cond is not None:
        stmt = stmt.where(cond)
    sorts = {
        "code": Consolidator.code,
        "name": Consolidator.name,
        "country": Consolidator.country,
        "eligibility": Consolidator.eligibility,
        "reviews": card.c.reviews,
        "overall": overall_sort(card),
    }
    rows, total, key = sorted_page(conn, stmt, query, sorts, [Consolidator.id])
    held: dict[int, list[int]] = {}
    for consolidator_id, number in conn.execute(
        select(LotHolding.consolidator_id, Lot.number)
        .join(Lot, Lot.id == LotHolding.lot_id)
        .where(_active_on(today))
        .order_by(Lot.number)
    ):
        held.setdefault(consolidator_id, []).append(number)
    return Page(
        rows=[
            ConsolidatorRow(
                *r[:6],
                lots=" ".join(str(n) for n in sorted(set(held.get(r[0], [])))),
                scores=scores_from(r, card),
            )
            for r in rows
        ],
        total=total,
        sort=key,
        descending=query.descending,
    )


@dataclass(frozen=True)
class HoldingRow:
    lot: int
    lot_title: str
    active_from: date
    active_to: date | None
    active: bool


@dataclass(frozen=True)
class ConsolidatorDetail:
    id: int
    code: str
    name: str
    country: str
    eligibility: str
    eligibility_since: date | None
    eligibility_reason: str | None
    holdings: list[HoldingRow]
    sub_ltas: int
    period: Period  # of the scorecard
    by_agency: list[AgencyScores]  # agencies that reviewed it in the period
    scores: Scores  # every agency's reviews together


def consolidator_detail(
    conn: Connection, consolidator_id: int, today: date, period: Period | None = None
) -> ConsolidatorDetail:
    """One consolidator: eligibility, lot holdings, and its scorecard over `period` (default:
    the year of `today`) by agency."""
    period = period or Period.containing(today)
    head = conn.execute(
        select(
            Consolidator.id,
            Consolidator.code,
            Consolidator.name,
            Consolidator.country,
            Consolidator.eligibility,
            Consolidator.eligibility_since,
            Consolidator.eligibility_reason,
        ).where(Consolidator.id == consolidator_id)
    ).first()
    if head is None:
        raise ConsolidatorNotFound(f"no consolidator with id {consolidator_id}")
    holdings = [
        HoldingRow(
            lot=r.number,
            lot_title=r.title,
            active_from=r.active_from,
            active_to=r.active_to,
            active=r.active_from <= today and (r.active_to is None or r.active_to >= today),
        )
        for r in conn.execute(
            select(Lot.number, Lot.title, LotHolding.active_from, LotHolding.active_to)
            .join(Lot, Lot.id == LotHolding.lot_id)
            .where(LotHolding.consolidator_id == consolidator_id)
            .order_by(Lot.number, LotHolding.active_from)
        )
    ]
    sub_ltas = conn.execute(
        select(func.count()).where(SubLta.consolidator_id == consolidator_id)
    ).scalar_one()
    by_agency, scores = scorecard_by_agency(conn, consolidator_id, period)
    return ConsolidatorDetail(
        *head,
        holdings=holdings,
        sub_ltas=int(sub_ltas),
        period=period,
        by_agency=by_agency,
        scores=scores,
    )
