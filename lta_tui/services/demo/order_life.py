"""Where an order stands on `until`, given its age: recent ones issued or partly delivered (a few
drafts), older ones delivered, the oldest closed; a few cancelled with a reason. Orders still
awaiting delivery are nearly all from the last six months, a rare straggler up to two years
old, none older. Also which lines a partial delivery covered."""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import date, timedelta
from itertools import accumulate
from typing import NamedTuple

from lta_tui.domain.states import SPEND_STATUSES
from lta_tui.domain.states import OrderStatus as O
from lta_tui.services.demo.amounts import MILLI
from lta_tui.services.demo.vocabulary import ORDER_CANCELLATIONS

#: (up to this age in days, odds of each state).
_BY_AGE = (
    (3, ((O.draft, .35), (O.issued, .60), (O.cancelled, .05))),
    (20, ((O.draft, .08), (O.issued, .55), (O.partially_delivered, .20), (O.delivered, .12),
          (O.cancelled, .05))),
    (30, ((O.issued, .60), (O.partially_delivered, .22), (O.delivered, .13), (O.cancelled, .05))),
    (90, ((O.issued, .22), (O.partially_delivered, .28), (O.delivered, .42), (O.closed, .03),
          (O.cancelled, .05))),
    (180, ((O.issued, .04), (O.partially_delivered, .08), (O.delivered, .55), (O.closed, .29),
           (O.cancelled, .04))),
    (365, ((O.issued, .004), (O.partially_delivered, .012), (O.delivered, .40), (O.closed, .54),
           (O.cancelled, .04))),
    # a straggler now and then between one and two years; none older
    (730, ((O.partially_delivered, .0008), (O.delivered, .14), (O.closed, .83),
           (O.cancelled, .03))),
    (None, ((O.delivered, .12), (O.closed, .85), (O.cancelled, .03))),
)  # fmt: skip
_ODDS = [
    (limit, [s.value for s, _ in odds], list(accumulate(w for _, w in odds)))
    for limit, odds in _BY_AGE
]
DRAFT, ISSUED, CANCELLED = O.draft.value, O.issued.value, O.cancelled.value
PARTIAL, DELIVERED, CLOSED = O.partially_delivered.value, O.delivered.value, O.closed.value
SPEND = frozenset(s.value for s in SPEND_STATUSES)
_VERSION = {DRAFT: 1, ISSUED: 2, CANCELLED: 3, PARTIAL: 3, DELIVERED: 4, CLOSED: 5}


class Life(NamedTuple):
    status: str
    previous: str | None  # the state before the last change
    changed_on: date  # day of the last change
    first_shipment: date | None  # part of the lines arrives first (two shipments)
    delivered_on: date | None  # the (last) delivery
    cancellation_reason: str | None
    version: int


def draw_life(
    rng: random.Random, day: date, until: date, forced: str | None, may_lapse: bool = True
) -> Life:
    """The order's state on `until`; `may_lapse` False: no draft or cancellation (an order
    placed from an award is issued at once)."""
    age = (until - day).days
    _, states, weights = next(o for o in _ODDS if o[0] is None or age <= o[0])
    status = forced or states[bisect_right(weights, rng.random() * weights[-1])]
    if not may_lapse and status in (DRAFT, CANCELLED):  # what an order of that age mostly is
        status = ISSUED if age <= 90 else DELIVERED if age <= 365 else CLOSED
    lead = min(5 + int(rng.random() * 56), age)
    delivered_on = day + timedelta(days=lead)
    first_shipment = None
    if status in (DELIVERED, CLOSED) and lead >= 4 and rng.random() < 0.15:
        first_shipment = day + timedelta(days=lead // 2)
    reason = None
    if status == DRAFT:
        previous, changed = None, day
    elif status == ISSUED:
        previous, changed = DRAFT, min(until, day + timedelta(days=int(rng.random() * 3)))
    elif status == CANCELLED:
        previous = ISSUED if rng.random() < 0.7 else DRAFT
        changed = min(until, day + timedelta(days=1 + int(rng.random() * 20)))
        reason = rng.choice(ORDER_CANCELLATIONS)
    elif status == PARTIAL:
        previous, changed = ISSUED, delivered_on
    elif status == DELIVERED:
        previous, changed = (PARTIAL if first_shipment else ISSUED), delivered_on
    else:
        previous = DELIVERED
        changed = min(until, delivered_on + timedelta(days=10 + int(rng.random() * 81)))
    delivered = status in (PARTIAL, DELIVERED, CLOSED)
    return Life(
        status, previous, changed, first_shipment, delivered_on if delivered else None,
        reason, _VERSION[status],
    )  # fmt: skip


def partial_quantities(rng: random.Random, quantities: list[int], goods: int) -> list[int]:
    """Delivered thousandths per line of a partly delivered order: some goods lines in full,
    some in part, some not yet, services not yet; never all or nothing."""
    out = [0] * len(quantities)
    for i in range(goods):
        r, qty = rng.random(), quantities[i]
        if r < 0.5:
            out[i] = qty
        elif r < 0.75 and qty >= 2 * MILLI:
            out[i] = rng.randint(1, qty // MILLI - 1) * MILLI
    if not any(out):
        out[0] = quantities[0] if goods > 1 else (quantities[0] // MILLI // 2) * MILLI
    if all(out[i] == quantities[i] for i in range(len(quantities))):
        last = goods - 1
        out[last] = 0 if goods > 1 else (quantities[last] // MILLI // 2) * MILLI
    return out
