"""The UNGM spend feedback checks: each has a test that breaks it and one that keeps it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lta_tui.domain.feedback import (
    FEEDBACK,
    Validity,
    check_feedback,
    check_override,
    check_period,
    check_spend,
    is_override,
    period_label,
    reported_default,
)
from lta_tui.domain.rules import Severity

D = Decimal
LTA = Validity(date(2021, 6, 1), date(2027, 5, 31))
START = LTA.valid_from


def test_an_override_without_a_reason_is_refused_under_the_reason_field():
    found = check_override(D("1000.4567"), D("1200.00"), "  ")
    assert [(f.rule, f.severity, f.field) for f in found] == [
        (FEEDBACK, Severity.error, "override_reason")
    ]
    assert "1,200.00 USD differs from the 1,000.46 USD computed" in found[0].message


def test_an_override_with_a_reason_is_kept():
    assert check_override(D("1000"), D("1200.00"), "ERP figure incl. 2 orders not recorded") == []


def test_the_computed_spend_rounded_to_the_cent_is_no_override():
    computed = D("1000.4567")
    assert reported_default(computed) == D("1000.46")
    assert not is_override(computed, reported_default(computed))
    assert check_override(computed, D("1000.46"), None) == []
    assert is_override(computed, D("1000.45"))


def test_a_negative_spend_or_fractions_of_a_cent_are_refused():
    assert [f.field for f in check_spend(D("-1"))] == ["spend_usd"]
    assert "more than 2 decimals" in check_spend(D("10.005"))[0].message
    assert check_spend(D("0")) == []
    assert check_spend(D("10.50")) == []


def test_a_period_that_ends_before_it_starts_is_refused():
    found = check_period(date(2025, 12, 31), date(2025, 1, 1), LTA)
    assert [(f.severity, f.field) for f in found] == [(Severity.error, "period_to")]
    assert "starts (2025-12-31) after it ends (2025-01-01)" in found[0].message


def test_a_period_outside_the_validity_is_refused():
    before = check_period(date(2020, 1, 1), date(2020, 12, 31), LTA)
    after = check_period(date(2027, 6, 1), date(2027, 12, 31), LTA)
    assert [(f.severity, f.field) for f in before] == [(Severity.error, "period_to")]
    assert [(f.severity, f.field) for f in after] == [(Severity.error, "period_from")]
    assert "outside the LTA's validity (2021-06-01 – 2027-05-31)" in before[0].message


def test_a_period_inside_or_overlapping_the_validity_is_kept():
    assert check_period(date(2025, 1, 1), date(2025, 12, 31), LTA) == []
    overlapping = check_period(date(2021, 1, 1), date(2021, 12, 31), LTA)
    assert [f.severity for f in overlapping] == [Severity.info]


def test_check_feedback_lists_errors_first():
    found = check_feedback(
        period_from=date(2021, 1, 1),
        period_to=date(2021, 12, 31),
        lta=LTA,
        computed=D("5"),
        reported=D("-1"),
        reason="",
    )
    severities = [f.severity for f in found]
    assert severities == sorted(severities, key=lambda s: s is not Severity.error)
    assert {f.field for f in found} == {"period_from", "spend_usd"}
    found = check_feedback(
        period_from=date(2021, 1, 1),
        period_to=date(2021, 12, 31),
        lta=LTA,
        computed=D("5"),
        reported=D("7"),
        reason="",
    )
    assert {f.field for f in found} == {"period_from", "override_reason"}


def test_a_spend_refused_for_its_cents_is_not_also_called_an_override():
    """`62149585.145` has too many decimals; it is not "62,149,585.14 differs from
    62,149,585.14" as well."""
    found = check_feedback(
        period_from=date(2026, 1, 1),
        period_to=date(2026, 12, 31),
        lta=LTA,
        computed=D("62149585.14"),
        reported=D("62149585.145"),
        reason="",
    )
    assert [f.field for f in found] == ["spend_usd"]


def test_period_labels_name_years_contract_years_quarters_and_months():
    assert period_label(date(2025, 1, 1), date(2025, 12, 31), START) == "2025"
    assert period_label(date(2025, 6, 1), date(2026, 5, 31), START) == "2025/26"
    assert period_label(date(2025, 4, 1), date(2025, 6, 30), START) == "2025-Q2"
    assert period_label(date(2025, 3, 1), date(2025, 3, 31), START) == "2025-03"
    assert period_label(date(2025, 1, 15), date(2025, 6, 30), START) == "2025-01-15 – 2025-06-30"
