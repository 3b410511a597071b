"""What an order holds: which sub-LTA and catalogue items a direct order draws on, how many
lines (1–40, ~10 on average), the goods lines and the service lines beside them, or the lines
of the award a competition ended in.

A line is a tuple (kind, service_type_id, catalogue_item_id, description, unspsc, unit,
quantity in thousandths, unit price in stored units).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from datetime import date
from itertools import accumulate

from lta_tui.services.demo.amounts import MILLI, SCALE, price_units
from lta_tui.services.demo.bidding import Bid, Tender, country_name
from lta_tui.services.demo.rates import FxBook
from lta_tui.services.demo.sub_ltas import Item, Office, SubLtaPlan
from lta_tui.services.demo.vocabulary import SERVICE_ODDS
from lta_tui.services.demo.world import AgencyRef, World

MAX_LINES = 40
MEAN_LINES = 10.0
#: Mean of the line counts drawn: an order has no more goods lines than its catalogue has items,
#: so the draw aims higher for the lines kept to average MEAN_LINES.
DRAW_MEAN = 13.5
SERVICE_ORDER = ("freight", "export_licensing", "installation_support", "warranty")
FREIGHT_MODES = (("air", "78101500"), ("sea", "78101700"), ("road", "78101800"))
Line = tuple


def _line_count_weights(mean: float) -> list[float]:
    """Cumulative weights of 1..MAX_LINES lines, gamma-shaped (n·e^(-n/θ)) with the given mean."""
    low, high = 1.0, 50.0
    weights: list[float] = []
    for _ in range(60):
        theta = (low + high) / 2
        weights = [n * math.exp(-n / theta) for n in range(1, MAX_LINES + 1)]
        got = sum(n * w for n, w in zip(range(1, MAX_LINES + 1), weights, strict=True)) / sum(
            weights
        )
        low, high = (theta, high) if got < mean else (low, theta)
    return list(accumulate(weights))


_LINE_COUNTS = list(range(1, MAX_LINES + 1))
_LINE_WEIGHTS = _line_count_weights(DRAW_MEAN)


class OrderContent:
    def __init__(self, world: World, fx: FxBook, offices: dict[int, list[Office]]) -> None:
        self.world, self.fx, self.offices = world, fx, offices
        self._names: dict[str, str] = {}
        # orders come day by day: what is valid is worked out once per day
        self._day: date | None = None
        self._offices_on: dict[int, list[tuple[float, tuple]]] = {}

    def catalogue_choice(
        self, rng: random.Random, agency: AgencyRef, day: date
    ) -> tuple[SubLtaPlan, int, list[Item]] | None:
        """R13: a sub-LTA of the agency valid on `day`, a lot and its catalogue items valid
        then. Offices by their share of the agency's orders, then a lot of the office's
        sub-LTAs by the lot's weight, then one of the sub-LTAs offering that lot by its
        holder's weight: every holder an office signed with gets its part of each lot."""
        if day != self._day:
            self._day, self._offices_on = day, {}
        offices = self._offices_on.get(agency.id)
        if offices is None:
            offices = self._offices_on[agency.id] = [
                (office.share, by_lot)
                for office in self.offices[agency.id]
                if (by_lot := self._office_lots(office, day))[0]
            ]
        if not offices:
            return None
        k = rng.choices(range(len(offices)), weights=[s for s, _ in offices])[0]
        lots, lot_weights, sellers = offices[k][1]
        n = rng.choices(range(len(lots)), weights=lot_weights)[0]
        entries, holder_weights = sellers[n]
        plan, items = rng.choices(entries, weights=holder_weights)[0]
        return plan, lots[n], items

    def _office_lots(self, office: Office, day: date) -> tuple[list[int], list[float], list]:
        """The lots the office's sub-LTAs valid on `day` offer, their weights, and for each
        lot the (sub-LTA, items) offering it with the holders' weights."""
        by_lot: dict[int, list[tuple[SubLtaPlan, list[Item]]]] = {}
        for plan in office.plans:
            if plan.valid_from <= day <= plan.valid_to:
                for lot_id in plan.items:
                    if items := plan.items_on(lot_id, day):
                        by_lot.setdefault(lot_id, []).append((plan, items))
        lots = sorted(by_lot)
        # holders' weights chose who signed the sub-LTAs; lean on them again, gently
        sellers = [(by_lot[lot], [p.holder.weight**0.5 for p, _ in by_lot[lot]]) for lot in lots]
        return lots, [self.world.lots[lot].weight for lot in lots], sellers

    def direct_lines(
        self,
        rng: random.Random,
        plan: SubLtaPlan,
        lot_id: int,
        items: list[Item],
        destination: str,
        day: date,
    ) -> list[Line]:
        """Catalogue items at the catalogue price (R13), then the services the order needs."""
        count = _LINE_COUNTS[bisect_right(_LINE_WEIGHTS, rng.random() * _LINE_WEIGHTS[-1])]
        odds = SERVICE_ODDS.get(self.world.lots[lot_id].number, {})
        services = [c for c in SERVICE_ORDER if c in odds and rng.random() < odds[c]]
        services = services[: count - 1]
        # each goods line a distinct item: an order cannot have more lines than the catalogue
        picks = rng.sample(items, min(count - len(services), len(items)))
        lines = []
        for item in picks:
            low, high = item.qty
            qty = low + int((high - low + 1) * rng.random() ** 3)
            lines.append(("goods", None, item.id, item.description, item.unspsc, item.unit,
                          qty * MILLI, item.price))  # fmt: skip
        return lines + self._service_lines(rng, services, lines, plan.currency, destination, day)

    def _service_lines(
        self,
        rng: random.Random,
        codes: list[str],
        goods: list[Line],
        currency: str,
        destination: str,
        day: date,
    ) -> list[Line]:
        if not codes:
            return []
        rate = self.fx.for_pricing(currency, day)
        value = sum(line[6] * line[7] for line in goods) / MILLI / SCALE  # in currency units
        units = sum(line[6] for line in goods) // MILLI
        out = []
        for code in codes:
            service = self.world.services[code]
            unspsc = service.unspsc[0]
            if code == "freight":
                mode, by_mode = rng.choice(FREIGHT_MODES)
                unspsc = by_mode if by_mode in service.unspsc else unspsc
                what = f"Freight to {self.country(destination)}, DAP, by {mode}"
                unit, qty, usd = "lot", 1, None
                price = price_units(value * rng.uniform(0.02, 0.06), currency)
            elif code == "export_licensing":
                what = "Export compliance licensing and end-user certificate"
                unit, qty, usd = "lot", 1, rng.uniform(150, 900)
            elif code == "installation_support":
                what = "Installation and configuration at destination"
                unit, qty, usd = "day", rng.randint(1, 10), rng.uniform(450, 900)
            else:
                what = "Extended warranty to 36 months, on site"
                unit, qty, usd = "device", min(max(units, 1), 500), rng.uniform(25, 90)
            if usd is not None:
                price = price_units(usd * rate, currency)
            out.append(("service", service.id, None, what, unspsc, unit, qty * MILLI, price))
        return out

    def award_lines(self, tender: Tender, bid: Bid) -> list[Line]:
        """R14: the requirement at the awarded offer's prices, and its services."""
        lines = [
            ("goods", None, None, product.description, product.unspsc, product.unit,
             qty * MILLI, price)
            for (product, qty), price in zip(tender.lines, bid.prices, strict=True)
        ]  # fmt: skip
        titles = {
            "freight": f"Freight to {self.country(tender.destination)}, DAP",
            "export_licensing": "Export compliance licensing and end-user certificate",
            "installation_support": "Installation and configuration at destination",
            "warranty": f"Warranty extension to {tender.warranty_months} months, on site",
        }
        for code, price in bid.services:
            service = self.world.services[code]
            lines.append(("service", service.id, None, titles[code], service.unspsc[0], "lot",
                          MILLI, price))  # fmt: skip
        return lines

    def country(self, code: str) -> str:
        name = self._names.get(code)
        if name is None:
            name = self._names[code] = country_name(code)
        return name
