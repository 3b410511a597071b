"""Sub-LTAs (agency × consolidator, one currency per ordering office, renewed every three or four
years) and their catalogues of 10–40 items within the lots the consolidator holds."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from lta_tui.domain.money import SCALE
from lta_tui.services.demo.amounts import nice_ceiling, price_units
from lta_tui.services.demo.rates import FxBook
from lta_tui.services.demo.vocabulary import DEFAULT_OFFICES, OFFICES, PRODUCTS
from lta_tui.services.demo.world import HolderRef, LotRef, World
from lta_tui.store.bulk import BulkWriter
from lta_tui.store.models import CatalogueItem, SubLta

SUB_LTA_COLUMNS = (
    "id", "reference", "lta_id", "agency_id", "consolidator_id", "valid_from", "valid_to",
    "ceiling", "currency", "version",
)  # fmt: skip
ITEM_COLUMNS = (
    "id", "sub_lta_id", "sku", "description", "lot_id", "unspsc", "unit", "unit_price",
    "currency", "valid_from", "valid_to",
)  # fmt: skip


@dataclass(frozen=True)
class Item:
    id: int
    lot_id: int
    sku: str
    description: str
    unspsc: str
    unit: str
    price: int  # stored units of the sub-LTA's currency
    qty: tuple[int, int]
    valid_from: date
    valid_to: date


@dataclass
class SubLtaPlan:
    id: int
    agency_id: int
    holder: HolderRef
    currency: str
    valid_from: date
    valid_to: date
    items: dict[int, list[Item]] = field(default_factory=dict)  # by lot id
    consumed: int = 0  # stored units of orders that count as spend

    def items_on(self, lot_id: int, day: date) -> list[Item]:
        return [i for i in self.items[lot_id] if i.valid_from <= day <= i.valid_to]


@dataclass
class Office:
    """One ordering office of an agency: its currency, its share of the agency's orders."""

    currency: str
    share: float
    plans: list[SubLtaPlan] = field(default_factory=list)


def _windows(rng: random.Random, first: date, world: World) -> list[tuple[date, date]]:
    """Consecutive validity windows of three or four years from `first` past the span's end."""
    out = []
    while first <= world.end:
        last = min(first + timedelta(days=rng.choice((1095, 1461)) - 1), world.lta_to)
        out.append((first, last))
        if last >= world.lta_to:
            break
        first = last + timedelta(days=1)
    return out


def _pick_holders(rng: random.Random, holders: list[HolderRef], count: int) -> list[HolderRef]:
    pool, chosen = list(holders), []
    while pool and len(chosen) < count:
        pick = rng.choices(pool, weights=[h.weight for h in pool])[0]
        chosen.append(pick)
        pool.remove(pick)
    return chosen


