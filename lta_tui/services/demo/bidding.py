"""What one mini-competition asks and receives: the requirement (lines within the lot's UNSPSC
scope, criteria, services), who is invited (R1, R2), the offers (priced in the holder's
currency, some late, some abnormally low), their opening (landed totals) and their evaluation:
USD totals at the ORE rate (R20), past performance, and the scores and ranks of `domain.scoring`,
computed by the same domain functions as the competition service."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import pycountry

from lta_tui.domain import scoring
from lta_tui.domain.fx import Rate
from lta_tui.domain.money import RATE_DIGITS, from_units, to_units
from lta_tui.domain.offer_hash import OfferContent, offer_hash
from lta_tui.domain.states import Criterion, EvaluationMethod
from lta_tui.services.demo.amounts import price_units
from lta_tui.services.demo.rates import FxBook
from lta_tui.services.demo.vocabulary import (
    COMPETITION_THEMES,
    CURRENCY_COUNTRIES,
    DISQUALIFICATIONS,
    EXCLUSION_REASONS,
    OFFER_CURRENCIES,
    PRODUCTS,
    SHIPPED_LOTS,
    Product,
    Theme,
)
from lta_tui.services.demo.world import AgencyRef, HolderRef, LotRef, World

#: Days after the issue a holder must still hold the lot to be invited (delivery of the order).
DELIVERY_HORIZON_DAYS = 80
_SHORT_NAMES = {"CD": "DR Congo", "PS": "Palestine", "KR": "Korea"}


@dataclass
class Tender:
    agency: AgencyRef
    lot: LotRef
    title: str
    destination: str
    method: str
    weights: tuple[tuple[str, int], ...]
    freight: bool
    export_licensing: bool
    installation: bool
    warranty_months: int
    lines: list[tuple[Product, int]]  # product and whole quantity
    invited: list[HolderRef]
    left_out: list[tuple[HolderRef, str]]


@dataclass
class Bid:
    holder: HolderRef
    currency: str
    received_at: datetime
    late: bool
    delivery_days: int
    warranty_months: int
    valid_until: date
    takes_back: bool
    energy_label: bool
    prices: list[int]  # stored units per requirement line
    services: list[tuple[str, int]] = field(default_factory=list)  # (service code, units)
    compliant: bool = True
    reason: str | None = None
    total: int | None = None  # landed total in stored units of its currency, at the opening
    landed: scoring.Landed | None = None  # its lines and services, at the opening
    # at the evaluation: the USD total (stored units) at the ORE rate in force on the
    # competition's FX date (millionths of units per USD, effective date), past performance
    total_usd: int | None = None
    rate: tuple[int, date] | None = None
    past_performance: Decimal | None = None
    score: Decimal | None = None
    rank: int | None = None
    id: int = 0

    @property
    def valid(self) -> bool:
        return self.compliant and not self.late


def country_name(code: str) -> str:
    if code in _SHORT_NAMES:
        return _SHORT_NAMES[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", country.name).split(",")[0]


def _weights(rng: random.Random) -> tuple[str, tuple[tuple[str, int], ...]]:
    """R7: a weighted method with weights in fives summing to 100, or lowest price."""
    if rng.random() < 0.45:
        return EvaluationMethod.lowest_price.value, ((Criterion.price.value, 100),)
    price = rng.choice((60, 65, 70, 75, 80))
    others = [c.value for c in Criterion if c != Criterion.price]
    chosen = sorted(rng.sample(others, rng.randint(2, 4)))
    parts = dict.fromkeys(chosen, 5)
    for _ in range((100 - price) // 5 - len(chosen)):
        parts[rng.choice(chosen)] += 5
    weights = ((Criterion.price.value, price), *sorted(parts.items()))
    return EvaluationMethod.weighted.value, weights


def theme_products(rng: random.Random, lot: LotRef, theme: Theme) -> list[Product]:
    """What a competition of `theme` asks for: one product of each of its groups, then some of
    the related ones, all distinct."""
    by_sku = {p.sku: p for p in PRODUCTS[lot.number]}
    skus: list[str] = []
    for group in theme.groups:
        skus.append(rng.choice([s for s in group if s not in skus]))
    related = [s for s in theme.related if s not in skus]
    skus += rng.sample(related, rng.randint(0, min(len(related), 8 - len(skus))))
    return [by_sku[s] for s in skus]


def draw_tender(rng: random.Random, world: World, agency: AgencyRef, issue: date) -> Tender:
    lots = list(world.lots.values())
    lot = rng.choices(lots, weights=[lot.weight for lot in lots])[0]
    destination = world.pick_destination(rng, agency, "USD")
    themes = COMPETITION_THEMES[lot.number]
    if not world.in_the_field(destination):  # no "field teams" at headquarters
        themes = tuple(t for t in themes if not t.field) or themes
    theme = rng.choice(themes)
    title = theme.title.format(country=country_name(destination))
    lines = [(p, rng.randint(*p.qty) * rng.randint(2, 8)) for p in theme_products(rng, lot, theme)]
    method, weights = _weights(rng)
    shipped = lot.number in SHIPPED_LOTS
    freight = shipped and rng.random() < 0.7
    export = shipped and rng.random() < (0.3 if lot.number == 1 else 0.08)
    installation = shipped and rng.random() < (0.55 if lot.number in (1, 3) else 0.15)
    warranty = rng.choice((12, 24, 36)) if shipped else 0

    horizon = min(issue + timedelta(days=DELIVERY_HORIZON_DAYS), world.lta_to)
    active = [h for h in world.holders if world.holds(h.id, lot.id, issue)]
    invited = [h for h in active if world.holds_through(h.id, lot.id, issue, horizon)]
    left_out = []
    for holder in active:
        if holder not in invited:
            last = max(b for a, b in world.holdings[(holder.id, lot.id)] if a <= issue <= b)
            reason = f"Its holding of lot {lot.number} ends on {last}, before the planned delivery."
            left_out.append((holder, reason))
    if not invited:
        invited, left_out = active, []
    if len(invited) >= 3 and rng.random() < 0.08:
        out = rng.choice(invited)
        invited = [h for h in invited if h is not out]
        left_out.append((out, rng.choice(EXCLUSION_REASONS)))
    return Tender(
        agency, lot, title, destination, method, weights, freight, export, installation,
        warranty, lines, invited, sorted(left_out, key=lambda x: x[0].code),
    )  # fmt: skip


def receive_offers(
    rng: random.Random,
    fx: FxBook,
    tender: Tender,
    issued: datetime,
    deadline: datetime,
    cutoff: datetime,
    needed: bool,
) -> list[Bid]:
    """Offers of the invited holders received up to `cutoff`; `needed`: at least one on time."""
    responders = [h for h in tender.invited if rng.random() < 0.85]
    if needed and not responders:
        responders = tender.invited[:1]
    lateness = [rng.random() < 0.04 for _ in responders]
    if needed and responders and all(lateness):
        lateness[0] = False
    bids = []
    window = (deadline - issued).total_seconds()
    for holder, late in zip(responders, lateness, strict=True):
        if late:
            received = deadline + timedelta(minutes=rng.randint(5, 900))
        else:
            received = issued + timedelta(seconds=int(window * rng.uniform(0.3, 0.99)))
        currencies = OFFER_CURRENCIES.get(holder.code, (("USD", 1.0),))
        currency = rng.choices([c for c, _ in currencies], weights=[w for _, w in currencies])[0]
        if tender.destination not in CURRENCY_COUNTRIES.get(currency, (tender.destination,)):
            currency = "USD"  # a local currency only for its own country (DKK to Denmark)
        level = rng.uniform(0.9, 1.1) * (1 + 0.02 * (deadline.year - 2024))
        if rng.random() < 0.03:  # an abnormally low offer (R9)
            level *= 0.6
        rate = fx.for_pricing(currency, deadline.date())
        usd = [p.usd * level * rng.uniform(0.95, 1.05) for p, _ in tender.lines]
        goods = sum(u * q for u, (_, q) in zip(usd, tender.lines, strict=True))
        services_usd = []
        if tender.freight:
            services_usd.append(("freight", goods * rng.uniform(0.02, 0.06)))
        if tender.export_licensing:
            services_usd.append(("export_licensing", rng.uniform(150, 900)))
        if tender.installation:
            services_usd.append(("installation_support", goods * rng.uniform(0.03, 0.08)))
        if tender.warranty_months > 12:
            years = tender.warranty_months / 12 - 1
            services_usd.append(("warranty", goods * rng.uniform(0.02, 0.04) * years))
        extra_warranty = rng.choice((0, 0, 12))
        bid = Bid(
            holder=holder,
            currency=currency,
            received_at=received.replace(microsecond=0),
            late=late,
            delivery_days=rng.randint(2, 10) if tender.lot.number == 5 else rng.randint(10, 60),
            warranty_months=tender.warranty_months
            + (extra_warranty if tender.warranty_months else 0),
            valid_until=deadline.date() + timedelta(days=rng.choice((60, 90, 120))),
            takes_back=rng.random() < 0.4,
            energy_label=tender.lot.number != 5 and rng.random() < 0.6,
            prices=[price_units(u * rate, currency) for u in usd],
            services=[(code, price_units(v * rate, currency)) for code, v in services_usd],
        )
        if received <= cutoff:
            bids.append(bid)
    return bids


def open_offers(tender: Tender, bids: list[Bid]) -> None:
    """The opening: each offer's landed total in its currency (`scoring.landed_total`)."""
    quantities = [Decimal(qty) for _, qty in tender.lines]
    for bid in bids:
        landed = scoring.landed_total(
            quantities,
            [from_units(p) for p in bid.prices],
            [(code, from_units(p)) for code, p in bid.services],
            bid.currency,
        )
        bid.total, bid.landed = to_units(landed.total), landed


