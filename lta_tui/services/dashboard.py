"""The dashboard: what a focal point (or the Working Group) should look at today.

- this calendar year's spend by lot and by consolidator (`store.spend.spend_summary`);
- open competitions with their deadlines, soonest first;
- orders awaiting delivery (issued or partially delivered);
- sub-LTAs near their ceiling (R15, `rules.ceiling_warn_pct`) or expiring within
  `rules.expiry_warn_days`.

`agency` scopes everything to one agency's records (a focal point's default); None shows all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from lta_tui.domain.rules import check_ceiling
from lta_tui.domain.states import AWAITING_DELIVERY, CompetitionStatus
from lta_tui.services.browse_sub_ltas import Consumption, consumption_of, with_consumption
from lta_tui.store.models import (
    Agency,
    Consolidator,
    Invitation,
    Lot,
    MiniCompetition,
    Offer,
    Order,
    SubLta,
)
from lta_tui.store.spend import SpendFilter, spend_summary

#: Items each dashboard list holds at most.
LIST_LIMIT = 20


@dataclass(frozen=True)
class SpendBar:
    key: str  # lot number or consolidator code
    label: str  # lot title or consolidator name
    orders: int
    spend_usd: Decimal


@dataclass(frozen=True)
class OpenCompetition:
    id: int
    reference: str
    agency: str
    lot: int
    title: str
    deadline: datetime | None
    remaining: timedelta | None  # negative once the deadline has passed
    invited: int
    offers: int


@dataclass(frozen=True)
class AwaitingOrder:
    id: int
    po_number: str
    agency: str
    consolidator: str
    order_date: date
    status: str
    total_usd: Decimal
    days_waiting: int


@dataclass(frozen=True)
class AwaitingDelivery:
    count: int
    value_usd: Decimal
    oldest: date | None
    top: list[AwaitingOrder]  # largest first


@dataclass(frozen=True)
class SubLtaAlert:
    id: int
    reference: str
    agency: str
    consolidator: str
    valid_to: date
    days_left: int
    consumption: Consumption
    near_ceiling: bool
    expiring: bool


@dataclass(frozen=True)
class Dashboard:
    today: date
    year: int
    agency: str | None
    spend_by_lot: list[SpendBar]
    spend_by_consolidator: list[SpendBar]
    spend_total_usd: Decimal
    open_competitions: list[OpenCompetition]
    open_competitions_count: int
    awaiting: AwaitingDelivery
    sub_lta_alerts: list[SubLtaAlert]
    ceiling_warn_pct: int
    expiry_warn_days: int


def load_dashboard(
    conn: Connection,
    *,
    today: date,
    now: datetime,
    agency: str | None,
    ceiling_warn_pct: int,
    expiry_warn_days: int,
    limit: int = LIST_LIMIT,
) -> Dashboard:
    agency_id = _agency_id(conn, agency)
    by_lot, by_consolidator = year_spend(conn, today.year, agency_id)
    competitions, n_competitions = open_competitions(conn, now, agency_id, limit)
    return Dashboard(
        today=today,
        year=today.year,
        agency=agency,
        spend_by_lot=by_lot,
        spend_by_consolidator=by_consolidator,
        spend_total_usd=sum((b.spend_usd for b in by_lot), Decimal(0)),
        open_competitions=competitions,
        open_competitions_count=n_competitions,
        awaiting=awaiting_delivery(conn, today, agency_id, limit),
        sub_lta_alerts=sub_lta_alerts(
            conn, today, agency_id, ceiling_warn_pct, expiry_warn_days, limit
        ),
        ceiling_warn_pct=ceiling_warn_pct,
        expiry_warn_days=expiry_warn_days,
    )


def _agency_id(conn: Connection, code: str | None) -> int | None:
    if code is None:
        return None
    found = conn.execute(select(Agency.id).where(Agency.code == code)).scalar_one_or_none()
    # An agency missing from the database has no records: -1 matches nothing.
    return found if found is not None else -1


def year_spend(
    conn: Connection, year: int, agency_id: int | None
) -> tuple[list[SpendBar], list[SpendBar]]:
    """Spend of calendar `year` by lot (all five, even at zero) and by consolidator."""
    where = SpendFilter(date(year, 1, 1), date(year, 12, 31), agency_id=agency_id)
    by_lot: dict[str, list[Decimal | int]] = {}
    by_cons: dict[str, list[Decimal | int]] = {}
    # One pass grouped by both, added up here: the summary scans the lines only once.
    for row in spend_summary(conn, ["lot", "consolidator"], where):
        lot, holder = row.keys
        for totals, key in ((by_lot, lot), (by_cons, holder)):
            entry = totals.setdefault(key, [0, Decimal(0)])
            entry[0] += row.orders
            entry[1] += row.spend_usd
    lots = [
        SpendBar(str(number), title, *by_lot.get(str(number), (0, Decimal(0))))
        for number, title in conn.execute(
            select(Lot.number, Lot.title).distinct().order_by(Lot.number)
        )
    ]
    consolidators = [
        SpendBar(code, name, *by_cons.get(code, (0, Decimal(0))))
        for code, name in conn.execute(
            select(Consolidator.code, Consolidator.name).order_by(Consolidator.code)
        )
    ]
    return lots, consolidators


def open_competitions(
    conn: Connection, now: datetime, agency_id: int | None, limit: int = LIST_LIMIT
) -> tuple[list[OpenCompetition], int]:
    """Competitions accepting offers, soonest deadline first, and how many there are."""
    invited = (
        select(func.count())
        .where(Invitation.competition_id == MiniCompetition.id, Invitation.invited.is_(True))
        .correlate(MiniCompetition)
        .scalar_subquery()
    )
    offers = (
        select(func.count())
        .where(Offer.competition_id == MiniCompetition.id)
        .correlate(MiniCompetition)
        .scalar_subquery()
    )
    conditions = [MiniCompetition.status == CompetitionStatus.open.value]
    if agency_id is not None:
        conditions.append(MiniCompetition.agency_id == agency_id)
    count = conn.execute(select(func.count()).where(*conditions)).scalar_one()
    rows = conn.execute(
        select(
            MiniCompetition.id,
            MiniCompetition.reference,
            Agency.code,
            Lot.number,
            MiniCompetition.title,
            MiniCompetition.deadline,
            invited,
            offers,
        )
        .join(Agency, Agency.id == MiniCompetition.agency_id)
        .join(Lot, Lot.id == MiniCompetition.lot_id)
        .where(*conditions)
        .order_by(MiniCompetition.deadline.is_(None), MiniCompetition.deadline, MiniCompetition.id)
        .limit(limit)
    )
    items = [
        OpenCompetition(
            id=r[0],
            reference=r[1],
            agency=r[2],
            lot=r[3],
            title=r[4],
            deadline=r[5],
            remaining=(r[5] - now) if r[5] is not None else None,
            invited=r[6],
            offers=r[7],
        )
        for r in rows
    ]
    return items, int(count)


def awaiting_delivery(
    conn: Connection, today: date, agency_id: int | None, limit: int = LIST_LIMIT
) -> AwaitingDelivery:
    """Orders issued or partially delivered: how many, their USD value, the oldest, the largest."""
    conditions = [Order.status.in_([s.value for s in AWAITING_DELIVERY])]
    if agency_id is not None:
        conditions.append(Order.agency_id == agency_id)
    count, value, oldest = conn.execute(
        select(func.count(), func.sum(Order.total_usd), func.min(Order.order_date)).where(
            *conditions
        )
    ).one()
    rows = conn.execute(
        select(
            Order.id,
            Order.po_number,
            Agency.code,
            Consolidator.code,
            Order.order_date,
            Order.status,
            Order.total_usd,
        )
        .join(Agency, Agency.id == Order.agency_id)
        .join(Consolidator, Consolidator.id == Order.consolidator_id)
        .where(*conditions)
        .order_by(Order.total_usd.desc(), Order.id)
        .limit(limit)
    )
    top = [AwaitingOrder(*r, days_waiting=(today - r[4]).days) for r in rows]
    return AwaitingDelivery(int(count), value or Decimal(0), oldest, top)


def sub_lta_alerts(
    conn: Connection,
    today: date,
    agency_id: int | None,
    ceiling_warn_pct: int,
    expiry_warn_days: int,
    limit: int = LIST_LIMIT,
) -> list[SubLtaAlert]:
    """Sub-LTAs in force today that reached `ceiling_warn_pct` of their ceiling (R15) or end
    within `expiry_warn_days`; the most consumed first, then the soonest to expire."""
    conditions = [SubLta.valid_from <= today, SubLta.valid_to >= today]
    scope = select(SubLta.id).where(*conditions)
    if agency_id is not None:
        conditions.append(SubLta.agency_id == agency_id)
    stmt, _ = with_consumption(
        today, scope, SubLta.id, SubLta.reference, Agency.code, Consolidator.code, SubLta.valid_to
    )
    rows = conn.execute(stmt.where(*conditions))
    alerts = []
    for r in rows:
        consumption = consumption_of(*r[-5:], today)
        near = bool(
            check_ceiling(
                label=r[1],
                ceiling=consumption.ceiling,
                used=consumption.consumed,
                amount=Decimal(0),
                currency=consumption.currency,
                warn_pct=ceiling_warn_pct,
            )
        )
        days_left = (r[4] - today).days
        expiring = days_left <= expiry_warn_days
        if near or expiring:
            alerts.append(
                SubLtaAlert(r[0], r[1], r[2], r[3], r[4], days_left, consumption, near, expiring)
            )
    alerts.sort(key=lambda a: (-(a.consumption.pct or 0) if a.near_ceiling else 0, a.days_left))
    return alerts[:limit]
