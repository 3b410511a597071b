"""Competition health per lot and period: are the four holders competing? (issue 5, point 5)

For the competitions issued in the period (a draft or one cancelled before its issue never ran):
how many ran, the holders invited to them and the offers each sent, how many of those offers
were valid (on time, R6, and compliant) once opened, the average number of valid offers, the
competitions decided on one valid offer or none, and the awards each holder won. Beside them,
each holder's spend on the lot in the period (orders issued, delivered or closed, every channel,
in USD at the stored rates: `services.spend.spend_report`), the Herfindahl–Hirschman index of the
spend shares and of the win shares, and the concentration warnings of R22 over the configured
window (`rules.concentration_months`, default 12) ending with the period.

Everything is counted by SQL aggregates, one row per holder; `scope` (an agency code) narrows
to one agency's competitions and orders, None shows every agency.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from lta_tui.domain.periods import PeriodSize, SpendPeriod, period_of, step_period
from lta_tui.domain.rules import check_concentration, concentration_window
from lta_tui.domain.rules.findings import Finding
from lta_tui.domain.rules.monitoring import months_before
from lta_tui.domain.rules.records import Period
from lta_tui.services.spend import SpendQuery, spend_report
from lta_tui.store.models import (
    Agency,
    Award,
    Consolidator,
    Invitation,
    Lot,
    LotHolding,
    MiniCompetition,
    Offer,
)

#: Sizes of the monitor's period: the spend sizes, then the R22 window (the configured months
#: ending on a day), then all time.
WINDOW = "window"
PERIOD_SIZES = (
    PeriodSize.year.value,
    PeriodSize.quarter.value,
    PeriodSize.month.value,
    PeriodSize.contract_year.value,
    WINDOW,
    PeriodSize.all.value,
)

#: The conventional reading of the Herfindahl–Hirschman index (0–10,000): below 1,500
#: unconcentrated, 1,500 to 2,500 moderately concentrated, above 2,500 highly concentrated.
HHI_MODERATE = 1500
HHI_HIGH = 2500
HHI_MAX = 10_000

_HUNDRED = Decimal(100)
_TENTH = Decimal("0.1")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class MonitorPeriod:
    """The monitor's period: `start` to `end`, both included (None: open), and its label."""

    size: str
    start: date | None
    end: date | None
    label: str


def monitor_period(
    day: date, size: str, *, contract_start: date, window_months: int
) -> MonitorPeriod:
    """The period of `size` containing `day`; a `window` is the R22 window ending on `day`."""
    if size == WINDOW:
        span = concentration_window(day, window_months)
        return MonitorPeriod(WINDOW, span.start, day, f"{window_months} months to {day}")
    found = period_of(day, PeriodSize(size), contract_start)
    return MonitorPeriod(found.size.value, found.start, found.end, found.label)


def step_monitor_period(
    period: MonitorPeriod, steps: int, *, contract_start: date, window_months: int
) -> MonitorPeriod:
    """The period `steps` periods later (earlier when negative); all time stays all time."""
    if period.end is None or period.start is None:
        return period
    if period.size == WINDOW:
        end = months_before(period.end, -steps * window_months)
        return monitor_period(
            end, WINDOW, contract_start=contract_start, window_months=window_months
        )
    spend = SpendPeriod(PeriodSize(period.size), period.start, period.end, period.label)
    found = step_period(spend, steps, contract_start)
    return MonitorPeriod(found.size.value, found.start, found.end, found.label)


def next_size(size: str) -> str:
    """The size after `size` in `PERIOD_SIZES` (the last goes back to the first)."""
    index = PERIOD_SIZES.index(size) if size in PERIOD_SIZES else -1
    return PERIOD_SIZES[(index + 1) % len(PERIOD_SIZES)]


# --- figures ---------------------------------------------------------------------------------


