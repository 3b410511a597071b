"""The side-by-side comparison of a mini-competition's offers: landed totals in each offer's
currency and in USD at the competition's rate, per-line prices with the lowest marked, scores
per criterion, ranks, and the warnings R8 (few valid offers) and R9 (abnormally low offer).

R5: while the offers are sealed (`may_reveal_prices` false) no price table is read at all: the
comparison then lists who answered, in the order received, and nothing else of the offers.
Once opened the figures are computed live (rates in force on the FX rate date, R20, past
performance from the reviews); once evaluated they are the stored ones, never recomputed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from lta_tui.config import RulesConfig
from lta_tui.domain.fx import MissingRate, Rate, rate_in_force, to_usd
from lta_tui.domain.money import line_amount, round_money
from lta_tui.domain.rules import (
    Finding,
    Holding,
    check_abnormally_low,
    check_consolidator_eligible,
    check_valid_offer_count,
    holds_lot,
    may_reveal_prices,
    months_before,
)
from lta_tui.domain.rules.findings import warning
from lta_tui.domain.scoring import Bid, landed_total, score_bids
from lta_tui.domain.states import Criterion, ServiceCode, effective_status
from lta_tui.services.browse_competitions import CompetitionNotFound
from lta_tui.services.scorecard import CRITERIA, scores_of
from lta_tui.store.models import (
    CompetitionCriterion,
    Consolidator,
    ExchangeRate,
    Lot,
    LotHolding,
    MiniCompetition,
    Offer,
    OfferLine,
    OfferService,
    PerformanceReview,
    RequirementLine,
    ServiceType,
)

#: Months of reviews before the issue date that make a holder's past performance.
PAST_PERFORMANCE_MONTHS = 12
_SERVICE_ORDER = tuple(s.value for s in ServiceCode)


@dataclass(frozen=True)
class RequirementRow:
    line_no: int
    description: str
    quantity: Decimal
    unit: str


@dataclass(frozen=True)
class ReceivedOffer:
    """What may be known of an offer while sealed (R5): who sent it and when, nothing priced."""

    consolidator: str
    name: str
    received_at: datetime
    currency: str
    late: bool


@dataclass(frozen=True)
class LinePrice:
    line_no: int
    unit_price: Decimal  # in the offer's currency
    amount: Decimal  # quantity × unit price, rounded to the currency's minor unit
    #: Lowest unit price of the line among the valid offers, compared in USD at each offer's
    #: rate (among all offers when none is valid); ties are all marked.
    lowest: bool


@dataclass(frozen=True)
class OfferFigures:
    """One opened offer as compared."""

    consolidator: str
    name: str
    received_at: datetime
    currency: str
    late: bool
    compliant: bool
    disqualification_reason: str | None
    holder_active: bool  # an active holder of the lot on the issue date (R1)
    suspended: bool  # the consolidator is not eligible now (R17): no award
    valid: bool  # on time, compliant, active and eligible holder: scored and ranked
    content_hash: str
    hash_ok: bool | None  # the hash re-computed at the opening matched; None: not checked
    delivery_days: int
    warranty_months: int
    valid_until: date | None
    takes_back_equipment: bool
    energy_label: bool
    lines: tuple[LinePrice, ...]
    goods: Decimal
    services: tuple[tuple[str, Decimal], ...]  # (ServiceCode value, price)
    total: Decimal  # landed: goods + services, in the offer's currency
    units_per_usd: Decimal | None  # the ORE rate used (R20); None when none is in force
    rate_date: date | None  # its effective date
    total_usd: Decimal | None
    past_performance: Decimal | None  # 1–4 review average used; None: no reviews
    criteria: tuple[tuple[str, Decimal], ...]  # (criterion, points); () when not scored
    score: Decimal | None
    rank: int | None
    abnormally_low: bool  # R9

    def service_price(self, code: str) -> Decimal | None:
        return dict(self.services).get(code)

    @property
    def excluded(self) -> str | None:
        """Why the offer is not scored, or None."""
        if self.late:
            return "late (R6)"
        if not self.compliant:
            return "not compliant" + (
                f": {self.disqualification_reason}" if self.disqualification_reason else ""
            )
        if not self.holder_active:
            return "not a holder of the lot on the issue date (R1)"
        if self.suspended:
            return "consolidator suspended (R17)"
        return None


@dataclass(frozen=True)
class Comparison:
    competition_id: int
    reference: str
    title: str
    status: str  # "open" past the deadline reads "closed"
    version: int
    evaluation_method: str
    weights: tuple[tuple[str, int], ...]  # (criterion, points) as fixed at issue
    fx_rate_date: date | None
    issued_at: datetime | None
    deadline: datetime | None
    opened_at: datetime | None
    opened_by: str | None
    evaluated_at: datetime | None
    evaluated_by: str | None
    sealed: bool
    #: True: the figures are those stored by the evaluation; False: computed now.
    stored: bool
    lines: tuple[RequirementRow, ...]
    #: Services the competition asks for or an offer prices, in ServiceCode order.
    services: tuple[str, ...]
    #: Every offer in the order received (the only offer list while sealed).
    received: tuple[ReceivedOffer, ...]
    #: Opened offers: ranked ones by rank, then the others in the order received; () sealed.
    offers: tuple[OfferFigures, ...]
    warnings: tuple[Finding, ...]  # R8, R9 (and a missing rate, R20)
    few_offers_justification: str | None  # the R8 justification recorded, if any
    valid_offers: int | None  # None while sealed

    @property
    def lowest_price_method(self) -> bool:
        return self.evaluation_method == "lowest_price" or not self.weights


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


def comparison(
    conn: Connection, competition_id: int, now: datetime, rules: RulesConfig
) -> Comparison:
    """The comparison of a competition's offers on `now` (R5 sealed until opened; R8, R9)."""
    now = _aware(now)
    mc = MiniCompetition
    head = conn.execute(select(mc.__table__).where(mc.id == competition_id)).first()
    if head is None:
        raise CompetitionNotFound(f"no competition with id {competition_id}")
    sealed = not may_reveal_prices(now, head.deadline, head.opened_at)
    weights = tuple(
        (r.criterion, r.weight)
        for r in conn.execute(
            select(CompetitionCriterion.criterion, CompetitionCriterion.weight).where(
                CompetitionCriterion.competition_id == competition_id
            )
        )
    )
    weights = tuple(sorted(weights, key=lambda w: _criterion_order(w[0])))
    requirement = conn.execute(
        select(
            RequirementLine.id,
            RequirementLine.line_no,
            RequirementLine.description,
            RequirementLine.quantity,
            RequirementLine.unit,
        )
        .where(RequirementLine.competition_id == competition_id)
        .order_by(RequirementLine.line_no)
    ).all()
    lines = tuple(RequirementRow(r.line_no, r.description, r.quantity, r.unit) for r in requirement)
    # R5: what may be known while sealed; the priced columns are read only once opened
    received = tuple(
        ReceivedOffer(*r)
        for r in conn.execute(
            select(
                Consolidator.code, Consolidator.name, Offer.received_at, Offer.currency, Offer.late
            )
            .join(Consolidator, Consolidator.id == Offer.consolidator_id)
            .where(Offer.competition_id == competition_id)
            .order_by(Offer.received_at, Offer.id)
        )
    )
    needed = _needed_services(head)
    base = dict(
        competition_id=head.id,
        reference=head.reference,
        title=head.title,
        status=effective_status(head.status, head.deadline, now),
        version=head.version,
        evaluation_method=head.evaluation_method,
        weights=weights,
        fx_rate_date=head.fx_rate_date,
        issued_at=head.issued_at,
        deadline=head.deadline,
        opened_at=head.opened_at,
        opened_by=head.opened_by,
        evaluated_at=head.evaluated_at,
        evaluated_by=head.evaluated_by,
        sealed=sealed,
        lines=lines,
        received=received,
        few_offers_justification=head.justification,
    )
    if sealed:  # R5: not one price table is read
        return Comparison(
            **base,
            stored=False,
            services=needed,
            offers=(),
            warnings=(),
            valid_offers=None,
        )
    stored = head.evaluated_at is not None
    offer_rows = conn.execute(
        select(
            Offer.__table__,
            Consolidator.code,
            Consolidator.name,
            Consolidator.eligibility,
        )
        .join(Consolidator, Consolidator.id == Offer.consolidator_id)
        .where(Offer.competition_id == competition_id)
        .order_by(Offer.received_at, Offer.id)
    ).all()
    figures, warnings = _opened_figures(
        conn, head, weights, requirement, offer_rows, now, stored, rules
    )
    services = tuple(
        code
        for code in _SERVICE_ORDER
        if code in needed or any(o.service_price(code) is not None for o in figures)
    )
    valid = sum(1 for o in figures if o.valid)
    return Comparison(
        **base,
        stored=stored,
        services=services,
        offers=tuple(sorted(figures, key=_display_order)),
        warnings=tuple(warnings),
        valid_offers=valid,
    )


