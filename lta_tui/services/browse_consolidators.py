"""Consolidators (the LTA holders): the browse list and one holder's lot holdings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from lta_tui.services.browse import BrowseQuery, Page, sorted_page, text_condition
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


def _active_on(today: date):
    return and_(
        LotHolding.active_from <= today,
        or_(LotHolding.active_to.is_(None), LotHolding.active_to >= today),
    )


def list_consolidators(conn: Connection, query: BrowseQuery, today: date) -> Page[ConsolidatorRow]:
    stmt = select(
        Consolidator.id,
        Consolidator.code,
        Consolidator.name,
        Consolidator.country,
        Consolidator.eligibility,
        Consolidator.eligibility_since,
    )
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
            ConsolidatorRow(*r, lots=" ".join(str(n) for n in sorted(set(held.get(r[0], [])))))
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


def consolidator_detail(conn: Connection, consolidator_id: int, today: date) -> ConsolidatorDetail:
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
    return ConsolidatorDetail(*head, holdings=holdings, sub_ltas=int(sub_ltas))