def _catalogue(
    rng: random.Random,
    world: World,
    fx: FxBook,
    plan: SubLtaPlan,
    next_id: int,
    every_lot: bool = False,
) -> list[Item]:
    """The catalogue of a sub-LTA: 1–3 of the lots the holder holds (`every_lot`: all of them,
    for the main offices of the largest agencies), 10–40 items."""
    first, last = plan.valid_from, plan.valid_to
    held = [
        lot
        for lot in world.holder_lots(plan.holder.id)
        if world.clip_to_holding(plan.holder.id, lot.id, first, last)
    ]
    through = [lot for lot in held if world.holds_through(plan.holder.id, lot.id, first, last)]
    lots: list[LotRef] = []
    for _ in range(len(held) if every_lot else rng.choice((1, 2, 2, 3))):
        pool = [lot for lot in (through if not lots else held) if lot not in lots]
        if pool:
            lots.append(rng.choices(pool, weights=[lot.weight for lot in pool])[0])
    if not lots:
        return []
    total = rng.randint(30, 40) if every_lot else rng.randint(10, 40)
    weight = sum(lot.weight for lot in lots)
    counts = [
        min(len(PRODUCTS[lot.number]), max(12, round(total * lot.weight / weight))) for lot in lots
    ]
    while sum(counts) > 40:
        counts[counts.index(max(counts))] -= 1
    while sum(counts) < 10:  # every lot has more than ten products
        counts[counts.index(min(counts))] += 1
    items: list[Item] = []
    for lot, count in zip(lots, counts, strict=True):
        factor = rng.uniform(0.93, 1.07) * (1 + 0.02 * (first.year - 2024))
        rate = fx.for_pricing(plan.currency, first)
        for k, product in enumerate(rng.sample(PRODUCTS[lot.number], count)):
            item_from, item_to = first, last
            if k >= 3 and rng.random() < 0.15:  # added to the catalogue later
                item_from = first + timedelta(
                    days=rng.randint(60, max(61, (last - first).days // 2))
                )
            if k >= 3 and rng.random() < 0.10:  # discontinued early
                item_to = item_from + timedelta(days=rng.randint(180, 540))
            clipped = world.clip_to_holding(
                plan.holder.id, lot.id, item_from, min(item_to, last)
            ) or world.clip_to_holding(plan.holder.id, lot.id, first, last)
            assert clipped is not None  # the lot is held during the sub-LTA
            usd = product.usd * factor * rng.uniform(0.97, 1.03)
            items.append(
                Item(
                    next_id + len(items),
                    lot.id,
                    f"{plan.holder.code[-1]}{lot.number}-{product.sku}",
                    product.description,
                    product.unspsc,
                    product.unit,
                    price_units(usd * rate, plan.currency),
                    product.qty,
                    *clipped,
                )
            )
            plan.items.setdefault(lot.id, []).append(items[-1])
    return items


def plan_sub_ltas(
    world: World, fx: FxBook, writer: BulkWriter, seed: int
) -> dict[int, list[Office]]:
    """Write the sub-LTAs and catalogues; returns each agency's ordering offices."""
    rng = random.Random(f"{seed}:sub-ltas")
    offices: dict[int, list[Office]] = {}
    sub_rows: list[tuple] = []
    item_rows: list[tuple] = []
    span = (world.end - world.start).days
    for agency in world.agencies:
        sequence = 0
        agency_offices = offices[agency.id] = []
        for currency, share in OFFICES.get(agency.code, DEFAULT_OFFICES):
            office = Office(currency, share)
            agency_offices.append(office)
            big = share >= 0.3
            # the main offices of the largest agencies sign with every holder, for every lot
            main = agency.rank < 3 and big
            count = len(world.holders) if main else 2 if agency.rank < 10 and big else 1
            for n, holder in enumerate(_pick_holders(rng, world.holders, count)):
                if n == 0 or main or rng.random() < 0.5:  # the first one covers the whole span
                    begin = max(world.lta_from, world.start - timedelta(days=rng.randint(0, 500)))
                else:
                    begin = world.start + timedelta(days=rng.randint(30, max(31, span // 2)))
                for first, last in _windows(rng, begin, world):
                    sequence += 1
                    plan = SubLtaPlan(0, agency.id, holder, currency, first, last)
                    items = _catalogue(rng, world, fx, plan, writer.ids(CatalogueItem, 0), main)
                    if not items:
                        continue
                    plan.id = writer.ids(SubLta)
                    writer.ids(CatalogueItem, len(items))
                    office.plans.append(plan)
                    reference = f"{agency.code}/SLTA/{first.year}/{sequence:03d}"
                    sub_rows.append(
                        (plan.id, reference, world.lta_id, agency.id, holder.id, first, last,
                         0, currency, 1)
                    )  # fmt: skip
                    for item in items:
                        item_rows.append(
                            (item.id, plan.id, item.sku, item.description, item.lot_id, item.unspsc,
                             item.unit, item.price, currency, item.valid_from, item.valid_to)
                        )  # fmt: skip
    writer.insert(SubLta, SUB_LTA_COLUMNS, sub_rows)
    writer.insert(CatalogueItem, ITEM_COLUMNS, item_rows)
    return offices


def set_ceilings(
    writer: BulkWriter, offices: dict[int, list[Office]], world: World, fx: FxBook, seed: int
) -> None:
    """Ceilings sized on what each sub-LTA consumed: expired ones mostly used up, current ones
    partly, and some near or past the warning threshold (R15)."""
    rng = random.Random(f"{seed}:ceilings")
    ceilings: dict[int, int] = {}
    for agency in world.agencies:
        for office in offices[agency.id]:
            for plan in office.plans:
                if plan.consumed <= 0:
                    rate = fx.for_pricing(plan.currency, plan.valid_from)
                    ceilings[plan.id] = nice_ceiling(250_000 * rate * SCALE)
                    continue
                if plan.valid_to <= world.until:
                    used = rng.uniform(0.55, 0.97)
                elif rng.random() < 0.15:
                    used = rng.uniform(0.80, 0.97)
                else:
                    elapsed = (world.until - plan.valid_from).days
                    share = elapsed / max(1, (plan.valid_to - plan.valid_from).days)
                    used = min(0.78, max(0.05, share * rng.uniform(0.55, 0.95)))
                ceilings[plan.id] = nice_ceiling(plan.consumed / used)
    writer.update(SubLta, "ceiling", ceilings)
