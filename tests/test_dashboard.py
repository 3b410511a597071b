"""The dashboard and browse services on a small hand-made data set (tests/sample_records.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from lta_tui.services.browse import BrowseQuery, UnknownSort
from lta_tui.services.browse_competitions import competition_detail, list_competitions
from lta_tui.services.browse_consolidators import consolidator_detail, list_consolidators
from lta_tui.services.browse_rates import list_rates, rate_history
from lta_tui.services.browse_sub_ltas import list_sub_ltas, sub_lta_detail
from lta_tui.services.dashboard import load_dashboard
from tests.sample_records import NOW, SEALED_PRICE, TODAY, add_sample_records


@pytest.fixture
def conn(engine):
    add_sample_records(engine)
    with engine.connect() as connection:
        yield connection


def _dashboard(conn, agency):
    return load_dashboard(
        conn, today=TODAY, now=NOW, agency=agency, ceiling_warn_pct=80, expiry_warn_days=90
    )


def test_year_spend_by_lot_and_consolidator_for_one_agency(conn):
    board = _dashboard(conn, "UNDP")
    by_lot = {b.key: b.spend_usd for b in board.spend_by_lot}
    assert by_lot == {
        "1": Decimal("1000"),
        "2": Decimal("10200"),
        "3": Decimal(0),
        "4": Decimal(0),
        "5": Decimal(0),
    }
    by_cons = {b.key: b.spend_usd for b in board.spend_by_consolidator}
    assert by_cons["CONS-A"] == Decimal("10200") and by_cons["CONS-B"] == Decimal("1000")
    assert board.spend_total_usd == Decimal("11200") == sum(by_cons.values())
    assert board.year == 2026


def test_all_agencies_add_up(conn):
    board = _dashboard(conn, None)
    assert board.spend_total_usd == Decimal("16200")  # + UNICEF PO-4
    assert sum(b.spend_usd for b in board.spend_by_consolidator) == board.spend_total_usd


def test_open_competitions_soonest_deadline_first_with_time_left(conn):
    board = _dashboard(conn, None)
    refs = [c.reference for c in board.open_competitions]
    assert refs == ["MC-LATE", "MC-OPEN-2", "MC-OPEN-1"]
    late, _, open1 = board.open_competitions
    assert late.remaining == -timedelta(days=5)
    assert open1.remaining == timedelta(days=5, hours=12)
    assert (open1.invited, open1.offers) == (2, 1)
    assert [c.reference for c in _dashboard(conn, "UNDP").open_competitions] == [
        "MC-LATE",
        "MC-OPEN-1",
    ]


def test_orders_awaiting_delivery(conn):
    mine = _dashboard(conn, "UNDP").awaiting
    assert (mine.count, mine.value_usd, mine.oldest) == (
        1,
        Decimal("1200"),
        TODAY.replace(month=3, day=1),
    )
    assert [o.po_number for o in mine.top] == ["PO-1"]
    assert mine.top[0].days_waiting == (TODAY - mine.oldest).days
    everyone = _dashboard(conn, None).awaiting
    assert everyone.count == 2 and [o.po_number for o in everyone.top] == ["PO-4", "PO-1"]


def test_sub_ltas_near_ceiling_or_expiring(conn):
    alerts = {a.reference: a for a in _dashboard(conn, None).sub_lta_alerts}
    assert set(alerts) == {"SUB-UNDP-A", "SUB-UNICEF-B"}
    near = alerts["SUB-UNDP-A"]
    assert near.near_ceiling and not near.expiring
    assert near.consumption.ceiling_usd == Decimal("10869.57")
    assert near.consumption.consumed_usd == Decimal("9000")  # the cancelled PO-8 does not count
    assert round(near.consumption.pct, 1) == Decimal("82.8")
    soon = alerts["SUB-UNICEF-B"]
    assert soon.expiring and not soon.near_ceiling and soon.days_left == 46
    assert [a.reference for a in _dashboard(conn, "UNDP").sub_lta_alerts] == ["SUB-UNDP-A"]


def test_thresholds_come_from_the_caller(conn):
    board = load_dashboard(
        conn, today=TODAY, now=NOW, agency=None, ceiling_warn_pct=90, expiry_warn_days=30
    )
    assert board.sub_lta_alerts == []


def test_unknown_agency_shows_nothing(conn):
    board = _dashboard(conn, "WFP")
    assert board.spend_total_usd == 0 and board.awaiting.count == 0
    assert board.open_competitions == [] and board.sub_lta_alerts == []


# --- browse services -------------------------------------------------------------------------


def test_competitions_filter_sort_and_scope(conn):
    page = list_competitions(conn, BrowseQuery())
    assert page.total == 4 and page.sort == "deadline" and page.descending
    assert list_competitions(conn, BrowseQuery(text="open unicef")).total == 1
    by_offers = list_competitions(conn, BrowseQuery(sort="offers", descending=True))
    assert [r.offers for r in by_offers.rows] == [2, 1, 0, 0]
    assert list_competitions(conn, BrowseQuery(agency="UNDP")).total == 3
    assert list_competitions(conn, BrowseQuery(text="100%_")).total == 0  # wildcards escaped
    with pytest.raises(UnknownSort):
        list_competitions(conn, BrowseQuery(sort="price"))


def test_sealed_offer_prices_are_not_read(conn):
    ref = {r.reference: r.id for r in list_competitions(conn, BrowseQuery()).rows}
    sealed = competition_detail(conn, ref["MC-OPEN-1"])
    assert sealed.sealed and [o.total for o in sealed.offers] == [None]
    assert str(SEALED_PRICE) not in repr(sealed) and "7777" not in repr(sealed)
    excluded = [i for i in sealed.invitations if not i.invited]
    assert excluded[0].exclusion_reason == "no stock in region [R2]"
    opened = competition_detail(conn, ref["MC-DONE"])
    assert not opened.sealed
    assert sorted(o.total for o in opened.offers) == [Decimal("900.00"), Decimal("1000.00")]
    assert opened.award.consolidator == "CONS-B" and opened.orders[0].po_number == "PO-9"


def test_sub_lta_list_and_catalogue(conn):
    page = list_sub_ltas(conn, BrowseQuery(sort="consumption", descending=True), TODAY)
    assert [r.reference for r in page.rows][0] == "SUB-UNDP-A"
    detail = sub_lta_detail(conn, page.rows[0].id, TODAY)
    assert detail.orders == 1 and detail.items == []


def test_consolidators_hold_lots_on_the_day(conn):
    page = list_consolidators(conn, BrowseQuery(), TODAY)
    lots = {r.code: r.lots for r in page.rows}
    assert lots["CONS-D"] == "1 5"  # lot 2 ended 2025-12-31
    detail = consolidator_detail(conn, page.rows[-1].id, TODAY)
    assert [h.active for h in detail.holdings if h.lot == 2] == [False]


def test_rates_filter_by_currency(conn):
    page = list_rates(conn, BrowseQuery(text="sek"))
    assert page.total == 2 and page.rows[0].units_per_usd == Decimal("9.2")
    assert [r.effective_date.month for r in rate_history(conn, "SEK")] == [1, 11]


def test_sub_lta_consumption_is_measured_in_the_ceilings_currency(demo_db):
    """R15: a sub-LTA's consumption is its orders' value in its own currency over its ceiling,
    not USD at historical rates over a ceiling converted at today's rate."""
    from sqlalchemy import text

    from lta_tui.domain.money import from_units
    from lta_tui.services.browse import BrowseQuery
    from lta_tui.services.browse_sub_ltas import list_sub_ltas
    from tests.conftest import DEMO_UNTIL

    _, engine = demo_db
    with engine.connect() as conn:
        page = list_sub_ltas(conn, BrowseQuery(limit=1000), DEMO_UNTIL)
        spent = dict(
            conn.execute(
                text(
                    "SELECT sub_lta_id, sum(total) FROM orders WHERE sub_lta_id IS NOT NULL "
                    "AND status IN ('issued','partially_delivered','delivered','closed') "
                    "GROUP BY sub_lta_id"
                )
            ).all()
        )
    checked = [r for r in page.rows if r.consumption.currency != "USD" and r.id in spent]
    assert checked, "the demo data has non-USD sub-LTAs with orders"
    for row in checked:
        c = row.consumption
        assert c.consumed == from_units(spent[row.id])
        assert c.pct == from_units(spent[row.id]) * 100 / c.ceiling
