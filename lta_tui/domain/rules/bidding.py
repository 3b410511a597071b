"""Rules of secondary bidding (DESIGN.md §2, R1–R11): who is invited, what may be asked, when
offers count and stay sealed, how criteria are fixed, and when an award or a cancellation is
allowed."""

from __future__ import annotations

import statistics
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lta_tui.domain.rules._ratio import as_decimal, exceeds_pct, share_pct
from lta_tui.domain.rules._render import day, line_field, line_prefix, moment, money, percent
from lta_tui.domain.rules.findings import Finding, error, warning
from lta_tui.domain.rules.records import Holding, holders_on, holdings_of, holds_lot
from lta_tui.domain.states import CRITERIA, SPEND_STATUSES, Criterion, EvaluationMethod

_CRITERIA = set(CRITERIA)
#: Order states from which an order counts as issued (a competition can no longer be cancelled).
_ISSUED = {s.value for s in SPEND_STATUSES}


def check_holder_active(
    holdings: Collection[Holding], consolidator: str, lot: int, on: date
) -> list[Finding]:
    """R1 (E): only active holders of the lot, on the issue date, can be invited or make an offer.

    `on` is the competition's issue date; a holding's first and last day both count.
    """
    if holds_lot(holdings, consolidator, lot, on):
        return []
    periods = [str(h.period) for h in holdings_of(holdings, consolidator, lot)]
    held = f" (its holding of lot {lot}: {'; '.join(periods)})" if periods else ""
    return [
        error(
            "R1",
            f"{consolidator} is not an active holder of lot {lot} on {day(on)}{held}:"
            " it cannot be invited or make an offer",
            "consolidator",
        )
    ]


def check_left_out_holders(
    holdings: Collection[Holding],
    lot: int,
    on: date,
    invited: Collection[str],
    exclusion_reasons: Mapping[str, str | None],
) -> list[Finding]:
    """R2 (W): a holder of the lot left out of the invitations needs a recorded reason.

    `invited` holds the codes of the invited consolidators, `exclusion_reasons` the reason
    recorded for each one left out; one warning per active holder left out without a reason.
    """
    found = []
    for code in holders_on(holdings, lot, on):
        reason = exclusion_reasons.get(code)
        if code not in invited and not (reason and reason.strip()):
            found.append(
                warning(
                    "R2",
                    f"{code} holds lot {lot} but is not invited: record why it is left out",
                    f"exclusions.{code}",
                )
            )
    return found


def check_unspsc_in_lot(
    unspsc: str | None, lot: int, scope: Collection[str], line_no: int | None = None
) -> list[Finding]:
    """R3 (E): a requirement line carries an 8-digit UNSPSC code within the lot's scope.

    `scope` lists the lot's code prefixes (2 to 8 digits, e.g. "4321", "43211503"); a code is
    within scope when it starts with one of them.
    """
    field = line_field(line_no, "unspsc")
    where = line_prefix(line_no)
    code = (unspsc or "").strip()
    if not code:
        return [error("R3", f"{where}a UNSPSC code is required", field)]
    if len(code) != 8 or not code.isdecimal():
        return [error("R3", f"{where}UNSPSC code {code!r} must be 8 digits", field)]
    if any(code.startswith(prefix) for prefix in scope):
        return []
    listed = ", ".join(sorted(scope)) or "no codes"
    return [
        error("R3", f"{where}UNSPSC {code} is outside the scope of lot {lot} ({listed})", field)
    ]


def working_days_between(start: date, end: date) -> int:
    """Monday-to-Friday days after `start` up to and including `end` (0 when end ≤ start)."""
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    first = start.weekday()
    return weeks * 5 + sum(1 for i in range(1, rest + 1) if (first + i) % 7 < 5)


