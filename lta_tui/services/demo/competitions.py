"""Mini-competitions in every state of DESIGN.md §2, each with a timeline that fits its state on
`until`: drafts and open ones around that day (open deadlines after it), the ones that ran their
course (ordered, unsuccessful, cancelled) spread over the span.

What a competition asks and receives is drawn in `bidding`; the rows are written by
`competition_rows`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from lta_tui.domain.states import CompetitionStatus as S
from lta_tui.services.demo.bidding import (
    Bid,
    Tender,
    draw_tender,
    evaluate,
    open_offers,
    receive_offers,
)
from lta_tui.services.demo.rates import FxBook
from lta_tui.services.demo.vocabulary import (
    AWARD_JUSTIFICATIONS,
    CANCELLATIONS,
    DISQUALIFICATIONS,
    FEW_OFFERS,
)
from lta_tui.services.demo.world import World, moment

#: Milestones in the order a competition passes them.
STAGES = (S.draft, S.open, S.closed, S.opened, S.evaluated, S.awarded, S.ordered)
#: Share of competitions still under way on `until`, by state, and how many days before
#: `until` (at most) they reached it.
UNDER_WAY = {S.draft: (0.03, 10), S.open: (0.06, 8), S.closed: (0.02, 3), S.opened: (0.02, 4),
             S.evaluated: (0.02, 6), S.awarded: (0.03, 10)}  # fmt: skip
#: Share of competitions that ended otherwise than in an order.
ENDED = {S.cancelled: 0.09, S.unsuccessful: 0.06}
#: Days before `until` a finished competition starts at the latest (issue to order < 80).
COURSE_DAYS = 90
ORDERS_PER_COMPETITION = 350
#: Days into the span before which no holder has a review yet (past performance: none).
FIRST_REVIEWS_DAYS = 120


@dataclass
class Timeline:
    created: datetime
    issued: datetime | None = None
    deadline: datetime | None = None
    opened: datetime | None = None
    evaluated: datetime | None = None
    awarded: datetime | None = None
    ordered: datetime | None = None
    ended: datetime | None = None  # cancelled or declared unsuccessful


@dataclass
class Competition:
    status: S
    reach: S  # the last milestone passed
    tender: Tender
    times: Timeline
    created_by: str
    opened_by: str | None = None
    bids: list[Bid] = field(default_factory=list)
    award: tuple[Bid, int, str | None] | None = None  # (offer, rank, justification)
    justification: str | None = None
    cancellation_reason: str | None = None
    id: int = 0
    reference: str = ""


def competition_count(orders: int) -> int:
    return max(20, round(orders / ORDERS_PER_COMPETITION))


def _states(count: int, orders: int) -> list[S]:
    states = [s for s, (share, _) in UNDER_WAY.items() for _ in range(max(1, round(count * share)))]
    states += [s for s, share in ENDED.items() for _ in range(max(1, round(count * share)))]
    ordered = max(1, min(count - len(states), orders // 3))
    return states + [S.ordered] * ordered


def _later(rng: random.Random, after: datetime, day: date) -> datetime:
    """A moment of `day` during office hours, at least half an hour after `after`."""
    return max(moment(day, rng), after + timedelta(minutes=rng.randint(30, 240)))


def _previous_working_day(day: date) -> date:
    return day - timedelta(days=max(0, day.weekday() - 4))


def _timeline(rng: random.Random, world: World, status: S, reach: S) -> Timeline:
    gaps = (rng.randint(1, 7), rng.randint(10, 25), rng.randint(0, 2), rng.randint(2, 10),
            rng.randint(1, 6), rng.randint(3, 15))  # fmt: skip
    latest = world.until - timedelta(days=COURSE_DAYS)
    days = [world.start + timedelta(days=rng.randint(0, max(0, (latest - world.start).days)))]
    for gap in gaps:
        days.append(days[-1] + timedelta(days=gap))
    stage = STAGES.index(reach)
    if status in UNDER_WAY:
        earliest = 1 if status == S.closed else 0
        target = world.until - timedelta(days=rng.randint(earliest, UNDER_WAY[status][1]))
        shift = target - days[stage]
        days = [d + shift for d in days]
    days = [days[0]] + [_previous_working_day(d) for d in days[1:]]
    if status == S.open and days[2] <= world.until:
        days[2] = world.until + timedelta(days=rng.randint(3, 14))

    times = Timeline(created=moment(days[0], rng))
    if stage >= 1:
        times.issued = _later(rng, times.created, days[1])
        day = max(days[2], times.issued.date() + timedelta(days=7))
        times.deadline = datetime(day.year, day.month, day.day, rng.choice((10, 12, 14, 16)))
    if stage >= 3:
        times.opened = _later(rng, times.deadline, days[3])
    if stage >= 4:
        times.evaluated = _later(rng, times.opened, days[4])
    if stage >= 5:
        times.awarded = _later(rng, times.evaluated, days[5])
    if stage >= 6:
        times.ordered = _later(rng, times.awarded, days[6])
    return times


def _reach(rng: random.Random, status: S) -> S:
    if status == S.cancelled:
        return rng.choices(STAGES[:6], weights=(2, 3, 1, 2, 2, 1))[0]
    if status == S.unsuccessful:
        return rng.choice((S.opened, S.evaluated))
    return status


def plan_competitions(
    world: World, fx: FxBook, orders: int, min_valid_offers: int, seed: int
) -> list[Competition]:
    """The competitions, oldest first (ids and references are given when written)."""
    rng = random.Random(f"{seed}:competitions")
    reviews = random.Random(f"{seed}:past-performance")
    now = datetime(world.until.year, world.until.month, world.until.day, 18)
    competitions = []
    for status in _states(competition_count(orders), orders):
        reach = _reach(rng, status)
        times = _timeline(rng, world, status, reach)
        agency = world.pick_agency(rng)
        issue = (times.issued or times.created).date()
        comp = Competition(status, reach, draw_tender(rng, world, agency, issue), times,
                           world.person(rng, agency.id))  # fmt: skip
        if times.opened is not None:
            comp.opened_by = world.person(rng, agency.id)
        silent = status == S.unsuccessful and reach == S.opened  # no offer at all
        if times.issued is not None and times.deadline is not None and not silent:
            cutoff = min(now, times.deadline + timedelta(days=1))
            needed = reach in (S.evaluated, S.awarded, S.ordered) and status != S.unsuccessful
            comp.bids = receive_offers(
                rng, fx, comp.tender, times.issued, times.deadline, cutoff, needed
            )
        _conclude(rng, fx, comp, _past_performance(reviews, world, comp), min_valid_offers)
        competitions.append(comp)
    competitions.sort(key=lambda c: c.times.created)
    return competitions


def _past_performance(
    rng: random.Random, world: World, comp: Competition
) -> dict[str, Decimal | None]:
    """Each invited holder's average review (1–4) over the year before the issue, as the
    evaluation reads it: around the holder's quality, none early in the span."""
    issued = comp.times.issued
    if issued is None or comp.times.evaluated is None:
        return {}
    if issued.date() < world.start + timedelta(days=FIRST_REVIEWS_DAYS):
        return dict.fromkeys((h.code for h in comp.tender.invited), None)
    return {
        h.code: Decimal(f"{min(4.0, max(1.0, rng.gauss(h.quality, 0.15))):.2f}")
        for h in comp.tender.invited
    }


