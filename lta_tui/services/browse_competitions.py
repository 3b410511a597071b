"""Mini-competitions: the browse list and one competition's record.

R5: an offer's prices stay sealed until the opening is recorded (`opened_at`). While sealed,
this module never reads the price tables at all, so no caller can show, sum or sort them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from lta_tui.domain.dates import aware
from lta_tui.domain.money import round_money
from lta_tui.domain.rules import may_reveal_prices
from lta_tui.domain.scoring import points
from lta_tui.domain.states import effective_status, services_asked
from lta_tui.services.browse import BrowseQuery, Page, sorted_page, text_condition
from lta_tui.services.offer_prices import landed_totals
from lta_tui.store.models import (
    Agency,
    Award,
    CompetitionCriterion,
    Consolidator,
    Invitation,
    Lot,
    MiniCompetition,
    Offer,
    Order,
    RequirementLine,
)


class CompetitionNotFound(LookupError):
    pass


@dataclass(frozen=True)
class CompetitionRow:
    id: int
    reference: str
    agency: str
    lot: int
    title: str
    status: str
    deadline: datetime | None
    invited: int
    offers: int


def _invited_count():
    return (
        select(func.count())
        .where(Invitation.competition_id == MiniCompetition.id, Invitation.invited.is_(True))
        .correlate(MiniCompetition)
        .scalar_subquery()
    )


def _offer_count():
    return (
        select(func.count())
        .where(Offer.competition_id == MiniCompetition.id)
        .correlate(MiniCompetition)
        .scalar_subquery()
    )


def list_competitions(
    conn: Connection, query: BrowseQuery, now: datetime | None = None
) -> Page[CompetitionRow]:
    """Competitions matching `query` (reference, title, agency, status, lot number). Each
    row's status is the effective one at `now` (default: the system clock), as the detail
    shows it: an open competition past its deadline reads "closed". The filter and the sort
    read the status stored."""
    at = aware(now or datetime.now(timezone.utc))
    invited, offers = _invited_count(), _offer_count()
    stmt = (
        select(
            MiniCompetition.id,
            MiniCompetition.reference,
            Agency.code,
            Lot.number,
            MiniCompetition.title,
            MiniCompetition.status,
            MiniCompetition.deadline,
            invited.label("invited"),
            offers.label("offers"),
        )
        .join(Agency, Agency.id == MiniCompetition.agency_id)
        .join(Lot, Lot.id == MiniCompetition.lot_id)
    )
    if query.agency:
        stmt = stmt.where(Agency.code == query.agency)
    cond = text_condition(
        query.text,
        [MiniCompetition.reference, MiniCompetition.title, Agency.code, MiniCompetition.status],
    )
    if cond is not None:
        stmt = stmt.where(cond)
    sorts = {
        "deadline": MiniCompetition.deadline,
        "reference": MiniCompetition.reference,
        "agency": Agency.code,
        "lot": Lot.number,
        "title": MiniCompetition.title,
        "status": MiniCompetition.status,
        "invited": invited,
        "offers": offers,
    }
    if not query.sort:  # newest deadlines first unless asked otherwise
        query = BrowseQuery(query.text, "deadline", True, query.agency, query.limit)
    rows, total, key = sorted_page(conn, stmt, query, sorts, [MiniCompetition.id.desc()])
    return Page(
        rows=[
            replace(row, status=effective_status(row.status, row.deadline, at))
            for row in (CompetitionRow(*r) for r in rows)
        ],
        total=total,
        sort=key,
        descending=query.descending,
    )


# --- one competition -------------------------------------------------------------------------


@dataclass(frozen=True)
class RequirementView:
    line_no: int
    description: str
    quantity: Decimal
    unit: str
    unspsc: str
    specification: str = ""


@dataclass(frozen=True)
class InvitationView:
    consolidator: str
    invited: bool
    exclusion_reason: str | None


@dataclass(frozen=True)
class OfferView:
    id: int
    consolidator: str
    received_at: datetime
    currency: str
    delivery_days: int
    warranty_months: int
    compliant: bool
    late: bool
    disqualification_reason: str | None
    #: Goods plus services in the offer's currency (as written at the opening); None while
    #: the offers are sealed (R5).
    total: Decimal | None
    #: Written at the evaluation; None before it, and always None while sealed (R5).
    total_usd: Decimal | None = None
    score: Decimal | None = None
    rank: int | None = None
    #: The content hash re-computed at the opening matched the stored one; None: not checked.
    hash_ok: bool | None = None


@dataclass(frozen=True)
class AwardView:
    consolidator: str
    rank: int
    decided_at: datetime
    decided_by: str
    justification: str | None


@dataclass(frozen=True)
class OrderRef:
    id: int
    po_number: str
    order_date: date
    status: str
    total: Decimal
    currency: str
    total_usd: Decimal


@dataclass(frozen=True)
class CompetitionDetail:
    id: int
    reference: str
    agency: str
    lot: int
    lot_title: str
    title: str
    status: str
    destination_country: str
    evaluation_method: str
    created_by: str
    issued_at: datetime | None
    deadline: datetime | None
    opened_at: datetime | None
    justification: str | None
    cancellation_reason: str | None
    sealed: bool
    lines: list[RequirementView]
    criteria: list[tuple[str, int]]
    invitations: list[InvitationView]
    offers: list[OfferView]
    award: AwardView | None
    orders: list[OrderRef]
    fx_rate_date: date | None = None
    needs_freight: bool = False
    needs_export_licensing: bool = False
    needs_installation: bool = False
    warranty_months: int = 0
    opened_by: str | None = None
    evaluated_at: datetime | None = None
    evaluated_by: str | None = None
    #: For the optimistic check of a change (`expected_version` of the competition service).
    version: int = 1
    #: `status`, except that an open competition past its deadline reads "closed".
    effective_status: str = ""

    @property
    def services_needed(self) -> tuple[str, ...]:
        """The services the competition asks about (ServiceCode values, in that order)."""
        return services_asked(
            freight=self.needs_freight,
            export_licensing=self.needs_export_licensing,
            installation=self.needs_installation,
            warranty_months=self.warranty_months,
        )


def competition_detail(
    conn: Connection, competition_id: int, now: datetime | None = None
) -> CompetitionDetail:
    """A competition's full record; offer prices only once the deadline has passed and the
    opening is recorded (R5, `may_reveal_prices`)."""
    mc = MiniCompetition
    head = conn.execute(
        select(
            mc.id,
            mc.reference,
            Agency.code.label("agency"),
            Lot.number.label("lot"),
            Lot.title.label("lot_title"),
            mc.title,
            mc.status,
            mc.destination_country,
            mc.evaluation_method,
            mc.created_by,
            mc.issued_at,
            mc.deadline,
            mc.opened_at,
            mc.justification,
            mc.cancellation_reason,
            mc.fx_rate_date,
            mc.needs_freight,
            mc.needs_export_licensing,
            mc.needs_installation,
            mc.warranty_months,
            mc.opened_by,
            mc.evaluated_at,
            mc.evaluated_by,
            mc.version,
        )
        .join(Agency, Agency.id == mc.agency_id)
        .join(Lot, Lot.id == mc.lot_id)
        .where(mc.id == competition_id)
    ).first()
    if head is None:
        raise CompetitionNotFound(f"no competition with id {competition_id}")
    now = aware(now or datetime.now(timezone.utc))
    sealed = not may_reveal_prices(now, head.deadline, head.opened_at)
    lines = [
        RequirementView(*r)
        for r in conn.execute(
            select(
                RequirementLine.line_no,
                RequirementLine.description,
                RequirementLine.quantity,
                RequirementLine.unit,
                RequirementLine.unspsc,
                RequirementLine.specification,
            )
            .where(RequirementLine.competition_id == competition_id)
            .order_by(RequirementLine.line_no)
        )
    ]
    criteria = [
        (r.criterion, r.weight)
        for r in conn.execute(
            select(CompetitionCriterion.criterion, CompetitionCriterion.weight)
            .where(CompetitionCriterion.competition_id == competition_id)
            .order_by(CompetitionCriterion.weight.desc(), CompetitionCriterion.criterion)
        )
    ]
    invitations = [
        InvitationView(*r)
        for r in conn.execute(
            select(Consolidator.code, Invitation.invited, Invitation.exclusion_reason)
            .join(Consolidator, Consolidator.id == Invitation.consolidator_id)
            .where(Invitation.competition_id == competition_id)
            .order_by(Invitation.invited.desc(), Consolidator.code)
        )
    ]
    # R5: while sealed not one priced column or table is read
    priced = () if sealed else (Offer.total, Offer.total_usd, Offer.score, Offer.rank)
    rows = conn.execute(
        select(
            Offer.id,
            Consolidator.code,
            Offer.received_at,
            Offer.currency,
            Offer.delivery_days,
            Offer.warranty_months,
            Offer.compliant,
            Offer.late,
            Offer.disqualification_reason,
            Offer.hash_ok,
            *priced,
        )
        .join(Consolidator, Consolidator.id == Offer.consolidator_id)
        .where(Offer.competition_id == competition_id)
        .order_by(Offer.received_at, Offer.id)
    ).all()
    # the total written at the opening is the one of record; older rows have none
    computed = {} if sealed else landed_totals(
        conn, competition_id, [r.id for r in rows if r.total is None]
    )  # fmt: skip
    offers = []
    for r in rows:
        base = OfferView(*r[:9], total=None, hash_ok=r.hash_ok)
        if not sealed:
            total = r.total if r.total is not None else computed[r.id]
            base = replace(
                base,
                total=round_money(total, r.currency),
                total_usd=None if r.total_usd is None else round_money(r.total_usd, "USD"),
                score=None if r.score is None else points(r.score),
                rank=r.rank,
            )
        offers.append(base)
    award_row = conn.execute(
        select(
            Award.id,
            Consolidator.code,
            Award.rank,
            Award.decided_at,
            Award.decided_by,
            Award.justification,
        )
        .join(Offer, Offer.id == Award.offer_id)
        .join(Consolidator, Consolidator.id == Offer.consolidator_id)
        .where(Award.competition_id == competition_id)
    ).first()
    award = AwardView(*award_row[1:]) if award_row else None
    orders = []
    if award_row:
        orders = [
            OrderRef(*r)
            for r in conn.execute(
                select(
                    Order.id,
                    Order.po_number,
                    Order.order_date,
                    Order.status,
                    Order.total,
                    Order.currency,
                    Order.total_usd,
                )
                .where(Order.award_id == award_row[0])
                .order_by(Order.order_date, Order.id)
            )
        ]
    return CompetitionDetail(
        **head._asdict(),
        effective_status=effective_status(head.status, head.deadline, now),
        sealed=sealed,
        lines=lines,
        criteria=criteria,
        invitations=invitations,
        offers=offers,
        award=award,
        orders=orders,
    )
