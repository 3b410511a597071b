"""The fixed frame a demo data set is drawn in: the reference data read from the database, the
span of dates, who works for which agency, and the calendar."""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate

from sqlalchemy import select
from sqlalchemy.engine import Connection

from lta_tui.config import Config
from lta_tui.domain.states import Eligibility
from lta_tui.services.demo.vocabulary import (
    AGENCY_RANK,
    CURRENCY_COUNTRIES,
    DESTINATIONS,
    FIELD_AGENCIES,
    FIELD_COUNTRIES,
    FIELD_HQ_SHARE,
    HEADQUARTERS,
    HOLDER_QUALITY,
    HOLDER_WEIGHT,
    HQ_SHARE,
    LOT_WEIGHT,
    PEOPLE,
)
from lta_tui.store.models import Agency, Consolidator, Lot, LotHolding, Lta, ServiceType

#: Years of orders a demo data set covers, ending on `until`.
YEARS = 5
#: The shortest span that leaves room for competitions to run their course.
MIN_SPAN_DAYS = 90


class DemoError(ValueError):
    """A demo run that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class AgencyRef:
    id: int
    code: str
    weight: float
    rank: int
    headquarters: str
    hq_share: float  # of its USD/EUR orders that go to the headquarters
    countries: tuple[str, ...] = ()  # the only programme countries it works in, if so


@dataclass(frozen=True)
class LotRef:
    id: int
    number: int
    scope: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class HolderRef:
    id: int
    code: str
    weight: float
    quality: float


@dataclass(frozen=True)
class ServiceRef:
    id: int
    code: str
    unspsc: tuple[str, ...]


@dataclass
class World:
    lta_id: int
    lta_from: date
    lta_to: date
    until: date
    start: date  # first day with orders
    end: date  # last day with orders (until, or the LTA's end)
    agencies: list[AgencyRef]
    lots: dict[int, LotRef]  # by lot id
    holders: list[HolderRef]
    services: dict[str, ServiceRef]
    holdings: dict[tuple[int, int], list[tuple[date, date]]]  # (holder, lot) → periods
    staff: dict[int, tuple[str, ...]]  # agency id → its focal points
    _agency_cum: list[float] = field(init=False)
    _destination_codes: list[str] = field(init=False)
    _destination_cum: list[float] = field(init=False)
    _field_set: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self._agency_cum = list(accumulate(a.weight for a in self.agencies))
        self._destination_codes = [code for code, _ in DESTINATIONS]
        self._destination_cum = list(accumulate(float(w) for _, w in DESTINATIONS))
        self._field_set = frozenset(self._destination_codes)

    def holds(self, holder_id: int, lot_id: int, day: date) -> bool:
        """R1/R12: the holder is active for the lot on `day`."""
        return any(a <= day <= b for a, b in self.holdings.get((holder_id, lot_id), ()))

    def holds_through(self, holder_id: int, lot_id: int, first: date, last: date) -> bool:
        return any(a <= first and last <= b for a, b in self.holdings.get((holder_id, lot_id), ()))

    def clip_to_holding(
        self, holder_id: int, lot_id: int, first: date, last: date
    ) -> tuple[date, date] | None:
        """The longest part of [first, last] inside one holding period, if any."""
        best = None
        for a, b in self.holdings.get((holder_id, lot_id), ()):
            lo, hi = max(a, first), min(b, last)
            if lo <= hi and (best is None or (hi - lo) > (best[1] - best[0])):
                best = (lo, hi)
        return best

    def holder_lots(self, holder_id: int) -> list[LotRef]:
        return [lot for lot in self.lots.values() if (holder_id, lot.id) in self.holdings]

    def pick_agency(self, rng: random.Random) -> AgencyRef:
        return self.agencies[bisect_right(self._agency_cum, rng.random() * self._agency_cum[-1])]

    def pick_destination(self, rng: random.Random, agency: AgencyRef, currency: str) -> str:
        """Where an order of `agency` in `currency` goes: an order in a local currency to a
        country of that currency; in USD or EUR to a programme country, or now and then (for
        agencies without country offices, mostly) to the headquarters."""
        local = CURRENCY_COUNTRIES.get(currency)
        if local is not None:
            return local[int(rng.random() * len(local))]
        if rng.random() < agency.hq_share:
            return agency.headquarters
        if agency.countries:
            return agency.countries[int(rng.random() * len(agency.countries))]
        cum = self._destination_cum
        return self._destination_codes[bisect_right(cum, rng.random() * cum[-1])]

    def in_the_field(self, country: str) -> bool:
        """A programme country (not a headquarters or local-currency office's own country)."""
        return country in self._field_set

    def person(self, rng: random.Random, agency_id: int) -> str:
        return rng.choice(self.staff[agency_id])


def moment(day: date, rng: random.Random) -> datetime:
    """A naive UTC timestamp between 07:00 and 17:00 of `day` (stored as UTC by the writer)."""
    return datetime(day.year, day.month, day.day, 7) + timedelta(seconds=int(rng.random() * 36000))


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def load_world(conn: Connection, config: Config, until: date, seed: int) -> World:
    """Read the reference data `initialise` seeded and fix the span of the demo data."""
    lta = conn.execute(
        select(Lta.id, Lta.valid_from, Lta.valid_to).where(Lta.reference == config.lta.reference)
    ).first()
    if lta is None:
        raise DemoError(f"LTA {config.lta.reference} is not in the database: run `lta-tui init`")
    agencies = conn.execute(select(Agency.id, Agency.code).order_by(Agency.id)).all()
    holders = conn.execute(  # R17: a suspended consolidator gets nothing new
        select(Consolidator.id, Consolidator.code)
        .where(Consolidator.eligibility == Eligibility.eligible.value)
        .order_by(Consolidator.code)
    ).all()
    lots = conn.execute(
        select(Lot.id, Lot.number, Lot.unspsc).where(Lot.lta_id == lta.id).order_by(Lot.number)
    ).all()
    services = conn.execute(
        select(ServiceType.id, ServiceType.code, ServiceType.unspsc).order_by(ServiceType.code)
    ).all()
    h = LotHolding
    holding_rows = conn.execute(
        select(h.consolidator_id, h.lot_id, h.active_from, h.active_to)
        .where(h.consolidator_id.in_([holder.id for holder in holders]))
        .order_by(h.consolidator_id, h.lot_id, h.active_from)
    ).all()
    if not agencies or not holders or not lots or not holding_rows:
        raise DemoError("the reference data is missing: run `lta-tui init` first")

    holdings: dict[tuple[int, int], list[tuple[date, date]]] = {}
    for holder_id, lot_id, active_from, active_to in holding_rows:
        first, last = max(active_from, lta.valid_from), min(active_to or date.max, lta.valid_to)
        if first <= last:
            holdings.setdefault((holder_id, lot_id), []).append((first, last))
    first_holding = min(a for periods in holdings.values() for a, _ in periods)

    end = min(until, lta.valid_to)
    start = max(years_before(until, YEARS) + timedelta(days=1), lta.valid_from, first_holding)
    if (end - start).days < MIN_SPAN_DAYS:
        raise DemoError(
            f"--until {until.isoformat()} leaves fewer than {MIN_SPAN_DAYS} days of LTA"
            f" {config.lta.reference} (valid {lta.valid_from} to {lta.valid_to}):"
            " choose a later date"
        )

    rank = {code: i for i, code in enumerate(AGENCY_RANK)}
    ordered = sorted(agencies, key=lambda a: (rank.get(a.code, len(rank)), a.id))
    agency_refs = [  # Zipf: the n-th largest buys 1/n of what the largest buys
        AgencyRef(
            a.id,
            a.code,
            1.0 / (i + 1),
            i,
            HEADQUARTERS.get(a.code, "US"),
            FIELD_HQ_SHARE if a.code in FIELD_AGENCIES else HQ_SHARE,
            FIELD_COUNTRIES.get(a.code, ()),
        )
        for i, a in enumerate(ordered)
    ]
    people = random.Random(f"{seed}:people")
    staff = {
        a.id: tuple(people.sample(PEOPLE, 4 if a.rank < 3 else 3 if a.rank < 10 else 2))
        for a in agency_refs
    }
    return World(
        lta_id=lta.id,
        lta_from=lta.valid_from,
        lta_to=lta.valid_to,
        until=until,
        start=start,
        end=end,
        agencies=agency_refs,
        lots={
            lot.id: LotRef(
                lot.id, lot.number, tuple(lot.unspsc.split()), LOT_WEIGHT.get(lot.number, 0.1)
            )
            for lot in lots
        },
        holders=[
            HolderRef(h.id, h.code, HOLDER_WEIGHT.get(h.code, 1.0), HOLDER_QUALITY.get(h.code, 3.0))
            for h in holders
        ],
        services={s.code: ServiceRef(s.id, s.code, tuple(s.unspsc.split())) for s in services},
        holdings=holdings,
        staff=staff,
    )
