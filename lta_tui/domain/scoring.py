"""How offers of a mini-competition are scored and ranked (DESIGN.md §2, R10), by hand if need be.

An offer's landed total is the sum of its goods (each line's quantity × unit price, rounded to
the currency's minor unit) and its service prices (freight, export licensing, installation,
warranty), in the offer's currency. Its total in USD, what the price criterion compares, is
converted as an order converts its lines (R20): each goods line and each service price is
converted at the ORE rate in force on the competition's FX rate date and rounded to the cent,
then the cents are summed (`landed_usd`). An award and the order created from it, at the same
rate, thus agree to the cent.

Only valid offers (on time, technically compliant, from an active and eligible holder) are
scored and ranked. With the weights of the competition (points summing to 100), each criterion
gives an offer:

- price: weight × lowest total in USD among the valid offers ÷ this offer's total in USD;
- delivery time: weight × fewest delivery days ÷ this offer's delivery days;
- warranty: weight × this offer's warranty months ÷ longest warranty months (0 if all are 0);
- sustainability: weight × (take-back of old equipment + energy label, each 1 or 0) ÷ 2;
- past performance: weight × p ÷ 4, where p is the holder's average overall review (1–4) over
  the 12 months before the issue date, 2.5 when it has no review.

Each criterion's points are rounded half up to 2 decimals; the score is the sum of the rounded
points. Under "lowest price technically compliant" the score is the price points with weight
100 and the cheapest offer ranks first. Ranks: highest score first; ties go to the lower total
in USD, then the earlier receipt, then the consolidator's code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from lta_tui.domain.dates import aware
from lta_tui.domain.fx import Rate, to_usd
from lta_tui.domain.money import line_amount
from lta_tui.domain.states import CRITERIA, Criterion, EvaluationMethod

#: The past-performance figure of a holder without any review in the period.
NO_REVIEWS = Decimal("2.5")
#: Reviews score from 1 to 4.
BEST_REVIEW = Decimal(4)
POINTS = Decimal("0.01")


@dataclass(frozen=True)
class Landed:
    """An offer's landed cost in its own currency."""

    currency: str
    lines: tuple[Decimal, ...]  # line_amount(quantity, unit price, currency) per goods line
    goods: Decimal  # Σ lines
    services: tuple[tuple[str, Decimal], ...]  # (ServiceCode value, price)
    total: Decimal  # goods + Σ services


def landed_total(
    quantities: Sequence[Decimal],
    line_prices: Sequence[Decimal],
    services: Sequence[tuple[str, Decimal]],
    currency: str,
) -> Landed:
    """Goods (each line rounded to the currency's minor unit) plus every service price."""
    if len(quantities) != len(line_prices):
        raise ValueError(f"{len(line_prices)} prices for {len(quantities)} requirement lines")
    lines = tuple(line_amount(q, p, currency) for q, p in zip(quantities, line_prices, strict=True))
    goods = sum(lines, Decimal(0))
    priced = tuple((code, price) for code, price in services)
    total = goods + sum((price for _, price in priced), Decimal(0))
    return Landed(currency, lines, goods, priced, total)


def landed_usd(landed: Landed, rate: Rate) -> Decimal:
    """R20: the landed total in USD as an order from the offer would total it: each goods
    line's amount and each service price (a service line of quantity 1, `line_amount`)
    converted with `to_usd` at `rate` and rounded to the cent, then summed. May differ by a
    few cents from converting the landed total at once; this is the figure of record."""
    if rate.currency != landed.currency:
        raise ValueError(f"a {rate.currency} rate for an offer in {landed.currency}")
    amounts = (
        *landed.lines,
        *(line_amount(Decimal(1), price, landed.currency) for _, price in landed.services),
    )
    return sum((to_usd(amount, rate) for amount in amounts), Decimal(0))


@dataclass(frozen=True)
class Bid:
    """One offer as scored."""

    key: str  # consolidator code
    total_usd: Decimal  # landed_usd at the competition's rate
    delivery_days: int  # >= 1
    warranty_months: int
    takes_back_equipment: bool
    energy_label: bool
    past_performance: Decimal | None  # 1–4 average review; None = no reviews
    received_at: datetime
    valid: bool  # on time, compliant, holder active and eligible


@dataclass(frozen=True)
class BidScore:
    key: str
    criteria: tuple[tuple[str, Decimal], ...]  # (criterion, points) in Criterion order
    total: Decimal | None  # None for an invalid bid
    rank: int | None  # 1 = best; None for an invalid bid


def points(value: Decimal) -> Decimal:
    """A criterion's points, rounded half up to 2 decimals (also how a score and a review
    average are shown)."""
    return value.quantize(POINTS, rounding=ROUND_HALF_UP)


def scoring_weights(method: str, weights: Mapping[str, int]) -> dict[str, int]:
    """The weights actually applied: price 100 under lowest price (or without weights), else
    the competition's, in Criterion order."""
    if method not in {m.value for m in EvaluationMethod}:
        raise ValueError(f"unknown evaluation method {method!r}")
    unknown = sorted(set(weights) - set(CRITERIA))
    if unknown:
        raise ValueError(f"unknown criteria {', '.join(unknown)}")
    if method == EvaluationMethod.lowest_price or not weights:
        return {Criterion.price.value: 100}
    return {c: weights[c] for c in CRITERIA if c in weights}


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    """numerator ÷ denominator, where 0 ÷ 0 (everything free, or all equal to 0) counts as 1."""
    if denominator == 0:
        return Decimal(1) if numerator == 0 else Decimal(0)
    return numerator / denominator


def score_bids(method: str, weights: Mapping[str, int], bids: Sequence[Bid]) -> list[BidScore]:
    """R10: each valid bid's points per criterion, score and rank (see the module docstring);
    invalid bids get no points, score or rank. The result is in the order of `bids`."""
    applied = scoring_weights(method, weights)
    valid = [b for b in bids if b.valid]
    for bid in valid:
        if bid.delivery_days < 1:
            raise ValueError(f"{bid.key}: delivery days must be at least 1")
    scored: dict[int, tuple[tuple[str, Decimal], ...]] = {}
    if valid:
        lowest = min(b.total_usd for b in valid)
        fastest = Decimal(min(b.delivery_days for b in valid))
        longest = Decimal(max(b.warranty_months for b in valid))
        for i, bid in enumerate(bids):
            if not bid.valid:
                continue
            past = NO_REVIEWS if bid.past_performance is None else bid.past_performance
            shares = {
                Criterion.price.value: _ratio(lowest, bid.total_usd),
                Criterion.delivery_time.value: fastest / bid.delivery_days,
                Criterion.warranty.value: (
                    Decimal(bid.warranty_months) / longest if longest else Decimal(0)
                ),
                Criterion.sustainability.value: Decimal(
                    int(bid.takes_back_equipment) + int(bid.energy_label)
                )
                / 2,
                Criterion.past_performance.value: past / BEST_REVIEW,
            }
            scored[i] = tuple((c, points(w * shares[c])) for c, w in applied.items())
    totals = {i: sum((p for _, p in criteria), Decimal(0)) for i, criteria in scored.items()}
    order = sorted(
        totals,
        key=lambda i: (-totals[i], bids[i].total_usd, aware(bids[i].received_at), bids[i].key),
    )
    ranks = {i: rank for rank, i in enumerate(order, start=1)}
    return [
        BidScore(bid.key, scored[i], totals[i], ranks[i])
        if i in scored
        else BidScore(bid.key, (), None, None)
        for i, bid in enumerate(bids)
    ]
