"""R12–R18: orders. Each rule has a test that breaks it and one that keeps it."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lta_tui.domain.rules import (
    AwardTerms,
    CatalogueEntry,
    DirectLine,
    Holding,
    Period,
    Severity,
    SubLtaTerms,
    check_ceiling,
    check_consolidator_eligible,
    check_cumulative_amendments,
    check_direct_order,
    check_order_date,
    check_order_matches_award,
    check_quantity_and_price,
)

D = Decimal
LTA = Period(date(2021, 6, 1), date(2027, 5, 31))
HOLDINGS = [
    Holding("ACME", 2, date(2021, 6, 1), date(2025, 12, 31)),
    Holding("BYTE", 2, date(2023, 1, 1)),
]


def only(findings, severity=Severity.error):
    assert len(findings) == 1, findings
    (finding,) = findings
    assert finding.severity is severity
    return finding


# --- R12 -------------------------------------------------------------------------------------


def test_r12_order_after_the_lta_expired_is_refused():
    f = only(check_order_date(date(2027, 6, 1), "GP500454", LTA, HOLDINGS, "BYTE", 2))
    assert f.rule == "R12" and f.field == "order_date"
    assert f.message == (
        "R12: order date 2027-06-01 is outside the validity of LTA GP500454"
        " (2021-06-01 to 2027-05-31)"
    )


def test_r12_order_outside_the_holding_period_is_refused():
    f = only(check_order_date(date(2026, 1, 1), "GP500454", LTA, HOLDINGS, "ACME", 2))
    assert "ACME does not hold lot 2 on the order date 2026-01-01" in f.message
    assert "2021-06-01 to 2025-12-31" in f.message


def test_r12_order_before_the_lta_and_the_holding_gives_both_errors():
    found = check_order_date(date(2021, 5, 31), "GP500454", LTA, HOLDINGS, "ACME", 2)
    assert [f.rule for f in found] == ["R12", "R12"]


def test_r12_order_inside_both_periods_is_kept():
    assert check_order_date(date(2026, 3, 2), "GP500454", LTA, HOLDINGS, "BYTE", 2) == []


def test_r12_last_day_of_lta_and_holding_are_kept():
    assert check_order_date(date(2027, 5, 31), "GP500454", LTA, HOLDINGS, "BYTE", 2) == []
    assert check_order_date(date(2025, 12, 31), "GP500454", LTA, HOLDINGS, "ACME", 2) == []


# --- R13 -------------------------------------------------------------------------------------

SUB_LTA = SubLtaTerms(
    "UNDP-ACME-2026-01", "UNDP", "ACME", Period(date(2026, 1, 1), date(2026, 12, 31))
)
CATALOGUE = [
    CatalogueEntry("LAP-14-I5", D("110.00"), "EUR", Period(date(2026, 1, 1), date(2026, 12, 31))),
    CatalogueEntry("MON-27", D("180.00"), "EUR", Period(date(2026, 1, 1), date(2026, 6, 30))),
    CatalogueEntry("DOCK-USB", D("95.000"), "KWD", Period(date(2026, 1, 1), date(2026, 12, 31))),
]


def direct(*lines: DirectLine, on: date = date(2026, 3, 2), currency: str = "EUR", **kw):
    args = {
        "agency": "UNDP",
        "consolidator": "ACME",
        "order_date": on,
        "currency": currency,
        "lines": list(lines),
        "sub_lta": SUB_LTA,
        "catalogue": CATALOGUE,
    }
    return check_direct_order(**(args | kw))


def test_r13_price_above_catalogue_is_refused():
    f = only(direct(DirectLine(1, "LAP-14-I5", D("120.00"))))
    assert f.rule == "R13" and f.field == "lines.1.unit_price"
    assert f.message == (
        "R13: line 1: unit price 120.00 EUR is above the catalogue price 110.00 EUR for LAP-14-I5"
    )


def test_r13_price_below_catalogue_warns():
    f = only(direct(DirectLine(2, "LAP-14-I5", D("105.50"))), Severity.warning)
    assert "unit price 105.50 EUR is below the catalogue price 110.00 EUR" in f.message


def test_r13_catalogue_price_is_kept():
    assert direct(DirectLine(1, "LAP-14-I5", D("110")), DirectLine(2, "MON-27", D("180"))) == []


def test_r13_price_a_fraction_of_a_fils_above_catalogue_is_refused():
    # KWD has three decimals; the message shows the exact extra digit
    f = only(direct(DirectLine(1, "DOCK-USB", D("95.0005")), currency="KWD"))
    assert "95.0005 KWD is above the catalogue price 95.000 KWD" in f.message


def test_r13_direct_order_without_sub_lta_is_refused():
    f = only(direct(DirectLine(1, "LAP-14-I5", D("110")), sub_lta=None))
    assert f.field == "sub_lta"
    assert "placed under a sub-LTA between UNDP and ACME: name it" in f.message


def test_r13_sub_lta_of_another_agency_is_refused():
    f = only(direct(DirectLine(1, "LAP-14-I5", D("110")), agency="UNICEF"))
    assert "is between UNDP and ACME, not UNICEF and ACME" in f.message


def test_r13_order_outside_sub_lta_validity_is_refused():
    found = direct(DirectLine(1, "LAP-14-I5", D("110")), on=date(2027, 1, 4))
    assert any("outside the validity of sub-LTA UNDP-ACME-2026-01" in f.message for f in found)


def test_r13_item_not_in_the_catalogue_is_refused():
    f = only(direct(DirectLine(3, "PHONE-X", D("10"))))
    assert f.field == "lines.3.sku"
    assert "line 3: PHONE-X is not a catalogue item of sub-LTA UNDP-ACME-2026-01" in f.message


def test_r13_free_text_line_is_refused():
    f = only(direct(DirectLine(1, None, D("10"))))
    assert "a direct order line must be a catalogue item" in f.message


def test_r13_expired_catalogue_item_is_refused():
    f = only(direct(DirectLine(1, "MON-27", D("180")), on=date(2026, 7, 1)))
    assert "catalogue item MON-27 is not valid on 2026-07-01" in f.message


def test_r13_price_in_another_currency_is_refused():
    f = only(direct(DirectLine(1, "LAP-14-I5", D("110")), currency="USD"))
    assert "the order is in USD, LAP-14-I5 is catalogued in EUR" in f.message


EUR_SUB_LTA = SubLtaTerms(
    "UNDP-ACME-2026-01", "UNDP", "ACME", Period(date(2026, 1, 1), date(2026, 12, 31)), "EUR"
)


def test_r13_order_in_another_currency_than_the_sub_lta_is_refused():
    found = direct(sub_lta=EUR_SUB_LTA, currency="JPY")
    f = only(found)
    assert f.rule == "R13" and f.field == "currency"
    assert f.message == (
        "R13: the order is in JPY, sub-LTA UNDP-ACME-2026-01 is in EUR:"
        " a direct order is in its sub-LTA's currency"
    )


def test_r13_order_in_the_sub_lta_currency_is_kept():
    assert direct(DirectLine(1, "LAP-14-I5", D("110")), sub_lta=EUR_SUB_LTA) == []


# --- R14 -------------------------------------------------------------------------------------

AWARD = AwardTerms("UNDP-MC-2026-001", "UNDP", "awarded", "BYTE", 2, "USD", D("25000.00"))


def matches(award=AWARD, **kw):
    args = {
        "competition": "UNDP-MC-2026-001",
        "agency": "UNDP",
        "consolidator": "BYTE",
        "lot": 2,
        "currency": "USD",
        "total": D("25000.00"),
    }
    return check_order_matches_award(award, **(args | kw))


def test_r14_order_to_another_consolidator_is_refused():
    f = only(matches(consolidator="CORE"))
    assert f.rule == "R14" and "went to BYTE, not CORE" in f.message


def test_r14_order_for_another_lot_is_refused():
    assert "awarded for lot 2, not lot 3" in only(matches(lot=3)).message


def test_r14_order_above_the_offer_total_is_refused():
    f = only(matches(total=D("25000.01")))
    assert "25,000.01 USD exceeds the awarded offer's total 25,000.00 USD" in f.message


def test_r14_order_in_another_currency_is_refused():
    assert "the awarded offer is in USD, the order in EUR" in only(matches(currency="EUR")).message


def test_r14_order_without_award_is_refused():
    assert "has no award" in only(matches(award=None)).message


def test_r14_award_of_another_competition_is_refused():
    assert "the award is for UNDP-MC-2026-001" in only(matches(competition="X")).message


def test_r14_order_of_another_agency_is_refused():
    f = only(matches(agency="UNICEF"))
    assert f.field == "agency" and f.message == (
        "R14: UNDP-MC-2026-001 is a UNDP competition: a UNICEF order cannot be placed from it"
    )


@pytest.mark.parametrize("status", ["draft", "evaluated", "cancelled", "unsuccessful"])
def test_r14_new_order_from_a_competition_not_awarded_is_refused(status):
    f = only(matches(dataclasses.replace(AWARD, status=status)))
    assert f.field == "competition" and f.message == (
        f"R14: UNDP-MC-2026-001 is {status}: an order is placed only from an awarded competition"
    )


def test_r14_second_order_of_an_award_is_refused():
    ordered = dataclasses.replace(AWARD, status="ordered", orders=("UNDP-2026-000007",))
    for award in (ordered, dataclasses.replace(AWARD, orders=("UNDP-2026-000007",))):
        assert only(matches(award)).message == (
            "R14: the award of UNDP-MC-2026-001 already has order UNDP-2026-000007:"
            " one order per award"
        )


def test_r14_an_ordered_competition_whose_order_was_cancelled_may_be_ordered_again():
    """Its own order (not counted by the caller) and a new one once the first is cancelled."""
    assert matches(dataclasses.replace(AWARD, status="ordered")) == []
    cancelled = dataclasses.replace(AWARD, status="cancelled")
    assert "is cancelled" in only(matches(cancelled)).message


def test_r14_order_matching_the_award_is_kept():
    assert matches() == []
    assert matches(total=D("12000")) == []


# --- R15 -------------------------------------------------------------------------------------


def ceiling(used: str, amount: str, limit: str | None = "1000000", **kw):
    args = {
        "label": "LTA GP500454",
        "ceiling": D(limit) if limit is not None else None,
        "used": D(used),
        "amount": D(amount),
        "currency": "USD",
        "warn_pct": 80,
    }
    return check_ceiling(**(args | kw))


def test_r15_ceiling_reaching_the_warning_share_warns():
    f = only(ceiling("790000", "10000"), Severity.warning)
    assert f.rule == "R15"
    assert "LTA GP500454 would use 80.0 % of its ceiling (800,000.00 USD of 1,000,000.00 USD)" in (
        f.message
    )


def test_r15_just_under_the_warning_share_is_kept():
    assert ceiling("790000", "9999.99") == []


def test_r15_exactly_the_ceiling_only_warns():
    assert only(ceiling("900000", "100000"), Severity.warning).rule == "R15"


def test_r15_past_the_ceiling_is_refused():
    f = only(ceiling("900000", "100000.01"))
    assert "past 100 %, record a ceiling amendment first" in f.message


def test_r15_past_the_ceiling_with_an_amendment_warns():
    f = only(ceiling("900000", "200000", amendment="AMD-2026-03"), Severity.warning)
    assert "allowed by ceiling amendment AMD-2026-03" in f.message


def test_r15_no_ceiling_is_kept():
    assert ceiling("9000000", "1", limit=None) == []


def test_r15_sub_lta_ceiling_in_jpy():
    f = only(ceiling("9000000", "1000001", limit="10000000", currency="JPY", label="sub-LTA X"))
    assert "10,000,001 JPY of 10,000,000 JPY" in f.message


_rank = {None: 0, Severity.warning: 1, Severity.error: 2}


@given(
    st.decimals(min_value=0, max_value=2_000_000, places=2),
    st.decimals(min_value=0, max_value=2_000_000, places=2),
)
def test_r15_severity_never_drops_as_the_amount_grows(smaller, larger):
    smaller, larger = sorted((smaller, larger))

    def severity(amount):
        found = ceiling("0", str(amount))
        return _rank[found[0].severity if found else None]

    assert severity(smaller) <= severity(larger)


# --- R16 -------------------------------------------------------------------------------------


def test_r16_cumulative_amendments_above_the_share_warn():
    f = only(
        check_cumulative_amendments(D("1000"), [D("1100"), D("1250")], "USD", 20), Severity.warning
    )
    assert f.rule == "R16"
    assert (
        "amendments total 250.00 USD, 25.0 % of the order's first value 1,000.00 USD" in f.message
    )


def test_r16_a_raise_and_a_cut_do_not_cancel_out():
    assert check_cumulative_amendments(D("1000"), [D("1150"), D("1000")], "USD", 20)


def test_r16_exactly_the_share_is_kept():
    assert check_cumulative_amendments(D("1000"), [D("1100"), D("1200")], "USD", 20) == []


def test_r16_small_amendment_is_kept():
    assert check_cumulative_amendments(D("1000"), [D("1100")], "USD", 20) == []
    assert check_cumulative_amendments(D("1000"), [], "USD", 20) == []


# --- R17 -------------------------------------------------------------------------------------


def test_r17_suspended_consolidator_gets_no_award():
    f = only(
        check_consolidator_eligible("ACME", "suspended", "award", date(2026, 1, 15), "UNGM notice")
    )
    assert f.rule == "R17" and f.field == "consolidator"
    assert f.message == "R17: ACME is suspended since 2026-01-15 (UNGM notice): no new award"


def test_r17_suspended_consolidator_gets_no_invitation_or_order():
    assert check_consolidator_eligible("ACME", "suspended", "invitation")
    assert check_consolidator_eligible("ACME", "suspended", "order")


def test_r17_suspension_after_the_day_of_a_past_order_does_not_apply():
    # an imported order of 2026-01-10; the consolidator was suspended on 2026-01-15
    found = check_consolidator_eligible(
        "ACME", "suspended", "order", date(2026, 1, 15), on=date(2026, 1, 10)
    )
    assert found == []


def test_r17_suspension_on_or_before_the_day_of_a_past_order_applies():
    for on in (date(2026, 1, 15), date(2026, 2, 1)):
        f = only(
            check_consolidator_eligible("ACME", "suspended", "order", date(2026, 1, 15), on=on)
        )
        assert f.rule == "R17" and "suspended since 2026-01-15" in f.message


def test_r17_without_a_day_a_later_suspension_still_refuses_a_new_order():
    assert check_consolidator_eligible("ACME", "suspended", "order", date(2099, 1, 1))


def test_r17_eligible_consolidator_is_kept():
    assert check_consolidator_eligible("BYTE", "eligible", "order") == []


# --- R18 -------------------------------------------------------------------------------------


def test_r18_zero_quantity_is_refused():
    f = only(check_quantity_and_price(D("0"), D("10"), line_no=4))
    assert f.rule == "R18" and f.field == "lines.4.quantity"
    assert f.message == "R18: line 4: quantity 0 must be positive"


def test_r18_negative_quantity_and_price_are_both_refused():
    found = check_quantity_and_price(D("-1"), D("-0.01"))
    assert [f.field for f in found] == ["quantity", "unit_price"]
    assert "unit price -0.01 cannot be negative" in found[1].message


def test_r18_not_a_number_is_refused():
    assert len(check_quantity_and_price(D("NaN"), D("Infinity"))) == 2


def test_r18_free_item_with_positive_quantity_is_kept():
    assert check_quantity_and_price(D("1"), D("0")) == []
    assert check_quantity_and_price(D("0.001"), D("1250.50")) == []
