"""Column types that keep money and quantities exact on every database."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator

from lta_tui.domain.money import SCALE_DIGITS, from_units, to_units


class Exact(TypeDecorator[Decimal]):
    """A `Decimal` stored as a BIGINT of 10**-digits units: no float ever touches it.

    `Exact()` holds money (4 decimals cover every ISO 4217 currency); `Exact(6)` holds exchange
    rates. A value finer than the scale is refused, not rounded.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, digits: int = SCALE_DIGITS) -> None:
        super().__init__()
        self.digits = digits

    def process_bind_param(self, value, dialect):  # type: ignore[override]
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = Decimal(value)
        return to_units(value, self.digits)

    def process_result_value(self, value, dialect):  # type: ignore[override]
        return None if value is None else from_units(int(value), self.digits)

    @property
    def python_type(self) -> type:
        return Decimal


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored as naive UTC, returned timezone-aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a timezone")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):  # type: ignore[override]
        return None if value is None else value.replace(tzinfo=timezone.utc)
