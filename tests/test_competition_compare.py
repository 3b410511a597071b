"""The comparison of a mini-competition's offers (issue 4, point 5) and the R5 seal on every
read of a competition: the browse list, the detail and the comparison show no price, total,
score or rank of a sealed offer, and list sealed offers in the order received.

The scenario (`build`), figures computed by hand: lot 2, three lines (40 laptops, 40 monitors,
10 docks) with freight and installation, weights price 60 / delivery 15 / warranty 10 /
sustainability 10 / past performance 5, FX rate date 2026-11-01 (EUR 0.8579, JPY 151.75 per USD).

| holder | currency | goods | freight | install. | landed | USD | received |
|---|---|---|---|---|---|---|---|
| CONS-A | USD | 48,893.20 | 2,345.67 | 1,234.56 | 52,473.43 | 52,473.43 | 3rd |
| CONS-B | EUR | 43,463.80 | 1,987.65 | 1,111.11 | 46,562.56 | 54,275.04 | 1st |
| CONS-C | JPY | 7,397,050 | 345,678 | 198,765 | 7,941,493 | 52,332.74 | 2nd |

USD as orders convert (R20): each line amount and service price ÷ the rate, rounded to the cent,
then summed. B: 36,217.20 → 42,216.11; 6,451.60 → 7,520.22; 795.00 → 926.68; freight 1,987.65 →
2,316.88; installation 1,111.11 → 1,295.15; 54,275.04. C: 6,138,240 → 40,449.69; 1,115,600 →
7,351.57; 143,210 → 943.72; freight 345,678 → 2,277.94; installation 198,765 → 1,309.82;
52,332.74 (both the same cents as the landed total converted at once).

Points (price 60 × 52,332.74 / USD; delivery 15 × 21 / days; warranty 10 × months / 48;
sustainability 10 × (take-back + label) / 2; past performance 5 × 2.5 / 4 = 3.13, no reviews):
A 59.84 + 10.50 + 7.50 + 10.00 + 3.13 = 90.97 (rank 2); B 57.85 + 15.00 + 10.00 + 5.00 + 3.13 =
90.98 (rank 1); C 60.00 + 7.00 + 7.50 + 0.00 + 3.13 = 77.63 (rank 3). Lowest per line in USD:
laptops A (1,009.99), monitors C (27,890 JPY = 183.79), docks B (79.50 EUR = 92.67).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update

from lta_tui.config import RulesConfig
from lta_tui.domain.offer_hash import OfferContent, offer_hash
from lta_tui.domain.scoring import landed_total
from lta_tui.services.browse import BrowseQuery, UnknownSort
from lta_tui.services.browse_competitions import competition_detail, list_competitions
from lta_tui.services.competition_compare import Comparison, comparison
from lta_tui.store.models import (
    Agency,
    CompetitionCriterion,
    Consolidator,
    Invitation,
    Lot,
    Lta,
    MiniCompetition,
    Offer,
    OfferLine,
    OfferService,
    RequirementLine,
    ServiceType,
)

D = Decimal
RULES = RulesConfig()
UTC = timezone.utc
CREATED = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
ISSUED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
OPENED = datetime(2026, 11, 12, 14, 0, tzinfo=UTC)
BEFORE_DEADLINE = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
AFTER_DEADLINE = datetime(2026, 11, 13, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
REFERENCE = "UNDP-MC-2026-004"
WEIGHTS = (
    ("price", 60),
    ("delivery_time", 15),
    ("warranty", 10),
    ("sustainability", 10),
    ("past_performance", 5),
)
#: description, specification, quantity, UNSPSC
LINES = (
    ("Laptop 14in [std] | i7", "16 GB RAM, 512 GB SSD", D(40), "43211503"),
    ("Monitor 24in", "IPS, USB-C", D(40), "43211902"),
    ("Docking station", '=HYPERLINK("x")', D(10), "43211603"),
)


@dataclasses.dataclass(frozen=True)
class Bid:
    code: str
    currency: str
    received_at: datetime
    prices: tuple[Decimal, ...]
    freight: Decimal
    installation: Decimal
    delivery_days: int
    warranty_months: int
    takes_back: bool
    energy_label: bool
    late: bool = False
    compliant: bool = True
    reason: str | None = None


BIDS = (
    Bid("CONS-B", "EUR", datetime(2026, 11, 5, 10, 0, tzinfo=UTC),
        (D("905.43"), D("161.29"), D("79.50")), D("1987.65"), D("1111.11"), 21, 48, False, True),
    Bid("CONS-C", "JPY", datetime(2026, 11, 6, 11, 0, tzinfo=UTC),
        (D("153456"), D("27890"), D("14321")), D("345678"), D("198765"), 45, 36, False, False),
    Bid("CONS-A", "USD", datetime(2026, 11, 9, 15, 30, tzinfo=UTC),
        (D("1009.99"), D("187.65"), D("98.76")), D("2345.67"), D("1234.56"), 30, 36, True, True),
)  # fmt: skip
#: Strings that must never appear while the offers are sealed: unit prices, service prices and
#: landed totals of every offer, raw and as formatted for display, and the USD totals.
SEALED_NEEDLES = (
    "1009.99", "1,009.99", "905.43", "153456", "153,456", "2345.67", "2,345.67", "1987.65",
    "1,987.65", "345678", "345,678", "52473.43", "52,473.43", "46562.56", "46,562.56",
    "7941493", "7,941,493", "54275.04", "54,275.04", "52332.74", "52,332.74",
)  # fmt: skip


def _id(conn, model, **where) -> int:
    stmt = select(model.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return conn.execute(stmt).scalar_one()


def content_of(bid: Bid, reference: str = REFERENCE) -> OfferContent:
    return OfferContent(
        competition=reference,
        consolidator=bid.code,
        currency=bid.currency,
        received_at=bid.received_at,
        delivery_days=bid.delivery_days,
        warranty_months=bid.warranty_months,
        valid_until=date(2027, 2, 28),
        takes_back_equipment=bid.takes_back,
        energy_label=bid.energy_label,
        line_prices=bid.prices,
        services=(("freight", bid.freight), ("installation_support", bid.installation)),
    )


def build(engine, bids=BIDS, *, opened: bool = False, justification: str | None = None) -> int:
    """The scenario's competition with its offers recorded (sealed), opened when asked: rows
    written as the competition service writes them (content hash at receipt; landed total and
    hash check at the opening)."""
    with engine.begin() as conn:
        comp_id = conn.execute(
            insert(MiniCompetition).values(
                reference=REFERENCE,
                lta_id=conn.execute(select(Lta.id)).scalar_one(),
                agency_id=_id(conn, Agency, code="UNDP"),
                lot_id=_id(conn, Lot, number=2),
                title="Laptops and monitors for Bangladesh | field offices",
                destination_country="BD",
                status="opened" if opened else "open",
                evaluation_method="weighted",
                fx_rate_date=date(2026, 11, 1),
                needs_freight=True,
                needs_installation=True,
                warranty_months=36,
                created_at=CREATED,
                created_by="Ana Ruiz",
                issued_at=ISSUED,
                deadline=DEADLINE,
                opened_at=OPENED if opened else None,
                opened_by="Ana Ruiz" if opened else None,
                justification=justification,
                version=5,
            )
        ).inserted_primary_key[0]
        for criterion, weight in WEIGHTS:
            conn.execute(
                insert(CompetitionCriterion).values(
                    competition_id=comp_id, criterion=criterion, weight=weight
                )
            )
        line_ids = [
            conn.execute(
                insert(RequirementLine).values(
                    competition_id=comp_id,
                    line_no=n,
                    description=text,
                    specification=spec,
                    quantity=qty,
                    unit="each",
                    unspsc=unspsc,
                )  # fmt: skip
            ).inserted_primary_key[0]
            for n, (text, spec, qty, unspsc) in enumerate(LINES, 1)
        ]
        for code in ("CONS-A", "CONS-B", "CONS-C"):
            conn.execute(
                insert(Invitation).values(
                    competition_id=comp_id, consolidator_id=_id(conn, Consolidator, code=code)
                )
            )
        conn.execute(
            insert(Invitation).values(
                competition_id=comp_id,
                consolidator_id=_id(conn, Consolidator, code="CONS-D"),
                invited=False,
                exclusion_reason="its holding of lot 2 ended on 2025-12-31",
            )
        )
        service_ids = dict(conn.execute(select(ServiceType.code, ServiceType.id)).all())
        for bid in bids:
            offer_id = conn.execute(
                insert(Offer).values(
                    competition_id=comp_id,
                    consolidator_id=_id(conn, Consolidator, code=bid.code),
                    received_at=bid.received_at,
                    recorded_by="Ana Ruiz",
                    currency=bid.currency,
                    delivery_days=bid.delivery_days,
                    warranty_months=bid.warranty_months,
                    valid_until=date(2027, 2, 28),
                    takes_back_equipment=bid.takes_back,
                    energy_label=bid.energy_label,
                    compliant=bid.compliant,
                    disqualification_reason=bid.reason,
                    late=bid.late,
                    content_hash=offer_hash(content_of(bid)),
                )
            ).inserted_primary_key[0]
            for line_id, price in zip(line_ids, bid.prices, strict=True):
                conn.execute(
                    insert(OfferLine).values(
                        offer_id=offer_id, requirement_line_id=line_id, unit_price=price
                    )
                )
            for code, price in (("freight", bid.freight), ("installation", bid.installation)):
                conn.execute(
                    insert(OfferService).values(
                        offer_id=offer_id,
                        service_type_id=service_ids[
                            "installation_support" if code == "installation" else code
                        ],
                        price=price,
                    )
                )
    if opened:
        open_rows(engine, comp_id, bids)
    return comp_id


def open_rows(engine, comp_id: int, bids=BIDS) -> None:
    """What the opening writes per offer: the landed total and the hash check."""
    with engine.begin() as conn:
        conn.execute(
            update(MiniCompetition)
            .where(MiniCompetition.id == comp_id)
            .values(status="opened", opened_at=OPENED, opened_by="Ana Ruiz")
        )
        for bid in bids:
            offer = conn.execute(
                select(Offer.id, Offer.content_hash)
                .join(Consolidator, Consolidator.id == Offer.consolidator_id)
                .where(Offer.competition_id == comp_id, Consolidator.code == bid.code)
            ).one()
            prices = tuple(
                conn.execute(
                    select(OfferLine.unit_price)
                    .join(RequirementLine, RequirementLine.id == OfferLine.requirement_line_id)
                    .where(OfferLine.offer_id == offer.id)
                    .order_by(RequirementLine.line_no)
                ).scalars()
            )
            now_content = dataclasses.replace(content_of(bid), line_prices=prices)
            landed = landed_total(
                [q for *_, q, _ in LINES],
                prices,
                (("freight", bid.freight), ("installation_support", bid.installation)),
                bid.currency,
            )
            conn.execute(
                update(Offer)
                .where(Offer.id == offer.id)
                .values(total=landed.total, hash_ok=offer_hash(now_content) == offer.content_hash)
            )


# --- walking a dataclass for priced values ----------------------------------------------------

_PRICED = ("price", "total", "score", "rank", "usd", "amount", "goods", "rate", "criteria",
           "performance", "lowest", "abnormally")  # fmt: skip
#: Settings of the competition itself (its FX rate date, its criteria and weights), known
#: before any offer: not priced.
_SETTINGS = {".fx_rate_date", ".criteria"}


def priced_values(value, path="") -> list[str]:
    """Paths of every field whose name says it is priced and that holds something."""
    found = []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            inner = getattr(value, f.name)
            here = f"{path}.{f.name}"
            priced = here not in _SETTINGS and any(p in f.name.lower() for p in _PRICED)
            if priced and inner not in (None, (), [], False):
                found.append(f"{here}={inner!r}")
            found += priced_values(inner, here)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found += priced_values(item, f"{path}[{i}]")
    return found


def assert_no_price(*objects) -> None:
    for obj in objects:
        text = repr(obj)
        leaked = [n for n in SEALED_NEEDLES if n in text]
        assert not leaked, f"sealed prices {leaked} in {type(obj).__name__}"
        if dataclasses.is_dataclass(obj):
            assert priced_values(obj) == [], priced_values(obj)


# --- R5: sealed -------------------------------------------------------------------------------


@pytest.mark.parametrize("now", [BEFORE_DEADLINE, AFTER_DEADLINE], ids=["open", "deadline-passed"])
def test_sealed_comparison_holds_no_price_and_keeps_received_order(engine, now):
    comp_id = build(engine)
    with engine.connect() as conn:
        compared = comparison(conn, comp_id, now, RULES)
    assert compared.sealed and compared.offers == () and compared.warnings == ()
    assert compared.valid_offers is None
    # received order, not price order (C is cheapest, B dearest) nor rank order (B first)
    assert [r.consolidator for r in compared.received] == ["CONS-B", "CONS-C", "CONS-A"]
    assert compared.status == ("open" if now < DEADLINE else "closed")
    assert_no_price(compared)
    assert not any(isinstance(v, Decimal) for v in _leaves(compared.received))


def _leaves(value):
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _leaves(getattr(value, f.name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def test_the_walker_finds_prices_in_an_opened_comparison(engine):
    """The sealed assertions are not vacuous: the same walk finds the prices once opened."""
    comp_id = build(engine, opened=True)
    with engine.connect() as conn:
        compared = comparison(conn, comp_id, AFTER_DEADLINE, RULES)
    assert priced_values(compared)
    assert "1009.99" in repr(compared) and "52473.43" in repr(compared)


@pytest.mark.parametrize("now", [BEFORE_DEADLINE, AFTER_DEADLINE], ids=["open", "deadline-passed"])
def test_sealed_detail_and_list_hold_no_price(engine, now):
    comp_id = build(engine)
    with engine.connect() as conn:
        detail = competition_detail(conn, comp_id, now)
        page = list_competitions(conn, BrowseQuery())
        by_offers = list_competitions(conn, BrowseQuery(sort="offers", descending=True))
        for key in ("total", "price", "score", "rank", "total_usd"):  # nothing to sort prices on
            with pytest.raises(UnknownSort):
                list_competitions(conn, BrowseQuery(sort=key))
    assert detail.sealed and [o.total for o in detail.offers] == [None, None, None]
    assert [o.consolidator for o in detail.offers] == ["CONS-B", "CONS-C", "CONS-A"]
    assert all(o.total_usd is None and o.score is None and o.rank is None for o in detail.offers)
    assert detail.version == 5 and detail.fx_rate_date == date(2026, 11, 1)
    assert detail.services_needed == ("freight", "installation_support", "warranty")
    assert detail.effective_status == ("open" if now < DEADLINE else "closed")
    assert_no_price(detail, *page.rows, *by_offers.rows)  # (Page.total counts rows)
    assert page.rows[0].offers == 3


def test_sealed_reads_never_touch_a_priced_column(engine):
    """R5 at the source: while sealed, no query of the list, the detail or the comparison
    reads an offer line, an offer service or a priced column of an offer."""
    from sqlalchemy import event

    comp_id = build(engine)
    seen: list[str] = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    try:
        with engine.connect() as conn:
            list_competitions(conn, BrowseQuery(sort="offers"))
            competition_detail(conn, comp_id, AFTER_DEADLINE)
            comparison(conn, comp_id, AFTER_DEADLINE, RULES)
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert len(seen) >= 6
    priced = (
        "offer_lines",
        "offer_services",
        "offers.total",
        "offers.score",
        "offers.rank",
        "offers.past_performance",
        "offers.fx_units_per_usd",
        "offers.content_hash",
    )
    leaks = [(p, q) for q in seen for p in priced if p in q]
    assert leaks == []
    seen.clear()
    open_rows(engine, comp_id)  # the same reads once opened do touch them: the spy works
    event.listen(engine, "before_cursor_execute", spy)
    try:
        with engine.connect() as conn:
            comparison(conn, comp_id, AFTER_DEADLINE, RULES)
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert any("offer_lines" in q for q in seen) and any("offers.total" in q for q in seen)


def test_opening_before_the_deadline_does_not_unseal(engine):
    """R5 needs both: the deadline passed and the opening recorded after it."""
    comp_id = build(engine, opened=True)
    with engine.connect() as conn:
        compared = comparison(conn, comp_id, BEFORE_DEADLINE, RULES)
        detail = competition_detail(conn, comp_id, BEFORE_DEADLINE)
    assert compared.sealed and detail.sealed
    assert_no_price(compared, detail)


# --- opened: live figures --------------------------------------------------------------------


def test_opened_comparison_landed_totals_in_usd_to_the_cent(engine):
    comp_id = build(engine, opened=True)
    with engine.connect() as conn:
        compared = comparison(conn, comp_id, AFTER_DEADLINE, RULES)
    assert not compared.sealed and not compared.stored
    assert compared.services == ("freight", "installation_support", "warranty")
    offers = {o.consolidator: o for o in compared.offers}
    a, b, c = offers["CONS-A"], offers["CONS-B"], offers["CONS-C"]
    assert (a.goods, a.total, a.total_usd) == (D("48893.20"), D("52473.43"), D("52473.43"))
    assert (b.goods, b.total, b.total_usd) == (D("43463.80"), D("46562.56"), D("54275.04"))
    assert (c.goods, c.total, c.total_usd) == (D("7397050"), D("7941493"), D("52332.74"))
    assert (b.units_per_usd, b.rate_date) == (D("0.8579"), date(2026, 11, 1))
    assert (c.units_per_usd, c.rate_date) == (D("151.75"), date(2026, 11, 1))
    assert a.units_per_usd == 1
    assert b.service_price("freight") == D("1987.65") and b.service_price("warranty") is None
    assert [p.amount for p in a.lines] == [D("40399.60"), D("7506.00"), D("987.60")]
    assert all(o.hash_ok for o in compared.offers)


def test_opened_comparison_scores_ranks_and_order(engine):
    comp_id = build(engine, opened=True)
    with engine.connect() as conn:
        compared = comparison(conn, comp_id, AFTER_DEADLINE, RULES)
    # ranked: highest score first, not the received order nor the cheapest first
    assert [(o.consolidator, o.score, o.rank) for o in compared.offers] == [
        ("CONS-B", D("90.98"), 1),
        ("CONS-A", D("90.97"), 2),
        ("CONS-C", D("77.63"), 3),
    ]
    points = {o.consolidator: dict(o.criteria) for o in compared.offers}
    assert points["CONS-A"] == {
        "price": D("59.84"),
        "delivery_time": D("10.50"),
        "warranty": D("7.50"),
        "sustainability": D("10.00"),
        "past_performance": D("3.13"),
    }
    assert points["CONS-B"]["price"] == D("57.85") and points["CONS-C"]["price"] == D("60.00")
    assert all(o.past_performance is None for o in compared.offers)  # no reviews: 2.5 used
    assert compared.warnings == () and compared.valid_offers == 3


def test_lowest_price_per_line_is_compared_in_usd(engine):
    comp_id = build(engine, opened=True)
    with engine.connect() as conn:
        compared = comparison(conn, comp_id, AFTER_DEADLINE, RULES)
    lowest = {
        line.line_no: [o.consolidator for o in compared.offers for p in o.lines
                       if p.line_no == line.line_no and p.lowest]
        for line in compared.lines
    }  # fmt: skip
    # in the offers' own currencies the JPY prices would always look highest
    assert lowest == {1: ["CONS-A"], 2: ["CONS-C"], 3: ["CONS-B"]}


def test_late_and_non_compliant_offers_are_excluded_from_scores(engine):
    bids = (
        dataclasses.replace(BIDS[0], compliant=False, reason="no energy label certificate"),
        BIDS[1],
        dataclasses.replace(BIDS[2], received_at=datetime(2026, 11, 12, 13, tzinfo=UTC), late=True),
    )
    comp_id = build(engine, bids, opened=True)
    with engine.connect() as conn:
        compared = comparison(conn, comp_id, AFTER_DEADLINE, RULES)
    offers = {o.consolidator: o for o in compared.offers}
    assert offers["CONS-C"].rank == 1 and offers["CONS-C"].score == D("88.13")
    assert offers["CONS-A"].rank is None and offers["CONS-A"].excluded == "late (R6)"
    assert offers["CONS-B"].excluded == "not compliant: no energy label certificate"
    assert offers["CONS-B"].score is None and offers["CONS-B"].criteria == ()
    assert [o.consolidator for o in compared.offers] == ["CONS-C", "CONS-B", "CONS-A"]
    # R8: one valid offer, fewer than the minimum of 2
    assert [w.rule for w in compared.warnings] == ["R8"]
    assert "1 valid offer, fewer than the minimum of 2" in compared.warnings[0].message
    # the lowest per line is among the valid offers only
    assert all(p.lowest for p in offers["CONS-C"].lines)


def test_few_offers_with_a_recorded_justification_do_not_warn(engine):
    bids = (dataclasses.replace(BIDS[0], compliant=False, reason="x"), BIDS[1],
            dataclasses.replace(BIDS[2], compliant=False, reason="y"))  # fmt: skip
    reason = "urgent replacement after flooding; only one compliant holder"
    comp_id = build(engine, bids, opened=True, justification=reason)
    with engine.connect() as conn:
        compared = comparison(conn, comp_id, AFTER_DEADLINE, RULES)
    assert compared.warnings == () and compared.valid_offers == 1
    assert compared.few_offers_justification == reason
    stricter = RulesConfig(min_valid_offers=1)
    with engine.connect() as conn:
        assert comparison(conn, comp_id, AFTER_DEADLINE, stricter).valid_offers == 1


def test_abnormally_low_offer_is_flagged(engine):
    cheap = dataclasses.replace(BIDS[1], prices=(D("53456"), D("27890"), D("14321")))
    comp_id = build(engine, (BIDS[0], cheap, BIDS[2]), opened=True)
    with engine.connect() as conn:
        compared = comparison(conn, comp_id, AFTER_DEADLINE, RULES)
        relaxed = comparison(conn, comp_id, AFTER_DEADLINE, RulesConfig(abnormally_low_pct=60))
    offers = {o.consolidator: o for o in compared.offers}
    # 40 × 53,456 = 2,138,240 JPY ÷ 151.75 → 14,090.54 USD; 1,115,600 → 7,351.57; 143,210 →
    # 943.72; freight 345,678 → 2,277.94; installation 198,765 → 1,309.82: 25,973.59 USD
    # (landed 3,941,493 JPY), 50.5 % under the median 52,473.43
    assert offers["CONS-C"].total_usd == D("25973.59")
    assert [o.consolidator for o in compared.offers if o.abnormally_low] == ["CONS-C"]
    assert [w.rule for w in compared.warnings] == ["R9"]
    assert "CONS-C" in compared.warnings[0].message
    assert relaxed.warnings == () and not any(o.abnormally_low for o in relaxed.offers)


def test_a_changed_offer_shows_at_the_opening(engine):
    comp_id = build(engine)
    with engine.begin() as conn:  # a price edited behind the service's back after receipt
        offer_id = conn.execute(
            select(Offer.id)
            .join(Consolidator, Consolidator.id == Offer.consolidator_id)
            .where(Consolidator.code == "CONS-A")
        ).scalar_one()
        conn.execute(
            update(OfferLine).where(OfferLine.offer_id == offer_id).values(unit_price=D("1.00"))
        )
    open_rows(engine, comp_id)
    with engine.connect() as conn:
        compared = comparison(conn, comp_id, AFTER_DEADLINE, RULES)
        detail = competition_detail(conn, comp_id, AFTER_DEADLINE)
    assert {o.consolidator: o.hash_ok for o in compared.offers} == {
        "CONS-A": False,
        "CONS-B": True,
        "CONS-C": True,
    }
    assert {o.consolidator: o.hash_ok for o in detail.offers}["CONS-A"] is False


def test_detail_total_is_the_one_written_at_the_opening(engine):
    comp_id = build(engine, opened=True)
    with engine.begin() as conn:
        conn.execute(update(Offer).where(Offer.competition_id == comp_id).values(total=D("12.00")))
    with engine.connect() as conn:
        detail = competition_detail(conn, comp_id, AFTER_DEADLINE)
    assert [o.total for o in detail.offers] == [D("12.00")] * 3


def test_opened_detail_without_stored_totals_computes_them(engine):
    comp_id = build(engine, opened=True)
    with engine.begin() as conn:
        conn.execute(update(Offer).where(Offer.competition_id == comp_id).values(total=None))
    with engine.connect() as conn:
        detail = competition_detail(conn, comp_id, AFTER_DEADLINE)
    assert [o.total for o in detail.offers] == [D("46562.56"), D("7941493"), D("52473.43")]


# --- evaluated: the stored figures -----------------------------------------------------------


def test_evaluated_comparison_uses_the_stored_figures(engine):
    comp_id = build(engine, opened=True)
    with engine.begin() as conn:
        conn.execute(
            update(MiniCompetition)
            .where(MiniCompetition.id == comp_id)
            .values(status="evaluated", evaluated_at=LATER, evaluated_by="Bo Chen")
        )
        # a rate stored at the evaluation stays, even if the table of rates changes later (R20)
        conn.execute(
            update(Offer)
            .where(Offer.competition_id == comp_id)
            .values(total_usd=D("50000.00"), fx_units_per_usd=D("0.9"),
                    fx_effective_date=date(2026, 10, 1), score=D("42.00"), rank=7)
        )  # fmt: skip
    with engine.connect() as conn:
        compared = comparison(conn, comp_id, LATER, RULES)
    assert compared.stored and compared.evaluated_by == "Bo Chen"
    stored = {(o.total_usd, o.units_per_usd, o.rate_date, o.score, o.rank) for o in compared.offers}
    assert stored == {(D("50000.00"), D("0.9"), date(2026, 10, 1), D("42.00"), 7)}
    assert [str(o.score) for o in compared.offers] == ["42.00"] * 3  # not 42.0000 as stored


def test_comparison_of_a_draft_and_an_unknown_competition(engine):
    comp_id = build(engine)
    with engine.begin() as conn:
        conn.execute(
            update(MiniCompetition)
            .where(MiniCompetition.id == comp_id)
            .values(status="draft", issued_at=None)
        )
    with engine.connect() as conn:
        draft = comparison(conn, comp_id, AFTER_DEADLINE, RULES)
        assert draft.sealed  # no opening recorded
        from lta_tui.services.browse_competitions import CompetitionNotFound

        with pytest.raises(CompetitionNotFound):
            comparison(conn, 999_999, AFTER_DEADLINE, RULES)


def test_comparison_type_is_plain_data():
    assert dataclasses.is_dataclass(Comparison)
