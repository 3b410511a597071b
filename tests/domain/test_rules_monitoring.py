"""R22–R24: monitoring. Each rule has a test that breaks it and one that keeps it."""

from __future__ import annotations

import statistics
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from lta_tui.domain.rules import (
    Period,
    Severity,
    check_concentration,
    check_price_deviation,
    check_reconciliation,
    concentration_window,
    months_before,
)

D = Decimal
WINDOW = concentration_window(date(2026, 11, 15), 12)


def only(findings, severity=Severity.warning):
    assert len(findings) == 1, findings
    (finding,) = findings
    assert finding.severity is severity
    return finding


# --- R22 -------------------------------------------------------------------------------------


def test_r22_window_is_the_twelve_months_to_the_day():
    assert WINDOW == Period(date(2025, 11, 16), date(2026, 11, 15))
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert concentration_window(date(2026, 1, 31), 1) == Period(date(2026, 1, 1), date(2026, 1, 31))


def test_r22_holder_above_the_share_is_a_concentration():
    spend = {"ACME": D("600000"), "BYTE": D("250000"), "CORE": D("150000")}
    f = only(check_concentration(2, spend, WINDOW, 50))
    assert f.rule == "R22" and f.field == "holders.ACME"
    assert "ACME has 60.0 % of lot 2 spend (600,000.00 USD of 1,000,000.00 USD)" in f.message
    assert "from 2025-11-16 to 2026-11-15 (threshold 50 %)" in f.message


def test_r22_single_holder_is_a_concentration():
    assert check_concentration(5, {"DATA": D("10")}, WINDOW, 50)


def test_r22_share_exactly_at_the_threshold_is_kept():
    assert check_concentration(2, {"ACME": D("500"), "BYTE": D("500")}, WINDOW, 50) == []


def test_r22_spread_spend_is_kept():
    spend = {"ACME": D("300"), "BYTE": D("300"), "CORE": D("250"), "DATA": D("150")}
    assert check_concentration(2, spend, WINDOW, 50) == []
    assert check_concentration(2, {}, WINDOW, 50) == []


@given(
    st.dictionaries(
        st.sampled_from(["ACME", "BYTE", "CORE", "DATA"]),
        st.decimals(min_value=0, max_value=D("1e9"), places=2),
    ),
    st.integers(50, 100),
)
def test_r22_at_most_one_holder_is_flagged_above_half(spend, pct):
    assert len(check_concentration(1, spend, WINDOW, pct)) <= 1


# --- R23 -------------------------------------------------------------------------------------

PRICES = [D("950"), D("1000"), D("1000"), D("1050"), D("1100")]


def test_r23_price_far_above_the_median_is_flagged():
    f = only(check_price_deviation(D("1250"), PRICES, 15, "USD", "43211503"))
    assert f.rule == "R23" and f.field == "unit_price"
    assert f.message == (
        "R23: unit price 1,250.00 USD for 43211503 is 25.0 % above the median 1,000.00 USD"
        " of 5 prices (threshold 15 %)"
    )


def test_r23_a_median_the_caller_knows_gives_the_same_findings():
    for price in (D("1250"), D("849.99"), D("1150"), D("1000")):
        given = check_price_deviation(price, PRICES, 15, "USD", "X", median=D("1000"))
        assert given == check_price_deviation(price, PRICES, 15, "USD", "X")


def test_r23_price_far_below_the_median_is_flagged():
    assert (
        "below the median"
        in only(check_price_deviation(D("849.99"), PRICES, 15, "USD", "X")).message
    )


def test_r23_price_exactly_at_the_threshold_is_kept():
    assert check_price_deviation(D("1150"), PRICES, 15, "USD", "43211503") == []
    assert check_price_deviation(D("850"), PRICES, 15, "USD", "43211503") == []


def test_r23_price_without_history_is_kept():
    assert check_price_deviation(D("1250"), [], 15, "USD", "43211503") == []


def test_r23_jpy_prices_have_no_decimals():
    f = only(check_price_deviation(D("200000"), [D("150000")], 15, "JPY", "LAP-14-I5"))
    assert "200,000 JPY" in f.message and "150,000 JPY of 1 price" in f.message


@given(
    st.lists(
        st.decimals(min_value=D("0.01"), max_value=D("1e7"), places=2), min_size=1, max_size=15
    ),
    st.integers(0, 200),
)
def test_r23_never_flags_the_median_itself(prices, pct):
    assert check_price_deviation(statistics.median(prices), prices, pct, "USD", "X") == []


# --- R24 -------------------------------------------------------------------------------------


def test_r24_difference_above_the_tolerance_is_flagged():
    f = only(check_reconciliation("UNDP", "ACME", D("100000"), D("94000"), "USD", 5))
    assert f.rule == "R24" and f.field == "reported_spend"
    assert f.message == (
        "R24: UNDP recorded 100,000.00 USD and ACME reported 94,000.00 USD:"
        " they differ by 6,000.00 USD (6.0 %, tolerance 5 %)"
    )


def test_r24_report_without_agency_spend_is_flagged():
    f = only(check_reconciliation("UNDP", "ACME", D("0"), D("120"), "USD", 5))
    assert "(tolerance 5 %)" in f.message


def test_r24_difference_exactly_at_the_tolerance_is_kept():
    assert check_reconciliation("UNDP", "ACME", D("100000"), D("105000"), "USD", 5) == []


def test_r24_matching_spend_is_kept():
    assert check_reconciliation("UNDP", "ACME", D("100000"), D("100000"), "USD", 0) == []
    assert check_reconciliation("UNDP", "ACME", D("0"), D("0"), "USD", 5) == []
