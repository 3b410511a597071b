"""The vocabularies of DESIGN.md §2: states, channels, kinds. Plain string enums."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from lta_tui.domain.dates import aware


def label(value: str) -> str:
    """A vocabulary value as a user reads it: `partially_delivered` → `partially delivered`."""
    return value.replace("_", " ")


class _Vocabulary(str, Enum):
    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        return label(self.value)


class CompetitionStatus(_Vocabulary):
    draft = "draft"
    open = "open"
    closed = "closed"
    opened = "opened"
    evaluated = "evaluated"
    awarded = "awarded"
    ordered = "ordered"
    unsuccessful = "unsuccessful"
    cancelled = "cancelled"


def effective_status(status: str, deadline: datetime | None, now: datetime) -> str:
    """The status a user sees: an open competition whose deadline has passed reads closed
    (no one records the deadline passing). Naive times are UTC."""
    if status == CompetitionStatus.open.value and deadline is not None:
        if aware(now) > aware(deadline):
            return CompetitionStatus.closed.value
    return status


class OrderStatus(_Vocabulary):
    draft = "draft"
    issued = "issued"
    partially_delivered = "partially_delivered"
    delivered = "delivered"
    closed = "closed"
    cancelled = "cancelled"


#: Orders placed with the consolidator and not cancelled: what counts as spend.
SPEND_STATUSES = (
    OrderStatus.issued,
    OrderStatus.partially_delivered,
    OrderStatus.delivered,
    OrderStatus.closed,
)

#: Orders still waiting for (part of) their delivery.
AWAITING_DELIVERY = (OrderStatus.issued, OrderStatus.partially_delivered)


class Channel(_Vocabulary):
    mini_competition = "mini_competition"
    direct = "direct"


class LineKind(_Vocabulary):
    goods = "goods"
    service = "service"


class ServiceCode(_Vocabulary):
    freight = "freight"
    export_licensing = "export_licensing"
    installation_support = "installation_support"
    warranty = "warranty"


class EvaluationMethod(_Vocabulary):
    lowest_price = "lowest_price"  # lowest price technically compliant
    weighted = "weighted"


class Criterion(_Vocabulary):
    price = "price"
    delivery_time = "delivery_time"
    warranty = "warranty"
    sustainability = "sustainability"
    past_performance = "past_performance"


class Eligibility(_Vocabulary):
    eligible = "eligible"
    suspended = "suspended"


#: ServiceCode values, in the order every screen and export lists services.
SERVICE_CODES = tuple(s.value for s in ServiceCode)
#: Criterion values, in the order every screen and export lists criteria.
CRITERIA = tuple(c.value for c in Criterion)
#: The service a competition may ask a price of without making it required.
OPTIONAL_SERVICE = ServiceCode.warranty.value


def service_order(code: str) -> int:
    """Sort key of a service code: ServiceCode order, unknown codes last."""
    return SERVICE_CODES.index(code) if code in SERVICE_CODES else len(SERVICE_CODES)


def criterion_order(name: str) -> int:
    """Sort key of a criterion: Criterion order, unknown names last."""
    return CRITERIA.index(name) if name in CRITERIA else len(CRITERIA)


def services_asked(
    *, freight: bool, export_licensing: bool, installation: bool, warranty_months: int
) -> tuple[str, ...]:
    """The services a competition asks the offers about, in ServiceCode order: freight, export
    licensing and installation by their flags (each needs a price), warranty when it asks for
    warranty months (its price, `OPTIONAL_SERVICE`, only if charged separately)."""
    asked = {
        ServiceCode.freight.value: freight,
        ServiceCode.export_licensing.value: export_licensing,
        ServiceCode.installation_support.value: installation,
        ServiceCode.warranty.value: warranty_months > 0,
    }
    return tuple(code for code in SERVICE_CODES if asked[code])
