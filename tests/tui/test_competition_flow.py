"""Issue 4, point 8: a mini-competition from the form to the order, key by key in the TUI.

A focal point of UNDP creates a competition on lot 2 for 3 lines with freight and installation
(through the competition form), issues it, records three offers in USD, EUR and JPY before the
deadline (through the offer form), the clock moves past the deadline, the opening is recorded,
the offers are compared and the award goes to rank 2 with a justification; then the ranks, the
USD totals to the cent and the order in the database are checked against figures computed by
hand from the rates this test seeds.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from lta_tui.store.models import (
    Award,
    Consolidator,
    MiniCompetition,
    Offer,
    Order,
    OrderLine,
    ServiceType,
)
from lta_tui.tui.app import LtaApp
from lta_tui.tui.screens.comparison import ComparisonScreen
from lta_tui.tui.screens.competition_actions import AwardCompetition
from lta_tui.tui.screens.competition_detail import CompetitionDetailScreen
from lta_tui.tui.screens.offer_form import OfferFormScreen
from lta_tui.tui.screens.order_actions import ChangeView, ConfirmAction
from tests.order_setup import add_rate
from tests.tui.competition_steps import open_form, type_header, type_line, type_weights
from tests.tui.steps import settle, wait_until
from tests.tui.test_competition_actions import Clock, keys_shown, reloaded

D = Decimal
UTC = timezone.utc
DRAFTED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday: "+14" is Monday 2026-11-16
RECEIVING = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)  # the offers are typed in
OPENING = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)  # the deadline (11-16 12:00) has passed
FX_DAY = date(2026, 11, 16)  # the form's default FX rate date: the deadline's day
#: The ORE rates this test seeds, effective on the FX rate date (units per USD). The sample
#: rates of 2026-11-01 (EUR 0.8579, JPY 151.75) are older, so these are the ones in force.
EUR_RATE, JPY_RATE = "0.85", "150"
#: description, specification, quantity, UNSPSC (within lot 2's scope)
LINES = [
    ("Laptop 14 inch", "i5, 16 GB, 512 GB SSD", "40", "43211503"),
    ("Monitor 24 inch", "FHD IPS", "40", "43211902"),
    ("Docking station", "USB-C, 100 W", "12", "43211602"),
]
WEIGHTS = {"price": "70", "delivery_time": "10", "warranty": "10", "sustainability": "10"}
#: What each e-mail says, as typed on 2026-11-10: received on (-5 is 11-05), at (HHMM UTC),
#: currency, unit prices per line, freight, installation, delivery days, warranty months,
#: valid until, take-back, energy label.
OFFERS = {
    "CONS-A": ("-5", "1030", "usd", ("950", "210", "180"), "1500", "2000",
               "30", "36", "+80", "y", "y"),
    "CONS-B": ("-1", "1605", "euro", ("800", "180", "150"), "1200", "1500",
               "45", "36", "+95", "n", "y"),
    "CONS-C": ("t", "0845", "yen", ("140000", "31000", "27000"), "220000", "300000",
               "20", "24", "+65", "n", "n"),
}  # fmt: skip

# The figures by hand.
# Landed totals (goods = Σ quantity × unit price, + freight + installation):
#   CONS-A USD: 40×950 + 40×210 + 12×180 = 38,000 + 8,400 + 2,160 = 48,560.00
#               + 1,500 + 2,000                                        = 52,060.00 USD
#   CONS-B EUR: 40×800 + 40×180 + 12×150 = 32,000 + 7,200 + 1,800 = 41,000.00
#               + 1,200 + 1,500                                        = 43,700.00 EUR
#   CONS-C JPY: 40×140,000 + 40×31,000 + 12×27,000 = 5,600,000 + 1,240,000 + 324,000
#               = 7,164,000 + 220,000 + 300,000                        = 7,684,000 JPY
# In USD at the seeded rates, as an order converts: each line and service amount ÷ units per
# USD, rounded half up to the cent, then summed:
#   CONS-A 38,000.00 + 8,400.00 + 2,160.00 + 1,500.00 + 2,000.00     = 52,060.00
#   CONS-B 32,000 ÷ 0.85 = 37,647.0588… → 37,647.06; 7,200 → 8,470.5882… → 8,470.59;
#          1,800 → 2,117.6470… → 2,117.65; 1,200 → 1,411.7647… → 1,411.76;
#          1,500 → 1,764.7058… → 1,764.71                               = 51,411.77
#          (43,700.00 ÷ 0.85 at once would be 51,411.7647… → 51,411.76, a cent less)
#   CONS-C 5,600,000 ÷ 150 = 37,333.33; 1,240,000 → 8,266.67; 324,000 → 2,160.00;
#          220,000 → 1,466.67; 300,000 → 2,000.00              = 51,226.67 (the lowest)
USD = {"CONS-A": D("52060.00"), "CONS-B": D("51411.77"), "CONS-C": D("51226.67")}
# Points (weights 70/10/10/10; each criterion rounded half up to 2 decimals):
#   price 70 × 51,226.67 ÷ total USD: A 68.8796 → 68.88, B 69.7479… → 69.75, C 70.00
#   delivery 10 × 20 days ÷ days:     A 20/30 → 6.67,    B 20/45 → 4.44,    C 10.00
#   warranty 10 × months ÷ 36:        A 10.00,           B 10.00,           C 24/36 → 6.67
#   sustainability 10 × (take-back + label) ÷ 2: A 2/2 → 10.00, B 1/2 → 5.00, C 0.00
#   totals: A 95.55 (rank 1), B 89.19 (rank 2), C 86.67 (rank 3)
SCORES = {"CONS-A": D("95.55"), "CONS-B": D("89.19"), "CONS-C": D("86.67")}
RANKS = {"CONS-A": 1, "CONS-B": 2, "CONS-C": 3}
JUSTIFICATION = "Rank 1 cannot deliver to Dhaka before the rains; CONS-B confirmed stock"


@pytest.fixture
def clock() -> Clock:
    return Clock(DRAFTED)


@pytest.fixture
def app(config, engine, clock) -> LtaApp:
    add_rate(engine, "EUR", FX_DAY, EUR_RATE)
    add_rate(engine, "JPY", FX_DAY, JPY_RATE)
    return LtaApp(config, today=clock.today, now=clock.now)


async def create_competition(pilot, app: LtaApp) -> CompetitionDetailScreen:
    """Lot 2, 3 lines, freight and installation, weighted 70/10/10/10, through the form."""
    form = await open_form(pilot, app)
    await type_header(pilot, app, form)  # deadline +14 at 12:00 UTC, FX day the deadline's
    await type_weights(pilot, app, form, WEIGHTS)
    await wait_until(pilot, lambda: app.focused is form.query_one("#needs_freight"), "services")
    await pilot.press("space", "tab", "tab", "space", "tab", *"36", "enter")
    for line in LINES:
        await type_line(pilot, app, form, *line)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(app.screen, CompetitionDetailScreen), "detail")
    screen = app.screen
    await wait_until(pilot, lambda: screen.view is not None, "the competition")
    await settle(pilot, app)
    return screen


async def record_offer(pilot, app: LtaApp, screen, code: str) -> None:
    day, at, currency, prices, freight, installation, days, months, until, back, label = OFFERS[
        code
    ]
    before = len(screen.view.detail.offers)
    await pilot.press("o")
    await wait_until(pilot, lambda: isinstance(app.screen, OfferFormScreen), "the offer form")
    form = app.screen
    await wait_until(pilot, lambda: form.query_one("#currency").choices, "the currencies")
    await wait_until(pilot, lambda: app.focused is form.query_one("#consolidator"), "holder")
    await pilot.press(*code, "enter")
    await wait_until(pilot, lambda: app.focused is form.query_one("#currency"), "currency")
    await pilot.press(*currency, "enter")
    await wait_until(pilot, lambda: app.focused is form.query_one("#received_on"), "date")
    await pilot.press(*day, "enter", *at, "enter")
    for price in prices:
        await pilot.press(*price, "enter")
    await pilot.press(*freight, "enter", *installation, "enter", "enter")  # no warranty price
    await wait_until(pilot, lambda: app.focused is form.query_one("#delivery_days"), "terms")
    await pilot.press(*days, "enter", *months, "enter", *until, "enter")
    await pilot.press(back, "enter", label, "enter")
    assert app.focused is form.query_one("#compliant")  # y: compliant, as proposed
    assert "landed total" in str(form.query_one("#offer-total").render())
    await pilot.press("ctrl+s")
    await reloaded(pilot, app, screen, lambda: len(screen.view.detail.offers) == before + 1)


def table_cells(screen: ComparisonScreen) -> dict[str, list[str]]:
    """The comparison as label → one cell per offer (in the columns' order)."""
    table = screen.query_one("#comparison-table")
    rows = [[str(c) for c in table.get_row_at(r)] for r in range(table.row_count)]
    return {row[0]: [c.strip(" *") for c in row[1:]] for row in rows}


async def test_a_competition_from_the_form_to_the_order(app, engine, clock):
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await create_competition(pilot, app)
        assert screen.view.status == "draft"
        assert screen.view.comparison.services == ("freight", "installation_support", "warranty")

        # issued on 2026-11-02: ten working days to answer, no warning
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmAction), "the question")
        await pilot.press("enter")
        await reloaded(pilot, app, screen, lambda: screen.view.status == "open")

        clock.at = RECEIVING
        for code in OFFERS:
            await record_offer(pilot, app, screen, code)
        offers = screen.view.detail.offers
        assert [
            (o.consolidator, o.currency, o.total, f"{o.received_at:%m-%d %H:%M}") for o in offers
        ] == [
            ("CONS-A", "USD", None, "11-05 10:30"),
            ("CONS-B", "EUR", None, "11-09 16:05"),
            ("CONS-C", "JPY", None, "11-10 08:45"),
        ]  # sealed (R5): no total
        assert "p" not in keys_shown(screen)  # the deadline has not passed

        clock.at = OPENING
        await pilot.press("r")
        await reloaded(pilot, app, screen, lambda: screen.view.status == "closed")
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmAction), "the question")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChangeView), "the bid abstract")
        abstract = "\n".join(app.screen.lines)
        for total in ("52,060.00 USD", "43,700.00 EUR", "7,684,000 JPY"):
            assert total in abstract
        assert abstract.count("hash ok") == 3
        await pilot.press("escape")
        await reloaded(pilot, app, screen, lambda: screen.view.status == "opened")

        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, ComparisonScreen), "comparison")
        comparison = app.screen
        cells = table_cells(comparison)
        assert cells["Rank"] == ["1", "2", "3"]  # columns in rank order: A, B, C
        assert cells["Score"] == ["95.55", "89.19", "86.67"]
        assert cells["Total USD"] == ["52,060.00", "51,411.77", "51,226.67"]
        assert cells["Currency"] == ["USD", "EUR", "JPY"]
        assert cells["Landed total"] == ["52,060.00", "43,700.00", "7,684,000"]
        assert cells["  units per USD"] == ["1", "0.85", "150"]
        assert not comparison.query_one("#comparison-warnings").display  # no R8, no R9

        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AwardCompetition), "the award")
        modal = app.screen
        await pilot.press("ctrl+a", "ctrl+k", *"CONS-B", "enter", "tab", *JUSTIFICATION)
        await pilot.press("enter")
        await reloaded(pilot, app, screen, lambda: screen.view.detail.award is not None)
        assert not isinstance(app.screen, (ComparisonScreen, AwardCompetition))
        assert modal not in app.screen_stack
        award = screen.view.detail.award
        assert (award.consolidator, award.rank, award.justification) == (
            "CONS-B",
            2,
            JUSTIFICATION,
        )
        assert screen.view.status == "awarded"

    with engine.connect() as conn:
        comp = conn.execute(select(MiniCompetition.__table__)).one()
        stored = {
            o.consolidator: o
            for o in conn.execute(
                select(Offer.__table__, Consolidator.code.label("consolidator")).join(
                    Consolidator, Consolidator.id == Offer.consolidator_id
                )
            )
        }
        award_row = conn.execute(select(Award.__table__)).one()
        order = conn.execute(select(Order.__table__)).one()
        lines = conn.execute(
            select(OrderLine.__table__, ServiceType.code.label("service"))
            .outerjoin(ServiceType, ServiceType.id == OrderLine.service_type_id)
            .where(OrderLine.order_id == order.id)
            .order_by(OrderLine.line_no)
        ).all()
    assert (comp.status, comp.fx_rate_date) == ("awarded", FX_DAY)
    assert {code: o.rank for code, o in stored.items()} == RANKS
    assert {code: o.total_usd for code, o in stored.items()} == USD
    assert {code: o.score for code, o in stored.items()} == SCORES
    assert award_row.offer_id == stored["CONS-B"].id and award_row.rank == 2
    assert award_row.justification == JUSTIFICATION
    # the order: CONS-B's lines, prices and currency, a draft from the award
    assert (order.status, order.currency, order.award_id) == ("draft", "EUR", award_row.id)
    assert order.channel == "mini_competition"
    assert order.total == D("43700.00")
    # The order service converts line by line at the rate in force on 11-17 (0.85), each line
    # rounded to the cent: 32,000 ÷ 0.85 = 37,647.06; 7,200 → 8,470.59; 1,800 → 2,117.65;
    # 1,200 → 1,411.76; 1,500 → 1,764.71; Σ = 51,411.77, the offer's figure to the cent.
    assert order.total_usd == D("51411.77")
    assert [
        (x.kind, x.service, x.description, x.quantity, x.unit_price, x.amount) for x in lines
    ] == [
        ("goods", None, "Laptop 14 inch", D(40), D("800.00"), D("32000.00")),
        ("goods", None, "Monitor 24 inch", D(40), D("180.00"), D("7200.00")),
        ("goods", None, "Docking station", D(12), D("150.00"), D("1800.00")),
        ("service", "freight", lines[3].description, D(1), D("1200.00"), D("1200.00")),
        ("service", "installation_support", lines[4].description, D(1), D("1500.00"), D("1500.00")),
    ]
