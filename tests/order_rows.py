"""Bulk-inserted orders and lines (SQLAlchemy Core) for the browse tests: many ties on dates,
statuses and amounts so keyset pages are tested where the row id decides."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import Engine, insert, select

from lta_tui.domain.states import Channel, OrderStatus
from lta_tui.store.models import Agency, Consolidator, Lot, Lta, Order, OrderLine

START = date(2024, 1, 1)
CURRENCIES = (("USD", Decimal(1)), ("EUR", Decimal("0.92")), ("KES", Decimal("129.5")))
COUNTRIES = ("KE", "NG", "US", "FR", "BD")
DESCRIPTIONS = ("laptop 14in", "[urgent] laptops", "switch 48p", "printer A3", "freight")


def insert_orders(engine: Engine, orders: int, *, seed: int = 1, lines: int = 3) -> None:
    """`orders` orders of `lines` lines each, PO numbers `PO-00001`... in id order."""
    rng = random.Random(seed)
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        lta_id = conn.execute(select(Lta.id)).scalar_one()
        agencies = conn.execute(select(Agency.id).order_by(Agency.id).limit(4)).scalars().all()
        holders = conn.execute(select(Consolidator.id).order_by(Consolidator.id)).scalars().all()
        lots = conn.execute(select(Lot.id).order_by(Lot.number)).scalars().all()
        first_id = (conn.execute(select(Order.id).order_by(Order.id.desc())).scalar() or 0) + 1
        order_rows, line_rows = [], []
        for i in range(orders):
            currency, rate = rng.choice(CURRENCIES)
            amounts = [Decimal(rng.randrange(1, 40) * 250) for _ in range(lines)]
            usd = [(a / rate).quantize(Decimal("0.0001")) for a in amounts]
            order_id = first_id + i
            order_rows.append(
                {
                    "id": order_id,
                    "po_number": f"PO-{order_id:05d}",
                    "lta_id": lta_id,
                    "agency_id": agencies[i % len(agencies)],
                    "consolidator_id": rng.choice(holders),
                    "lot_id": rng.choice(lots),
                    "channel": rng.choice(list(Channel)).value,
                    "order_date": START + timedelta(days=rng.randrange(0, 60)),
                    "currency": currency,
                    "fx_units_per_usd": rate,
                    "fx_effective_date": START,
                    "fx_source": "test",
                    "destination_country": rng.choice(COUNTRIES),
                    "status": rng.choice(list(OrderStatus)).value,
                    "total": sum(amounts),
                    "total_usd": sum(usd),
                    "created_at": now,
                    "created_by": "test",
                    "updated_at": now,
                    "updated_by": "test",
                }
            )
            for n, (amount, amount_usd) in enumerate(zip(amounts, usd, strict=True), start=1):
                line_rows.append(
                    {
                        "order_id": order_id,
                        "line_no": n,
                        "kind": "service" if n == lines and n > 1 else "goods",
                        "description": rng.choice(DESCRIPTIONS),
                        "unspsc": rng.choice(("43211503", "43222609", "44101501", "78101800")),
                        "quantity": Decimal(amount / 250),
                        "unit_price": Decimal(250),
                        "amount": amount,
                        "amount_usd": amount_usd,
                    }
                )
        conn.execute(insert(Order), order_rows)
        conn.execute(insert(OrderLine), line_rows)