def check_response_time(
    issued_at: datetime, deadline: datetime, min_working_days: int
) -> list[Finding]:
    """R4: the deadline is after the issue (E); a response time under the minimum warns (W).

    The response time counts the Monday-to-Friday days after the issue day up to and including
    the deadline day; `min_working_days` comes from config (default 5).
    """
    if deadline <= issued_at:
        return [
            error(
                "R4",
                f"the deadline {moment(deadline)} must be after the issue {moment(issued_at)}",
                "deadline",
            )
        ]
    days = working_days_between(issued_at.date(), deadline.date())
    if days >= min_working_days:
        return []
    return [
        warning(
            "R4",
            f"holders get {days} working day{'s' if days != 1 else ''} to answer"
            f" (issued {day(issued_at.date())}, deadline {day(deadline.date())});"
            f" the minimum is {min_working_days}",
            "deadline",
        )
    ]


def check_prices_unsealed(
    now: datetime, deadline: datetime | None, opened_at: datetime | None
) -> list[Finding]:
    """R5 (E): offers stay sealed until the deadline has passed and the opening is recorded.

    While sealed, no price of an offer is shown, sorted on, summed or exported. Recording the
    opening itself is checked by passing the proposed `opened_at` (usually `now`).
    """
    if deadline is None:
        text = "offers are sealed: the competition has no deadline yet"
    elif now <= deadline:
        text = f"offers are sealed until the deadline {moment(deadline)} has passed"
    elif opened_at is None:
        text = "offers are sealed until the opening is recorded"
    elif opened_at <= deadline:
        text = f"the opening at {moment(opened_at)} must be after the deadline {moment(deadline)}"
    else:
        return []
    return [error("R5", text, "opened_at")]


def may_reveal_prices(now: datetime, deadline: datetime | None, opened_at: datetime | None) -> bool:
    """True when offer prices may be shown, sorted, summed or exported (`check_prices_unsealed`)."""
    return not check_prices_unsealed(now, deadline, opened_at)


def check_offer_on_time(received_at: datetime, deadline: datetime) -> list[Finding]:
    """R6 (E): an offer received after the deadline is late and excluded.

    An offer received at the deadline's exact moment is on time.
    """
    if received_at <= deadline:
        return []
    return [
        error(
            "R6",
            f"the offer received {moment(received_at)} is late (deadline {moment(deadline)})"
            " and is excluded",
            "received_at",
        )
    ]


def check_criteria(
    method: str,
    weights: Mapping[str, int],
    issued_weights: Mapping[str, int] | None = None,
) -> list[Finding]:
    """R7 (E): criteria and weights sum to 100 and are fixed when the competition is issued.

    `weights` maps criterion to whole-number weight. A weighted evaluation needs criteria with
    a price weight above 0; a lowest-price evaluation may have none, but any weights given must
    still sum to 100. `issued_weights` are those fixed at issue (None while in draft): once
    issued, any difference is refused.
    """
    found = []
    unknown = sorted(set(weights) - _CRITERIA)
    if unknown:
        known = ", ".join(sorted(_CRITERIA))
        found.append(
            error("R7", f"unknown criterion {', '.join(unknown)} (use {known})", "weights")
        )
    negative = sorted(name for name, w in weights.items() if w < 0)
    if negative:
        found.append(error("R7", f"weights cannot be negative ({', '.join(negative)})", "weights"))
    total = sum(weights.values())
    if (weights or method == EvaluationMethod.weighted) and total != 100:
        found.append(error("R7", f"criteria weights sum to {total}, not 100", "weights"))
    if method == EvaluationMethod.weighted and weights.get(Criterion.price.value, 0) <= 0:
        found.append(error("R7", "a weighted evaluation needs a price weight above 0", "weights"))
    if issued_weights is not None and dict(weights) != dict(issued_weights):
        fixed = ", ".join(f"{k} {v}" for k, v in sorted(issued_weights.items())) or "none"
        found.append(
            error(
                "R7",
                f"criteria and weights are fixed since the competition was issued ({fixed})",
                "weights",
            )
        )
    return found


def check_valid_offer_count(
    valid_offers: int, minimum: int, justification: str | None
) -> list[Finding]:
    """R8 (W): fewer valid offers than the configured minimum (default 2) need a justification."""
    if valid_offers >= minimum or (justification and justification.strip()):
        return []
    noun = "offer" if valid_offers == 1 else "offers"
    return [
        warning(
            "R8",
            f"{valid_offers} valid {noun}, fewer than the minimum of {minimum}:"
            " record a justification before the award",
            "few_offers_justification",
        )
    ]


