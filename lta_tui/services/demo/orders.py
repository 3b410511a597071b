"""The stream of orders: exactly N purchase orders in date order, direct ones from sub-LTA
catalogues and the ones competitions ended in, with their deliveries, amendments, performance
reviews and one audit event each. Rows go to the database in batches as the stream goes, so a
million lines never sit in memory at once.

Totals are the exact sums of the lines (`amounts`: the stored form of `line_amount`/`to_usd`).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import accumulate
from typing import NamedTuple

from lta_tui.domain.money import from_units
from lta_tui.domain.rules import check_cumulative_amendments
from lta_tui.services.demo.amounts import MILLI, line_units, quantum, usd_units
from lta_tui.services.demo.competition_rows import AuditRow, PlannedOrder, status_json
from lta_tui.services.demo.order_content import Line, OrderContent
from lta_tui.services.demo.order_life import (
    CANCELLED,
    CLOSED,
    DELIVERED,
    DRAFT,
    PARTIAL,
    SPEND,
    Life,
    draw_life,
    partial_quantities,
)
from lta_tui.services.demo.rates import FxBook
from lta_tui.services.demo.sub_ltas import Office, SubLtaPlan
from lta_tui.services.demo.vocabulary import AMENDMENT_REASONS, REVIEW_COMMENTS
from lta_tui.services.demo.world import AgencyRef, World, moment
from lta_tui.services.order_write import acknowledgement
from lta_tui.store.bulk import LINE_COLUMNS, ORDER_COLUMNS, BulkWriter
from lta_tui.store.models import Delivery, Order, OrderAmendment, OrderLine, PerformanceReview

COLUMNS = {
    Order: ORDER_COLUMNS,
    OrderLine: LINE_COLUMNS,
    Delivery: ("id", "order_id", "order_line_id", "delivered_on", "quantity", "recorded_by"),
    OrderAmendment: ("id", "order_id", "amended_at", "amended_by", "previous_total",
                     "new_total", "reason"),
    PerformanceReview: ("id", "order_id", "agency_id", "consolidator_id", "reviewed_on",
                        "on_time_delivery", "quantity", "conformity", "responsiveness",
                        "after_sales", "comment", "reviewed_by"),
}  # fmt: skip
#: Lines buffered before a batch is written.
FLUSH_LINES = 50_000
AMENDED_SHARE = 0.025
REVIEWED_SHARE = 0.3
ALL_STATES = (DRAFT, "issued", PARTIAL, DELIVERED, CLOSED, CANCELLED)


def order_days(rng: random.Random, world: World, count: int) -> list[date]:
    """`count` order dates: working days mostly, growing ~15 % a year, busier at year end."""
    season = {1: 0.8, 8: 0.85, 11: 1.15, 12: 1.3}
    days, weights = [], []
    day = world.start
    while day <= world.end:
        growth = 1.15 ** ((day - world.start).days / 365.25)
        weights.append(growth * season.get(day.month, 1.0) * (1.0 if day.weekday() < 5 else 0.05))
        days.append(day)
        day += timedelta(days=1)
    return sorted(rng.choices(days, cum_weights=list(accumulate(weights)), k=count))


class Placed(NamedTuple):
    """Who placed an order with whom, when, where to, from which source."""

    agency: AgencyRef
    holder_id: int
    lot_id: int
    day: date
    currency: str
    destination: str
    created_at: datetime
    created_by: str
    sub_lta: SubLtaPlan | None = None
    award_id: int | None = None


@dataclass
class Aggregates:
    """What the reports need from the orders, gathered while they stream by."""

    spend_usd: dict[tuple[int, int], int] = field(default_factory=dict)  # (agency, year)
    by_pair: dict[tuple[int, int], list[tuple]] = field(default_factory=dict)  # (holder, agency)
    status_counts: dict[str, int] = field(default_factory=dict)


class OrderStream:
    def __init__(
        self,
        world: World,
        fx: FxBook,
        offices: dict[int, list[Office]],
        writer: BulkWriter,
        seed: int,
        amendment_warn_pct: int,
        report_from: date,
    ) -> None:
        self.world, self.fx, self.writer = world, fx, writer
        self.content = OrderContent(world, fx, offices)
        self.rng = random.Random(f"{seed}:orders")
        self.warn_pct = amendment_warn_pct
        self.report_from = report_from
        self.totals = Aggregates()
        self.audit: list[AuditRow] = []
        self._po: dict[tuple[str, int], int] = {}
        self._rows: dict[type, list[tuple]] = {model: [] for model in COLUMNS}
        self._next = {model: writer.ids(model, 0) for model in COLUMNS}
        self._quality = {h.id: h.quality for h in world.holders}

    def run(self, count: int, planned: list[PlannedOrder]) -> None:
        direct = order_days(self.rng, self.world, count - len(planned))
        queue = sorted(
            [(day, 0, i) for i, day in enumerate(direct)]
            + [(p.day, 1, i) for i, p in enumerate(planned)]
        )
        remaining = len(direct)
        for day, kind, i in queue:
            if kind:
                self._competition_order(planned[i])
            else:
                remaining -= 1
                self._direct_order(day, self._forced(remaining) if remaining < 6 else None)
        self._flush()

    def _forced(self, remaining: int) -> str | None:
        """In small runs, the last orders take the states no order has reached yet."""
        missing = [s for s in ALL_STATES if not self.totals.status_counts.get(s)]
        return missing[0] if missing and remaining < len(missing) else None

    def _direct_order(self, day: date, forced: str | None) -> None:
        rng, world = self.rng, self.world
        for _ in range(50):
            agency = world.pick_agency(rng)
            choice = self.content.catalogue_choice(rng, agency, day)
            if choice is not None:
                break
        else:
            raise RuntimeError(f"no sub-LTA catalogue is valid on {day}")
        plan, lot_id, items = choice
        life = draw_life(rng, day, world.until, forced)
        destination = world.pick_destination(rng, agency, plan.currency)
        lines = self.content.direct_lines(rng, plan, lot_id, items, destination, day)
        placed = Placed(agency, plan.holder.id, lot_id, day, plan.currency, destination,
                        moment(day, rng), world.person(rng, agency.id), sub_lta=plan)  # fmt: skip
        self._write(placed, lines, life)

    def _competition_order(self, planned: PlannedOrder) -> None:
        tender, bid = planned.tender, planned.winner
        life = draw_life(self.rng, planned.day, self.world.until, None, may_lapse=False)
        placed = Placed(tender.agency, bid.holder.id, tender.lot.id, planned.day, bid.currency,
                        tender.destination, planned.created_at, planned.created_by,
                        award_id=planned.award_id)  # fmt: skip
        self._write(placed, self.content.award_lines(tender, bid), life)

    def _take(self, model: type) -> int:
        value = self._next[model]
        self._next[model] = value + 1
        return value

    def _write(self, placed: Placed, lines: list[Line], life: Life) -> None:
        rng, world, status = self.rng, self.world, life.status
        goods = sum(1 for line in lines if line[0] == "goods")
        if status == PARTIAL and goods == 1 and lines[0][6] == MILLI:
            lines[0] = (*lines[0][:6], 2 * MILLI, lines[0][7])  # one unit cannot arrive in part
        quantities = [line[6] for line in lines]
        if status == PARTIAL:
            delivered = partial_quantities(rng, quantities, goods)
        elif life.delivered_on is not None:
            delivered = quantities
        else:
            delivered = [0] * len(lines)
        early = set(rng.sample(range(len(lines)), len(lines) // 2)) if life.first_shipment else ()

        order_id = self._take(Order)
        line_id, delivery_id = self._next[OrderLine], self._next[Delivery]
        rate, effective, source = self.fx.in_force(placed.currency, placed.day)
        step = quantum(placed.currency)
        recorder = world.person(rng, placed.agency.id)
        line_rows, delivery_rows = self._rows[OrderLine], self._rows[Delivery]
        total = total_usd = 0
        amounts = []
        for n, (line, done) in enumerate(zip(lines, delivered, strict=True)):
            kind, service_id, item_id, description, unspsc, unit, qty, price = line
            amount = line_units(qty, price, step)
            usd = usd_units(amount, rate)
            total += amount
            total_usd += usd
            amounts.append(amount)
            line_rows.append((line_id, order_id, n + 1, kind, service_id, item_id, description,
                              unspsc, unit, qty, price, amount, usd, done))  # fmt: skip
            if done:
                on = life.first_shipment if n in early else life.delivered_on
                delivery_rows.append((delivery_id, order_id, line_id, on, done, recorder))
                delivery_id += 1
            line_id += 1
        self._next[OrderLine], self._next[Delivery] = line_id, delivery_id

        first_total, warning = total, None
        if status not in (DRAFT, CANCELLED) and rng.random() < AMENDED_SHARE:
            first_total, warning = self._amend(order_id, placed, lines, amounts, total, step)
        agency, day = placed.agency, placed.day
        key = (agency.code, day.year)
        self._po[key] = sequence = self._po.get(key, 0) + 1
        po = f"{agency.code}-{day.year}-{sequence:06d}"
        updated_at = max(moment(life.changed_on, rng), placed.created_at + timedelta(minutes=5))
        updated_by = world.person(rng, agency.id)
        plan = placed.sub_lta
        self._rows[Order].append((
            order_id, po, world.lta_id, agency.id, placed.holder_id, placed.lot_id,
            "direct" if plan else "mini_competition", placed.award_id, plan.id if plan else None,
            day, placed.currency, rate, effective, source, placed.destination, status, total,
            total_usd, first_total, warning, life.cancellation_reason, placed.created_at,
            placed.created_by, updated_at, updated_by, life.version,
        ))  # fmt: skip
        if life.previous is None:
            event = ("created", None, status_json(status))
        else:
            event = (status, status_json(life.previous),
                     status_json(status, life.cancellation_reason))  # fmt: skip
        self.audit.append((updated_at, updated_by, "order", order_id, *event))
        if status in (DELIVERED, CLOSED) and rng.random() < REVIEWED_SHARE:
            self._review(order_id, placed, life)

        totals = self.totals
        totals.status_counts[status] = totals.status_counts.get(status, 0) + 1
        if status in SPEND:
            year = (agency.id, day.year)
            totals.spend_usd[year] = totals.spend_usd.get(year, 0) + total_usd
            if plan is not None:
                plan.consumed += total
        if day >= self.report_from and status != DRAFT:
            totals.by_pair.setdefault((placed.holder_id, agency.id), []).append(
                (po, world.lots[placed.lot_id].number, total_usd, status, day)
            )
        if len(line_rows) >= FLUSH_LINES:
            self._flush()

    def _amend(
        self,
        order_id: int,
        placed: Placed,
        lines: list[Line],
        amounts: list[int],
        total: int,
        step: int,
    ) -> tuple[int, str | None]:
        """One goods line's quantity changed after issue; returns (first total, R16 warning)."""
        rng = self.rng
        n = next((i for i, line in enumerate(lines) if line[0] == "goods" and line[6] >= 2 * MILLI),
                 None)  # fmt: skip
        if n is None:
            return total, None
        qty, price = lines[n][6], lines[n][7]
        delta = rng.randint(1, max(1, qty // MILLI // 3)) * MILLI
        original = qty - delta if rng.random() < 0.85 else qty + delta
        first = total - amounts[n] + line_units(original, price, step)
        latest = datetime.combine(self.world.until, placed.created_at.time())
        when = min(placed.created_at + timedelta(days=rng.randint(2, 20)), latest)
        who = self.world.person(rng, placed.agency.id)
        self._rows[OrderAmendment].append(
            (
                self._take(OrderAmendment),
                order_id,
                when,
                who,
                first,
                total,
                rng.choice(AMENDMENT_REASONS),
            )
        )
        found = check_cumulative_amendments(
            from_units(first), [from_units(total)], placed.currency, self.warn_pct
        )
        if found:  # acknowledged by whoever amended, as the order service records it
            at = when.replace(tzinfo=timezone.utc)
            return first, json.dumps([acknowledgement(found[0], who, at)], ensure_ascii=False)
        return first, None

    def _review(self, order_id: int, placed: Placed, life: Life) -> None:
        rng, world = self.rng, self.world
        assert life.delivered_on is not None
        on = life.delivered_on + timedelta(days=rng.randint(3, 30))
        if on > world.until:
            return
        quality = self._quality[placed.holder_id]
        scores = [min(4, max(1, round(rng.gauss(quality, 0.7)))) for _ in range(5)]
        comment = rng.choice(REVIEW_COMMENTS[round(sum(scores) / 5)])
        self._rows[PerformanceReview].append((
            self._take(PerformanceReview), order_id, placed.agency.id, placed.holder_id, on,
            *scores, comment, world.person(rng, placed.agency.id),
        ))  # fmt: skip

    def _flush(self) -> None:
        for model, rows in self._rows.items():  # parents first: orders, then their lines
            self.writer.insert(model, COLUMNS[model], rows)
            rows.clear()
