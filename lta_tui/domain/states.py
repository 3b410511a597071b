"""The vocabularies of DESIGN.md §2: states, channels, kinds. Plain string enums."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum


class _Vocabulary(str, Enum):
    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


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


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def effective_status(status: str, deadline: datetime | None, now: datetime) -> str:
    """The status a user sees: an open competition whose deadline has passed reads closed
    (no one records the deadline passing). Naive times are UTC."""
    if status == CompetitionStatus.open.value and deadline is not None:
        if _utc(now) > _utc(deadline):
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
