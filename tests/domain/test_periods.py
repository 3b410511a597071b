"""Reporting periods: month, quarter, year, LTA contract year and all time, their bounds, labels
and stepping."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lta_tui.domain.periods import (
    PeriodSize,
    SpendPeriod,
    contract_year_label,
    period_bounds,
    period_of,
    step_period,
)

START = date(2021, 6, 1)  # the LTA's first day: contract years run 1 June to 31 May


@pytest.mark.parametrize(
    ("day", "size", "start", "end", "label"),
    [
        (date(2026, 11, 15), "month", date(2026, 11, 1), date(2026, 11, 30), "2026-11"),
        (date(2024, 2, 29), "month", date(2024, 2, 1), date(2024, 2, 29), "2024-02"),
        (date(2026, 12, 31), "month", date(2026, 12, 1), date(2026, 12, 31), "2026-12"),
        (date(2026, 1, 1), "quarter", date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"),
        (date(2026, 6, 30), "quarter", date(2026, 4, 1), date(2026, 6, 30), "2026-Q2"),
        (date(2026, 11, 15), "quarter", date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
        (date(2026, 11, 15), "year", date(2026, 1, 1), date(2026, 12, 31), "2026"),
        (date(2026, 6, 1), "contract_year", date(2026, 6, 1), date(2027, 5, 31), "2026/27"),
        (date(2026, 5, 31), "contract_year", date(2025, 6, 1), date(2026, 5, 31), "2025/26"),
        (date(2099, 12, 31), "contract_year", date(2099, 6, 1), date(2100, 5, 31), "2099/00"),
    ],
)
def test_the_period_containing_a_day(day, size, start, end, label):
    period = period_of(day, size, START)
    assert period == SpendPeriod(PeriodSize(size), start, end, label)


def test_all_time_has_no_bounds_and_does_not_step():
    period = period_of(date(2026, 11, 15), PeriodSize.all, START)
    assert (period.start, period.end, period.label) == (None, None, "all")
    assert step_period(period, -3, START) == period


def test_the_contract_year_label_follows_the_lta_start():
    assert contract_year_label(date(2026, 6, 1), START) == "2026/27"
    assert contract_year_label(date(2027, 5, 31), START) == "2026/27"
    assert contract_year_label(date(2026, 3, 1), date(2020, 3, 1)) == "2026/27"
    assert contract_year_label(date(2026, 2, 28), date(2020, 3, 1)) == "2025/26"


@pytest.mark.parametrize(
    ("day", "size", "steps", "label"),
    [
        (date(2026, 1, 15), "month", -1, "2025-12"),
        (date(2026, 12, 15), "month", 1, "2027-01"),
        (date(2026, 11, 15), "month", -23, "2024-12"),
        (date(2026, 2, 1), "quarter", -1, "2025-Q4"),
        (date(2026, 11, 1), "quarter", 1, "2027-Q1"),
        (date(2026, 11, 1), "quarter", -8, "2024-Q4"),
        (date(2026, 11, 1), "year", -1, "2025"),
        (date(2026, 11, 1), "contract_year", -1, "2025/26"),
        (date(2026, 3, 1), "contract_year", 1, "2026/27"),
    ],
)
def test_stepping_back_and_forth(day, size, steps, label):
    period = period_of(day, size, START)
    stepped = step_period(period, steps, START)
    assert stepped.label == label
    assert step_period(stepped, -steps, START) == period


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.sampled_from([s for s in PeriodSize if s is not PeriodSize.all]),
)
def test_periods_tile_the_calendar(day, size):
    """Each period contains its day, the next one starts the day after it ends, and its label
    reads back as the same period."""
    period = period_of(day, size, START)
    assert period.start <= day <= period.end
    after = step_period(period, 1, START)
    assert after.start == period.end + timedelta(days=1)
    assert period_bounds(size, period.label, START) == period


@pytest.mark.parametrize(
    ("size", "label"),
    [
        ("month", "2026-13"),
        ("quarter", "2026-Q5"),
        ("year", "twenty"),
        ("contract_year", "2026/28"),
    ],
)
def test_a_label_that_is_not_a_period_is_refused(size, label):
    with pytest.raises(ValueError, match="is not a"):
        period_bounds(size, label, START)
