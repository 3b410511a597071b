"""Small frozen records that several rules read: validity periods and lot holdings.

Callers build them from whatever they hold (a database row, an import line, a form); the rules
never see the storage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Period:
    """A validity from `start` to `end`, both days included; no `end` means open-ended."""

    start: date
    end: date | None = None

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return self.start <= day and (self.end is None or day <= self.end)

    def __str__(self) -> str:
        end = self.end.isoformat() if self.end else "open-ended"
        return f"{self.start.isoformat()} to {end}"


@dataclass(frozen=True)
class Holding:
    """A consolidator (by short code) holding a lot from `active_from` to `active_to` included."""

    consolidator: str
    lot: int
    active_from: date
    active_to: date | None = None

    @property
    def period(self) -> Period:
        return Period(self.active_from, self.active_to)


def holdings_of(holdings: Iterable[Holding], consolidator: str, lot: int) -> list[Holding]:
    """The holdings of one consolidator for one lot, earliest first."""
    found = [h for h in holdings if h.consolidator == consolidator and h.lot == lot]
    return sorted(found, key=lambda h: h.active_from)


def holds_lot(holdings: Iterable[Holding], consolidator: str, lot: int, on: date) -> bool:
    """True when the consolidator holds the lot on that day."""
    return any(on in h.period for h in holdings_of(holdings, consolidator, lot))


def holders_on(holdings: Iterable[Holding], lot: int, on: date) -> list[str]:
    """Codes of the consolidators holding the lot on that day, sorted."""
    return sorted({h.consolidator for h in holdings if h.lot == lot and on in h.period})
