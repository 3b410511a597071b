"""The side-by-side comparison of a mini-competition's offers: landed totals in each offer's
currency and in USD at the competition's rate, per-line prices with the lowest marked, scores
per criterion, ranks, and the warnings R8 (few valid offers) and R9 (abnormally low offer).

R5: while the offers are sealed (`may_reveal_prices` false) no price table is read at all: the
comparison then lists who answered, in the order received, and nothing else of the offers.
Once opened the figures are computed live (rates in force on the FX rate date, R20, past
performance from the reviews); once evaluated they are the stored ones, never recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.engine import Connection

from lta_tui.config import RulesConfig
from lta_tui.domain.dates import aware
from lta_tui.domain.fx import Rate
from lta_tui.domain.money import line_amount, round_money
from lta_tui.domain.rules import (
    Finding,
    check_abnormally_low,
    check_valid_offer_count,
    may_reveal_prices,
)
from lta_tui.domain.rules.findings import Severity
from lta_tui.domain.scoring import landed_usd, points
from lta_tui.domain.states import SERVICE_CODES, EvaluationMethod, effective_status
from lta_tui.services.browse_competitions import CompetitionNotFound
from lta_tui.services.competition_evaluation import (
    Validity,
    issue_day,
    landed,
    offer_validity,
    past_performance,
    score_offers,
)
from lta_tui.services.competition_stored import (
    CompetitionMissing,
    Stored,
    StoredOffer,
    eligibilities,
    load_stored,
    lot_holdings,
    with_offers,
)
from lta_tui.services.fx_rates import rate_on
from lta_tui.store.models import Consolidator, Offer


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
        return self.evaluation_method == EvaluationMethod.lowest_price.value or not self.weights


def comparison(
    conn: Connection, competition_id: int, now: datetime, rules: RulesConfig
) -> Comparison:
    """The comparison of a competition's offers on `now` (R5 sealed until opened; R8, R9)."""
    now = aware(now)
    try:
        stored = load_stored(conn, competition_id, offers=False)  # no price read yet (R5)
    except CompetitionMissing:
        raise CompetitionNotFound(f"no competition with id {competition_id}") from None
    sealed = not may_reveal_prices(now, stored.deadline, stored.opened_at)
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
    base = dict(
        competition_id=stored.id,
        reference=stored.reference,
        title=stored.title,
        status=effective_status(stored.status, stored.deadline, now),
        version=stored.version,
        evaluation_method=stored.evaluation_method,
        weights=stored.weights,
        fx_rate_date=stored.fx_rate_date,
        issued_at=stored.issued_at,
        deadline=stored.deadline,
        opened_at=stored.opened_at,
        opened_by=stored.opened_by,
        evaluated_at=stored.evaluated_at,
        evaluated_by=stored.evaluated_by,
        sealed=sealed,
        lines=tuple(
            RequirementRow(line.line_no, line.description, line.quantity, line.unit)
            for line in stored.lines
        ),
        received=received,
        few_offers_justification=stored.justification,
    )
    if sealed:  # R5: not one price table is read
        return Comparison(
            **base,
            stored=False,
            services=stored.services_asked,
            offers=(),
            warnings=(),
            valid_offers=None,
        )
    stored = with_offers(conn, stored)
    figures, warnings = _opened_figures(conn, stored, now, rules)
    services = tuple(
        code
        for code in SERVICE_CODES
        if code in stored.services_asked or any(o.service_price(code) is not None for o in figures)
    )
    return Comparison(
        **base,
        stored=stored.evaluated_at is not None,
        services=services,
        offers=tuple(sorted(figures, key=_display_order)),
        warnings=tuple(warnings),
        valid_offers=sum(1 for o in figures if o.valid),
    )


def _display_order(offer: OfferFigures) -> tuple:
    return (offer.rank is None, offer.rank or 0, offer.received_at)


@dataclass(frozen=True)
class _Assessed:
    """An opened offer with its figures, on its way to `OfferFigures`."""

    offer: StoredOffer
    validity: Validity
    valid: bool  # scored and ranked: as evaluated once stored, else `validity.valid`
    goods: Decimal
    total: Decimal
    units_per_usd: Decimal | None  # the ORE rate used (R20): live, or as evaluated
    rate_date: date | None
    total_usd: Decimal | None
    past: Decimal | None


