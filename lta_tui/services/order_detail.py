"""One order with everything recorded about it: header, lines, deliveries, amendments, history.

Returns plain frozen dataclasses (no ORM objects), read in one connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Engine, select

from lta_tui.store.models import (
    Agency,
    AuditEvent,
    Award,
    Consolidator,
    Delivery,
    Lot,
    MiniCompetition,
    Order,
    OrderAmendment,
    OrderLine,
    ServiceType,
    SubLta,
)


class OrderNotFound(LookupError):
    """No order with that id (deleted since the list was read)."""


@dataclass(frozen=True)
class OrderLineDetail:
    id: int
    line_no: int
    kind: str
    service: str | None
    description: str
    unspsc: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    amount_usd: Decimal
    delivered_quantity: Decimal


@dataclass(frozen=True)
class DeliveryDetail:
    delivered_on: date
    line_no: int
    quantity: Decimal
    recorded_by: str


@dataclass(frozen=True)
class AmendmentDetail:
    amended_at: datetime
    amended_by: str
    previous_total: Decimal
    new_total: Decimal
    reason: str


@dataclass(frozen=True)
class HistoryEvent:
    at: datetime
    who: str
    action: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class OrderDetail:
    id: int
    po_number: str
    order_date: date
    agency_code: str
    agency_name: str
    consolidator_code: str
    consolidator_name: str
    lot_number: int
    lot_title: str
    channel: str
    competition: str | None  # reference of the awarded mini-competition
    sub_lta: str | None  # reference of the sub-LTA of a direct order
    status: str
    currency: str
    fx_units_per_usd: Decimal
    fx_effective_date: date
    fx_source: str
    destination_country: str
    total: Decimal
    total_usd: Decimal
    first_total: Decimal | None
    cancellation_reason: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int
    lines: tuple[OrderLineDetail, ...]
    deliveries: tuple[DeliveryDetail, ...]
    amendments: tuple[AmendmentDetail, ...]
    history: tuple[HistoryEvent, ...]


def order_detail(engine: Engine, order_id: int) -> OrderDetail:
    """Everything about one order; raises `OrderNotFound` if it does not exist."""
    orders = Order.__table__
    header = (
        select(
            orders,
            Agency.code.label("agency_code"),
            Agency.name.label("agency_name"),
            Consolidator.code.label("consolidator_code"),
            Consolidator.name.label("consolidator_name"),
            Lot.number.label("lot_number"),
            Lot.title.label("lot_title"),
            MiniCompetition.reference.label("competition"),
            SubLta.reference.label("sub_lta"),
        )
        .join(Agency, Agency.id == orders.c.agency_id)
        .join(Consolidator, Consolidator.id == orders.c.consolidator_id)
        .join(Lot, Lot.id == orders.c.lot_id)
        .outerjoin(Award, Award.id == orders.c.award_id)
        .outerjoin(MiniCompetition, MiniCompetition.id == Award.competition_id)
        .outerjoin(SubLta, SubLta.id == orders.c.sub_lta_id)
        .where(orders.c.id == order_id)
    )
    lines = (
        select(OrderLine.__table__, ServiceType.code.label("service"))
        .outerjoin(ServiceType, ServiceType.id == OrderLine.service_type_id)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.line_no)
    )
    deliveries = (
        select(Delivery.delivered_on, OrderLine.line_no, Delivery.quantity, Delivery.recorded_by)
        .join(OrderLine, OrderLine.id == Delivery.order_line_id)
        .where(Delivery.order_id == order_id)
        .order_by(Delivery.delivered_on, OrderLine.line_no, Delivery.id)
    )
    amendments = (
        select(
            OrderAmendment.amended_at,
            OrderAmendment.amended_by,
            OrderAmendment.previous_total,
            OrderAmendment.new_total,
            OrderAmendment.reason,
        )
        .where(OrderAmendment.order_id == order_id)
        .order_by(OrderAmendment.amended_at, OrderAmendment.id)
    )
    history = (
        select(
            AuditEvent.at, AuditEvent.who, AuditEvent.action, AuditEvent.before, AuditEvent.after
        )
        .where(AuditEvent.entity == "order", AuditEvent.entity_id == order_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    with engine.connect() as conn:
        row = conn.execute(header).first()
        if row is None:
            raise OrderNotFound(f"order {order_id} does not exist (deleted?)")
        line_rows = conn.execute(lines).all()
        delivery_rows = conn.execute(deliveries).all()
        amendment_rows = conn.execute(amendments).all()
        history_rows = conn.execute(history).all()
    o = row._mapping
    fields = {f: o[f] for f in _HEADER_FIELDS}
    return OrderDetail(
        **fields,
        lines=tuple(_line(r) for r in line_rows),
        deliveries=tuple(DeliveryDetail(*r) for r in delivery_rows),
        amendments=tuple(AmendmentDetail(*r) for r in amendment_rows),
        history=tuple(HistoryEvent(*r) for r in history_rows),
    )


_HEADER_FIELDS = (
    "id", "po_number", "order_date", "agency_code", "agency_name", "consolidator_code",
    "consolidator_name", "lot_number", "lot_title", "channel", "competition", "sub_lta",
    "status", "currency", "fx_units_per_usd", "fx_effective_date", "fx_source",
    "destination_country", "total", "total_usd", "first_total", "cancellation_reason",
    "created_at", "created_by", "updated_at", "updated_by", "version",
)  # fmt: skip
_LINE_FIELDS = (
    "id", "line_no", "kind", "service", "description", "unspsc", "unit", "quantity",
    "unit_price", "amount", "amount_usd", "delivered_quantity",
)  # fmt: skip


def _line(row) -> OrderLineDetail:
    m = row._mapping
    return OrderLineDetail(**{f: m[f] for f in _LINE_FIELDS})
