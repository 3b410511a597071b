"""UN Operational Rates of Exchange for the demo span: a monthly rate on the 1st of every month,
a few mid-month revisions on the 15th, each a gentle random walk around a plausible path.

Rates already in the database (the `data/rates.csv` sample, or real ones) are kept and the walk
passes through them; only missing (currency, effective date) pairs are added.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Connection

from lta_tui.services.demo.amounts import MICRO
from lta_tui.services.demo.vocabulary import EURO_PEGS, ORE_PATHS
from lta_tui.services.demo.world import World
from lta_tui.store.models import ExchangeRate

SOURCE = "UN ORE (demo)"
#: How strongly a month's deviation from the path carries into the next one.
PERSISTENCE = 0.7


@dataclass
class FxBook:
    """The rates in force, by currency: R20 lookups for orders, offers and catalogue prices."""

    dates: dict[str, list[date]] = field(default_factory=dict)
    values: dict[str, list[tuple[int, date, str]]] = field(default_factory=dict)
    _cache: dict[tuple[str, date], tuple[int, date, str]] = field(default_factory=dict)

    def add(self, currency: str, effective: date, micro: int, source: str) -> None:
        self.dates.setdefault(currency, []).append(effective)
        self.values.setdefault(currency, []).append((micro, effective, source))

    def sort(self) -> None:
        for currency, rows in self.values.items():
            rows.sort(key=lambda r: r[1])
            self.dates[currency] = [r[1] for r in rows]

    def in_force(self, currency: str, day: date) -> tuple[int, date, str]:
        """(millionths of units per USD, effective date, source) of the rate in force on `day`;
        USD converts at 1 with the day itself as effective date."""
        key = (currency, day)
        found = self._cache.get(key)
        if found is None:
            if currency == "USD":
                found = (MICRO, day, "USD")
            else:
                i = bisect_right(self.dates[currency], day)
                if i == 0:
                    raise LookupError(f"no demo rate for {currency} on {day}")
                found = self.values[currency][i - 1]
            self._cache[key] = found
        return found

    def for_pricing(self, currency: str, day: date) -> float:
        """Units per USD to price a catalogue or an offer with (the earliest rate before any)."""
        if currency == "USD":
            return 1.0
        i = max(bisect_right(self.dates[currency], day), 1)
        return self.values[currency][i - 1][0] / MICRO


def _path_value(points: tuple[tuple[date, float], ...], day: date) -> float:
    """The path's level on `day`, interpolated on the log scale between its points."""
    if day <= points[0][0]:
        return points[0][1]
    for (d0, v0), (d1, v1) in zip(points, points[1:], strict=False):
        if day <= d1:
            share = (day - d0).days / (d1 - d0).days
            return math.exp(math.log(v0) + share * (math.log(v1) - math.log(v0)))
    return points[-1][1]


def _micro(value: float, decimals: int) -> int:
    return round(value * 10**decimals) * 10 ** (6 - decimals)


def _months(first: date, last: date) -> list[date]:
    out, day = [], first.replace(day=1)
    while day <= last:
        out.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def plan_rates(conn: Connection, world: World, seed: int) -> tuple[list[tuple], FxBook]:
    """Rows (currency, effective_date, units_per_usd, source) to add, and the merged book."""
    existing: dict[tuple[str, date], tuple[int, str]] = {}
    book = FxBook()
    rate = ExchangeRate
    query = select(rate.currency, rate.effective_date, rate.units_per_usd, rate.source)
    for currency, effective, units, source in conn.execute(
        query.order_by(rate.currency, rate.effective_date)
    ):
        micro = int(units * MICRO)
        existing[(currency, effective)] = (micro, source)
        book.add(currency, effective, micro, source)

    months = _months(world.start, world.end)
    added: list[tuple] = []
    walked: dict[str, dict[date, int]] = {}

    def keep(currency: str, day: date, micro: int) -> int:
        """The rate of the database if there is one, else record the walked one."""
        have = existing.get((currency, day))
        if have is not None:
            return have[0]
        added.append((currency, day, micro, SOURCE))
        book.add(currency, day, micro, SOURCE)
        return micro

    for currency, (points, sigma, revise_odds, decimals) in ORE_PATHS.items():
        rng = random.Random(f"{seed}:ore:{currency}")
        series = walked[currency] = {}
        deviation = 0.0
        for month in months:
            target = _path_value(points, month)
            deviation = PERSISTENCE * deviation + rng.gauss(0.0, sigma)
            revise, shock = rng.random() < revise_odds, rng.uniform(0.015, 0.04)
            shock *= rng.choice((-1, 1))
            micro = keep(currency, month, _micro(target * math.exp(deviation), decimals))
            deviation = math.log(micro / MICRO / target)
            series[month] = micro
            mid = month.replace(day=15)
            if revise and mid <= world.end:
                revised = keep(currency, mid, _micro(micro / MICRO * (1 + shock), decimals))
                deviation = math.log(revised / MICRO / target)
                series[mid] = revised

    for currency, (per_euro, stray, decimals) in EURO_PEGS.items():
        rng = random.Random(f"{seed}:ore:{currency}")
        for day, euro in sorted(walked["EUR"].items()):
            noise = 1 + rng.gauss(0.0, stray) if stray else 1.0
            keep(currency, day, _micro(euro / MICRO * per_euro * noise, decimals))

    book.sort()
    return added, book
