"""Date shorthand of the forms: t/today, +N, -N, ISO dates; anything else a clear DateError."""

from __future__ import annotations

import re
from datetime import date

import pytest

from lta_tui.domain.dates import DateError, parse_day

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("t", TODAY),
        ("T", TODAY),
        ("today", TODAY),
        (" Today ", TODAY),
        ("+5", date(2026, 3, 15)),
        ("-10", date(2026, 2, 28)),
        ("+0", TODAY),
        ("+365", date(2027, 3, 10)),
        ("2026-03-15", date(2026, 3, 15)),
        ("2024-02-29", date(2024, 2, 29)),
    ],
)
def test_shorthand_and_iso_dates(text, expected):
    assert parse_day(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "a date is required"),
        ("   ", "a date is required"),
        ("tomorrow", "'tomorrow' is not a date: use t, +5, -10 or YYYY-MM-DD"),
        ("5", "'5' is not a date"),
        ("15/03/2026", "is not a date"),
        ("2026-3-5", "is not a date"),
        ("2026-02-30", "'2026-02-30' is not a day of the calendar"),
        ("-999999", "too far from today"),
        ("+5d", "is not a date"),
    ],
)
def test_bad_dates_are_refused_with_a_message(text, message):
    with pytest.raises(DateError, match=re.escape(message)):
        parse_day(text, TODAY)


def test_date_error_is_a_value_error():
    assert issubclass(DateError, ValueError)
