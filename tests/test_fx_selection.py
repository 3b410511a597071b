"""R20 through the order service: the rate in force is the one with the latest effective date on
or before the order date (mid-month revisions included; a rate effective that very day counts),
stored on the order and never recomputed when rates are re-imported."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lta_tui.services.orders import check_order, issue_order, save_order
from tests.order_setup import (
    ANA,
    NOW,
    RULES,
    add_rate,
    direct_order,
    goods,
    make_sub_lta,
    order_row,
    set_rate,
)

D = Decimal
ITEM = [("A2-LAP01", 2, "43211503", D("100000"))]


@pytest.fixture
def db(engine):
    """A sub-LTA in XAF (no seeded rates): 1st of March 600, revised on the 15th to 620,
    1st of April 610."""
    make_sub_lta(engine, reference="UNDP-XAF", currency="XAF", items=ITEM)
    add_rate(engine, "XAF", date(2026, 3, 1), "600")
    add_rate(engine, "XAF", date(2026, 3, 15), "620", source="UN ORE mid-month revision")
    add_rate(engine, "XAF", date(2026, 4, 1), "610")
    return engine


def order_on(day: date):
    return direct_order(
        currency="XAF",
        sub_lta="UNDP-XAF",
        order_date=day,
        lines=(goods("A2-LAP01", "3", "100000"),),
    )


@pytest.mark.parametrize(
    ("day", "effective", "units"),
    [
        (date(2026, 3, 1), date(2026, 3, 1), "600"),  # same day as the monthly rate
        (date(2026, 3, 14), date(2026, 3, 1), "600"),  # the day before the revision
        (date(2026, 3, 15), date(2026, 3, 15), "620"),  # the revision day takes the new rate
        (date(2026, 3, 31), date(2026, 3, 15), "620"),  # the revision holds to the month end
        (date(2026, 4, 1), date(2026, 4, 1), "610"),
        (date(2026, 6, 30), date(2026, 4, 1), "610"),  # the latest rate stays in force
    ],
)
def test_r20_rate_in_force_is_the_latest_on_or_before_the_order_date(db, day, effective, units):
    check = check_order(db, order_on(day), ANA, RULES)
    assert check.errors == []
    assert (check.rate.effective_date, check.rate.units_per_usd) == (effective, D(units))
    assert check.total == D("300000")
    assert check.total_usd == (D(300000) / D(units)).quantize(D("0.01"))


def test_r20_mid_month_revision_source_is_stored(db):
    saved = save_order(db, order_on(date(2026, 3, 20)), ANA, RULES, now=NOW)
    row = order_row(db, saved.id)
    assert (row.fx_units_per_usd, row.fx_effective_date, row.fx_source) == (
        D(620),
        date(2026, 3, 15),
        "UN ORE mid-month revision",
    )
    assert row.total_usd == D("483.87")  # 300,000 / 620


def test_r20_before_the_first_rate_is_an_error_naming_currency_and_date(db):
    check = check_order(db, order_on(date(2026, 2, 28)), ANA, RULES)
    (f,) = check.errors
    assert f.rule == "R20" and f.field == "currency"
    assert "no UN operational rate for XAF on or before 2026-02-28" in f.message


def test_r20_stored_values_do_not_change_when_rates_are_reimported(db):
    saved = save_order(db, order_on(date(2026, 3, 20)), ANA, RULES, now=NOW)
    set_rate(db, "XAF", date(2026, 3, 15), "700")  # a corrected rate re-imported
    add_rate(db, "XAF", date(2026, 3, 18), "650")  # and a new revision before the order date
    issued = issue_order(db, saved.id, ANA, RULES, now=NOW, expected_version=1)
    row = order_row(db, saved.id)
    assert (row.fx_units_per_usd, row.fx_effective_date) == (D(620), date(2026, 3, 15))
    assert row.total_usd == issued.total_usd == saved.total_usd == D("483.87")
    # a new order on that day takes the new revision
    assert check_order(db, order_on(date(2026, 3, 20)), ANA, RULES).rate.units_per_usd == D(650)