def share(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """`part` as a percentage of `whole`, to 0.1 %; None when the whole is nothing."""
    if not whole:
        return None
    return (Decimal(part) * _HUNDRED / Decimal(whole)).quantize(_TENTH, ROUND_HALF_UP)


def hhi(values: Iterable[Decimal | int]) -> int | None:
    """The Herfindahl–Hirschman index of the shares of `values`: the sum of the squared shares
    in percent, 0 to 10,000, exact then rounded half up; None when they add up to nothing.
    Shares of 50, 30 and 20 % give 2,500 + 900 + 400 = 3,800."""
    units = [int(Decimal(v).scaleb(4)) for v in values if v]
    total = sum(units)
    if total <= 0:
        return None
    numerator, denominator = HHI_MAX * sum(u * u for u in units), total * total
    whole, rest = divmod(numerator, denominator)
    return whole + (1 if 2 * rest >= denominator else 0)


def hhi_reading(value: int | None) -> str:
    """The conventional reading of an HHI."""
    if value is None:
        return "no data"
    if value < HHI_MODERATE:
        return "unconcentrated"
    if value <= HHI_HIGH:
        return "moderately concentrated"
    return "highly concentrated"


def hhi_floor(holders: int) -> int | None:
    """The lowest HHI `holders` competitors can reach (equal shares): 2,500 for four."""
    return round(HHI_MAX / holders) if holders > 0 else None


@dataclass(frozen=True)
class HolderHealth:
    """One consolidator's figures in the period (on the lot, or on every lot)."""

    code: str
    name: str
    holder: bool  # holds the lot during (part of) the period
    invited: int  # invitations to the competitions of the period
    responded: int  # offers received
    valid: int  # valid offers (opened, on time and compliant)
    wins: int  # awards
    spend_usd: Decimal
    win_share: Decimal | None  # % of the awards, 0.1
    spend_share: Decimal | None  # % of the spend, 0.1


@dataclass(frozen=True)
class HealthReport:
    lot: int | None  # None: every lot
    period: MonitorPeriod
    scope: str | None
    competitions: int  # issued in the period (cancelled after the issue included)
    cancelled: int  # of which cancelled after the issue
    opened: int  # of which opened: their offers' validity is known
    offers: int  # received, in every competition of the period
    valid_offers: int  # in the opened competitions
    single_offer: int  # opened competitions with one valid offer or none
    awards: int
    spend_usd: Decimal
    holders: tuple[HolderHealth, ...]
    lot_holders: int  # consolidators holding the lot(s) in the period
    hhi_spend: int | None
    hhi_wins: int | None
    window: Period  # the R22 window
    concentration: tuple[Finding, ...]  # R22 warnings, one per lot and holder above the %
    concentration_pct: int

    @property
    def average_valid_offers(self) -> Decimal | None:
        """Valid offers per opened competition, 2 decimals."""
        if not self.opened:
            return None
        return (Decimal(self.valid_offers) / self.opened).quantize(_CENT, ROUND_HALF_UP)

    @property
    def single_offer_share(self) -> Decimal | None:
        return share(self.single_offer, self.opened)

    @property
    def hhi_floor(self) -> int | None:
        return hhi_floor(self.lot_holders)

    @property
    def top_winner(self) -> HolderHealth | None:
        """The holder with the most awards (then the most spend); None without awards."""
        ranked = sorted(self.holders, key=lambda h: (-h.wins, -h.spend_usd, h.code))
        return ranked[0] if ranked and ranked[0].wins else None

    @property
    def top_spender(self) -> HolderHealth | None:
        ranked = sorted(self.holders, key=lambda h: (-h.spend_usd, h.code))
        return ranked[0] if ranked and ranked[0].spend_usd > 0 else None


def _utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _competitions(
    period: MonitorPeriod, lot_ids: list[int] | None, scope_id: int | None
) -> list[ColumnElement]:
    """The competitions that ran in the period: issued in it (for the lot and the agency)."""
    found: list[ColumnElement] = [MiniCompetition.issued_at.is_not(None)]
    if period.start is not None:
        found.append(MiniCompetition.issued_at >= _utc(period.start))
    if period.end is not None:
        found.append(MiniCompetition.issued_at < _utc(period.end + timedelta(days=1)))
    if lot_ids is not None:
        found.append(MiniCompetition.lot_id.in_(lot_ids))
    if scope_id is not None:
        found.append(MiniCompetition.agency_id == scope_id)
    return found


def _valid_offer() -> ColumnElement:
    """An offer that counts once opened: on time (R6) and compliant."""
    return and_(
        MiniCompetition.opened_at.is_not(None), Offer.late.is_(False), Offer.compliant.is_(True)
    )


def _agency_id(conn: Connection, code: str | None) -> int | None:
    if code is None:
        return None
    found = conn.execute(select(Agency.id).where(Agency.code == code)).scalar_one_or_none()
    return found if found is not None else -1  # an unknown agency has no records


def competition_health(
    conn: Connection,
    *,
    lot: int | None,
    period: MonitorPeriod,
    scope: str | None,
    today: date,
    contract_start: date,
    concentration_pct: int,
    concentration_months: int,
) -> HealthReport:
    """The health of `lot`'s competitions (every lot when None) in `period`, and R22: a holder's
    share of a lot's spend above `concentration_pct` over the `concentration_months` ending with
    the period (today for an open or current period)."""
    lot_ids = (
        None
        if lot is None
        else list(conn.execute(select(Lot.id).where(Lot.number == lot)).scalars())
    )
    scope_id = _agency_id(conn, scope)
    ran = _competitions(period, lot_ids, scope_id)

    # per competition: its offers and valid offers, then summed over the competitions
    valid = case((_valid_offer(), 1), else_=0)
    per = (
        select(
            MiniCompetition.id.label("id"),
            case((MiniCompetition.opened_at.is_not(None), 1), else_=0).label("opened"),
            case((MiniCompetition.status == "cancelled", 1), else_=0).label("cancelled"),
            func.count(Offer.id).label("offers"),
            func.coalesce(func.sum(valid), 0).label("valid"),
        )
        .select_from(MiniCompetition)
        .outerjoin(Offer, Offer.competition_id == MiniCompetition.id)
        .where(*ran)
        .group_by(MiniCompetition.id, MiniCompetition.opened_at, MiniCompetition.status)
        .subquery("per_competition")
    )
    n, cancelled, opened, offers, valid_offers, single = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(per.c.cancelled), 0),
            func.coalesce(func.sum(per.c.opened), 0),
            func.coalesce(func.sum(per.c.offers), 0),
            func.coalesce(func.sum(per.c.valid), 0),
            func.coalesce(
                func.sum(case((and_(per.c.opened == 1, per.c.valid <= 1), 1), else_=0)), 0
            ),
        )
    ).one()

    invited = dict(
        conn.execute(
            select(Invitation.consolidator_id, func.count())
            .join(MiniCompetition, MiniCompetition.id == Invitation.competition_id)
            .where(*ran, Invitation.invited.is_(True))
            .group_by(Invitation.consolidator_id)
        ).all()
    )
    responses = {
        cid: (int(count), int(ok or 0))
        for cid, count, ok in conn.execute(
            select(Offer.consolidator_id, func.count(), func.sum(valid))
            .join(MiniCompetition, MiniCompetition.id == Offer.competition_id)
            .where(*ran)
            .group_by(Offer.consolidator_id)
        )
    }
    wins = dict(
        conn.execute(
            select(Offer.consolidator_id, func.count())
            .select_from(Award)
            .join(Offer, Offer.id == Award.offer_id)
            .join(MiniCompetition, MiniCompetition.id == Award.competition_id)
            .where(*ran)
            .group_by(Offer.consolidator_id)
        ).all()
    )

    lots = (lot,) if lot is not None else ()
    spend = _spend_by_lot(conn, period.start, period.end, lots, scope, contract_start)
    as_of = today if period.end is None or period.end > today else period.end
    window = concentration_window(as_of, concentration_months)
    in_window = (
        spend
        if (period.start, period.end) == (window.start, window.end)
        else _spend_by_lot(conn, window.start, window.end, lots, scope, contract_start)
    )
    concentration = tuple(
        finding
        for number, by_holder in sorted(in_window.items())
        for finding in check_concentration(number, by_holder, window, concentration_pct)
    )

    spend_by_holder: dict[str, Decimal] = {}
    for by_holder in spend.values():
        for code, amount in by_holder.items():
            spend_by_holder[code] = spend_by_holder.get(code, Decimal(0)) + amount
    total_spend = sum(spend_by_holder.values(), Decimal(0))
    total_wins = sum(wins.values())

    holding = _holders(conn, period, lot_ids)
    rows = []
    for cid, code, name in conn.execute(
        select(Consolidator.id, Consolidator.code, Consolidator.name).order_by(Consolidator.code)
    ):
        answered, ok = responses.get(cid, (0, 0))
        amount = spend_by_holder.get(code, Decimal(0))
        figures = (invited.get(cid, 0), answered, wins.get(cid, 0), amount)
        if cid not in holding and not any(figures):
            continue
        rows.append(
            HolderHealth(
                code=code,
                name=name,
                holder=cid in holding,
                invited=int(invited.get(cid, 0)),
                responded=answered,
                valid=ok,
                wins=int(wins.get(cid, 0)),
                spend_usd=amount,
                win_share=share(wins.get(cid, 0), total_wins),
                spend_share=share(amount, total_spend),
            )
        )
    return HealthReport(
        lot=lot,
        period=period,
        scope=scope,
        competitions=int(n),
        cancelled=int(cancelled),
        opened=int(opened),
        offers=int(offers),
        valid_offers=int(valid_offers),
        single_offer=int(single),
        awards=int(total_wins),
        spend_usd=total_spend,
        holders=tuple(rows),
        lot_holders=len(holding),
        hhi_spend=hhi(spend_by_holder.values()),
        hhi_wins=hhi(wins.values()),
        window=window,
        concentration=concentration,
        concentration_pct=concentration_pct,
    )