def _opened_figures(
    conn: Connection, stored: Stored, now: datetime, rules: RulesConfig
) -> tuple[list[OfferFigures], list[Finding]]:
    evaluated = stored.evaluated_at is not None
    holdings = lot_holdings(conn, stored.lot_id, stored.lot)
    cons = eligibilities(conn)
    missing: list[Finding] = []
    rates: dict[str, Rate] = {}
    performance: dict[int, Decimal | None] = {}
    if not evaluated:
        rate_day = stored.fx_rate_date or (stored.deadline or now).date()
        rates = _rates(conn, [o.currency for o in stored.offers], rate_day, missing)
        ids = [o.consolidator_id for o in stored.offers]
        performance = past_performance(conn, ids, issue_day(stored))
    assessed = []
    for offer in stored.offers:
        validity = offer_validity(stored, offer, holdings, cons)
        cost = landed(stored, offer)
        # the total written at the opening is the one of record; older rows have none
        total = cost.total if offer.total is None else round_money(offer.total, offer.currency)
        if evaluated:  # as the evaluation wrote them (R20: never silently recomputed)
            usd, past = offer.total_usd, offer.past_performance
            assessed.append(
                _Assessed(offer, validity, offer.rank is not None, cost.goods, total,
                          offer.fx_units_per_usd, offer.fx_effective_date,
                          None if usd is None else round_money(usd, "USD"),
                          None if past is None else points(past))
            )  # fmt: skip
            continue
        rate = rates.get(offer.currency)
        assessed.append(
            _Assessed(
                offer,
                validity,
                validity.valid,
                cost.goods,
                total,
                rate.units_per_usd if rate else None,
                rate.effective_date if rate and offer.currency != "USD" else None,
                landed_usd(cost, rate) if rate else None,
                performance.get(offer.consolidator_id),
            )
        )

    scores = score_offers(stored, [(a.offer, a.valid, a.total_usd, a.past) for a in assessed])
    valid_usd = {
        a.offer.consolidator: a.total_usd for a in assessed if a.valid and a.total_usd is not None
    }
    low = check_abnormally_low(valid_usd, rules.abnormally_low_pct, "USD")
    flagged = {f.field for f in low}
    valid_count = sum(1 for a in assessed if a.valid)
    warnings = [
        *check_valid_offer_count(valid_count, rules.min_valid_offers, stored.justification),
        *low,
        *missing,
    ]
    lowest = _lowest_per_line(assessed, len(stored.lines))

    figures = []
    for a, score in zip(assessed, scores, strict=True):
        offer, code = a.offer, a.offer.consolidator
        figures.append(
            OfferFigures(
                consolidator=code,
                name=cons[code].name if code in cons else code,
                received_at=offer.received_at,
                currency=offer.currency,
                late=offer.late,
                compliant=offer.compliant,
                disqualification_reason=offer.disqualification_reason,
                holder_active=a.validity.holder_active,
                suspended=not a.validity.eligible,
                valid=a.valid,
                content_hash=offer.content_hash,
                hash_ok=offer.hash_ok,
                delivery_days=offer.delivery_days,
                warranty_months=offer.warranty_months,
                valid_until=offer.valid_until,
                takes_back_equipment=offer.takes_back_equipment,
                energy_label=offer.energy_label,
                lines=tuple(
                    LinePrice(
                        line.line_no,
                        price,
                        line_amount(line.quantity, price, offer.currency),
                        (code, i) in lowest,
                    )
                    for i, (line, price) in enumerate(
                        zip(stored.lines, offer.line_prices, strict=True)
                    )
                ),
                goods=a.goods,
                services=offer.services,
                total=a.total,
                units_per_usd=a.units_per_usd,
                rate_date=a.rate_date,
                total_usd=a.total_usd,
                past_performance=a.past,
                criteria=score.criteria,
                score=(None if offer.score is None else points(offer.score))
                if evaluated
                else score.total,
                rank=offer.rank if evaluated else score.rank,
                abnormally_low=f"offers.{code}" in flagged,
            )
        )
    return figures, warnings


def _lowest_per_line(assessed: list[_Assessed], lines: int) -> set[tuple[str, int]]:
    """(consolidator, line index) of each line's lowest unit price, compared in USD at each
    offer's rate, among the valid offers (all offers with a rate when none is valid)."""
    pool = [a for a in assessed if a.valid and a.units_per_usd] or [
        a for a in assessed if a.units_per_usd
    ]
    marked: set[tuple[str, int]] = set()
    for i in range(lines):
        in_usd = {a.offer.consolidator: a.offer.line_prices[i] / a.units_per_usd for a in pool}
        if in_usd:
            cheapest = min(in_usd.values())
            marked |= {(code, i) for code, usd in in_usd.items() if usd == cheapest}
    return marked


def _rates(
    conn: Connection, currencies: Iterable[str], on: date, warnings: list[Finding]
) -> dict[str, Rate]:
    """R20: each currency's rate in force on `on`; a currency without one is warned about (its
    offers are not compared) rather than refused."""
    found: dict[str, Rate] = {}
    for currency in sorted(set(currencies)):
        rate, problems = rate_on(conn, currency, on)
        if rate is not None:
            found[currency] = rate
        warnings += [
            Finding(
                f.rule,
                Severity.warning,
                f"{f.message}; until then offers in {currency} cannot be compared",
            )
            for f in problems
        ]
    return found
