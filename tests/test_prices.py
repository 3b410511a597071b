"""The price monitor (services/prices.py): medians in USD at the stored rates, R23 flags, the
ranked list and what a focal point may read of other agencies' prices (R26).

Catalogue item LAP-14 (UNSPSC 43211503), lot 2, orders of 2026, USD unit prices:
UNDP 1,000 · 1,000 · 1,010 · 900 EUR at 0.9 EUR/USD = 1,000 · 1,150 (15 %: at the threshold)
UNICEF 990 · 1,300 (+30 %) · 700 (−30 %)
→ median 1,000, R23 (15 %) flags 1,300 and 700. LAP-15 (same code) 2,000 once: for the
commodity 43211503 the median stays 1,000 and 2,000 is flagged too. A draft and a cancelled
order's prices do not count.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from lta_tui.domain.rules import check_price_deviation
from lta_tui.services.order_types import Actor
from lta_tui.services.prices import (
    COMMODITY,
    ITEM,
    OTHER,
    PriceQueryError,
    PriceWhere,
    count_flagged,
    moving_prices,
    normal_range,
    price_history,
    spread_of,
)
from lta_tui.store.engine import session_scope
from lta_tui.store.models import (
    Agency,
    CatalogueItem,
    Consolidator,
    Lot,
    Lta,
    Order,
    OrderLine,
    SubLta,
)

D = Decimal
YEAR = PriceWhere(date(2026, 1, 1), date(2026, 12, 31))
UNDP_FOCAL = Actor("Focal Point", "UNDP", "focal_point")
WORKING_GROUP = Actor("Working Group", "UNDP", "working_group")


def add_price_records(engine) -> None:
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with session_scope(engine) as s:
        ids = {a.code: a.id for a in s.exec(select(Agency))}
        ids |= {c.code: c.id for c in s.exec(select(Consolidator))}
        lot2 = s.exec(select(Lot).where(Lot.number == 2)).first().id
        lta = s.exec(select(Lta)).first().id
        items = {}
        for agency, holder in (("UNDP", "CONS-A"), ("UNICEF", "CONS-B")):
            sub = SubLta(
                reference=f"SUB-{agency}",
                lta_id=lta,
                agency_id=ids[agency],
                consolidator_id=ids[holder],
                valid_from=date(2025, 1, 1),
                valid_to=date(2027, 12, 31),
                ceiling=D(10_000_000),
                currency="USD",
            )
            s.add(sub)
            s.flush()
            for sku, price in (("LAP-14", "1000"), ("LAP-15", "2000")):
                item = CatalogueItem(
                    sub_lta_id=sub.id,
                    sku=sku,
                    description=f"Laptop {sku[-2:]} inch",
                    lot_id=lot2,
                    unspsc="43211503",
                    unit_price=D(price),
                    currency="USD",
                    valid_from=date(2025, 1, 1),
                    valid_to=date(2027, 12, 31),
                )
                s.add(item)
                s.flush()
                items[(agency, sku)] = item.id
        lines = [  # agency, sku, day, price in the order currency, currency, units per USD, status
            ("UNDP", "LAP-14", date(2026, 1, 10), "1000", "USD", "1", "delivered"),
            ("UNDP", "LAP-14", date(2026, 2, 10), "1000", "USD", "1", "issued"),
            ("UNDP", "LAP-14", date(2026, 3, 10), "1010", "USD", "1", "closed"),
            ("UNDP", "LAP-14", date(2026, 3, 20), "900", "EUR", "0.9", "delivered"),
            ("UNDP", "LAP-14", date(2026, 4, 10), "1150", "USD", "1", "delivered"),
            ("UNICEF", "LAP-14", date(2026, 5, 10), "990", "USD", "1", "delivered"),
            ("UNICEF", "LAP-14", date(2026, 6, 10), "1300", "USD", "1", "delivered"),
            ("UNICEF", "LAP-14", date(2026, 7, 10), "700", "USD", "1", "partially_delivered"),
            ("UNICEF", "LAP-15", date(2026, 7, 11), "2000", "USD", "1", "delivered"),
            ("UNDP", "LAP-14", date(2026, 8, 10), "5000", "USD", "1", "draft"),
            ("UNDP", "LAP-14", date(2026, 8, 11), "9", "USD", "1", "cancelled"),
            ("UNDP", "LAP-14", date(2025, 8, 12), "1500", "USD", "1", "delivered"),
        ]
        holders = {"UNDP": "CONS-A", "UNICEF": "CONS-B"}
        for n, (agency, sku, day, price, currency, rate, status) in enumerate(lines, 1):
            order = Order(
                po_number=f"{agency}-PO-{n}",
                lta_id=lta,
                agency_id=ids[agency],
                consolidator_id=ids[holders[agency]],
                lot_id=lot2,
                channel="direct",
                order_date=day,
                currency=currency,
                fx_units_per_usd=D(rate),
                fx_effective_date=day.replace(day=1),
                fx_source="UN ORE",
                destination_country="KE",
                status=status,
                total=D(price) * 2,
                total_usd=(D(price) * 2 / D(rate)).quantize(D("0.01")),
                created_at=when,
                created_by="test",
                updated_at=when,
                updated_by="test",
            )
            s.add(order)
            s.flush()
            s.add(
                OrderLine(
                    order_id=order.id,
                    line_no=1,
                    kind="goods",
                    catalogue_item_id=items[(agency, sku)],
                    description=sku,
                    unspsc="43211503",
                    quantity=D(2),
                    unit_price=D(price),
                    amount=D(price) * 2,
                    amount_usd=(D(price) * 2 / D(rate)).quantize(D("0.01")),
                )
            )


def _engine(cfg):
    from lta_tui.services.database import initialise, open_engine

    engine = open_engine(cfg)
    initialise(cfg, engine)
    add_price_records(engine)
    return engine


@pytest.fixture(scope="module")
def price_engine(tmp_path_factory):
    from lta_tui.config import load_config
    from tests.conftest import write_config

    engine = _engine(load_config(write_config(tmp_path_factory.mktemp("prices"))))
    yield engine
    engine.dispose()


def history(engine, kind=ITEM, key="LAP-14", *, scope=None, viewer=WORKING_GROUP, **kw):
    with engine.connect() as conn:
        return price_history(
            conn, kind, key, where=YEAR, scope=scope, viewer=viewer, threshold_pct=15, **kw
        )


# --- the median and the flags ----------------------------------------------------------------


@given(st.lists(st.tuples(st.integers(1, 5000), st.integers(1, 4)), min_size=1, max_size=30))
def test_the_median_of_counted_prices_is_the_median_of_every_line(pairs):
    spread = spread_of((D(v) / 100, c) for v, c in pairs)
    assert spread.median() == statistics.median(spread.expanded())


@given(
    st.lists(st.integers(1, 5000), min_size=1, max_size=30),
    st.integers(0, 60),
)
def test_r23_counted_by_bisection_equals_r23_asked_for_every_price(values, pct):
    """The flags counted from the normal range are the prices R23 flags one by one."""
    spread = spread_of((D(v), 1) for v in values)
    median = spread.median()
    one_by_one = sum(
        1 for v in spread.expanded() if check_price_deviation(v, spread.expanded(), pct, "USD", "X")
    )
    assert count_flagged(spread, normal_range(spread, median, pct, "X")) == one_by_one


def test_r23_flags_prices_beyond_the_deviation_from_the_usd_median(price_engine):
    found = history(price_engine)
    assert found.lines == 8 == found.scoped_lines  # not the draft, the cancelled or 2025
    assert found.median_usd == D("1000.00")
    assert (found.min_usd, found.max_usd) == (D("700.00"), D("1300.00"))
    assert found.flagged == 2
    flagged = {p.unit_price_usd: p.finding for p in found.points if p.flagged}
    assert set(flagged) == {D("1300.00"), D("700.00")}
    assert flagged[D("1300.00")].startswith("R23: unit price 1,300.00 USD for LAP-14 is 30.0 %")
    assert "of 8 prices" in flagged[D("700.00")]


def test_r23_kept_at_the_threshold_and_in_another_currency(price_engine):
    points = {(p.order_date, p.currency): p for p in history(price_engine).points}
    at_threshold = points[(date(2026, 4, 10), "USD")]
    assert at_threshold.unit_price_usd == D("1150.00") and not at_threshold.flagged
    euro = points[(date(2026, 3, 20), "EUR")]
    assert (euro.unit_price, euro.unit_price_usd, euro.flagged) == (D("900"), D("1000.00"), False)


def test_points_are_newest_first_with_a_month_series(price_engine):
    found = history(price_engine)
    days = [p.order_date for p in found.points]
    assert days == sorted(days, reverse=True)
    monthly = dict(found.monthly)
    assert monthly["2026-03"] == D("1005.00")  # 1,010 and 1,000 (the EUR line)
    assert list(monthly) == sorted(monthly)
    assert len(history(price_engine, limit=3).points) == 3


def test_flagged_only_lists_the_flagged_prices(price_engine):
    found = history(price_engine, flagged_only=True)
    assert [p.unit_price_usd for p in found.points] == [D("700.00"), D("1300.00")]
    assert all(p.flagged for p in found.points)


def test_commodity_median_and_flags_cover_every_item_of_the_code(price_engine):
    found = history(price_engine, COMMODITY, "43211503")
    assert found.lines == 9 and found.median_usd == D("1000.00") and found.flagged == 3
    assert found.description == "2 items, e.g. Laptop 14 inch"


# --- R26: who sees whose prices ----------------------------------------------------------------


def test_r26_a_focal_point_sees_other_agencies_as_other_without_po(price_engine):
    found = history(price_engine, viewer=UNDP_FOCAL)
    theirs = [p for p in found.points if p.agency == OTHER]
    assert len(theirs) == 3
    assert all(p.po_number is None and p.order_id is None for p in theirs)
    ours = [p for p in found.points if p.agency == "UNDP"]
    assert len(ours) == 5 and all(p.po_number.startswith("UNDP-PO-") for p in ours)
    assert "UNICEF" not in {p.agency for p in found.points}
    assert found.median_usd == D("1000.00")  # every agency's prices make the median


def test_r26_the_working_group_sees_every_agency(price_engine):
    agencies = {p.agency for p in history(price_engine, viewer=WORKING_GROUP).points}
    assert agencies == {"UNDP", "UNICEF"}
    assert all(p.po_number for p in history(price_engine).points)


def test_scope_lists_one_agency_against_every_agency_median(price_engine):
    found = history(price_engine, scope="UNDP", viewer=UNDP_FOCAL)
    assert {p.agency for p in found.points} == {"UNDP"}
    assert (found.lines, found.scoped_lines, found.flagged) == (8, 5, 0)
    assert found.median_usd == D("1000.00")


# --- the ranked list -------------------------------------------------------------------------


def test_ranked_list_puts_the_most_flagged_first(price_engine):
    with price_engine.connect() as conn:
        items = moving_prices(conn, ITEM, where=YEAR, scope=None, threshold_pct=15)
        codes = moving_prices(conn, COMMODITY, where=YEAR, scope=None, threshold_pct=15)
        unicef = moving_prices(conn, ITEM, where=YEAR, scope="UNICEF", threshold_pct=15)
        with pytest.raises(PriceQueryError, match="unknown price kind"):
            moving_prices(conn, "brand", where=YEAR, scope=None, threshold_pct=15)
    assert [(r.key, r.lines, r.flagged) for r in items.rows] == [
        ("LAP-14", 8, 2),
        ("LAP-15", 1, 0),
    ]
    top = items.rows[0]
    assert (top.median_usd, top.min_usd, top.max_usd) == (D("1000.00"), D("700.00"), D("1300.00"))
    assert [(r.key, r.lines, r.flagged) for r in codes.rows] == [("43211503", 9, 3)]
    assert [(r.key, r.lines, r.flagged) for r in unicef.rows][0] == ("LAP-14", 3, 2)
    assert items.considered == items.things == 2


def test_ranked_list_only_looks_at_the_most_bought(price_engine):
    with price_engine.connect() as conn:
        found = moving_prices(conn, ITEM, where=YEAR, scope=None, threshold_pct=15, top=1)
    assert [r.key for r in found.rows] == ["LAP-14"] and found.things == 2


def test_on_every_database(db_url, tmp_path):
    """SQLite, then PostgreSQL (when LTA_TUI_TEST_PG_URL is set): the same medians and flags."""
    from lta_tui.config import load_config
    from tests.conftest import write_config

    engine = _engine(load_config(write_config(tmp_path, db_url=db_url)))
    try:
        found = history(engine, viewer=UNDP_FOCAL)
        assert (found.median_usd, found.flagged, found.lines) == (D("1000.00"), 2, 8)
        assert dict(found.monthly)["2026-03"] == D("1005.00")
        assert sum(1 for p in found.points if p.agency == OTHER and p.po_number is None) == 3
        with engine.connect() as conn:
            ranked = moving_prices(conn, ITEM, where=YEAR, scope=None, threshold_pct=15)
        assert [(r.key, r.flagged) for r in ranked.rows] == [("LAP-14", 2), ("LAP-15", 0)]
    finally:
        engine.dispose()