def _criterion_order(criterion: str) -> int:
    order = [c.value for c in Criterion]
    return order.index(criterion) if criterion in order else len(order)


def _display_order(offer: OfferFigures) -> tuple:
    return (offer.rank is None, offer.rank or 0, offer.received_at)


def _needed_services(head) -> tuple[str, ...]:
    needed = {
        ServiceCode.freight.value: head.needs_freight,
        ServiceCode.export_licensing.value: head.needs_export_licensing,
        ServiceCode.installation_support.value: head.needs_installation,
        ServiceCode.warranty.value: head.warranty_months > 0,
    }
    return tuple(code for code in _SERVICE_ORDER if needed[code])


def _suspended(row) -> bool:
    """R17: a consolidator that is not eligible (now) gets no award."""
    return bool(check_consolidator_eligible(row.code, row.eligibility, "award"))


def _holdings(conn: Connection, lot_id: int, lot: int) -> list[Holding]:
    return [
        Holding(code, lot, start, end)
        for code, start, end in conn.execute(
            select(Consolidator.code, LotHolding.active_from, LotHolding.active_to)
            .join(Consolidator, Consolidator.id == LotHolding.consolidator_id)
            .where(LotHolding.lot_id == lot_id)
        )
    ]


@dataclass
class _Draft:
    """An opened offer on its way to `OfferFigures`."""

    row: object
    unit_prices: list[Decimal]
    goods: Decimal
    total: Decimal
    units_per_usd: Decimal | None
    rate_date: date | None
    total_usd: Decimal | None
    past: Decimal | None
    holder_active: bool
    suspended: bool
    valid: bool


