"""Consolidator scorecards (issue 3, point 5): averages of the performance reviews per
criterion and overall, by agency and period, checked against figures computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from lta_tui.services.browse import BrowseQuery
from lta_tui.services.browse_consolidators import consolidator_detail, list_consolidators
from lta_tui.services.scorecard import Period, average, scorecard, scorecard_by_agency
from lta_tui.store.models import Agency, Consolidator, Order, PerformanceReview
from tests.order_rows import insert_orders

TODAY = date(2026, 11, 15)

#: (agency, consolidator, reviewed on, on-time, quantity, conformity, responsiveness, after-sales)
REVIEWS = [
    ("UNDP", "CONS-A", date(2026, 2, 10), 4, 3, 4, 2, 3),
    ("UNDP", "CONS-A", date(2026, 5, 3), 3, 3, 2, 4, 4),
    ("UNICEF", "CONS-A", date(2026, 8, 20), 1, 2, 2, 3, 4),
    ("UNDP", "CONS-B", date(2026, 11, 1), 2, 2, 2, 2, 1),
    ("UNDP", "CONS-A", date(2025, 12, 31), 1, 1, 1, 1, 1),  # the year before
]


@pytest.fixture
def reviewed(engine):
    insert_orders(engine, len(REVIEWS), seed=3, lines=1)
    with engine.begin() as conn:
        agencies = dict(conn.execute(select(Agency.code, Agency.id)).all())
        holders = dict(conn.execute(select(Consolidator.code, Consolidator.id)).all())
        orders = conn.execute(select(Order.id).order_by(Order.id)).scalars().all()
        conn.execute(
            insert(PerformanceReview),
            [
                {
                    "order_id": order_id,
                    "agency_id": agencies[agency],
                    "consolidator_id": holders[holder],
                    "reviewed_on": on,
                    "on_time_delivery": s[0],
                    "quantity": s[1],
                    "conformity": s[2],
                    "responsiveness": s[3],
                    "after_sales": s[4],
                    "comment": "",
                    "reviewed_by": "Test User",
                }
                for order_id, (agency, holder, on, *s) in zip(orders, REVIEWS, strict=True)
            ],
        )
    return engine, holders


def test_scorecard_of_all_agencies_for_the_year(reviewed):
    engine, _ = reviewed
    with engine.connect() as conn:
        card = {r.code: r.scores for r in scorecard(conn, Period.containing(TODAY))}
    a = card["CONS-A"]  # the three 2026 reviews of CONS-A, by hand:
    assert a.reviews == 3
    assert a.on_time_delivery == Decimal("2.67")  # (4 + 3 + 1) / 3 = 2.666…
    assert a.quantity == Decimal("2.67")  # (3 + 3 + 2) / 3
    assert a.conformity == Decimal("2.67")  # (4 + 2 + 2) / 3
    assert a.responsiveness == Decimal("3.00")  # (2 + 4 + 3) / 3
    assert a.after_sales == Decimal("3.67")  # (3 + 4 + 4) / 3 = 3.666…
    assert a.overall == Decimal("2.93")  # 44 points / 15 scores = 2.9333…
    b = card["CONS-B"]
    assert (b.reviews, b.overall, b.after_sales) == (1, Decimal("1.80"), Decimal("1.00"))
    assert card["CONS-C"].reviews == 0 and card["CONS-C"].overall is None


def test_scorecard_of_one_agency_and_one_quarter(reviewed):
    engine, _ = reviewed
    with engine.connect() as conn:
        undp = {r.code: r.scores for r in scorecard(conn, Period.containing(TODAY), "UNDP")}
        q2 = {
            r.code: r.scores
            for r in scorecard(conn, Period(size="quarter", start=date(2026, 4, 1)))
        }
        last_year = {r.code: r.scores for r in scorecard(conn, Period.containing(date(2025, 6, 1)))}
    assert undp["CONS-A"].reviews == 2
    assert undp["CONS-A"].overall == Decimal("3.20")  # (16 + 16) / 10
    assert undp["CONS-A"].on_time_delivery == Decimal("3.50")
    assert q2["CONS-A"].reviews == 1 and q2["CONS-A"].overall == Decimal("3.20")
    assert q2["CONS-B"].reviews == 0
    assert last_year["CONS-A"].reviews == 1 and last_year["CONS-A"].overall == Decimal("1.00")


def test_scorecard_by_agency_and_total(reviewed):
    engine, holders = reviewed
    with engine.connect() as conn:
        per_agency, total = scorecard_by_agency(conn, holders["CONS-A"], Period.containing(TODAY))
    assert [(a.agency, a.scores.reviews, a.scores.overall) for a in per_agency] == [
        ("UNDP", 2, Decimal("3.20")),
        ("UNICEF", 1, Decimal("2.40")),  # (1 + 2 + 2 + 3 + 4) / 5
    ]
    assert (total.reviews, total.overall) == (3, Decimal("2.93"))


def test_consolidator_list_and_detail_carry_the_scorecard(reviewed):
    engine, holders = reviewed
    with engine.connect() as conn:
        page = list_consolidators(conn, BrowseQuery(sort="overall", descending=True), TODAY)
        scoped = list_consolidators(conn, BrowseQuery(agency="UNICEF"), TODAY)
        detail = consolidator_detail(conn, holders["CONS-A"], TODAY)
    assert [r.code for r in page.rows][:2] == ["CONS-A", "CONS-B"]  # reviewed ones first
    assert page.rows[0].scores.overall == Decimal("2.93")
    assert {r.code: r.scores.reviews for r in scoped.rows}["CONS-A"] == 1
    assert detail.period.label == "2026" and detail.scores.reviews == 3
    assert [a.agency for a in detail.by_agency] == ["UNDP", "UNICEF"]


def test_averages_round_half_up_exactly():
    assert average(5, 2) == Decimal("2.50")
    assert average(2, 3) == Decimal("0.67")
    assert average(1, 8) == Decimal("0.13")  # 0.125 rounds up, never through a float


def test_periods_step_and_resize():
    year = Period.containing(TODAY)
    assert (year.label, year.start, year.end) == ("2026", date(2026, 1, 1), date(2026, 12, 31))
    q = year.resized(TODAY)
    assert (q.label, q.start, q.end) == ("2026 Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert q.shifted(1).label == "2027 Q1" and q.shifted(-4).label == "2025 Q4"
    assert year.shifted(-1).resized(TODAY).label == "2025 Q4"  # a past year: its last quarter
    assert q.resized(TODAY) == year


async def test_consolidators_screen_steps_the_period_and_the_agency(reviewed, config):
    from lta_tui.tui.app import LtaApp
    from lta_tui.tui.screens.consolidators import ConsolidatorDetailScreen, ConsolidatorsScreen
    from tests.tui.steps import loaded, wait_until

    app = LtaApp(config, today=lambda: TODAY)  # a UNDP focal point: UNDP's reviews first

    def overall(code: str) -> str:
        row = next(r for r in app.screen.page.rows if r.code == code)
        return app.screen.cells(row)["overall"].plain

    async def shown(label: str) -> None:
        await wait_until(pilot, lambda: label in status(), f"the scorecard of {label}")
        await loaded(pilot, app)

    def status() -> str:
        return str(app.screen.query_one("#status").render())

    async with app.run_test(size=(160, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("5")
        await wait_until(pilot, lambda: isinstance(app.screen, ConsolidatorsScreen), "section 5")
        await shown("scores 2026, UNDP only")
        assert (overall("CONS-A"), overall("CONS-B"), overall("CONS-C")) == ("3.20", "1.80", "—")
        await pilot.press("a")
        await shown("scores 2026, all agencies")
        assert overall("CONS-A") == "2.93"
        await pilot.press("p")
        await shown("scores 2026 Q4, all agencies")
        assert (overall("CONS-A"), overall("CONS-B")) == ("—", "1.80")
        await pilot.press("left_square_bracket")
        await shown("scores 2026 Q3, all agencies")
        assert overall("CONS-A") == "2.40"  # UNICEF's review of 2026-08-20
        await pilot.press("p", "left_square_bracket")
        await shown("scores 2025, all agencies")
        assert overall("CONS-A") == "1.00"
        await pilot.press("right_square_bracket")
        await shown("scores 2026, all agencies")

        app.screen.table.move_cursor(row=0)  # CONS-A, sorted by code
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: isinstance(app.screen, ConsolidatorDetailScreen), "the detail"
        )
        await loaded(pilot, app)
        text = app.screen.query_one("#record").plain_text()
        assert "Scorecard 2026 (2026-01-01 – 2026-12-31)" in text
        assert "UNDP | 2 | 3.50 | 3.00 | 3.00 | 3.00 | 3.50 | 3.20" in text
        assert "All agencies | 3 | 2.67 | 2.67 | 2.67 | 3.00 | 3.67 | 2.93" in text
