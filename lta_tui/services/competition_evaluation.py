"""Which offers count, and their evaluation: landed totals, USD totals at the competition's ORE
rate (R20), the holders' past performance, scores and ranks (`lta_tui.domain.scoring`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from lta_tui.domain.fx import Rate
from lta_tui.domain.rules import Finding, Holding, Refused, holds_lot, months_before
from lta_tui.domain.scoring import Bid, BidScore, Landed, landed_usd, score_bids
from lta_tui.services.competition_stored import (
    Eligibility,
    Stored,
    StoredOffer,
    eligibilities,
    lot_holdings,
    refield,
)
from lta_tui.services.fx_rates import rate_on
from lta_tui.services.offer_prices import landed_cost
from lta_tui.services.order_checks import bad_input
from lta_tui.services.scorecard import CRITERIA, scores_of
from lta_tui.store.models import PerformanceReview

#: Months of reviews before the issue date that make a holder's past performance.
PAST_PERFORMANCE_MONTHS = 12


@dataclass(frozen=True)
class Validity:
    """Whether an offer counts, and each reason it may not."""

    on_time: bool  # R6
    compliant: bool
    holder_active: bool  # an active holder of the lot on the issue date (R1)
    eligible: bool  # not suspended (R17)

    @property
    def valid(self) -> bool:
        return self.on_time and self.compliant and self.holder_active and self.eligible


def issue_day(stored: Stored) -> date:
    """The day the competition was issued (its creation day for a draft): the day R1 and past
    performance count from."""
    return (stored.issued_at or stored.created_at).date()


def offer_validity(
    stored: Stored,
    offer: StoredOffer,
    holdings: Sequence[Holding],
    cons: Mapping[str, Eligibility],
) -> Validity:
    """An offer counts when it is on time (R6), compliant, from an active holder on the issue
    date (R1) and an eligible consolidator (R17)."""
    holder = cons.get(offer.consolidator)
    return Validity(
        on_time=not offer.late,
        compliant=offer.compliant,
        holder_active=holds_lot(holdings, offer.consolidator, stored.lot, issue_day(stored)),
        eligible=holder is not None and not holder.findings("offer"),
    )


def valid_offers(conn: Connection, stored: Stored) -> dict[str, bool]:
    """consolidator code → whether its offer counts (`offer_validity`)."""
    holdings = lot_holdings(conn, stored.lot_id, stored.lot)
    cons = eligibilities(conn)
    return {o.consolidator: offer_validity(stored, o, holdings, cons).valid for o in stored.offers}


def landed(stored: Stored, offer: StoredOffer) -> Landed:
    """The offer's landed cost (goods + services) in its currency, with its digits."""
    quantities = [line.quantity for line in stored.lines]
    return landed_cost(quantities, offer.line_prices, offer.services, offer.currency)


def past_performance(
    conn: Connection, consolidator_ids: Iterable[int], issued_on: date
) -> dict[int, Decimal | None]:
    """Each holder's average overall review (1–4, 2 decimals) over the
    `PAST_PERFORMANCE_MONTHS` before the issue date (from the same day a year earlier to the
    day before the issue); None without reviews. Reviews of every agency count."""
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
            PerformanceReview.consolidator_id.in_(ids),
            PerformanceReview.reviewed_on.between(start, end),
        )
        .group_by(PerformanceReview.consolidator_id)
    )
    for consolidator_id, count, *sums in conn.execute(stmt):
        found[consolidator_id] = scores_of(count, sums).overall
    return found


@dataclass(frozen=True)
class Evaluated:
    """The figures of one offer at the evaluation."""

    offer: StoredOffer
    valid: bool
    total: Decimal
    rate: Rate | None
    total_usd: Decimal | None
    past_performance: Decimal | None
    score: Decimal | None
    rank: int | None


def evaluate_offers(conn: Connection, stored: Stored) -> list[Evaluated]:
    """Each offer's landed total, USD total (`landed_usd`: each line and service converted at
    the ORE rate in force on the FX rate date and rounded to the cent, then summed; R20),
    past performance, score and rank (`lta_tui.domain.scoring`). Raises `Refused` when a valid
    offer's currency has no rate."""
    if stored.fx_rate_date is None:
        raise Refused([bad_input(f"{stored.reference} has no FX rate date", "fx_rate_date")])
    validity = valid_offers(conn, stored)
    past = past_performance(conn, [o.consolidator_id for o in stored.offers], issue_day(stored))
    found: list[Finding] = []
    figures = []
    for offer in stored.offers:
        cost = landed(stored, offer)
        total = cost.total
        rate, problems = rate_on(conn, offer.currency, stored.fx_rate_date)
        if validity[offer.consolidator]:
            found += refield(problems, f"offers.{offer.consolidator}")
        total_usd = landed_usd(cost, rate) if rate is not None else None
        valid = validity[offer.consolidator]
        figures.append((offer, valid, total, rate, total_usd, past[offer.consolidator_id]))
    if found:
        raise Refused(found)
    scores = score_offers(stored, [(o, valid, usd, past) for o, valid, _, _, usd, past in figures])
    return [
        Evaluated(offer, valid, total, rate, total_usd, performance, s.total, s.rank)
        for (offer, valid, total, rate, total_usd, performance), s in zip(
            figures, scores, strict=True
        )
    ]


def score_offers(
    stored: Stored,
    offers: Sequence[tuple[StoredOffer, bool, Decimal | None, Decimal | None]],
) -> list[BidScore]:
    """The points, score and rank of each (offer, valid, total in USD, past performance) under
    the competition's method and weights (`lta_tui.domain.scoring.score_bids`); an offer
    without a USD total is not scored. In the order given."""
    bids = [
        Bid(
            key=offer.consolidator,
            total_usd=total_usd if total_usd is not None else Decimal(0),
            delivery_days=max(offer.delivery_days, 1),
            warranty_months=offer.warranty_months,
            takes_back_equipment=offer.takes_back_equipment,
            energy_label=offer.energy_label,
            past_performance=past,
            received_at=offer.received_at,
            valid=valid and total_usd is not None,
        )
        for offer, valid, total_usd, past in offers
    ]
    return score_bids(stored.evaluation_method, dict(stored.weights), bids)
