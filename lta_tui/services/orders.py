"""The order service (issue 3): check, save, issue, deliver, amend, cancel, close and review an
order, every change in one transaction with its audit event (R25) and an optimistic version
check.

This module is the public API the order form, the order detail and the importers call; the
work is done in `order_checks` (the rules R12–R20, R26 through `lta_tui.domain.rules`),
`order_write` (save and amendments) and `order_lifecycle` (issue, deliveries, cancel, close,
review). Everything returned is a plain frozen dataclass.
"""

from __future__ import annotations

from lta_tui.services.order_checks import check_order
from lta_tui.services.order_context import (
    OrderNotFound,
    catalogue,
    load_order_input,
    order_form_context,
)
from lta_tui.services.order_lifecycle import (
    cancel_order,
    close_order,
    issue_order,
    record_delivery,
    review_order,
)
from lta_tui.services.order_types import (
    Actor,
    AgencyChoice,
    CatalogueChoice,
    ConsolidatorChoice,
    CountryChoice,
    CurrencyChoice,
    FormContext,
    LineFigures,
    LineInput,
    LotChoice,
    NeedsAcknowledgement,
    OrderCheck,
    OrderConflict,
    OrderInput,
    ReviewInput,
    SavedOrder,
    ServiceChoice,
    SubLtaChoice,
)
from lta_tui.services.order_write import save_order, save_order_in

__all__ = [
    "Actor",
    "AgencyChoice",
    "CatalogueChoice",
    "ConsolidatorChoice",
    "CountryChoice",
    "CurrencyChoice",
    "FormContext",
    "LineFigures",
    "LineInput",
    "LotChoice",
    "NeedsAcknowledgement",
    "OrderCheck",
    "OrderConflict",
    "OrderInput",
    "OrderNotFound",
    "ReviewInput",
    "SavedOrder",
    "ServiceChoice",
    "SubLtaChoice",
    "cancel_order",
    "catalogue",
    "check_order",
    "close_order",
    "issue_order",
    "load_order_input",
    "order_form_context",
    "record_delivery",
    "review_order",
    "save_order",
    "save_order_in",
]
