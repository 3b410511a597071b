"""Which offers count, and their evaluation: landed totals, USD totals at the competition's ORE
rate (R20), the holders' past performance, scores and ranks (`lta_tui.domain.scoring`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from lta_tui.domain.fx import Rate, to_usd
from lta_tui.domain.money import round_money
from lta_tui.domain.rules import Finding, Holding, Refused, check_holder_active, months_before
from lta_tui.domain.scoring import Bid, landed_total, score_bids
from lta_tui.services.competition_stored import (
    Eligibility,
    Stored,
    StoredOffer,
    eligibilities,
    lot_holdings,
    rate_on,
    refield,
)
from lta_tui.services.order_checks import bad_input
from lta_tui.services.scorecard import CRITERIA, scores_of
from lta_tui.store.models import PerformanceReview


def valid_offer(
    stored: Stored,
    offer: StoredOffer,
    holdings: Sequence[Holding],
    cons: Mapping[str, Eligibility],
) -> bool:
    """An offer counts when it is on time (R6), compliant, from an active holder on the issue
    date (R1) and an eligible consolidator (R17)."""
    if offer.late or not offer.compliant:
        return False
    issued = (stored.issued_at or stored.created_at).date()
    if check_holder_active(holdings, offer.consolidator, stored.lot, issued):
        return False
    holder = cons.get(offer.consolidator)
    return holder is not None and not holder.findings("offer")


def valid_offers(conn: Connection, stored: Stored) -> dict[str, bool]:
    """consolidator code → whether its offer counts (`valid_offer`)."""
    holdings = lot_holdings(conn, stored.lot_id, stored.lot)
    cons = eligibilities(conn)
    return {o.consolidator: valid_offer(stored, o, holdings, cons) for o in stored.offers}


def landed(stored: Stored, offer: StoredOffer) -> Decimal:
    """The offer's landed total (goods + services) in its currency."""
    quantities = [line.quantity for line in stored.lines]
    total = landed_total(quantities, offer.line_prices, offer.services, offer.currency).total
    return round_money(total, offer.currency)  # exact already: shown with the currency's digits


def past_performance(conn: Connection, consolidator_id: int, issued: date) -> Decimal | None:
    """The holder's average overall review (1–4) over the 12 months before `issued` (all
    agencies' reviews dated from the same day a year earlier to the day before); None without
    any review."""
    start, end = months_before(issued, 12), issued - timedelta(days=1)
    row = conn.execute(
        select(
            func.count(PerformanceReview.id),
            *(func.sum(getattr(PerformanceReview, c)) for c, _ in CRITERIA),
        ).where(
            PerformanceReview.consolidator_id == consolidator_id,
            PerformanceReview.reviewed_on.between(start, end),
        )
    ).one()
    return scores_of(row[0], row[1:]).overall


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
    """Each offer's landed total, USD total at the ORE rate in force on the FX rate date (R20),
    past performance, score and rank (`lta_tui.domain.scoring`). Raises `Refused` when a valid
    offer's currency has no rate."""
    if stored.fx_rate_date is None:
        raise Refused([bad_input(f"{stored.reference} has no FX rate date", "fx_rate_date")])
    validity = valid_offers(conn, stored)
    issued = (stored.issued_at or stored.created_at).date()
    found: list[Finding] = []
    figures = []
    for offer in stored.offers:
        total = landed(stored, offer)
        rate, problems = rate_on(conn, offer.currency, stored.fx_rate_date)
        if validity[offer.consolidator]:
            found += refield(problems, f"offers.{offer.consolidator}")
        total_usd = to_usd(total, rate) if rate is not None else None
        past = past_performance(conn, offer.consolidator_id, issued)
        figures.append((offer, validity[offer.consolidator], total, rate, total_usd, past))
    if found:
        raise Refused(found)
    bids = [
        Bid(
            key=offer.consolidator,
            total_usd=total_usd if total_usd is not None else Decimal(0),
            delivery_days=offer.delivery_days,
            warranty_months=offer.warranty_months,
            takes_back_equipment=offer.takes_back_equipment,
            energy_label=offer.energy_label,
            past_performance=past,
            received_at=offer.received_at,
            valid=valid and total_usd is not None,
        )
        for offer, valid, _, _, total_usd, past in figures
    ]
    scores = score_bids(stored.evaluation_method, dict(stored.weights), bids)
    return [
        Evaluated(offer, valid, total, rate, total_usd, past, s.total, s.rank)
        for (offer, valid, total, rate, total_usd, past), s in zip(figures, scores, strict=True)
    ]