def check_abnormally_low(
    offer_totals: Mapping[str, Decimal], threshold_pct: int | Decimal, currency: str
) -> list[Finding]:
    """R9 (W): an offer more than the configured % (default 30) under the median is abnormally low.

    `offer_totals` maps each valid offer (by consolidator code) to its total in one common
    `currency`; an offer exactly at the threshold is not flagged.
    """
    if not offer_totals:
        return []
    median = statistics.median(offer_totals.values())
    found = []
    for code, total in sorted(offer_totals.items()):
        gap = median - total
        if gap > 0 and exceeds_pct(gap, median, threshold_pct):
            found.append(
                warning(
                    "R9",
                    f"{code}'s offer {money(total, currency)} is {percent(share_pct(gap, median))}"
                    f" under the median {money(median, currency)}"
                    f" (threshold {as_decimal(threshold_pct)} %): abnormally low, check it",
                    f"offers.{code}",
                )
            )
    return found


@dataclass(frozen=True)
class OfferStanding:
    """Where an offer stands after evaluation: its competition, validity and rank (1 = best)."""

    consolidator: str
    competition: str
    valid: bool
    rank: int | None = None


def check_award(
    competition: str,
    offer: OfferStanding | None,
    valid_offers: int,
    justification: str | None,
) -> list[Finding]:
    """R10 (E): award only a valid offer of the same competition, rank 1 unless justified.

    With no valid offer (`valid_offers` == 0) nothing can be awarded: the competition is
    unsuccessful. An award to an offer other than rank 1 needs a justification.
    """
    if valid_offers <= 0:
        return [
            error(
                "R10",
                f"{competition} has no valid offer: nothing can be awarded,"
                " the competition is unsuccessful",
                "offer",
            )
        ]
    if offer is None:
        return [error("R10", "choose the offer to award", "offer")]
    found = []
    if offer.competition != competition:
        found.append(
            error(
                "R10",
                f"the offer of {offer.consolidator} belongs to {offer.competition},"
                f" not {competition}",
                "offer",
            )
        )
    if not offer.valid:
        found.append(
            error("R10", f"the offer of {offer.consolidator} is not a valid offer", "offer")
        )
    elif offer.rank != 1 and not (justification and justification.strip()):
        rank = f"ranks {offer.rank}" if offer.rank is not None else "has no rank"
        found.append(
            error(
                "R10",
                f"the offer of {offer.consolidator} {rank}: an award to other than rank 1"
                " needs a justification",
                "justification",
            )
        )
    return found


def check_offer_still_valid(
    consolidator: str, valid_until: date | None, award_day: date
) -> list[Finding]:
    """R10 (W): an offer whose validity ended before the award day is awarded only once the user
    acknowledges it (the consolidator must confirm it still holds its prices and terms).

    `valid_until` is the offer's last valid day (None: no end stated); an offer valid on the
    award day itself is kept.
    """
    if valid_until is None or valid_until >= award_day:
        return []
    return [
        warning(
            "R10",
            f"the offer of {consolidator} was valid until {day(valid_until)}, before the award on"
            f" {day(award_day)}: confirm that {consolidator} still holds its prices and terms",
            "offer",
        )
    ]


def check_cancellation(
    reason: str | None, orders: Mapping[str, str] | None = None
) -> list[Finding]:
    """R11 (E): cancelling a competition needs a reason, and none once its order is issued.

    `orders` maps the PO numbers of the competition's orders to their status; an order counts
    as issued from `issued` on (a draft or cancelled order does not block).
    """
    found = []
    if not (reason and reason.strip()):
        found.append(error("R11", "cancelling needs a reason", "cancellation_reason"))
    issued = sorted(
        po for po, status in (orders or {}).items() if getattr(status, "value", status) in _ISSUED
    )
    if issued:
        found.append(
            error(
                "R11",
                f"order {', '.join(issued)} is already issued: cancel the order first",
                "cancellation_reason",
            )
        )
    return found
