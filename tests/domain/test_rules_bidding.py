"""R1–R11: secondary bidding. Each rule has a test that breaks it and one that keeps it."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from lta_tui.domain.rules import (
    Holding,
    OfferStanding,
    Severity,
    check_abnormally_low,
    check_award,
    check_cancellation,
    check_criteria,
    check_holder_active,
    check_left_out_holders,
    check_offer_on_time,
    check_offer_still_valid,
    check_prices_unsealed,
    check_response_time,
    check_unspsc_in_lot,
    check_valid_offer_count,
    may_reveal_prices,
    working_days_between,
)

UTC = timezone.utc
HOLDINGS = [
    Holding("ACME", 2, date(2021, 6, 1), date(2023, 12, 31)),
    Holding("BYTE", 2, date(2021, 6, 1)),
    Holding("CORE", 2, date(2021, 6, 1)),
    Holding("DATA", 1, date(2021, 6, 1)),
    Holding("DATA", 2, date(2025, 1, 1)),
]
LOT4_SCOPE = ["432121", "43211711", "441015", "441017", "441022", "441031"]


def at(y: int, m: int, d: int, hh: int = 12, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


def only(findings, severity=Severity.error):
    assert len(findings) == 1, findings
    (finding,) = findings
    assert finding.severity is severity
    return finding


# --- R1 --------------------------------------------------------------------------------------


def test_r1_holder_after_its_holding_ended_cannot_be_invited():
    f = only(check_holder_active(HOLDINGS, "ACME", 2, date(2024, 1, 1)))
    assert f.rule == "R1" and f.field == "consolidator"
    assert f.message.startswith("R1: ACME is not an active holder of lot 2 on 2024-01-01")
    assert "2021-06-01 to 2023-12-31" in f.message


def test_r1_consolidator_not_holding_the_lot_is_refused():
    f = only(check_holder_active(HOLDINGS, "DATA", 2, date(2024, 6, 1)))
    assert "DATA is not an active holder of lot 2" in f.message


def test_r1_consolidator_holding_another_lot_only_is_refused():
    assert check_holder_active(HOLDINGS, "BYTE", 1, date(2024, 6, 1))


def test_r1_active_holder_is_kept():
    assert check_holder_active(HOLDINGS, "BYTE", 2, date(2026, 3, 2)) == []


def test_r1_first_and_last_day_of_a_holding_are_kept():
    assert check_holder_active(HOLDINGS, "ACME", 2, date(2021, 6, 1)) == []
    assert check_holder_active(HOLDINGS, "ACME", 2, date(2023, 12, 31)) == []
    assert check_holder_active(HOLDINGS, "DATA", 2, date(2024, 12, 31)) != []
    assert check_holder_active(HOLDINGS, "DATA", 2, date(2025, 1, 1)) == []


# --- R2 --------------------------------------------------------------------------------------


def test_r2_left_out_holder_without_reason_warns():
    found = check_left_out_holders(HOLDINGS, 2, date(2026, 3, 2), {"BYTE", "DATA"}, {})
    f = only(found, Severity.warning)
    assert f.rule == "R2" and f.field == "exclusions.CORE"
    assert "CORE holds lot 2 but is not invited" in f.message


def test_r2_blank_reason_is_no_reason():
    found = check_left_out_holders(HOLDINGS, 2, date(2026, 3, 2), {"BYTE"}, {"CORE": "  "})
    assert [f.field for f in found] == ["exclusions.CORE", "exclusions.DATA"]


def test_r2_left_out_holder_with_reason_is_kept():
    reasons = {"CORE": "no delivery to South Sudan"}
    assert check_left_out_holders(HOLDINGS, 2, date(2026, 3, 2), {"BYTE", "DATA"}, reasons) == []


def test_r2_former_holder_needs_no_reason():
    # ACME's holding of lot 2 ended in 2023: leaving it out in 2026 is no choice at all
    assert check_left_out_holders(HOLDINGS, 2, date(2026, 3, 2), {"BYTE", "CORE", "DATA"}, {}) == []


# --- R3 --------------------------------------------------------------------------------------


def test_r3_code_outside_the_lot_scope_is_refused():
    f = only(check_unspsc_in_lot("43211503", 4, LOT4_SCOPE, line_no=2))
    assert f.rule == "R3" and f.field == "lines.2.unspsc"
    assert f.message.startswith("R3: line 2: UNSPSC 43211503 is outside the scope of lot 4")
    assert "432121" in f.message


def test_r3_code_must_have_eight_digits():
    assert "must be 8 digits" in only(check_unspsc_in_lot("4321", 4, LOT4_SCOPE)).message
    assert "must be 8 digits" in only(check_unspsc_in_lot("4321210A", 4, LOT4_SCOPE)).message


def test_r3_missing_code_is_refused():
    f = only(check_unspsc_in_lot(None, 4, LOT4_SCOPE))
    assert "a UNSPSC code is required" in f.message and f.field == "unspsc"


def test_r3_lot_without_scope_accepts_nothing():
    assert check_unspsc_in_lot("43212105", 4, [])


def test_r3_code_within_a_family_prefix_is_kept():
    assert check_unspsc_in_lot("43212105", 4, LOT4_SCOPE) == []


def test_r3_code_equal_to_an_eight_digit_scope_entry_is_kept():
    assert check_unspsc_in_lot("43211711", 4, LOT4_SCOPE) == []


# --- R4 --------------------------------------------------------------------------------------


def test_r4_deadline_before_issue_is_refused():
    f = only(check_response_time(at(2026, 3, 9), at(2026, 3, 2), 5))
    assert f.rule == "R4" and f.field == "deadline"
    assert "must be after the issue" in f.message


def test_r4_deadline_at_the_issue_moment_is_refused():
    assert only(check_response_time(at(2026, 3, 2), at(2026, 3, 2), 5)).rule == "R4"


def test_r4_short_response_time_warns():
    # issued Monday, deadline Friday: Tue–Fri = 4 working days
    f = only(check_response_time(at(2026, 3, 2), at(2026, 3, 6), 5), Severity.warning)
    assert "4 working days" in f.message and "the minimum is 5" in f.message


def test_r4_weekend_does_not_count():
    # issued Thursday, deadline next Wednesday: Fri, Mon, Tue, Wed = 4
    f = only(check_response_time(at(2026, 3, 5), at(2026, 3, 11), 5), Severity.warning)
    assert "4 working days" in f.message


def test_r4_exactly_the_minimum_is_kept():
    # issued Monday, deadline next Monday: Tue–Fri + Mon = 5
    assert check_response_time(at(2026, 3, 2), at(2026, 3, 9), 5) == []


def test_r4_minimum_of_zero_never_warns():
    assert check_response_time(at(2026, 3, 2, 9), at(2026, 3, 2, 17), 0) == []


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), st.integers(0, 200))
def test_r4_whole_weeks_have_five_working_days_each(start, weeks):
    assert working_days_between(start, start + timedelta(weeks=weeks)) == 5 * weeks


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), st.integers(0, 60))
def test_r4_working_days_match_a_day_by_day_count(start, days):
    end = start + timedelta(days=days)
    expected = sum(1 for i in range(1, days + 1) if (start + timedelta(days=i)).weekday() < 5)
    assert working_days_between(start, end) == expected


# --- R5 --------------------------------------------------------------------------------------

DEADLINE = at(2026, 3, 10)


def test_r5_prices_sealed_before_the_deadline():
    f = only(check_prices_unsealed(at(2026, 3, 9), DEADLINE, None))
    assert f.rule == "R5" and "sealed until the deadline 2026-03-10 12:00 UTC" in f.message
    assert not may_reveal_prices(at(2026, 3, 9), DEADLINE, None)


def test_r5_prices_sealed_at_the_deadline_itself():
    assert check_prices_unsealed(DEADLINE, DEADLINE, None)


def test_r5_prices_sealed_until_the_opening_is_recorded():
    f = only(check_prices_unsealed(at(2026, 3, 11), DEADLINE, None))
    assert "until the opening is recorded" in f.message


def test_r5_opening_recorded_before_the_deadline_does_not_unseal():
    f = only(check_prices_unsealed(at(2026, 3, 11), DEADLINE, at(2026, 3, 10, 11, 59)))
    assert "must be after the deadline" in f.message


def test_r5_competition_without_deadline_stays_sealed():
    assert "no deadline" in only(check_prices_unsealed(at(2026, 3, 11), None, None)).message


def test_r5_prices_shown_after_deadline_and_opening():
    assert check_prices_unsealed(at(2026, 3, 11), DEADLINE, at(2026, 3, 10, 12, 5)) == []
    assert may_reveal_prices(at(2026, 3, 11), DEADLINE, at(2026, 3, 10, 12, 5))


# --- R6 --------------------------------------------------------------------------------------


def test_r6_offer_a_second_late_is_excluded():
    f = only(check_offer_on_time(at(2026, 3, 10, 12, 0, 1), DEADLINE))
    assert f.rule == "R6" and f.field == "received_at"
    assert "is late (deadline 2026-03-10 12:00 UTC) and is excluded" in f.message


def test_r6_offer_at_the_deadline_is_kept():
    assert check_offer_on_time(DEADLINE, DEADLINE) == []


def test_r6_deadline_in_another_timezone_compares_by_instant():
    nairobi = timezone(timedelta(hours=3))
    assert check_offer_on_time(datetime(2026, 3, 10, 14, 59, tzinfo=nairobi), DEADLINE) == []
    assert check_offer_on_time(datetime(2026, 3, 10, 15, 1, tzinfo=nairobi), DEADLINE)


# --- R7 --------------------------------------------------------------------------------------


def test_r7_weights_not_summing_to_100_are_refused():
    f = only(check_criteria("weighted", {"price": 60, "delivery_time": 30}))
    assert f.rule == "R7" and "sum to 90, not 100" in f.message


def test_r7_weighted_evaluation_without_price_is_refused():
    f = only(check_criteria("weighted", {"delivery_time": 50, "warranty": 50}))
    assert "price weight above 0" in f.message


def test_r7_weighted_evaluation_without_criteria_is_refused():
    messages = [f.message for f in check_criteria("weighted", {})]
    assert any("sum to 0, not 100" in m for m in messages)


def test_r7_weights_changed_after_issue_are_refused():
    issued = {"price": 70, "delivery_time": 30}
    f = only(check_criteria("weighted", {"price": 60, "delivery_time": 40}, issued))
    assert "fixed since the competition was issued (delivery_time 30, price 70)" in f.message


def test_r7_unknown_and_negative_weights_are_refused():
    found = check_criteria("weighted", {"price": 110, "colour": -10})
    assert any("unknown criterion colour" in f.message for f in found)
    assert any("cannot be negative (colour)" in f.message for f in found)


def test_r7_weights_summing_to_100_are_kept():
    assert check_criteria("weighted", {"price": 60, "delivery_time": 25, "warranty": 15}) == []


def test_r7_unchanged_weights_after_issue_are_kept():
    issued = {"price": 70, "delivery_time": 30}
    assert check_criteria("weighted", {"delivery_time": 30, "price": 70}, issued) == []


def test_r7_lowest_price_needs_no_weights():
    assert check_criteria("lowest_price", {}) == []
    assert check_criteria("lowest_price", {}, {}) == []


# --- R8 --------------------------------------------------------------------------------------


def test_r8_too_few_valid_offers_need_a_justification():
    f = only(check_valid_offer_count(1, 2, None), Severity.warning)
    assert f.rule == "R8" and f.field == "few_offers_justification"
    assert "1 valid offer, fewer than the minimum of 2" in f.message


def test_r8_blank_justification_does_not_count():
    assert check_valid_offer_count(1, 2, "   ")


def test_r8_justified_single_offer_is_kept():
    assert check_valid_offer_count(1, 2, "only one holder delivers to Yemen") == []


def test_r8_minimum_reached_is_kept():
    assert check_valid_offer_count(2, 2, None) == []
    assert check_valid_offer_count(3, 3, None) == []


# --- R9 --------------------------------------------------------------------------------------


def test_r9_offer_far_under_the_median_is_abnormally_low():
    totals = {"ACME": Decimal("6000"), "BYTE": Decimal("10000"), "CORE": Decimal("11000")}
    f = only(check_abnormally_low(totals, 30, "USD"), Severity.warning)
    assert f.rule == "R9" and f.field == "offers.ACME"
    assert "ACME's offer 6,000.00 USD is 40.0 % under the median 10,000.00 USD" in f.message


def test_r9_offer_just_past_the_threshold_is_flagged():
    totals = {"ACME": Decimal("6999.99"), "BYTE": Decimal("10000"), "CORE": Decimal("12000")}
    assert check_abnormally_low(totals, 30, "USD")


def test_r9_offer_exactly_at_the_threshold_is_kept():
    totals = {"ACME": Decimal("7000"), "BYTE": Decimal("10000"), "CORE": Decimal("12000")}
    assert check_abnormally_low(totals, 30, "USD") == []


def test_r9_kwd_amounts_show_three_decimals():
    totals = {"ACME": Decimal("1.5"), "BYTE": Decimal("10.25"), "CORE": Decimal("10.25")}
    f = only(check_abnormally_low(totals, 30, "KWD"), Severity.warning)
    assert "1.500 KWD" in f.message and "10.250 KWD" in f.message


def test_r9_no_offers_is_kept():
    assert check_abnormally_low({}, 30, "USD") == []


positive_amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e9"), places=2)


@given(st.lists(positive_amounts, min_size=1, max_size=9), st.integers(0, 100))
def test_r9_never_flags_the_median_itself(totals, pct):
    import statistics

    offers = {f"H{i}": t for i, t in enumerate(totals)}
    median = statistics.median(totals)
    offers["MEDIAN"] = median
    flagged = {f.field for f in check_abnormally_low(offers, pct, "USD")}
    assert "offers.MEDIAN" not in flagged
    assert all(offers[field.split(".", 1)[1]] < median for field in flagged)


@given(positive_amounts, st.integers(1, 9), st.integers(0, 100))
def test_r9_equal_offers_are_never_abnormally_low(total, count, pct):
    assert check_abnormally_low({f"H{i}": total for i in range(count)}, pct, "USD") == []


# --- R10 -------------------------------------------------------------------------------------

RANK1 = OfferStanding("BYTE", "UNDP-MC-2026-001", valid=True, rank=1)
RANK2 = OfferStanding("CORE", "UNDP-MC-2026-001", valid=True, rank=2)


def test_r10_no_valid_offer_means_unsuccessful():
    f = only(check_award("UNDP-MC-2026-001", None, 0, None))
    assert f.rule == "R10" and "no valid offer" in f.message and "unsuccessful" in f.message


def test_r10_invalid_offer_cannot_be_awarded():
    late = OfferStanding("ACME", "UNDP-MC-2026-001", valid=False)
    assert "is not a valid offer" in only(check_award("UNDP-MC-2026-001", late, 2, None)).message


def test_r10_offer_of_another_competition_cannot_be_awarded():
    f = only(check_award("UNDP-MC-2026-002", RANK1, 1, None))
    assert "belongs to UNDP-MC-2026-001, not UNDP-MC-2026-002" in f.message


def test_r10_award_below_rank_1_needs_a_justification():
    f = only(check_award("UNDP-MC-2026-001", RANK2, 2, None))
    assert f.field == "justification" and "ranks 2" in f.message


def test_r10_award_needs_an_offer():
    assert "choose the offer" in only(check_award("UNDP-MC-2026-001", None, 2, None)).message


def test_r10_rank_1_award_is_kept():
    assert check_award("UNDP-MC-2026-001", RANK1, 2, None) == []


def test_r10_justified_award_below_rank_1_is_kept():
    assert check_award("UNDP-MC-2026-001", RANK2, 2, "rank 1 cannot deliver in time") == []


def test_r10_an_offer_expired_before_the_award_day_warns():
    f = only(check_offer_still_valid("BYTE", date(2027, 1, 31), date(2027, 3, 1)), Severity.warning)
    assert f.rule == "R10" and f.field == "offer"
    assert f.message == (
        "R10: the offer of BYTE was valid until 2027-01-31, before the award on 2027-03-01:"
        " confirm that BYTE still holds its prices and terms"
    )


def test_r10_an_offer_valid_on_the_award_day_or_without_end_is_kept():
    assert check_offer_still_valid("BYTE", date(2027, 3, 1), date(2027, 3, 1)) == []
    assert check_offer_still_valid("BYTE", None, date(2027, 3, 1)) == []


# --- R11 -------------------------------------------------------------------------------------


def test_r11_cancelling_without_reason_is_refused():
    f = only(check_cancellation(""))
    assert f.rule == "R11" and f.message == "R11: cancelling needs a reason"


def test_r11_no_cancellation_once_the_order_is_issued():
    f = only(check_cancellation("budget cut", {"PO-1": "issued"}))
    assert "order PO-1 is already issued" in f.message


def test_r11_delivered_order_also_blocks_cancellation():
    assert check_cancellation("budget cut", {"PO-1": "cancelled", "PO-2": "partially_delivered"})


def test_r11_cancelling_with_reason_and_draft_order_is_kept():
    assert check_cancellation("need withdrawn", {"PO-1": "draft", "PO-2": "cancelled"}) == []
    assert check_cancellation("need withdrawn") == []