def _spend_by_lot(
    conn: Connection,
    start: date | None,
    end: date | None,
    lots: tuple[int, ...],
    scope: str | None,
    contract_start: date,
) -> dict[int, dict[str, Decimal]]:
    """lot number → consolidator code → spend USD (the spend report's figures)."""
    query = SpendQuery(group_by=("lot", "consolidator"), date_from=start, date_to=end, lots=lots)
    report = spend_report(conn, query, scope=scope, contract_start=contract_start)
    found: dict[int, dict[str, Decimal]] = {}
    for row in report.rows:
        number, code = row.keys
        found.setdefault(int(number), {})[code] = row.spend_usd
    return found


def _holders(conn: Connection, period: MonitorPeriod, lot_ids: list[int] | None) -> set[int]:
    """The consolidators holding the lot(s) on some day of the period."""
    conditions: list[ColumnElement] = []
    if lot_ids is not None:
        conditions.append(LotHolding.lot_id.in_(lot_ids))
    if period.end is not None:
        conditions.append(LotHolding.active_from <= period.end)
    if period.start is not None:
        conditions.append(or_(LotHolding.active_to.is_(None), LotHolding.active_to >= period.start))
    return set(conn.execute(select(LotHolding.consolidator_id).where(*conditions)).scalars())


def lot_numbers(conn: Connection) -> list[int]:
    """The LTA's lot numbers, in order."""
    return list(conn.execute(select(Lot.number).distinct().order_by(Lot.number)).scalars())
