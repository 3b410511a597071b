"""The content hash of an offer (issue 4, R5): stored when the offer is recorded, computed again
at the opening, so a change made to a sealed offer afterwards is visible.

The hash is the sha256 (hex) of the offer's content as canonical JSON: keys sorted, no spaces
(separators `,` and `:`), UTF-8 without escaping; the receipt time in UTC as ISO 8601 with a
trailing `Z`; prices as decimal strings at the currency's minor unit (`1234.50`, `150000` for
JPY), or with every digit they have when they are finer (`12.3456`), so that no stored digit
escapes the hash; requirement lines numbered from 1.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from lta_tui.domain.money import round_money


@dataclass(frozen=True)
class OfferContent:
    """What a consolidator offered, as the hash covers it."""

    competition: str  # reference
    consolidator: str  # code
    currency: str
    received_at: datetime  # UTC (aware, or naive meaning UTC)
    delivery_days: int
    warranty_months: int
    valid_until: date | None
    takes_back_equipment: bool
    energy_label: bool
    line_prices: tuple[Decimal, ...]  # unit price per requirement line, by line_no
    services: tuple[tuple[str, Decimal], ...]  # (ServiceCode value, price)


def canonical_json(content: OfferContent) -> str:
    """The text the hash is taken of (see the module docstring)."""
    received = content.received_at
    if received.tzinfo is not None:
        received = received.astimezone(timezone.utc).replace(tzinfo=None)

    def price(amount: Decimal) -> str:
        rounded = round_money(amount, content.currency)
        return str(rounded) if rounded == amount else str(amount.normalize())

    document = {
        "competition": content.competition,
        "consolidator": content.consolidator,
        "currency": content.currency,
        "received_at": received.isoformat() + "Z",
        "delivery_days": content.delivery_days,
        "warranty_months": content.warranty_months,
        "valid_until": content.valid_until.isoformat() if content.valid_until else None,
        "takes_back_equipment": content.takes_back_equipment,
        "energy_label": content.energy_label,
        "lines": [
            {"line_no": n, "unit_price": price(p)}
            for n, p in enumerate(content.line_prices, start=1)
        ],
        "services": [{"service": code, "price": price(p)} for code, p in content.services],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def offer_hash(content: OfferContent) -> str:
    """sha256 hex digest of the offer's canonical JSON."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()