def _opened_figures(
    conn: Connection,
    head,
    weights: tuple[tuple[str, int], ...],
    requirement,
    offer_rows,
    now: datetime,
    stored: bool,
    rules: RulesConfig,
) -> tuple[list[OfferFigures], list[Finding]]:
    offer_ids = [r.id for r in offer_rows]
    req_ids = [r.id for r in requirement]
    quantities = {r.id: r.quantity for r in requirement}
    line_no = {r.id: r.line_no for r in requirement}
    prices: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for offer_id, req_id, unit_price in conn.execute(
        select(OfferLine.offer_id, OfferLine.requirement_line_id, OfferLine.unit_price).where(
            OfferLine.offer_id.in_(offer_ids)
        )
    ):
        prices[offer_id][req_id] = unit_price
    services: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for offer_id, code, price in conn.execute(
        select(OfferService.offer_id, ServiceType.code, OfferService.price)
        .join(ServiceType, ServiceType.id == OfferService.service_type_id)
        .where(OfferService.offer_id.in_(offer_ids))
    ):
        services[offer_id].append((code, price))
    for priced in services.values():
        priced.sort(key=lambda s: _service_order(s[0]))

    missing: list[Finding] = []
    rate_day = head.fx_rate_date or (head.deadline.date() if head.deadline else now.date())
    rates = {} if stored else _rates(conn, {r.currency for r in offer_rows}, rate_day, missing)
    issued_on = (head.issued_at or head.created_at).date()
    performance = (
        {} if stored else past_performance(conn, [r.consolidator_id for r in offer_rows], issued_on)
    )
    lot = conn.execute(select(Lot.number).where(Lot.id == head.lot_id)).scalar_one()
    holdings = _holdings(conn, head.lot_id, lot)
    drafts = []
    for row in offer_rows:
        unit_prices = [prices[row.id].get(req_id, Decimal(0)) for req_id in req_ids]
        landed = landed_total(
            [quantities[i] for i in req_ids], unit_prices, services[row.id], row.currency
        )
        # the total written at the opening is the one of record; older rows have none
        total = round_money(row.total if row.total is not None else landed.total, row.currency)
        active = holds_lot(holdings, row.code, lot, issued_on)
        suspended = _suspended(row)
        if stored:  # as the evaluation wrote them (R20: never silently recomputed)
            draft = _Draft(row, unit_prices, landed.goods, total, row.fx_units_per_usd,
                           row.fx_effective_date, _cents(row.total_usd),
                           _cents(row.past_performance), active, suspended,
                           row.rank is not None)  # fmt: skip
        else:
            rate = rates.get(row.currency)
            draft = _Draft(
                row,
                unit_prices,
                landed.goods,
                total,
                rate.units_per_usd if rate else None,
                rate.effective_date if rate and row.currency != "USD" else None,
                to_usd(total, rate) if rate else None,
                performance.get(row.consolidator_id),
                active,
                suspended,
                not row.late and row.compliant and active and not suspended,
            )
        drafts.append(draft)

    bids = [
        Bid(
            key=d.row.code,
            total_usd=d.total_usd if d.total_usd is not None else Decimal(0),
            delivery_days=max(d.row.delivery_days, 1),
            warranty_months=d.row.warranty_months,
            takes_back_equipment=d.row.takes_back_equipment,
            energy_label=d.row.energy_label,
            past_performance=d.past,
            received_at=d.row.received_at,
            valid=d.valid and d.total_usd is not None,
        )
        for d in drafts
    ]
    scores = {s.key: s for s in score_bids(head.evaluation_method, dict(weights), bids)}
    valid_usd = {d.row.code: d.total_usd for d in drafts if d.valid and d.total_usd is not None}
    low = check_abnormally_low(valid_usd, rules.abnormally_low_pct, "USD")
    flagged = {f.field for f in low}
    valid_count = sum(1 for d in drafts if d.valid)
    warnings = [
        *check_valid_offer_count(valid_count, rules.min_valid_offers, head.justification),
        *low,
        *missing,
    ]
    lowest = _lowest_per_line(drafts, req_ids)

    figures = []
    for d in drafts:
        row, score = d.row, scores[d.row.code]
        figures.append(
            OfferFigures(
                consolidator=row.code,
                name=row.name,
                received_at=row.received_at,
                currency=row.currency,
                late=row.late,
                compliant=row.compliant,
                disqualification_reason=row.disqualification_reason,
                holder_active=d.holder_active,
                suspended=d.suspended,
                valid=d.valid,
                content_hash=row.content_hash,
                hash_ok=row.hash_ok,
                delivery_days=row.delivery_days,
                warranty_months=row.warranty_months,
                valid_until=row.valid_until,
                takes_back_equipment=row.takes_back_equipment,
                energy_label=row.energy_label,
                lines=tuple(
                    LinePrice(
                        line_no[req_id],
                        price,
                        line_amount(quantities[req_id], price, row.currency),
                        (row.code, req_id) in lowest,
                    )
                    for req_id, price in zip(req_ids, d.unit_prices, strict=True)
                ),
                goods=d.goods,
                services=tuple(services[row.id]),
                total=d.total,
                units_per_usd=d.units_per_usd,
                rate_date=d.rate_date,
                total_usd=d.total_usd,
                past_performance=d.past,
                criteria=score.criteria,
                score=_cents(row.score) if stored else score.total,
                rank=row.rank if stored else score.rank,
                abnormally_low=f"offers.{row.code}" in flagged,
            )
        )
    return figures, warnings


