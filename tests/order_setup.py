"""Building blocks of the order service tests: a sub-LTA with its catalogue, rates, an award,
and a valid 10-line direct order, written with SQLAlchemy Core on the `engine` fixture's seeded
database (LTA GP500454 2021-06-01 to 2027-05-31; CONS-A holds lots 1, 2, 3 and 5; CONS-D held
lot 2 until 2025-12-31)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import Engine, func, insert, select, update

from lta_tui.config import RulesConfig
from lta_tui.services.orders import Actor, LineInput, OrderInput
from lta_tui.store.models import (
    Agency,
    AuditEvent,
    Award,
    CatalogueItem,
    Consolidator,
    ExchangeRate,
    Lot,
    Lta,
    MiniCompetition,
    Offer,
    OfferLine,
    Order,
    RequirementLine,
    SubLta,
)

D = Decimal
NOW = datetime(2026, 11, 15, 9, 0, tzinfo=timezone.utc)
DAY = date(2026, 11, 10)
RULES = RulesConfig()
ANA = Actor("Ana Ruiz", "UNDP", "focal_point")
SUB = "UNDP-CONS-A-2026"
CEILING = D("1000000")
#: sku, lot, unspsc, unit price (EUR)
ITEMS = [(f"A2-LAP{i:02d}", 2, "43211503", D("850.00") + i) for i in range(1, 9)] + [
    ("A1-SW01", 1, "43222612", D("1200.00")),
    ("A2-MON01", 2, "43211902", D("189.99")),
]


def ids(conn, model, **where):
    stmt = select(model.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return conn.execute(stmt).scalar_one()


def make_sub_lta(
    engine: Engine,
    *,
    reference: str = SUB,
    agency: str = "UNDP",
    consolidator: str = "CONS-A",
    currency: str = "EUR",
    ceiling: Decimal = CEILING,
    valid: tuple[date, date] = (date(2026, 1, 1), date(2026, 12, 31)),
    items=None,
) -> int:
    with engine.begin() as conn:
        lta_id = conn.execute(select(Lta.id)).scalar_one()
        sub_id = conn.execute(
            insert(SubLta).values(
                reference=reference,
                lta_id=lta_id,
                agency_id=ids(conn, Agency, code=agency),
                consolidator_id=ids(conn, Consolidator, code=consolidator),
                valid_from=valid[0],
                valid_to=valid[1],
                ceiling=ceiling,
                currency=currency,
            )
        ).inserted_primary_key[0]
        for sku, lot, unspsc, price in ITEMS if items is None else items:
            conn.execute(
                insert(CatalogueItem).values(
                    sub_lta_id=sub_id,
                    sku=sku,
                    description=f"Item {sku}",
                    lot_id=ids(conn, Lot, number=lot),
                    unspsc=unspsc,
                    unit="each",
                    unit_price=price,
                    currency=currency,
                    valid_from=valid[0],
                    valid_to=valid[1],
                )
            )
    return sub_id


def add_rate(engine: Engine, currency: str, effective: date, units: str, source="UN ORE") -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(ExchangeRate).values(
                currency=currency, effective_date=effective, units_per_usd=D(units), source=source
            )
        )


def set_rate(engine: Engine, currency: str, effective: date, units: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(ExchangeRate)
            .where(ExchangeRate.currency == currency, ExchangeRate.effective_date == effective)
            .values(units_per_usd=D(units))
        )


def goods(sku: str, quantity="2", price=None, **kw) -> LineInput:
    item = {i[0]: i for i in ITEMS}[sku]
    return LineInput(
        kind="goods",
        description=f"Item {sku}",
        unspsc=item[2],
        quantity=D(quantity),
        unit_price=item[3] if price is None else D(price),
        sku=sku,
        **kw,
    )


def service(code="freight", price="350.00", quantity="1", unspsc="78141501") -> LineInput:
    return LineInput(
        kind="service",
        description=f"{code} to Kenya",
        unspsc=unspsc,
        quantity=D(quantity),
        unit_price=D(price),
        unit="lot",
        service=code,
    )


def direct_order(lines=None, **changes) -> OrderInput:
    """A valid direct order of 10 lines (8 laptops, a monitor, freight) in EUR to Kenya."""
    if lines is None:
        lines = tuple(goods(f"A2-LAP{i:02d}") for i in range(1, 9)) + (
            goods("A2-MON01", "5"),
            service(),
        )
    order = OrderInput(
        agency="UNDP",
        channel="direct",
        consolidator="CONS-A",
        lot=2,
        order_date=DAY,
        currency="EUR",
        destination_country="KE",
        lines=tuple(lines),
        sub_lta=SUB,
    )
    return replace(order, **changes)


def audit_events(engine: Engine, order_id: int) -> list[tuple]:
    with engine.connect() as conn:
        return [
            (r.action, r.who, r.at, json.loads(r.before) if r.before else None, json.loads(r.after))
            for r in conn.execute(
                select(AuditEvent)
                .where(AuditEvent.entity == "order", AuditEvent.entity_id == order_id)
                .order_by(AuditEvent.id)
            )
        ]


def order_row(engine: Engine, order_id: int):
    with engine.connect() as conn:
        return conn.execute(select(Order.__table__).where(Order.id == order_id)).one()


def count(engine: Engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def make_award(
    engine: Engine,
    *,
    reference="UNDP-MC-2026-001",
    consolidator="CONS-A",
    lot=2,
    currency="EUR",
    quantity="10",
    price="900.00",
    awarded=True,
) -> None:
    """A mini-competition of one requirement line and its award (or none) to `consolidator`."""
    with engine.begin() as conn:
        lta_id = conn.execute(select(Lta.id)).scalar_one()
        comp_id = conn.execute(
            insert(MiniCompetition).values(
                reference=reference,
                lta_id=lta_id,
                agency_id=ids(conn, Agency, code="UNDP"),
                lot_id=ids(conn, Lot, number=lot),
                title="Laptops",
                destination_country="KE",
                status="awarded" if awarded else "evaluated",
                created_at=NOW,
                created_by="Ana Ruiz",
            )
        ).inserted_primary_key[0]
        req_id = conn.execute(
            insert(RequirementLine).values(
                competition_id=comp_id,
                line_no=1,
                description="Laptop",
                quantity=D(quantity),
                unspsc="43211503",
            )
        ).inserted_primary_key[0]
        offer_id = conn.execute(
            insert(Offer).values(
                competition_id=comp_id,
                consolidator_id=ids(conn, Consolidator, code=consolidator),
                received_at=NOW,
                recorded_by="Ana Ruiz",
                currency=currency,
                delivery_days=30,
                content_hash="0" * 64,
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(OfferLine).values(
                offer_id=offer_id, requirement_line_id=req_id, unit_price=D(price)
            )
        )
        if awarded:
            conn.execute(
                insert(Award).values(
                    competition_id=comp_id,
                    offer_id=offer_id,
                    rank=1,
                    decided_at=NOW,
                    decided_by="Ana Ruiz",
                )
            )
