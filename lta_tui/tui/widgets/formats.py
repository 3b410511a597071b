"""How dates, time left, money and states read on screen (plain strings, no markup)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from lta_tui.domain.money import format_amount, format_money, format_quantity


def day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def moment(value: datetime | None) -> str:
    """`2026-11-20 12:00 UTC`"""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def time_left(remaining: timedelta | None) -> str:
    """`5d 12h`, `3h 20m`, `12m`, or `past 2d` once the moment has gone."""
    if remaining is None:
        return "no deadline"
    seconds = int(remaining.total_seconds())
    past = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days}d {hours}h" if days < 10 and not past else f"{days}d"
    elif hours:
        text = f"{hours}h {minutes:02d}m"
    else:
        text = f"{minutes}m"
    return f"past {text}" if past else text


def usd(amount: Decimal | None) -> str:
    return "—" if amount is None else format_money(amount, "USD").removesuffix(" USD")


def money(amount: Decimal | None, currency: str) -> str:
    return "—" if amount is None else format_money(amount, currency)


amount = format_amount
quantity = format_quantity


def percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def label(value: str) -> str:
    """A stored vocabulary value as words: `partially_delivered` → `partially delivered`."""
    return value.replace("_", " ")
