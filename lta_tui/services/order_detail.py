"""One order with everything recorded about it: header, lines, deliveries, amendments, its
performance review, the warnings acknowledged with it, history, and which lifecycle actions its
status allows.

Returns plain frozen dataclasses (no ORM objects), read in one connection.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import Engine, select

from lta_tui.domain.states import OrderStatus
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
    PerformanceReview,
    ServiceType,
    SubLta,
)


class OrderNotFound(LookupError):
    """No order with that id (deleted since the list was read)."""


_S = OrderStatus
#: Lifecycle action → the statuses of an order it applies to (the order service decides).
ORDER_ACTIONS: dict[str, tuple[OrderStatus, ...]] = {
    "issue": (_S.draft,),
    "deliver": (_S.issued, _S.partially_delivered),
    "edit": (_S.draft,),
    "amend": (_S.issued, _S.partially_delivered),
    "cancel": (_S.draft, _S.issued),
    "close": (_S.delivered,),
    "rate": (_S.delivered, _S.closed),
}


def actions_for(status: str) -> frozenset[str]:
    """The lifecycle actions an order in `status` allows (whoever the user is)."""
    return frozenset(a for a, statuses in ORDER_ACTIONS.items() if status in statuses)


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
    before: str | None  # JSON of the values before (R25)
    after: str | None

    @property
    def change(self) -> str:
        """What changed, readable: `status: issued → delivered; reason: …`."""
        return describe_change(self.before, self.after)


@dataclass(frozen=True)
class ReviewDetail:
    """The performance review of the order: five criteria scored 1 (poor) to 4 (very good)."""

    reviewed_on: date
    reviewed_by: str
    on_time_delivery: int
    quantity: int
    conformity: int
    responsiveness: int
    after_sales: int
    comment: str

    @property
    def scores(self) -> tuple[int, int, int, int, int]:
        return (
            self.on_time_delivery,
            self.quantity,
            self.conformity,
            self.responsiveness,
            self.after_sales,
        )

    @property
    def average(self) -> Decimal:
        """The mean of the five scores, exact (a multiple of 0.2)."""
        return Decimal(sum(self.scores)) / 5


@dataclass(frozen=True)
class AcknowledgedWarning:
    """A rule's warning the user acknowledged when saving the order."""

    rule: str  # "R16"; "" when the stored text names none
    message: str
    by: str | None
    at: str | None  # "2026-11-15 09:00 UTC" (as stored when not an ISO 8601 moment)
    ceiling_amendment: str | None = None  # R15: the recorded amendment of the ceiling


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
    review: ReviewDetail | None = None
    acknowledged: tuple[AcknowledgedWarning, ...] = ()

    @property
    def actions(self) -> frozenset[str]:
        """The lifecycle actions the order's status allows (see `ORDER_ACTIONS`)."""
        return actions_for(self.status)


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
    review = select(
        PerformanceReview.reviewed_on,
        PerformanceReview.reviewed_by,
        PerformanceReview.on_time_delivery,
        PerformanceReview.quantity,
        PerformanceReview.conformity,
        PerformanceReview.responsiveness,
        PerformanceReview.after_sales,
        PerformanceReview.comment,
    ).where(PerformanceReview.order_id == order_id)
    with engine.connect() as conn:
        row = conn.execute(header).first()
        if row is None:
            raise OrderNotFound(f"order {order_id} does not exist (deleted?)")
        line_rows = conn.execute(lines).all()
        delivery_rows = conn.execute(deliveries).all()
        amendment_rows = conn.execute(amendments).all()
        history_rows = conn.execute(history).all()
        review_row = conn.execute(review).first()
    o = row._mapping
    fields = {f: o[f] for f in _HEADER_FIELDS}
    return OrderDetail(
        **fields,
        lines=tuple(_line(r) for r in line_rows),
        deliveries=tuple(DeliveryDetail(*r) for r in delivery_rows),
        amendments=tuple(AmendmentDetail(*r) for r in amendment_rows),
        history=tuple(HistoryEvent(*r) for r in history_rows),
        review=ReviewDetail(*review_row) if review_row is not None else None,
        acknowledged=acknowledged_warnings(o["acknowledged_warnings"]),
    )


def acknowledged_warnings(stored: str | None) -> tuple[AcknowledgedWarning, ...]:
    """The warnings stored with an order: a JSON list of {rule, message, by, at} as the order
    service writes it, or plain text (one warning per line, as older records hold)."""
    if not stored or not stored.strip():
        return ()
    try:
        items = json.loads(stored)
    except ValueError:
        items = None
    if isinstance(items, dict):
        items = [items]
    if isinstance(items, list):
        found = []
        for item in items:
            if isinstance(item, dict):
                message = str(item.get("message") or "")
                rule = str(item.get("rule") or _rule_of(message))
                by, at, amendment = item.get("by"), item.get("at"), item.get("ceiling_amendment")
                found.append(
                    AcknowledgedWarning(
                        rule,
                        message,
                        str(by) if by else None,
                        _moment_text(str(at)) if at else None,
                        str(amendment) if amendment else None,
                    )
                )
            else:
                found.append(AcknowledgedWarning(_rule_of(str(item)), str(item), None, None))
        return tuple(found)
    return tuple(
        AcknowledgedWarning(_rule_of(text), text, None, None)
        for text in (line.strip() for line in stored.splitlines())
        if text
    )


def _moment_text(stored: str) -> str:
    try:
        moment = datetime.fromisoformat(stored)
    except ValueError:
        return stored
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _rule_of(message: str) -> str:
    head = message.split(":", 1)[0].strip()
    return head if head[:1] == "R" and head[1:].isdecimal() else ""


def describe_change(before: str | None, after: str | None) -> str:
    """An audit event's before/after JSON as `key: old → new` for each value that changed
    (`key: new` when there was nothing before); text that is not a JSON object is shown as is."""
    old, new = _as_mapping(before), _as_mapping(after)
    if old is None or new is None:
        if before and after:
            return f"{before} → {after}"
        return after or before or ""
    parts: list[str] = []
    _describe_into(parts, "", old, new)
    return "; ".join(parts) or "no change"


def _describe_into(parts: list[str], prefix: str, old: dict, new: dict) -> None:
    keys = [*old, *(k for k in new if k not in old)]
    keys.sort(key=lambda k: k != "status")  # the status first, the rest as recorded
    for key in keys:
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        label = f"{prefix}{key}".replace("_", " ")
        if isinstance(a, dict) or isinstance(b, dict):  # e.g. quantities per line number
            _describe_into(
                parts,
                f"{label} ",
                a if isinstance(a, dict) else {},
                b if isinstance(b, dict) else {},
            )
        elif key not in old or a is None:
            parts.append(f"{label}: {_value(b)}")
        elif key not in new:
            parts.append(f"{label}: {_value(a)} → —")
        else:
            parts.append(f"{label}: {_value(a)} → {_value(b)}")


def _as_mapping(text: str | None) -> dict | None:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        if value in _STATUS_WORDS:
            return value.replace("_", " ")
        if _STORED_QUANTITY.fullmatch(value):  # "5.000" as stored → "5"
            return f"{Decimal(value).normalize():f}"
        return value
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


_STATUS_WORDS = {s.value for s in OrderStatus}
_STORED_QUANTITY = re.compile(r"-?\d+\.\d{3,}")


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