def _conclude(
    rng: random.Random,
    fx: FxBook,
    comp: Competition,
    past: dict[str, Decimal | None],
    min_valid: int,
) -> None:
    """Opening, evaluation, award, cancellation or failure, as far as the competition went."""
    times, reach = comp.times, comp.reach
    if comp.status == S.cancelled:
        passed = {
            S.draft: times.created,
            S.open: times.issued,
            S.closed: times.deadline,
            S.opened: times.opened,
            S.evaluated: times.evaluated,
            S.awarded: times.awarded,
        }
        times.ended = passed[reach] + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 5))
        comp.cancellation_reason = rng.choice(CANCELLATIONS)
        comp.bids = [b for b in comp.bids if b.received_at < times.ended]
    if times.opened is not None:
        open_offers(comp.tender, comp.bids)
    if comp.status == S.unsuccessful:
        for bid in comp.bids:
            if not bid.late:
                bid.compliant, bid.reason = False, rng.choice(DISQUALIFICATIONS)
        times.ended = times.evaluated or times.opened
        return
    if STAGES.index(reach) >= STAGES.index(S.evaluated):
        assert times.deadline is not None
        evaluate(rng, fx, comp.tender, comp.bids, times.deadline.date(), past, force_valid=True)
    if STAGES.index(reach) >= STAGES.index(S.awarded):
        ranked = sorted((b for b in comp.bids if b.rank), key=lambda b: b.rank or 0)
        if len(ranked) >= 2 and rng.random() < 0.08:
            comp.award = (ranked[1], 2, rng.choice(AWARD_JUSTIFICATIONS))
        else:
            comp.award = (ranked[0], 1, None)
        if len(ranked) < min_valid:
            comp.justification = rng.choice(FEW_OFFERS)