def _cents(value: Decimal | None) -> Decimal | None:
    """A stored figure (kept with four decimals) at the two it was computed with."""
    return None if value is None else round_money(value, "USD")


def _service_order(code: str) -> int:
    return _SERVICE_ORDER.index(code) if code in _SERVICE_ORDER else len(_SERVICE_ORDER)


def _lowest_per_line(drafts: list[_Draft], req_ids: list[int]) -> set[tuple[str, int]]:
    """(consolidator, requirement line id) of each line's lowest unit price, compared in USD
    at each offer's rate, among the valid offers (all offers with a rate when none is valid)."""
    pool = [d for d in drafts if d.valid and d.units_per_usd] or [
        d for d in drafts if d.units_per_usd
    ]
    marked: set[tuple[str, int]] = set()
    for i, req_id in enumerate(req_ids):
        in_usd = {d.row.code: d.unit_prices[i] / d.units_per_usd for d in pool}
        if in_usd:
            cheapest = min(in_usd.values())
            marked |= {(code, req_id) for code, usd in in_usd.items() if usd == cheapest}
    return marked


def _rates(
    conn: Connection, currencies: Iterable[str], on: date, warnings: list[Finding]
) -> dict[str, Rate]:
    """R20: each currency's rate in force on `on` (the latest effective on or before it)."""
    found: dict[str, Rate] = {}
    for currency in sorted(set(currencies)):
        history = [
            Rate(r.currency, r.effective_date, r.units_per_usd, r.source)
            for r in conn.execute(
                select(ExchangeRate)
                .where(ExchangeRate.currency == currency, ExchangeRate.effective_date <= on)
                .order_by(ExchangeRate.effective_date)
            )
        ]
        try:
            found[currency] = rate_in_force(history, currency, on)
        except MissingRate as exc:
            warnings.append(warning("R20", f"{exc}: offers in {currency} cannot be compared"))
    return found


def past_performance(
    conn: Connection, consolidator_ids: Iterable[int], issued_on: date
) -> dict[int, Decimal | None]:
    """Each holder's average overall review (1–4, 2 decimals) over the 12 months before the
    issue date (from the same day a year earlier to the day before the issue); None without
    reviews. Reviews of every agency count."""
    ids = sorted(set(consolidator_ids))
    found: dict[int, Decimal | None] = dict.fromkeys(ids)
    if not ids:
        return found
    start = months_before(issued_on, PAST_PERFORMANCE_MONTHS)
    end = issued_on - timedelta(days=1)
    stmt = (
        select(
            PerformanceReview.consolidator_id,
            func.count(PerformanceReview.id),
            *(func.sum(getattr(PerformanceReview, c)) for c, _ in CRITERIA),
        )
        .where(
            and_(
                PerformanceReview.consolidator_id.in_(ids),
                PerformanceReview.reviewed_on.between(start, end),
            )
        )
        .group_by(PerformanceReview.consolidator_id)
    )
    for consolidator_id, count, *sums in conn.execute(stmt):
        found[consolidator_id] = scores_of(count, sums).overall
    return found