def evaluate(
    rng: random.Random,
    fx: FxBook,
    tender: Tender,
    bids: list[Bid],
    on: date,
    past: dict[str, Decimal | None],
    force_valid: bool,
) -> None:
    """Technical compliance, then the evaluation of the opened offers: USD totals
    (`scoring.landed_usd`, line by line as orders convert) at the rate in force on `on` (the FX
    rate date, R20), past performance (`past`, by holder code) and the scores and ranks of the
    valid offers (R10, `scoring.score_bids`)."""
    for bid in bids:
        if not bid.late and rng.random() < 0.07:
            bid.compliant, bid.reason = False, rng.choice(DISQUALIFICATIONS)
    valid = [b for b in bids if b.valid]
    on_time = [b for b in bids if not b.late]
    if force_valid and not valid and on_time:
        on_time[0].compliant, on_time[0].reason = True, None
    scored = []
    for bid in bids:
        assert bid.landed is not None, "evaluated before the opening"
        micro, effective, _ = fx.in_force(bid.currency, on)
        rate = Rate(bid.currency, effective, from_units(micro, RATE_DIGITS))
        bid.total_usd = to_units(scoring.landed_usd(bid.landed, rate))
        bid.rate = (micro, effective)
        bid.past_performance = past.get(bid.holder.code)
        scored.append(
            scoring.Bid(
                key=bid.holder.code,
                total_usd=from_units(bid.total_usd),
                delivery_days=bid.delivery_days,
                warranty_months=bid.warranty_months,
                takes_back_equipment=bid.takes_back,
                energy_label=bid.energy_label,
                past_performance=bid.past_performance,
                received_at=bid.received_at,
                valid=bid.valid,
            )
        )
    results = scoring.score_bids(tender.method, dict(tender.weights), scored)
    for bid, result in zip(bids, results, strict=True):
        bid.score, bid.rank = result.total, result.rank


def offer_content(reference: str, bid: Bid) -> OfferContent:
    """The offer as its content hash covers it."""
    return OfferContent(
        competition=reference,
        consolidator=bid.holder.code,
        currency=bid.currency,
        received_at=bid.received_at,
        delivery_days=bid.delivery_days,
        warranty_months=bid.warranty_months,
        valid_until=bid.valid_until,
        takes_back_equipment=bid.takes_back,
        energy_label=bid.energy_label,
        line_prices=tuple(from_units(p) for p in bid.prices),
        services=tuple((code, from_units(p)) for code, p in bid.services),
    )


def content_hash(reference: str, bid: Bid) -> str:
    """`domain.offer_hash` of the offer as received."""
    return offer_hash(offer_content(reference, bid))
