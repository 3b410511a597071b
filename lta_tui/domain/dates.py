"""Date shorthand of the forms (DESIGN.md §4): `t`/`today`, `+5`, `-10` (days), ISO dates; and
the one reading of a time without a timezone (UTC)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

_RELATIVE = re.compile(r"^([+-])\s*(\d{1,6})$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DateError(ValueError):
    """A date the user typed that cannot be read; the message is meant for the user as is."""


def parse_day(text: str, today: date) -> date:
    """`t` or `today` → today; `+N`/`-N` → N days after/before today; `YYYY-MM-DD` → that day."""
    typed = (text or "").strip()
    if not typed:
        raise DateError("a date is required (t, +5, -10 or YYYY-MM-DD)")
    if typed.lower() in ("t", "today"):
        return today
    relative = _RELATIVE.match(typed)
    if relative:
        days = int(relative.group(2))
        try:
            return today + timedelta(days=days if relative.group(1) == "+" else -days)
        except OverflowError:
            raise DateError(f"{typed!r} is too far from today") from None
    if _ISO.match(typed):
        try:
            return date.fromisoformat(typed)
        except ValueError:
            raise DateError(f"{typed!r} is not a day of the calendar") from None
    raise DateError(f"{typed!r} is not a date: use t, +5, -10 or YYYY-MM-DD")


def aware(moment: datetime) -> datetime:
    """`moment` with a timezone: a naive time is taken as UTC (how the database stores times)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
