"""Scoring and ranking of offers (R10): the formula of domain/scoring.py, checked against
figures computed by hand, including the worked example the README quotes."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lta_tui.domain.fx import Rate
from lta_tui.domain.scoring import (
    NO_REVIEWS,
    Bid,
    BidScore,
    landed_total,
    landed_usd,
    score_bids,
)

D = Decimal
T0 = datetime(2026, 3, 2, 9, 0)
WEIGHTED = {
    "price": 70,
    "delivery_time": 10,
    "warranty": 10,
    "sustainability": 5,
    "past_performance": 5,
}


def bid(
    key: str,
    usd: str,
    *,
    days: int = 10,
    warranty: int = 12,
    take_back: bool = False,
    label: bool = False,
    past: str | None = None,
    minutes: int = 0,
    valid: bool = True,
) -> Bid:
    return Bid(
        key=key,
        total_usd=D(usd),
        delivery_days=days,
        warranty_months=warranty,
        takes_back_equipment=take_back,
        energy_label=label,
        past_performance=None if past is None else D(past),
        received_at=T0 + timedelta(minutes=minutes),
        valid=valid,
    )


def by_key(scores: list[BidScore]) -> dict[str, BidScore]:
    return {s.key: s for s in scores}


def test_the_worked_example_of_the_readme():
    bids = [
        bid("A", "10000.00", days=20, warranty=36, take_back=True, label=False, past="3.5"),
        bid("B", "9000.00", days=30, warranty=24, take_back=False, label=False, past=None),
        bid("C", "12000.00", days=15, warranty=36, take_back=True, label=True, past="4.0"),
    ]
    a, b, c = score_bids("weighted", WEIGHTED, bids)
    # lowest total 9,000.00 USD; fewest days 15; longest warranty 36 months
    # A: price 70 × 9000 / 10000 = 63.00; delivery 10 × 15 / 20 = 7.50;
    #    warranty 10 × 36 / 36 = 10.00; sustainability 5 × (1 + 0) / 2 = 2.50;
    #    past performance 5 × 3.5 / 4 = 4.375 → 4.38.
    #    Total 63.00 + 7.50 + 10.00 + 2.50 + 4.38 = 87.38
    assert a.criteria == (
        ("price", D("63.00")),
        ("delivery_time", D("7.50")),
        ("warranty", D("10.00")),
        ("sustainability", D("2.50")),
        ("past_performance", D("4.38")),
    )
    assert a.total == D("87.38")
    # B: price 70 × 9000 / 9000 = 70.00; delivery 10 × 15 / 30 = 5.00;
    #    warranty 10 × 24 / 36 = 6.666… → 6.67; sustainability 5 × 0 / 2 = 0.00;
    #    past performance (no reviews: 2.5) 5 × 2.5 / 4 = 3.125 → 3.13.
    #    Total 70.00 + 5.00 + 6.67 + 0.00 + 3.13 = 84.80 (the unrounded sum would be 84.79)
    assert b.criteria == (
        ("price", D("70.00")),
        ("delivery_time", D("5.00")),
        ("warranty", D("6.67")),
        ("sustainability", D("0.00")),
        ("past_performance", D("3.13")),
    )
    assert b.total == D("84.80")
    # C: price 70 × 9000 / 12000 = 52.50; delivery 10 × 15 / 15 = 10.00;
    #    warranty 10 × 36 / 36 = 10.00; sustainability 5 × (1 + 1) / 2 = 5.00;
    #    past performance 5 × 4.0 / 4 = 5.00.
    #    Total 52.50 + 10.00 + 10.00 + 5.00 + 5.00 = 82.50
    assert c.criteria == (
        ("price", D("52.50")),
        ("delivery_time", D("10.00")),
        ("warranty", D("10.00")),
        ("sustainability", D("5.00")),
        ("past_performance", D("5.00")),
    )
    assert c.total == D("82.50")
    # the cheapest offer (B) is not the best one
    assert (a.rank, b.rank, c.rank) == (1, 2, 3)


def test_lowest_price_scores_price_alone_with_weight_100_and_ranks_by_total_usd():
    bids = [bid("A", "1200.00"), bid("B", "1000.00", days=90), bid("C", "1500.00", past="4")]
    scores = by_key(score_bids("lowest_price", WEIGHTED, bids))
    # 100 × 1000 / 1200 = 83.333… → 83.33; 100 × 1000 / 1000 = 100; 100 × 1000 / 1500 = 66.67
    assert scores["A"].criteria == (("price", D("83.33")),)
    assert scores["B"].criteria == (("price", D("100.00")),)
    assert scores["C"].criteria == (("price", D("66.67")),)
    assert [scores[k].total for k in "ABC"] == [D("83.33"), D("100.00"), D("66.67")]
    assert [scores[k].rank for k in "ABC"] == [2, 1, 3]


def test_a_weighted_competition_without_weights_scores_on_price():
    scores = score_bids("weighted", {}, [bid("A", "200"), bid("B", "100")])
    assert [(s.criteria, s.rank) for s in scores] == [
        ((("price", D("50.00")),), 2),
        ((("price", D("100.00")),), 1),
    ]


def test_only_the_weighted_criteria_are_scored_in_criterion_order():
    weights = {"sustainability": 20, "price": 80}
    (only,) = score_bids("weighted", weights, [bid("A", "10", take_back=True)])
    # price 80 × 10 / 10 = 80.00; sustainability 20 × 1 / 2 = 10.00
    assert only.criteria == (("price", D("80.00")), ("sustainability", D("10.00")))
    assert only.total == D("90.00")


def test_invalid_bids_are_neither_scored_nor_ranked_nor_the_lowest_price():
    bids = [
        bid("A", "1000.00", valid=False),  # cheapest, but late or not compliant
        bid("B", "2000.00"),
        bid("C", "4000.00"),
    ]
    a, b, c = score_bids("lowest_price", {}, bids)
    assert a == BidScore("A", (), None, None)
    # the lowest valid total is B's 2,000: B 100.00, C 100 × 2000 / 4000 = 50.00
    assert (b.total, b.rank) == (D("100.00"), 1)
    assert (c.total, c.rank) == (D("50.00"), 2)


def test_no_valid_bid_gives_no_score_and_no_rank():
    scores = score_bids("weighted", WEIGHTED, [bid("A", "1", valid=False)])
    assert scores == [BidScore("A", (), None, None)]
    assert score_bids("weighted", WEIGHTED, []) == []


def test_warranty_gives_nothing_when_no_valid_offer_has_one():
    bids = [
        bid("A", "100", warranty=0),
        bid("B", "100", warranty=0),
        bid("C", "1", warranty=24, valid=False),
    ]
    scores = score_bids("weighted", {"price": 90, "warranty": 10}, bids)
    assert [dict(s.criteria).get("warranty") for s in scores] == [D("0.00"), D("0.00"), None]


def test_a_holder_without_reviews_counts_as_2_5():
    assert D("2.5") == NO_REVIEWS
    scores = score_bids(
        "weighted",
        {"price": 80, "past_performance": 20},
        [bid("A", "10"), bid("B", "10", past="1")],
    )
    # A: 20 × 2.5 / 4 = 12.50; B: 20 × 1 / 4 = 5.00
    assert [dict(s.criteria)["past_performance"] for s in scores] == [D("12.50"), D("5.00")]


def test_points_are_rounded_half_up_per_criterion():
    (only,) = score_bids(
        "weighted", {"price": 95, "past_performance": 5}, [bid("A", "10", past="3.492")]
    )
    # 5 × 3.492 / 4 = 4.365 → 4.37 (half up; half-even would give 4.36)
    assert dict(only.criteria)["past_performance"] == D("4.37")
    assert only.total == D("99.37")


def test_ties_go_to_the_lower_total_usd_then_the_earlier_receipt_then_the_code():
    weights = {"price": 50, "delivery_time": 50}
    bids = [
        bid("A", "100.00", days=20),  # 50 + 50 × 10 / 20 = 75.00
        bid("B", "200.00", days=10),  # 50 × 100 / 200 + 50 = 75.00
    ]
    a, b = score_bids("weighted", weights, bids)
    assert a.total == b.total == D("75.00")
    assert (a.rank, b.rank) == (1, 2)  # same score: A's total in USD is lower

    same = [
        bid("C", "100.00", minutes=5),
        bid("B", "100.00", minutes=5),
        bid("A", "100.00", minutes=9),
        bid("D", "100.00", minutes=1),
    ]
    assert [s.rank for s in score_bids("lowest_price", {}, same)] == [3, 2, 4, 1]


def test_aware_and_naive_receipt_times_compare_in_utc():
    early = Bid(
        "Z", D(1), 1, 0, False, False, None, datetime(2026, 1, 1, 10, tzinfo=timezone.utc), True
    )
    later = Bid("A", D(1), 1, 0, False, False, None, datetime(2026, 1, 1, 11), True)
    assert [s.rank for s in score_bids("lowest_price", {}, [later, early])] == [2, 1]


def test_unknown_methods_and_criteria_and_zero_delivery_days_are_refused():
    with pytest.raises(ValueError, match="evaluation method"):
        score_bids("cheapest", {}, [])
    with pytest.raises(ValueError, match="colour"):
        score_bids("weighted", {"price": 90, "colour": 10}, [])
    with pytest.raises(ValueError, match="delivery days"):
        score_bids("weighted", {"price": 100}, [bid("A", "1", days=0)])


def test_landed_total_rounds_each_line_then_adds_the_services():
    landed = landed_total(
        [D(3), D("2.5")],
        [D("333.333"), D("10.005")],
        [("freight", D("120.50")), ("installation_support", D("80"))],
        "USD",
    )
    # 3 × 333.333 = 999.999 → 1,000.00; 2.5 × 10.005 = 25.0125 → 25.01
    assert landed.goods == D("1025.01")
    assert landed.services == (("freight", D("120.50")), ("installation_support", D("80")))
    assert landed.total == D("1225.51")
    # JPY has no decimals: 7 × 1,234.6 = 8,642.2 → 8,642
    assert landed_total([D(7)], [D("1234.6")], [], "JPY").total == D(8642)
    with pytest.raises(ValueError, match="2 prices for 1"):
        landed_total([D(1)], [D(1), D(2)], [], "USD")
    assert landed.lines == (D("1000.00"), D("25.01"))


def test_landed_usd_converts_each_line_and_service_then_sums_as_an_order_does():
    landed = landed_total([D(1), D(1)], [D("1.00"), D("1.00")], [("freight", D("1.00"))], "EUR")
    rate = Rate("EUR", date(2026, 11, 1), D("0.85"))
    # each of the two lines and the freight: 1.00 ÷ 0.85 = 1.17647… → 1.18; 3 × 1.18 = 3.54
    # (the landed total at once would be 3.00 ÷ 0.85 = 3.5294… → 3.53)
    assert landed_usd(landed, rate) == D("3.54")
    # JPY lines: 7 × 1,234.6 = 8,642.2 → 8,642 ÷ 151.75 = 56.9489… → 56.95; 3 × 999 = 2,997 ÷
    # 151.75 = 19.7496… → 19.75; freight 1,000 ÷ 151.75 = 6.5897… → 6.59; 56.95 + 19.75 + 6.59
    # = 83.29 (at once 12,639 ÷ 151.75 = 83.2883… → 83.29)
    jpy = landed_total([D(7), D(3)], [D("1234.6"), D(999)], [("freight", D(1000))], "JPY")
    assert jpy.total == D(12639)
    assert landed_usd(jpy, Rate("JPY", date(2026, 11, 1), D("151.75"))) == D("83.29")
    # USD at 1: the landed total itself (1,000.00 + 25.01 + 120.50 + 80)
    usd = landed_total(
        [D(3), D("2.5")],
        [D("333.333"), D("10.005")],
        [("freight", D("120.50")), ("installation_support", D("80"))],
        "USD",
    )
    assert landed_usd(usd, Rate("USD", date(2026, 1, 1), D(1))) == usd.total == D("1225.51")
    with pytest.raises(ValueError, match="a JPY rate for an offer in EUR"):
        landed_usd(landed, Rate("JPY", date(2026, 11, 1), D("151.75")))


@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=D("0.001"), max_value=D(1000), places=3),
            st.decimals(min_value=D(0), max_value=D(10**5), places=2),
        ),
        min_size=1,
        max_size=6,
    ),
    st.lists(st.decimals(min_value=D(0), max_value=D(10**5), places=2), max_size=4),
    st.decimals(min_value=D("0.01"), max_value=D(20000), places=6),
)
def test_landed_usd_is_within_half_a_cent_per_line_of_the_exact_quotient(lines, prices, units):
    services = [(f"s{i}", price) for i, price in enumerate(prices)]
    landed = landed_total([q for q, _ in lines], [p for _, p in lines], services, "EUR")
    usd = landed_usd(landed, Rate("EUR", date(2026, 1, 1), units))
    assert usd == usd.quantize(D("0.01"))
    assert abs(usd - landed.total / units) <= D("0.005") * (len(lines) + len(services))


bids_strategy = st.lists(
    st.builds(
        Bid,
        key=st.text("ABCDEFGH", min_size=1, max_size=3),
        total_usd=st.decimals(min_value=D("0.01"), max_value=D(10**7), places=2),
        delivery_days=st.integers(1, 120),
        warranty_months=st.integers(0, 60),
        takes_back_equipment=st.booleans(),
        energy_label=st.booleans(),
        past_performance=st.none() | st.decimals(min_value=1, max_value=4, places=2),
        received_at=st.datetimes(datetime(2026, 1, 1), datetime(2026, 2, 1)),
        valid=st.booleans(),
    ),
    max_size=8,
)


@given(bids_strategy)
def test_ranks_are_1_to_n_over_the_valid_bids_best_score_first(bids):
    scores = score_bids("weighted", WEIGHTED, bids)
    assert [s.key for s in scores] == [b.key for b in bids]
    ranked = sorted((s for s in scores if s.rank is not None), key=lambda s: s.rank or 0)
    assert [s.rank for s in ranked] == list(range(1, sum(b.valid for b in bids) + 1))
    totals = [s.total for s in ranked]
    assert totals == sorted(totals, reverse=True)
    for score, offer in zip(scores, bids, strict=True):
        if offer.valid:
            assert score.total == sum(p for _, p in score.criteria)
            assert D(0) <= score.total <= D(100)
            assert all(p == p.quantize(D("0.01")) for _, p in score.criteria)


@given(bids_strategy)
def test_under_lowest_price_the_cheapest_valid_bid_ranks_first_with_100(bids):
    scores = score_bids("lowest_price", WEIGHTED, bids)
    valid = [(b, s) for b, s in zip(bids, scores, strict=True) if b.valid]
    if valid:
        best = min(valid, key=lambda pair: pair[0].total_usd)
        assert any(s.rank == 1 and s.total == D(100) for _, s in valid)
        first = next(b for b, s in valid if s.rank == 1)
        assert first.total_usd == best[0].total_usd
