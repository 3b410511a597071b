"""Reporting periods of the spend summary: a month, a quarter, a calendar year, an LTA contract
year (from the LTA's start month and day, labelled `2026/27`) or all time.

Labels are the keys the spend summary groups by (`2026-11`, `2026-Q4`, `2026`, `2026/27`), so a
period and a row of the summary name the same thing the same way.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum


class PeriodSize(str, Enum):
    month = "month"
    quarter = "quarter"
    year = "year"
    contract_year = "contract_year"
    all = "all"

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class SpendPeriod:
    """A period with its first and last day (both included); None for `all`."""

    size: PeriodSize
    start: date | None
    end: date | None
    label: str


ALL_TIME = SpendPeriod(PeriodSize.all, None, None, "all")


def _anniversary(year: int, contract_start: date) -> date:
    """The contract start's month and day in `year` (29 February falls back to the 28th)."""
    last = calendar.monthrange(year, contract_start.month)[1]
    return date(year, contract_start.month, min(contract_start.day, last))


def contract_year_start(day: date, contract_start: date) -> date:
    """The first day of the LTA contract year containing `day`."""
    start = _anniversary(day.year, contract_start)
    return start if day >= start else _anniversary(day.year - 1, contract_start)


def contract_year_label(day: date, contract_start: date) -> str:
    """`2026/27` for any day of the LTA year starting in 2026 (e.g. 2026-06-01 to 2027-05-31)."""
    first = contract_year_start(day, contract_start).year
    return f"{first}/{(first + 1) % 100:02d}"


def _add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_of(day: date, size: PeriodSize | str, contract_start: date) -> SpendPeriod:
    """The period of `size` that contains `day`."""
    size = PeriodSize(size)
    if size is PeriodSize.month:
        start = day.replace(day=1)
        end = _add_months(start, 1) - timedelta(days=1)
        return SpendPeriod(size, start, end, f"{start:%Y-%m}")
    if size is PeriodSize.quarter:
        quarter = (day.month - 1) // 3
        start = date(day.year, quarter * 3 + 1, 1)
        end = _add_months(start, 3) - timedelta(days=1)
        return SpendPeriod(size, start, end, f"{day.year}-Q{quarter + 1}")
    if size is PeriodSize.year:
        return SpendPeriod(size, date(day.year, 1, 1), date(day.year, 12, 31), str(day.year))
    if size is PeriodSize.contract_year:
        start = contract_year_start(day, contract_start)
        end = _anniversary(start.year + 1, contract_start) - timedelta(days=1)
        return SpendPeriod(size, start, end, contract_year_label(day, contract_start))
    return ALL_TIME


def step_period(period: SpendPeriod, steps: int, contract_start: date) -> SpendPeriod:
    """The period `steps` periods of the same size after `period` (before it when negative);
    `all` stays `all`."""
    if period.size is PeriodSize.all or period.start is None:
        return period
    months = {PeriodSize.month: 1, PeriodSize.quarter: 3}.get(period.size, 12)
    if period.size is PeriodSize.contract_year:
        anchor = _anniversary(period.start.year + steps, contract_start)
    else:
        anchor = _add_months(period.start, months * steps)
    return period_of(anchor, period.size, contract_start)


def period_bounds(size: PeriodSize | str, label: str, contract_start: date) -> SpendPeriod:
    """The period a summary key names (`2026-11`, `2026-Q4`, `2026`, `2026/27`); ValueError when
    the label does not read as a period of that size."""
    size = PeriodSize(size)
    try:
        if size is PeriodSize.month:
            year, month = label.split("-")
            return period_of(date(int(year), int(month), 1), size, contract_start)
        if size is PeriodSize.quarter:
            year, quarter = label.split("-Q")
            if not 1 <= int(quarter) <= 4:
                raise ValueError(label)
            return period_of(date(int(year), int(quarter) * 3 - 2, 1), size, contract_start)
        if size is PeriodSize.year:
            return period_of(date(int(label), 1, 1), size, contract_start)
        if size is PeriodSize.contract_year:
            first, second = label.split("/")
            if len(second) != 2 or (int(first) + 1) % 100 != int(second):
                raise ValueError(label)
            return period_of(_anniversary(int(first), contract_start), size, contract_start)
    except ValueError:
        raise ValueError(f"{label!r} is not a {size.label}") from None
    return ALL_TIME
